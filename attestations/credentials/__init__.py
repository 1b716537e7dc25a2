"""Cartera credentials: blind issuance, selective disclosure, per-verifier pseudonyms.

The safe layer over `attestations.bbs`: no suite, api_id, generator or index to choose.

    >>> import datetime, os
    >>> from attestations.credentials import *
    >>> from attestations.schemas import Schema
    >>> schema = Schema.create("resident", [("district", "string"), ("postcode", "integer")])
    >>> issuer, secret = IssuerKey.generate(), HolderSecret.generate()
    >>> request, state = begin_issuance(secret, issuer.public_key(), schema)
    >>> values = {"expiry": datetime.date(2099, 1, 1), "district": "Gràcia", "postcode": 8012}
    >>> credential = finish_issuance(state, issue(issuer, schema, values, request))
    >>> nonce = os.urandom(16)
    >>> shown = present(credential, secret, disclose=["district"], verifier_id="bikes",
    ...                 nonce=nonce)
    >>> verify_presentation(Presentation.from_json(shown.to_json()), issuer.public_key(),
    ...                     schema, verifier_id="bikes", nonce=nonce)
    {'expiry': datetime.date(2099, 1, 1), 'district': 'Gràcia'}
    >>> shown.pseudonym == secret.pseudonym("bikes")
    True

Predicates on undisclosed attributes (`Range`, `Member`, from `attestations.predicates`)
go to `present(..., predicates=[...])` and `verify_presentation(..., predicates=[...])`.

Errors: `DecodeError` for anything that does not parse canonically; `InvalidProof` for a
presentation or commitment proof that does not verify (never saying why);
`InvalidSignature` for an issuance response whose signature does not verify.
"""

from attestations.credentials.credential import Credential
from attestations.credentials.issuance import (
    IssuanceRequest,
    IssuanceResponse,
    IssuanceState,
    begin_issuance,
    finish_issuance,
    issue,
)
from attestations.credentials.keys import HolderSecret, IssuerKey, IssuerPublicKey
from attestations.credentials.presentation import Presentation, present, verify_presentation
from attestations.predicates import Member, Range

__all__ = [
    "Credential",
    "HolderSecret",
    "IssuanceRequest",
    "IssuanceResponse",
    "IssuanceState",
    "IssuerKey",
    "IssuerPublicKey",
    "Member",
    "Presentation",
    "Range",
    "begin_issuance",
    "finish_issuance",
    "issue",
    "present",
    "verify_presentation",
]

"""Zero-knowledge predicates on undisclosed attributes of a presentation.

    >>> import datetime, os
    >>> from attestations.credentials import *
    >>> from attestations.predicates import Member, Range, minimum_age
    >>> from attestations.schemas import Schema
    >>> schema = Schema.create("resident", [("birthdate", "date"), ("district", "string")])
    >>> issuer, secret = IssuerKey.generate(), HolderSecret.generate()
    >>> request, state = begin_issuance(secret, issuer.public_key(), schema)
    >>> values = {"expiry": datetime.date(2099, 1, 1), "birthdate": datetime.date(2000, 2, 29),
    ...           "district": "Gràcia"}
    >>> credential = finish_issuance(state, issue(issuer, schema, values, request))
    >>> asked = [minimum_age("birthdate", 18, today=datetime.date(2026, 5, 1)),
    ...          Member("district", ["Gràcia", "Sants-Montjuïc"])]
    >>> nonce = os.urandom(16)
    >>> shown = present(credential, secret, disclose=[], predicates=asked,
    ...                 verifier_id="bikes", nonce=nonce)
    >>> verify_presentation(Presentation.from_json(shown.to_json()), issuer.public_key(),
    ...                     schema, verifier_id="bikes", nonce=nonce, predicates=asked)
    {'expiry': datetime.date(2099, 1, 1)}

Safe layer: `Range(attribute, lo, hi)` (integers and dates, bounds inclusive) and
`Member(attribute, values)` (strings), passed to `attestations.credentials.present` and
`verify_presentation`; `minimum_age` builds the usual age condition. A policy predicate
(`policies.predicates`) converts with `predicate_from_json(p.to_json_dict())`.

Low level, for the recipes: `relations` (predicate → linear constraints on bits),
`argument` (the zero-knowledge argument on a Pedersen commitment, Bulletproofs' range
argument generalised), `linked` (the commitment tied to the BBS proof's hidden message),
`generators`. The construction and why it is sound: docs/protocol.md, Predicates.
"""

from attestations.predicates.age import minimum_age, years_before
from attestations.predicates.statements import (
    MAX_MEMBERS,
    MAX_PREDICATES,
    Member,
    Predicate,
    Range,
    predicate_from_json,
)

__all__ = [
    "MAX_MEMBERS",
    "MAX_PREDICATES",
    "Member",
    "Predicate",
    "Range",
    "minimum_age",
    "predicate_from_json",
    "years_before",
]

"""Consent documents: model, canonical encoding, signing and evaluation of a request. No I/O.

Every ledger entry and presentation request is a frozen model that parses strictly from
RFC 8785 canonical bytes and is built only by a `sign_*` function, so whatever is in memory
has passed the same checks as what comes off the wire. Time and randomness are arguments.

    >>> from datetime import UTC, datetime, timedelta
    >>> from policies import (OrgKey, Purpose, evaluate, draft_grant, parse_entry,
    ...                       sign_request, verify_entry_signature)
    >>> from attestations.schemas import Schema
    >>> schema = Schema.create("resident", [("postal_code", "string")])
    >>> verifier = OrgKey.from_seed(bytes(32))
    >>> now = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    >>> request = sign_request(
    ...     verifier, schema=schema.schema_id, attributes=["postal_code"],
    ...     predicates=[], purpose=Purpose.SERVICE_PROVISION, nonce=bytes(16),
    ...     trusted_issuers=[verifier.did], created_at=now,
    ...     expires_at=now + timedelta(minutes=5))
    >>> evaluate(request, [], now).explain()
    'refused: no grant; missing attributes: postal_code'
    >>> grant = draft_grant(request, now=now).sign(12345, created_at=now)
    >>> entry = parse_entry(grant.to_json())       # what the ledger does with the bytes
    >>> verify_entry_signature(entry)
    >>> evaluate(request, [entry], now).allowed
    True
"""

from policies.canonical import canonical_bytes, loads, sha256_id, signing_bytes
from policies.entries import (
    ENTRY_TYPES,
    AccessRecord,
    Ciphersuite,
    ConsentGrant,
    ConsentRevoke,
    Entry,
    IssuerRegister,
    IssuerRevokeKey,
    RevocationReason,
    SchemaRef,
    VerifierRegister,
    parse_entry,
)
from policies.errors import DocumentError, PolicyError, RequestExpired, SignatureError
from policies.evaluate import (
    Decision,
    GrantDraft,
    GrantFinding,
    Problem,
    draft_grant,
    evaluate,
    uncovered,
)
from policies.identity import OrgKey, did_from_public_key, public_key_from_did, verify_signature
from policies.petitions import (
    Eligibility,
    PetitionOpen,
    PetitionSign,
    build_petition_sign,
    sign_petition_open,
)
from policies.predicates import AtLeast, AtMost, Between, MemberOf, Predicate
from policies.purposes import Purpose
from policies.request import PresentationRequest, sign_request, verify_request
from policies.sessions import (
    IssuanceOffer,
    PresentationResponse,
    build_response,
    sign_offer,
    verify_offer,
)
from policies.signing import (
    sign_access_record,
    sign_consent_grant,
    sign_consent_revoke,
    sign_issuer_register,
    sign_issuer_revoke_key,
    sign_verifier_register,
    verify_entry_signature,
)
from policies.times import format_time, parse_time, utc_seconds

__all__ = [
    "ENTRY_TYPES",
    "AccessRecord",
    "AtLeast",
    "AtMost",
    "Between",
    "Ciphersuite",
    "ConsentGrant",
    "ConsentRevoke",
    "Decision",
    "DocumentError",
    "Eligibility",
    "Entry",
    "GrantDraft",
    "GrantFinding",
    "IssuanceOffer",
    "IssuerRegister",
    "IssuerRevokeKey",
    "MemberOf",
    "OrgKey",
    "PetitionOpen",
    "PetitionSign",
    "PolicyError",
    "Predicate",
    "PresentationRequest",
    "PresentationResponse",
    "Problem",
    "Purpose",
    "RequestExpired",
    "RevocationReason",
    "SchemaRef",
    "SignatureError",
    "VerifierRegister",
    "build_petition_sign",
    "build_response",
    "canonical_bytes",
    "did_from_public_key",
    "draft_grant",
    "evaluate",
    "format_time",
    "loads",
    "parse_entry",
    "parse_time",
    "public_key_from_did",
    "sha256_id",
    "sign_access_record",
    "sign_consent_grant",
    "sign_consent_revoke",
    "sign_issuer_register",
    "sign_issuer_revoke_key",
    "sign_offer",
    "sign_petition_open",
    "sign_request",
    "sign_verifier_register",
    "signing_bytes",
    "uncovered",
    "utc_seconds",
    "verify_entry_signature",
    "verify_offer",
    "verify_request",
    "verify_signature",
]

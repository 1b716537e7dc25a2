"""Shared keys, times and document builders for the policies tests (real keys, real
signatures; only the randomness of the Schnorr nonce is fixed, for reproducibility)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from attestations.consent import sign_consent
from attestations.encoding import b64url_encode
from attestations.schemas import Schema
from policies import (
    AccessRecord,
    AtLeast,
    AtMost,
    Ciphersuite,
    ConsentGrant,
    ConsentRevoke,
    IssuerRegister,
    IssuerRevokeKey,
    OrgKey,
    Predicate,
    PresentationRequest,
    Purpose,
    RevocationReason,
    SchemaRef,
    VerifierRegister,
    canonical_bytes,
    parse_entry,
    sign_access_record,
    sign_consent_grant,
    sign_consent_revoke,
    sign_issuer_register,
    sign_issuer_revoke_key,
    sign_request,
    sign_verifier_register,
    signing_bytes,
    verify_entry_signature,
    verify_request,
)
from policies.document import Document

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SECRET = 0x1F2E3D4C5B6A79880123456789ABCDEF0011223344556677
OTHER_SECRET = 0x0A0B0C0D0E0F
VERIFIER = OrgKey.from_seed(b"\x01" * 32)
OTHER_VERIFIER = OrgKey.from_seed(b"\x03" * 32)
ISSUER = OrgKey.from_seed(b"\x02" * 32)
SCHEMA = Schema.create(
    "resident",
    [
        ("birthdate", "date"),
        ("district", "string"),
        ("postal_code", "string"),
        ("income", "integer"),
    ],
)
OTHER_SCHEMA = Schema.create("library_card", [("card_number", "string")])
ADULT = AtMost(attribute="birthdate", op="<=", value=date(2007, 3, 1))
LOW_INCOME = AtLeast(attribute="income", op=">=", value=0)


def fixed_rng(n: int) -> bytes:
    return b"\x07" * n


def grant(**overrides: Any) -> ConsentGrant:
    """A grant to VERIFIER of `postal_code` and ADULT for service provision, 30 days."""
    fields: dict[str, Any] = {
        "verifier": VERIFIER.did,
        "schema": SCHEMA.schema_id,
        "attributes": ["postal_code"],
        "predicates": [ADULT],
        "purpose": Purpose.SERVICE_PROVISION,
        "not_before": T0,
        "not_after": T0 + timedelta(days=30),
        "created_at": T0,
        "max_uses": None,
        "rng": fixed_rng,
    }
    secret = overrides.pop("secret", SECRET)
    fields.update(overrides)
    return sign_consent_grant(secret, **fields)


def request(
    key: OrgKey = VERIFIER,
    *,
    attributes: tuple[str, ...] = ("postal_code",),
    predicates: tuple[Predicate, ...] = (ADULT,),
    **overrides: Any,
) -> PresentationRequest:
    """VERIFIER asks for what `grant()` allows, valid five minutes from T0."""
    fields: dict[str, Any] = {
        "schema": SCHEMA.schema_id,
        "purpose": Purpose.SERVICE_PROVISION,
        "nonce": bytes(range(16)),
        "trusted_issuers": [ISSUER.did],
        "created_at": T0,
        "expires_at": T0 + timedelta(minutes=5),
    }
    fields.update(overrides)
    return sign_request(key, attributes=attributes, predicates=predicates, **fields)


def edited(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of a document's JSON with fields changed (a value of `...` removes one)."""
    out = dict(obj)
    for name, value in changes.items():
        if value is ...:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def resigned(obj: dict[str, Any], sign: Callable[[bytes], bytes]) -> bytes:
    """Canonical bytes of `obj` with a fresh, valid signature: so a test that feeds them to
    the parser shows the parser refusing the content, not the signature."""
    out = dict(obj)
    out["sig"] = b64url_encode(sign(signing_bytes(out)))
    return canonical_bytes(out)


def org_signer(key: OrgKey) -> Callable[[bytes], bytes]:
    return key.sign


def consent_signer(secret: int, verifier: str) -> Callable[[bytes], bytes]:
    return lambda message: sign_consent(secret, verifier, message, rng=fixed_rng)


BBS_KEY = bytes(range(96))


def issuer_register(**overrides: Any) -> IssuerRegister:
    fields: dict[str, Any] = {
        "name": "Padró Municipal d'Habitants",
        "public_key": BBS_KEY,
        "ciphersuite": Ciphersuite.SHA256,
        "schemas": [SchemaRef(id=SCHEMA.schema_id, definition=SCHEMA)],
        "valid_from": T0,
        "valid_until": T0 + timedelta(days=365),
        "created_at": T0,
    }
    key = overrides.pop("key", ISSUER)
    fields.update(overrides)
    return sign_issuer_register(key, **fields)


def issuer_revoke_key() -> IssuerRevokeKey:
    return sign_issuer_revoke_key(
        ISSUER,
        public_key=BBS_KEY,
        reason=RevocationReason.KEY_COMPROMISE,
        effective_at=T0 + timedelta(days=2),
        created_at=T0 + timedelta(days=3),
    )


def verifier_register() -> VerifierRegister:
    return sign_verifier_register(
        VERIFIER,
        name="Bicing",
        purposes=[Purpose.SERVICE_PROVISION, Purpose.AGE_VERIFICATION],
        contact="dpo@bicing.example",
        created_at=T0,
    )


def consent_revoke() -> ConsentRevoke:
    return sign_consent_revoke(
        SECRET, grant=grant(), created_at=T0 + timedelta(days=1), rng=fixed_rng
    )


def access_record() -> AccessRecord:
    return sign_access_record(
        VERIFIER, grant=grant().id, presentation=b"presentation", created_at=T0 + timedelta(hours=1)
    )


class Kind(NamedTuple):
    """One document type, with how to build, sign, parse and verify it."""

    name: str
    build: Callable[[], Document]
    sign: Callable[[bytes], bytes]
    parse: Callable[[bytes], Document]
    verify: Callable[[Any], None]


KINDS = [
    Kind("issuer.register", issuer_register, ISSUER.sign, parse_entry, verify_entry_signature),
    Kind("issuer.revoke_key", issuer_revoke_key, ISSUER.sign, parse_entry, verify_entry_signature),
    Kind(
        "verifier.register", verifier_register, VERIFIER.sign, parse_entry, verify_entry_signature
    ),
    Kind(
        "consent.grant",
        grant,
        consent_signer(SECRET, VERIFIER.did),
        parse_entry,
        verify_entry_signature,
    ),
    Kind(
        "consent.revoke",
        consent_revoke,
        consent_signer(SECRET, VERIFIER.did),
        parse_entry,
        verify_entry_signature,
    ),
    Kind("access.record", access_record, VERIFIER.sign, parse_entry, verify_entry_signature),
    Kind(
        "presentation.request",
        request,
        VERIFIER.sign,
        PresentationRequest.from_json,
        verify_request,
    ),
]

"""Real, signed ledger entries for the rules, state, service and HTTP tests.

Organisations are `OrgKey`s, the citizen a `HolderSecret`, the issuer's BBS key a real
`IssuerKey`; every entry is built by a `policies.sign_*` function at a time the test
chooses (the ledger's clock-skew rule compares it with the server clock).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from attestations.consent import sign_consent
from attestations.credentials import HolderSecret, IssuerKey
from attestations.encoding import b64url_encode
from attestations.pseudonym import pseudonym
from attestations.schemas import Schema
from policies import (
    AccessRecord,
    Ciphersuite,
    ConsentGrant,
    ConsentRevoke,
    IssuerRegister,
    IssuerRevokeKey,
    OrgKey,
    Purpose,
    RevocationReason,
    SchemaRef,
    VerifierRegister,
    format_time,
    sign_access_record,
    sign_consent_grant,
    sign_consent_revoke,
    sign_issuer_register,
    sign_issuer_revoke_key,
    sign_verifier_register,
    utc_seconds,
)

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SCHEMA = Schema.create("resident", [("district", "string"), ("postal_code", "string")])
OTHER_SCHEMA = Schema.create("library_card", [("card_number", "string")])


def now() -> datetime:
    return utc_seconds(datetime.now(UTC))


def secret_int(holder: HolderSecret) -> int:
    return int.from_bytes(holder.to_bytes(), "big")


@dataclass
class Clock:
    """A server clock the test moves by hand (passed to `ledger.rules.Rules`)."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    """An issuer, two verifiers and two citizens, and builders of their entries."""

    issuer: OrgKey = field(default_factory=OrgKey.generate)
    bbs: bytes = field(default_factory=lambda: IssuerKey.generate().public_key().to_bytes())
    verifier: OrgKey = field(default_factory=OrgKey.generate)
    other_verifier: OrgKey = field(default_factory=OrgKey.generate)
    holder: int = field(default_factory=lambda: secret_int(HolderSecret.generate()))
    other_holder: int = field(default_factory=lambda: secret_int(HolderSecret.generate()))

    def issuer_register(
        self, at: datetime, *, key: OrgKey | None = None, bbs: bytes | None = None
    ) -> IssuerRegister:
        return sign_issuer_register(
            key or self.issuer, name="Padró Municipal d'Habitants",
            public_key=self.bbs if bbs is None else bbs, ciphersuite=Ciphersuite.SHA256,
            schemas=[SchemaRef(id=SCHEMA.schema_id, definition=SCHEMA)], valid_from=at,
            valid_until=at + timedelta(days=365), created_at=at,
        )  # fmt: skip

    def issuer_revoke_key(
        self, at: datetime, *, key: OrgKey | None = None, bbs: bytes | None = None
    ) -> IssuerRevokeKey:
        return sign_issuer_revoke_key(
            key or self.issuer, public_key=self.bbs if bbs is None else bbs,
            reason=RevocationReason.SUPERSEDED, effective_at=at, created_at=at,
        )  # fmt: skip

    def verifier_register(
        self, at: datetime, *, key: OrgKey | None = None, name: str = "Bicing"
    ) -> VerifierRegister:
        return sign_verifier_register(
            key or self.verifier, name=name, purposes=[Purpose.SERVICE_PROVISION],
            contact="dpo@bicing.example", created_at=at,
        )  # fmt: skip

    def grant(self, at: datetime, **overrides: Any) -> ConsentGrant:
        """A grant by `holder` to `verifier` of `district`, live [at, at + 1 day)."""
        fields: dict[str, Any] = {
            "verifier": self.verifier.did, "schema": SCHEMA.schema_id,
            "attributes": ["district"], "predicates": [], "purpose": Purpose.SERVICE_PROVISION,
            "not_before": at, "not_after": at + timedelta(days=1), "created_at": at,
        }  # fmt: skip
        secret = overrides.pop("secret", self.holder)
        return sign_consent_grant(secret, **{**fields, **overrides})

    def revoke(self, grant: ConsentGrant, at: datetime) -> ConsentRevoke:
        return sign_consent_revoke(self.holder, grant=grant, created_at=at)

    def foreign_revoke(self, grant: ConsentGrant, at: datetime) -> ConsentRevoke:
        """A revocation of `grant` signed by `other_holder` under their own pseudonym."""
        fields = {
            "grant": grant.id,
            "pseudonym": b64url_encode(pseudonym(self.other_holder, grant.verifier)),
            "verifier": grant.verifier,
            "created_at": format_time(at),
        }
        sign = lambda m: sign_consent(self.other_holder, grant.verifier, m)  # noqa: E731
        return ConsentRevoke.build(fields, sign)

    def access(
        self, grant: ConsentGrant | str, at: datetime, *, key: OrgKey | None = None
    ) -> AccessRecord:
        grant_id = grant if isinstance(grant, str) else grant.id
        return sign_access_record(
            key or self.verifier, grant=grant_id, presentation=os.urandom(16), created_at=at
        )

"""Real petitions for the ledger, audit, wallet and CLI tests of docs/petitions.md.

An issuer (its Ed25519 identity and a real BBS key) registers the `resident` schema,
citizens get real credentials by blind issuance, an organiser opens petitions, and every
signature is a real presentation made with `attestations.credentials.present`, so the
ledger verifies exactly what a wallet would send. Times are the test's: entries are
dated, and the ledger's clock-skew rule compares that with a `Clock` the test moves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from attestations.credentials import (
    Credential,
    HolderSecret,
    IssuerKey,
    begin_issuance,
    finish_issuance,
    issue,
    present,
)
from attestations.predicates import Predicate as ZkPredicate
from attestations.schemas import Schema, Value
from ledger.petitions import signature_statements
from policies import (
    AtMost,
    Ciphersuite,
    IssuerRegister,
    IssuerRevokeKey,
    MemberOf,
    OrgKey,
    PetitionOpen,
    PetitionSign,
    RevocationReason,
    SchemaRef,
    build_petition_sign,
    sign_issuer_register,
    sign_issuer_revoke_key,
    sign_petition_open,
)

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
CLOSES = T0 + timedelta(days=30)
RESIDENT = Schema.create(
    "resident", [("birthdate", "date"), ("district", "string"), ("postal_code", "string")]
)
LIBRARY = Schema.create("library_card", [("card_number", "string")])
#: Aged 16 or more on T0's day.
AGED_16 = AtMost(attribute="birthdate", op="<=", value=date(2009, 3, 1))
IN_GRACIA_OR_SANTS = MemberOf(attribute="district", op="in", value=("Gràcia", "Sants-Montjuïc"))
ADULT_VALUES: dict[str, Value] = {
    "expiry": date(2027, 12, 31),
    "birthdate": date(1990, 5, 17),
    "district": "Gràcia",
    "postal_code": "08012",
}


@dataclass(frozen=True)
class Citizen:
    """A holder secret and one credential over it."""

    secret: HolderSecret
    credential: Credential

    def pseudonym(self, petition: PetitionOpen | str) -> bytes:
        return self.secret.pseudonym(petition if isinstance(petition, str) else petition.id)


@dataclass
class PetitionWorld:
    """An issuer, an organiser, and builders of their entries and of citizens' signatures."""

    issuer: OrgKey = field(default_factory=OrgKey.generate)
    bbs: IssuerKey = field(default_factory=IssuerKey.generate)
    organiser: OrgKey = field(default_factory=OrgKey.generate)

    def register(
        self,
        at: datetime,
        *,
        key: OrgKey | None = None,
        bbs: IssuerKey | None = None,
        schemas: tuple[Schema, ...] = (RESIDENT,),
        until: datetime | None = None,
    ) -> IssuerRegister:
        return sign_issuer_register(
            key or self.issuer, name="Padró Municipal d'Habitants",
            public_key=(bbs or self.bbs).public_key().to_bytes(), ciphersuite=Ciphersuite.SHA256,
            schemas=[SchemaRef(id=s.schema_id, definition=s) for s in schemas], valid_from=at,
            valid_until=until or at + timedelta(days=365), created_at=at,
        )  # fmt: skip

    def revoke_key(self, at: datetime, *, bbs: IssuerKey | None = None) -> IssuerRevokeKey:
        return sign_issuer_revoke_key(
            self.issuer, public_key=(bbs or self.bbs).public_key().to_bytes(),
            reason=RevocationReason.KEY_COMPROMISE, effective_at=at, created_at=at,
        )  # fmt: skip

    def citizen(
        self,
        *,
        bbs: IssuerKey | None = None,
        schema: Schema = RESIDENT,
        issued: datetime = T0,
        secret: HolderSecret | None = None,
        **values: Value,
    ) -> Citizen:
        """A citizen (fresh, or the holder of `secret`) with a new credential of `schema`
        (`ADULT_VALUES`, overridden)."""
        secret = secret or HolderSecret.generate()
        key = bbs or self.bbs
        wanted = {**ADULT_VALUES, **values} if schema is RESIDENT else dict(values)
        request, state = begin_issuance(secret, key.public_key(), schema)
        response = issue(key, schema, wanted, request, now=issued)
        return Citizen(secret, finish_issuance(state, response))

    def petition(self, at: datetime = T0, **overrides: Any) -> PetitionOpen:
        fields: dict[str, Any] = {
            "title": "More trees on Carrer de Verdi",
            "text": "We ask the district to plant twenty trees on Carrer de Verdi.",
            "issuers": [self.issuer.did],
            "schema": RESIDENT,
            "attributes": [],
            "predicates": [AGED_16, IN_GRACIA_OR_SANTS],
            "closes_at": at + (CLOSES - T0),
            "created_at": at,
        }
        organiser = overrides.pop("organiser", self.organiser)
        return sign_petition_open(organiser, **{**fields, **overrides})

    def sign(
        self,
        petition: PetitionOpen,
        citizen: Citizen,
        at: datetime,
        *,
        disclose: tuple[str, ...] | None = None,
        predicates: tuple[ZkPredicate, ...] | None = None,
        issuer: str | None = None,
        nonce: bytes | None = None,
    ) -> PetitionSign:
        """`citizen`'s signature made as a wallet makes it, but for what is overridden."""
        eligibility = petition.eligibility
        shown = present(
            citizen.credential, citizen.secret,
            disclose=eligibility.attributes if disclose is None else disclose,
            verifier_id=petition.id, nonce=os.urandom(32) if nonce is None else nonce,
            predicates=signature_statements(eligibility, at) if predicates is None else predicates,
        )  # fmt: skip
        return build_petition_sign(
            petition, issuer=issuer or self.issuer.did, presentation=shown, created_at=at
        )

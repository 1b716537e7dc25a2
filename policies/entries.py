"""The ledger's entry types (DESIGN.md, "Documents and canonical form"), as frozen models.

| type                | signed by                       | model             |
|---------------------|---------------------------------|-------------------|
| `issuer.register`   | the issuer's Ed25519 key        | `IssuerRegister`  |
| `issuer.revoke_key` | the issuer's Ed25519 key        | `IssuerRevokeKey` |
| `verifier.register` | the verifier's Ed25519 key      | `VerifierRegister`|
| `consent.grant`     | the holder, Schnorr under `P_v` | `ConsentGrant`    |
| `consent.revoke`    | the holder, Schnorr under `P_v` | `ConsentRevoke`   |
| `access.record`     | the verifier's Ed25519 key      | `AccessRecord`    |
| `petition.open`     | the organiser's Ed25519 key     | `PetitionOpen`    |
| `petition.sign`     | its presentation (no `sig`)     | `PetitionSign`    |

Every entry has `type`, `created_at` (when it was signed; the ledger bounds its skew, and for
`consent.grant`, `consent.revoke` and `access.record` it is the moment the grant was issued,
the revocation took effect, the access happened) and, but for `petition.sign`, `sig`. The
petitions' two types live in `policies.petitions` (docs/petitions.md). Lists that are sets
are sorted and without repeats. `parse_entry` reads any of them from canonical bytes.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema, model_validator

from attestations.errors import DecodeError
from attestations.schemas import Schema
from policies.canonical import loads
from policies.document import Document, Model
from policies.errors import DocumentError
from policies.fields import (
    MAX_SAFE_INTEGER,
    AttributeName,
    BbsPublicKey,
    Did,
    DocId,
    Pseudonym,
    SchemaId,
    Signature,
    Timestamp,
    display_text,
    sorted_unique,
)
from policies.predicates import Predicate, predicate_key
from policies.purposes import Purpose

__all__ = [
    "ENTRY_TYPES",
    "MAX_ATTRIBUTES",
    "MAX_PREDICATES",
    "AccessRecord",
    "Ciphersuite",
    "ConsentGrant",
    "ConsentRevoke",
    "Entry",
    "IssuerRegister",
    "IssuerRevokeKey",
    "PetitionOpen",
    "PetitionSign",
    "RevocationReason",
    "SchemaDocument",
    "SchemaRef",
    "VerifierRegister",
    "parse_entry",
]

MAX_ATTRIBUTES = 64
MAX_PREDICATES = 32


class Ciphersuite(StrEnum):
    """The BBS ciphersuites of draft-irtf-cfrg-bbs-signatures, by their `ciphersuite_id`."""

    SHA256 = "BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_"
    SHAKE256 = "BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_"


class RevocationReason(StrEnum):
    """Why an issuer withdraws a key (after RFC 5280's CRLReason)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"


def _schema(value: Any) -> Schema:
    if isinstance(value, Schema):
        return value
    try:
        return Schema.from_document(value)
    except DecodeError as exc:
        raise ValueError(str(exc)) from None


#: A credential schema as `attestations.schemas` writes it: {"attributes": [...], "name"}.
SchemaDocument = Annotated[
    Schema,
    PlainValidator(_schema),
    PlainSerializer(lambda schema: schema.to_document()),
    WithJsonSchema({"type": "object", "required": ["attributes", "name"]}),
]


class SchemaRef(Model):
    """A schema an issuer signs under: its id, and optionally its definition (whose
    `schema_id`, the SHA-256 of its canonical JSON, must then be `id`)."""

    id: SchemaId
    definition: SchemaDocument | None = None

    @model_validator(mode="after")
    def _matches(self) -> SchemaRef:
        if self.definition is not None and self.definition.schema_id != self.id:
            raise ValueError("schema: id is not the SHA-256 of the definition")
        return self


class IssuerRegister(Document):
    """An issuer puts a BBS public key on the ledger, for these schemas, for this period."""

    TYPE: ClassVar[str] = "issuer.register"
    type: Literal["issuer.register"]
    issuer: Did
    name: Annotated[str, display_text(200)]
    public_key: BbsPublicKey
    ciphersuite: Ciphersuite
    schemas: tuple[SchemaRef, ...] = Field(min_length=1, max_length=64)
    valid_from: Timestamp
    valid_until: Timestamp
    created_at: Timestamp
    sig: Signature

    @model_validator(mode="after")
    def _check(self) -> IssuerRegister:
        sorted_unique(self.schemas, key=lambda schema: schema.id, what="schemas")
        if not self.valid_from < self.valid_until:
            raise ValueError("valid_from must be before valid_until")
        return self


class IssuerRevokeKey(Document):
    """An issuer withdraws a BBS key it registered, from `effective_at` on (which may lie
    before `created_at`: a compromise is often found late)."""

    TYPE: ClassVar[str] = "issuer.revoke_key"
    type: Literal["issuer.revoke_key"]
    issuer: Did
    public_key: BbsPublicKey
    reason: RevocationReason
    effective_at: Timestamp
    created_at: Timestamp
    sig: Signature


class VerifierRegister(Document):
    """A service says who it is, how to reach it and which purposes it asks data for."""

    TYPE: ClassVar[str] = "verifier.register"
    type: Literal["verifier.register"]
    verifier: Did
    name: Annotated[str, display_text(200)]
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    contact: Annotated[str, display_text(320)]
    created_at: Timestamp
    sig: Signature

    @model_validator(mode="after")
    def _check(self) -> VerifierRegister:
        sorted_unique(self.purposes, key=str, what="purposes")
        return self


class ConsentGrant(Document):
    """The holder of pseudonym `P_v` lets `verifier` learn these attributes of a `schema`
    credential and these predicates on them, for `purpose`, from `not_before` until (not
    including) `not_after`, at most `max_uses` times if set."""

    TYPE: ClassVar[str] = "consent.grant"
    type: Literal["consent.grant"]
    pseudonym: Pseudonym
    verifier: Did
    schema_id: SchemaId = Field(alias="schema")
    attributes: tuple[AttributeName, ...] = Field(max_length=MAX_ATTRIBUTES)
    predicates: tuple[Predicate, ...] = Field(max_length=MAX_PREDICATES)
    purpose: Purpose
    not_before: Timestamp
    not_after: Timestamp
    max_uses: int | None = Field(default=None, ge=1, le=MAX_SAFE_INTEGER)
    created_at: Timestamp
    sig: Signature

    @model_validator(mode="after")
    def _check(self) -> ConsentGrant:
        sorted_unique(self.attributes, key=str, what="attributes")
        sorted_unique(self.predicates, key=predicate_key, what="predicates")
        if not self.attributes and not self.predicates:
            raise ValueError("a grant must name at least one attribute or predicate")
        if not self.not_before < self.not_after:
            raise ValueError("not_before must be before not_after")
        return self

    def is_live(self, at: datetime) -> bool:
        """Whether `at` lies in [not_before, not_after). Revocation and uses are the
        ledger's state, not the document's: see `policies.evaluate`."""
        return self.not_before <= at < self.not_after


class ConsentRevoke(Document):
    """The holder of `P_v` withdraws grant `grant`, effective at `created_at`. `verifier`
    is the grant's: the signature is checked on that verifier's base point."""

    TYPE: ClassVar[str] = "consent.revoke"
    type: Literal["consent.revoke"]
    grant: DocId
    pseudonym: Pseudonym
    verifier: Did
    created_at: Timestamp
    sig: Signature


class AccessRecord(Document):
    """`verifier` used grant `grant` at `created_at` to accept the presentation whose
    SHA-256 is `presentation` (the presentation itself never reaches the ledger)."""

    TYPE: ClassVar[str] = "access.record"
    type: Literal["access.record"]
    verifier: Did
    grant: DocId
    presentation: DocId
    created_at: Timestamp
    sig: Signature


# The petitions' documents use this module's schema field and limits, so they are
# imported once those exist (policies.petitions imports this module, never the other way
# round before this line).
from policies.petitions import PetitionOpen, PetitionSign  # noqa: E402

Entry = (
    IssuerRegister
    | IssuerRevokeKey
    | VerifierRegister
    | ConsentGrant
    | ConsentRevoke
    | AccessRecord
    | PetitionOpen
    | PetitionSign
)

ENTRY_TYPES: dict[str, type[Entry]] = {
    cls.TYPE: cls
    for cls in (
        IssuerRegister,
        IssuerRevokeKey,
        VerifierRegister,
        ConsentGrant,
        ConsentRevoke,
        AccessRecord,
        PetitionOpen,
        PetitionSign,
    )
}


def parse_entry(data: bytes) -> Entry:
    """Parse a ledger entry from its canonical bytes, whatever its type. The signature is
    not checked here: that is `verify_entry_signature`."""
    obj = loads(data)
    kind = obj.get("type")
    if kind is None:
        raise DocumentError("entry: missing field 'type'")
    cls = ENTRY_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise DocumentError(f"entry: unknown type {str(kind)[:40]!r}")
    return cls.from_object(obj, data)

"""What the wallet keeps, as frozen value objects, and the JSON each is sealed as.

Every record is canonical JSON (RFC 8785) with a `type` tag, sealed by the vault under its
natural id: a credential under the digest of its JSON, a consent under its grant's id, a
presentation under the digest of its bytes (the digest an `access.record` names, so the
history read from the ledger can be matched to what was shown), a checkpoint under the
ledger's origin. Times are RFC 3339 UTC, whole seconds.

`from_payload` raises `DecodeError`, `DocumentError` or `InvalidReceipt` on a payload that
does not parse; the collections turn that into `VaultCorrupted` naming the record.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter, ValidationError

from attestations.credentials import Credential
from attestations.encoding import (
    b64url_encode,
    canonical_json,
    expect_fields,
    get_b64,
    get_str,
    load_canonical_json,
)
from attestations.errors import DecodeError
from attestations.schemas import Schema, Value
from ledger.checkpoint import Checkpoint
from policies import ConsentGrant, ConsentRevoke, Predicate, format_time, parse_time, sha256_id
from wallet.receipt import LedgerReceipt, parse_checkpoint_note

__all__ = [
    "ConsentStatus",
    "PresentationRecord",
    "StoredCheckpoint",
    "StoredConsent",
    "StoredCredential",
    "credential_id",
]

_PREDICATE: TypeAdapter[Predicate] = TypeAdapter(Predicate)


def credential_id(credential: Credential) -> str:
    """`sha256:` + hex of the credential's canonical JSON: its name in the wallet."""
    return sha256_id(credential.to_json())


def _open(
    data: bytes, kind: str, required: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, Any]:
    doc = expect_fields(load_canonical_json(data), ["type", *required], optional, what=kind)
    if doc["type"] != kind:
        raise DecodeError(f"{kind}: type is {doc['type']!r}")
    return doc


def _time(doc: Mapping[str, Any], key: str) -> datetime.datetime:
    return parse_time(doc[key])


@dataclass(frozen=True)
class StoredCredential:
    """A credential the wallet received, with when it came and the citizen's label."""

    id: str
    credential: Credential = field(repr=False)
    received_at: datetime.datetime
    label: str | None = None

    @property
    def schema(self) -> Schema:
        return self.credential.schema

    @property
    def attributes(self) -> Mapping[str, Value]:
        """Typed values (str, int, bool, datetime.date) in schema order, `expiry` first."""
        return self.credential.values

    @property
    def expiry(self) -> datetime.date:
        return self.credential.expiry

    def is_expired(self, today: datetime.date) -> bool:
        """Valid through its expiry day, as verifiers judge it."""
        return today > self.expiry

    def payload(self) -> bytes:
        doc: dict[str, Any] = {
            "credential": load_canonical_json(self.credential.to_json()),
            "received_at": format_time(self.received_at),
            "type": "wallet.credential",
        }
        if self.label is not None:
            doc["label"] = self.label
        return canonical_json(doc)

    @classmethod
    def from_payload(cls, data: bytes) -> StoredCredential:
        doc = _open(data, "wallet.credential", ["credential", "received_at"], ["label"])
        credential = Credential.from_json(canonical_json(doc["credential"]))
        label = get_str(doc, "label", what="wallet.credential") if "label" in doc else None
        received = _time(doc, "received_at")
        return cls(credential_id(credential), credential, received, label)


class ConsentStatus(StrEnum):
    """The wallet's own view of a consent (how often it was used is the ledger's to say)."""

    PENDING = "pending"  # signed, no ledger receipt yet
    SCHEDULED = "scheduled"  # acknowledged, before not_before
    LIVE = "live"
    EXPIRED = "expired"
    REVOKE_PENDING = "revoke-pending"  # revocation signed, no receipt yet
    REVOKED = "revoked"


@dataclass(frozen=True)
class StoredConsent:
    """A grant the wallet signed, its receipt, and its revocation with its receipt."""

    grant: ConsentGrant
    receipt: LedgerReceipt | None
    recorded_at: datetime.datetime
    revocation: ConsentRevoke | None = None
    revocation_receipt: LedgerReceipt | None = None

    @property
    def id(self) -> str:
        return self.grant.id

    def status(self, now: datetime.datetime) -> ConsentStatus:
        if self.revocation is not None:
            if self.revocation_receipt is None:
                return ConsentStatus.REVOKE_PENDING
            return ConsentStatus.REVOKED
        if self.receipt is None:
            return ConsentStatus.PENDING
        if now < self.grant.not_before:
            return ConsentStatus.SCHEDULED
        return ConsentStatus.LIVE if now < self.grant.not_after else ConsentStatus.EXPIRED

    def payload(self) -> bytes:
        doc: dict[str, Any] = {
            "grant": load_canonical_json(self.grant.to_json()),
            "recorded_at": format_time(self.recorded_at),
            "type": "wallet.consent",
        }
        if self.receipt is not None:
            doc["receipt"] = self.receipt.to_json_dict()
        if self.revocation is not None:
            doc["revocation"] = load_canonical_json(self.revocation.to_json())
        if self.revocation_receipt is not None:
            doc["revocation_receipt"] = self.revocation_receipt.to_json_dict()
        return canonical_json(doc)

    @classmethod
    def from_payload(cls, data: bytes) -> StoredConsent:
        optional = ["receipt", "revocation", "revocation_receipt"]
        doc = _open(data, "wallet.consent", ["grant", "recorded_at"], optional)
        grant = ConsentGrant.from_json(canonical_json(doc["grant"]))
        revocation = None
        if "revocation" in doc:
            revocation = ConsentRevoke.from_json(canonical_json(doc["revocation"]))
        return cls(
            grant,
            LedgerReceipt.from_json_dict(doc["receipt"]) if "receipt" in doc else None,
            _time(doc, "recorded_at"),
            revocation,
            LedgerReceipt.from_json_dict(doc["revocation_receipt"])
            if "revocation_receipt" in doc
            else None,
        )


@dataclass(frozen=True)
class PresentationRecord:
    """A presentation the wallet made: to whom, from which credential, what it showed,
    for what purpose under which grant, and when. `presentation` is the JSON sent."""

    verifier: str
    credential_id: str
    disclosed: tuple[str, ...]
    presented_at: datetime.datetime
    presentation: bytes = field(repr=False)
    predicates: tuple[Predicate, ...] = ()
    purpose: str | None = None
    grant_id: str | None = None

    @property
    def id(self) -> str:
        """`sha256:` + hex of the presentation bytes: what an `access.record` names."""
        return sha256_id(self.presentation)

    def payload(self) -> bytes:
        doc: dict[str, Any] = {
            "credential": self.credential_id,
            "disclosed": list(self.disclosed),
            "predicates": [p.to_json_dict() for p in self.predicates],
            "presentation": b64url_encode(self.presentation),
            "presented_at": format_time(self.presented_at),
            "type": "wallet.presentation",
            "verifier": self.verifier,
        }
        for key, value in (("grant", self.grant_id), ("purpose", self.purpose)):
            if value is not None:
                doc[key] = value
        return canonical_json(doc)

    @classmethod
    def from_payload(cls, data: bytes) -> PresentationRecord:
        what = "wallet.presentation"
        required = ["credential", "disclosed", "predicates", "presentation", "presented_at"]
        doc = _open(data, what, [*required, "verifier"], ["grant", "purpose"])
        disclosed = doc["disclosed"]
        if not isinstance(disclosed, list) or not all(isinstance(a, str) for a in disclosed):
            raise DecodeError(f"{what}: disclosed must be a list of names")
        if not isinstance(doc["predicates"], list):
            raise DecodeError(f"{what}: predicates must be a list")
        try:
            # As JSON (the payload's own form): strict models take `in` sets as JSON arrays.
            kept = doc["predicates"]
            predicates = tuple(_PREDICATE.validate_json(canonical_json(p)) for p in kept)
        except ValidationError as exc:
            raise DecodeError(f"{what}: predicates: {exc.errors()[0]['msg']}") from None
        return cls(
            verifier=get_str(doc, "verifier", what=what),
            credential_id=get_str(doc, "credential", what=what),
            disclosed=tuple(disclosed),
            presented_at=_time(doc, "presented_at"),
            presentation=get_b64(doc, "presentation", what=what),
            predicates=predicates,
            purpose=get_str(doc, "purpose", what=what) if "purpose" in doc else None,
            grant_id=get_str(doc, "grant", what=what) if "grant" in doc else None,
        )


@dataclass(frozen=True)
class StoredCheckpoint:
    """The last checkpoint note the wallet accepted from one ledger (by origin)."""

    note: str
    seen_at: datetime.datetime

    @property
    def checkpoint(self) -> Checkpoint:
        return parse_checkpoint_note(self.note)

    @property
    def origin(self) -> str:
        return self.checkpoint.origin

    @property
    def size(self) -> int:
        return self.checkpoint.size

    def payload(self) -> bytes:
        doc = {"note": self.note, "seen_at": format_time(self.seen_at), "type": "wallet.checkpoint"}
        return canonical_json(doc)

    @classmethod
    def from_payload(cls, data: bytes) -> StoredCheckpoint:
        doc = _open(data, "wallet.checkpoint", ["note", "seen_at"])
        note = get_str(doc, "note", what="wallet.checkpoint")
        parse_checkpoint_note(note)
        return cls(note, _time(doc, "seen_at"))

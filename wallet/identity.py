"""The wallet's own keys: the holder secret `s` and the Ed25519 device key.

Both are made once, when the wallet is created, and kept in one sealed record (`identity`
in `vault_secret`). `s` is signed blindly into every credential and is the discrete log of
every pseudonym and consent signature (DESIGN.md); losing it loses all credentials, which
is why backups exist. The device key names this installation (a `did:key`) to services
that want to tell a citizen's devices apart; it never signs consents.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from attestations.credentials import HolderSecret
from attestations.encoding import (
    b64url_encode,
    canonical_json,
    expect_fields,
    get_b64,
    load_canonical_json,
)
from attestations.errors import DecodeError
from policies import OrgKey, format_time, parse_time

__all__ = ["IDENTITY_ID", "IDENTITY_TABLE", "Identity"]

IDENTITY_TABLE = "vault_secret"
IDENTITY_ID = "identity"
_TYPE = "wallet.identity"


@dataclass(frozen=True)
class Identity:
    """The holder secret, the device key and when the wallet was made."""

    holder_secret: HolderSecret = field(repr=False)
    device_key: OrgKey
    created_at: datetime.datetime

    @classmethod
    def generate(cls, now: datetime.datetime) -> Identity:
        return cls(HolderSecret.generate(), OrgKey.generate(), now)

    def pseudonym(self, verifier_id: str) -> bytes:
        """P_v = s·B_v at `verifier_id` (48 bytes)."""
        return self.holder_secret.pseudonym(verifier_id)

    def payload(self) -> bytes:
        return canonical_json(
            {
                "created_at": format_time(self.created_at),
                "device_key": load_canonical_json(_seed_json(self.device_key)),
                "holder_secret": load_canonical_json(self.holder_secret.to_json()),
                "type": _TYPE,
            }
        )

    @classmethod
    def from_payload(cls, data: bytes) -> Identity:
        fields = ["created_at", "device_key", "holder_secret", "type"]
        doc = expect_fields(load_canonical_json(data), fields, what=_TYPE)
        if doc["type"] != _TYPE:
            raise DecodeError(f"{_TYPE}: type is {doc['type']!r}")
        device = expect_fields(doc["device_key"], ["seed", "type"], what="device key")
        if device["type"] != "device-key":
            raise DecodeError("device key: wrong type")
        return cls(
            HolderSecret.from_json(canonical_json(doc["holder_secret"])),
            OrgKey.from_seed(get_b64(device, "seed", length=32, what="device key")),
            parse_time(doc["created_at"]),
        )


def _seed_json(key: OrgKey) -> bytes:
    return canonical_json({"seed": b64url_encode(key.to_bytes()), "type": "device-key"})

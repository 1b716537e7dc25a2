"""A credential as the holder keeps it, and the attribute maps the other documents carry.

A `Credential` is what `finish_issuance` returns after checking the issuer's signature: the
schema, the issuer's public key, the typed attribute values (with `expiry`), the BBS
signature and `secret_prover_blind`, the commitment blinding that the signature also signs
(draft-irtf-cfrg-bbs-blind-signatures). It never holds the holder secret: that lives in
one `HolderSecret`, shared by all of a citizen's credentials. It is a holder-only document:
`prover_blind` and the signature must stay in the wallet.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from attestations.bbs import octets_to_signature
from attestations.credentials._common import SUITE, map_string, open_document
from attestations.credentials.keys import IssuerPublicKey
from attestations.curve import R
from attestations.encoding import b64url_encode, canonical_json, get_b64, load_canonical_json
from attestations.errors import DecodeError
from attestations.schemas import EXPIRY, Schema, Value

__all__ = ["Credential", "attributes_from_json", "attributes_to_json"]

_JSON_SCALARS = (str, int, bool)


def attributes_to_json(schema: Schema, values: Mapping[str, Value]) -> dict[str, Any]:
    """The JSON object of (some of) a schema's attribute values."""
    return {name: schema.value_to_json(name, value) for name, value in values.items()}


def attributes_from_json(schema: Schema, raw: Any, *, complete: bool) -> dict[str, Value]:
    """Typed values, in schema order, from a JSON object of attribute values; with
    `complete`, every attribute of the schema must be there. `DecodeError` otherwise."""
    if not isinstance(raw, dict):
        raise DecodeError("attributes: expected a JSON object")
    for name in raw:
        if name not in schema.names:
            raise DecodeError(f"attributes: schema {schema.name!r} has no {name!r}")
    if complete and len(raw) != len(schema.names):
        raise DecodeError("attributes: some of the schema's attributes are missing")
    return {n: schema.value_from_json(n, raw[n]) for n in schema.names if n in raw}


def check_raw_attributes(raw: Any, what: str) -> dict[str, Any]:
    """Shape check before a schema is at hand: an object of JSON scalars."""
    if not isinstance(raw, dict) or not all(isinstance(v, _JSON_SCALARS) for v in raw.values()):
        raise DecodeError(f"{what}: attributes must be an object of strings, numbers, booleans")
    return raw


@dataclass(frozen=True)
class Credential:
    """A blindly issued, holder-verified credential. Build with `finish_issuance` or
    `from_json`."""

    schema: Schema
    issuer: IssuerPublicKey
    values: Mapping[str, Value]
    signature: bytes = field(repr=False)
    prover_blind: int = field(repr=False)

    @property
    def expiry(self) -> datetime.date:
        return cast(datetime.date, self.values[EXPIRY])

    def messages(self) -> list[int]:
        """The issuer's messages, in schema order (without prover_blind and `s`)."""
        return self.schema.to_messages(self.values, map_string)

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "attributes": attributes_to_json(self.schema, self.values),
                "issuer": b64url_encode(self.issuer.to_bytes()),
                "prover_blind": b64url_encode(self.prover_blind.to_bytes(32, "big")),
                "schema": self.schema.to_document(),
                "signature": b64url_encode(self.signature),
                "type": "credential",
            }
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> Credential:
        """Parse a stored credential; `DecodeError` unless canonical and well-formed."""
        fields = ["attributes", "issuer", "prover_blind", "schema", "signature"]
        doc = open_document(load_canonical_json(data), "credential", fields)
        schema = Schema.from_document(doc["schema"])
        issuer = IssuerPublicKey(get_b64(doc, "issuer", length=96, what="credential"))
        values = attributes_from_json(schema, doc["attributes"], complete=True)
        signature = get_b64(doc, "signature", length=80, what="credential")
        octets_to_signature(signature, SUITE)
        blind = int.from_bytes(get_b64(doc, "prover_blind", length=32, what="credential"), "big")
        if not 0 < blind < R:
            raise DecodeError("credential: prover_blind not a scalar in [1, r)")
        return cls(schema, issuer, values, signature, blind)

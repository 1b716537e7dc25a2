"""What every credential recipe shares: the one suite, the api_id, headers, type tags.

The recipes have no knobs, so the choices live here, once:

- ciphersuite BLS12-381-SHA-256 (the curve backend follows `CARTERA_CURVE_BACKEND`);
- the blind Interface's api_id (`ciphersuite_id || "BLIND_H2G_HM2S_"`) for generators,
  domain and challenges, and the same api_id's map-message-to-scalar for string values;
- the BBS header binds the schema id, so a signature made for one schema never verifies
  under another; the presentation header binds the verifier and its nonce.
"""

from __future__ import annotations

import datetime
from typing import Any

from attestations.bbs import SHA256, Ciphersuite, Generators, messages_to_scalars
from attestations.bbs.blind import blind_api_id, signature_generators
from attestations.encoding import b64url_encode, canonical_json, expect_fields, get_str
from attestations.errors import DecodeError
from attestations.schemas import Schema

#: The suite of every Cartera credential.
SUITE: Ciphersuite = SHA256
#: api_id of the blind Interface: generators, domain, challenges and string mapping.
API_ID = blind_api_id(SHA256)
#: Messages the holder commits to at issuance: the holder secret only.
COMMITTED = 1
#: Nonces shorter than this are a verifier bug (they would repeat).
MIN_NONCE_BYTES = 16

_CREDENTIAL_HEADER = b"CARTERA-V1-CREDENTIAL:"


def map_string(data: bytes) -> int:
    """A string attribute's message: the draft's MapMessageToScalarAsHash under API_ID."""
    return messages_to_scalars([data], API_ID, SUITE)[0]


def credential_header(schema: Schema) -> bytes:
    """The BBS header of a credential: binds the schema id into the signature's domain."""
    return _CREDENTIAL_HEADER + schema.schema_id.encode("ascii")


def presentation_header(verifier_id: str, nonce: bytes) -> bytes:
    """The BBS presentation header: canonical JSON of the verifier id and its nonce."""
    check_context(verifier_id, nonce)
    return canonical_json({"nonce": b64url_encode(nonce), "verifier": verifier_id})


def check_context(verifier_id: str, nonce: bytes) -> None:
    """ValueError for a verifier id or nonce no honest caller would pass."""
    if not isinstance(verifier_id, str) or not verifier_id:
        raise ValueError("verifier_id must be a non-empty string")
    if not isinstance(nonce, bytes) or len(nonce) < MIN_NONCE_BYTES:
        raise ValueError(f"nonce must be at least {MIN_NONCE_BYTES} bytes")


def generators(schema: Schema) -> Generators:
    """(Q_1, H_1..H_L, Q_2, J_1) for a schema's L attributes and the committed secret."""
    return signature_generators(len(schema.attributes), COMMITTED, API_ID, SUITE)


def open_document(obj: Any, kind: str, fields: list[str]) -> dict[str, Any]:
    """Check a parsed document's `type` tag and exact field set."""
    doc = expect_fields(obj, ["type", *fields], what=kind)
    if get_str(doc, "type", what=kind) != kind:
        raise DecodeError(f"{kind}: type is {doc['type']!r}, want {kind!r}")
    return doc


def secret_index(schema: Schema) -> int:
    """Index of the holder secret in the signed vector [attributes, prover_blind, s]."""
    return len(schema.attributes) + 1


def today_utc(now: datetime.datetime | None) -> datetime.date:
    """The UTC date at `now` (an aware datetime; None means the current time)."""
    if now is None:
        now = datetime.datetime.now(datetime.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(datetime.UTC).date()

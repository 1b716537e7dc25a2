"""Blind issuance in three steps (draft-irtf-cfrg-bbs-blind-signatures, one committed message):

    holder:  request, state = begin_issuance(secret, issuer_public, schema)
    issuer:  response = issue(issuer_key, schema, attributes, request)
    holder:  credential = finish_issuance(state, response)

The request carries a Pedersen commitment C = Q_2·prover_blind + J_1·s and a proof of
knowledge of its opening; the issuer checks the proof, signs its attribute messages plus C,
and never learns `s`. The holder keeps a credential only after the signature verifies over
the attributes, the fresh `prover_blind` and its own `s`.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from attestations.bbs import RandomScalars, calculate_random_scalars, octets_to_signature
from attestations.bbs.blind import (
    blind_sign,
    commit,
    octets_to_commitment_with_proof,
    verify_blind_sign,
)
from attestations.credentials._common import (
    API_ID,
    COMMITTED,
    SUITE,
    credential_header,
    map_string,
    open_document,
    today_utc,
)
from attestations.credentials.credential import (
    Credential,
    attributes_from_json,
    attributes_to_json,
    check_raw_attributes,
)
from attestations.credentials.keys import HolderSecret, IssuerKey, IssuerPublicKey
from attestations.encoding import (
    b64url_encode,
    canonical_json,
    get_b64,
    get_str,
    load_canonical_json,
)
from attestations.errors import DecodeError, InvalidSignature
from attestations.schemas import EXPIRY, Schema, Value

__all__ = [
    "IssuanceRequest",
    "IssuanceResponse",
    "IssuanceState",
    "begin_issuance",
    "finish_issuance",
    "issue",
]

#: C (48 bytes), s^, m^_1 and the challenge (32 bytes each).
_COMMITMENT_BYTES = 48 + 32 * (COMMITTED + 2)


@dataclass(frozen=True)
class IssuanceRequest:
    """Holder → issuer: the schema asked for and the commitment to `s` with its proof."""

    schema_id: str
    commitment: bytes

    def to_json(self) -> bytes:
        doc = {"commitment": b64url_encode(self.commitment), "schema": self.schema_id}
        return canonical_json({**doc, "type": "issuance-request"})

    @classmethod
    def from_json(cls, data: bytes | str) -> IssuanceRequest:
        what = "issuance-request"
        doc = open_document(load_canonical_json(data), what, ["commitment", "schema"])
        commitment = get_b64(doc, "commitment", length=_COMMITMENT_BYTES, what=what)
        octets_to_commitment_with_proof(commitment, SUITE)  # point and scalar checks
        return cls(get_str(doc, "schema", what=what), commitment)


@dataclass(frozen=True)
class IssuanceState:
    """What the holder keeps between `begin_issuance` and `finish_issuance` (never sent)."""

    schema: Schema
    issuer: IssuerPublicKey
    secret: HolderSecret = field(repr=False)
    prover_blind: int = field(repr=False)


@dataclass(frozen=True)
class IssuanceResponse:
    """Issuer → holder: the attribute values (JSON form) and the blind signature."""

    schema_id: str
    issuer: IssuerPublicKey
    attributes: Mapping[str, Any]
    signature: bytes

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "attributes": dict(self.attributes),
                "issuer": b64url_encode(self.issuer.to_bytes()),
                "schema": self.schema_id,
                "signature": b64url_encode(self.signature),
                "type": "issuance-response",
            }
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> IssuanceResponse:
        what = "issuance-response"
        fields = ["attributes", "issuer", "schema", "signature"]
        doc = open_document(load_canonical_json(data), what, fields)
        signature = get_b64(doc, "signature", length=80, what=what)
        octets_to_signature(signature, SUITE)
        return cls(
            get_str(doc, "schema", what=what),
            IssuerPublicKey(get_b64(doc, "issuer", length=96, what=what)),
            check_raw_attributes(doc["attributes"], what),
            signature,
        )


def begin_issuance(
    secret: HolderSecret,
    issuer: IssuerPublicKey,
    schema: Schema,
    *,
    rng: RandomScalars = calculate_random_scalars,
) -> tuple[IssuanceRequest, IssuanceState]:
    """Holder: commit to `s` (fresh blinding every time) and prove knowledge of the opening."""
    commitment, prover_blind = commit([secret._s], API_ID, suite=SUITE, rng=rng)
    request = IssuanceRequest(schema.schema_id, commitment)
    return request, IssuanceState(schema, issuer, secret, prover_blind)


def issue(
    key: IssuerKey,
    schema: Schema,
    attributes: Mapping[str, Value],
    request: IssuanceRequest,
    *,
    now: datetime.datetime | None = None,
) -> IssuanceResponse:
    """Issuer: check the request's proof of knowledge and blindly sign `attributes`.

    `attributes` must hold every attribute of `schema`, `expiry` included, and `expiry`
    must not be before today (UTC, at `now`). Raises `DecodeError` for a request that does
    not parse or is for another schema and `InvalidProof` when its proof does not verify.
    """
    # 1. The issuer's own input: complete, well-typed, not already expired.
    values = schema.check_values(attributes)
    if cast(datetime.date, values[EXPIRY]) < today_utc(now):
        raise ValueError("the credential would be expired already")
    # 2. The request must be for this schema.
    if request.schema_id != schema.schema_id:
        raise DecodeError(f"issuance-request: for schema {request.schema_id}, not this one")
    # 3. Check the commitment's proof and sign (blind_sign raises DecodeError/InvalidProof).
    messages = schema.to_messages(values, map_string)
    signature = blind_sign(
        key._sk,
        key.public_key().to_bytes(),
        request.commitment,
        credential_header(schema),
        messages,
        API_ID,
        suite=SUITE,
    )
    json_values = attributes_to_json(schema, values)
    return IssuanceResponse(schema.schema_id, key.public_key(), json_values, signature)


def finish_issuance(state: IssuanceState, response: IssuanceResponse) -> Credential:
    """Holder: keep the credential only if the signature verifies over the issuer's
    attributes, `prover_blind` and `s`. Raises `DecodeError` for malformed attribute values
    and `InvalidSignature` for anything else."""
    # 1. The response must answer this request: same schema, same issuer.
    if response.schema_id != state.schema.schema_id or response.issuer != state.issuer:
        raise InvalidSignature("issuance response does not verify")
    # 2. Typed values for every attribute of the schema.
    values = attributes_from_json(state.schema, dict(response.attributes), complete=True)
    # 3. The blind signature over [attributes, prover_blind, s].
    ok = verify_blind_sign(
        state.issuer.to_bytes(),
        response.signature,
        credential_header(state.schema),
        state.schema.to_messages(values, map_string),
        [state.secret._s],
        state.prover_blind,
        API_ID,
        suite=SUITE,
    )
    if not ok:
        raise InvalidSignature("issuance response does not verify")
    return Credential(state.schema, state.issuer, values, response.signature, state.prover_blind)

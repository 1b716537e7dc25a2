"""Predicate proofs tied to a BBS presentation: one Pedersen commitment per predicate, the
argument on it, and a Schnorr proof in the BBS proof's own challenge that it commits to the
hidden message.

For a predicate on the hidden message m_j (the attribute's index j in the signed vector):

    V   = m_j·g + γ·h                         the commitment, fresh γ
    U   = m~_j·g + γ~·h                        with m~_j the BBS proof's blinding of m_j
    c   = the BBS challenge, over (P_v, B_v, U_v) and then (V_1, U_1, V_2, U_2, …)
          and the octets Σ I2OSP(len(stmt), 8) ‖ stmt ‖ argument   (stmt = predicate JSON)
    γ^  = γ~ + c·γ                             sent beside the BBS proof's m^_j = m~_j + c·m_j

The verifier recomputes U = m^_j·g + γ^·h − c·V from the BBS proof's own response m^_j,
so the challenge only matches if V opens to the signed m_j (binding of V: nobody knows
log_g h). The argument itself hashes the presentation header and the statement, so it
cannot be replayed under another nonce, verifier or predicate; and because its bytes are in
c, it cannot be moved to another presentation either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attestations.bbs.serialization import i2osp, os2ip
from attestations.bbs.utilities import RandomScalars
from attestations.curve import G1, CurveBackend, R
from attestations.encoding import b64url_encode, get_b64
from attestations.errors import DecodeError
from attestations.predicates.argument import (
    BitProof,
    bit_proof_to_octets,
    octets_to_bit_proof,
    prove,
    verify,
)
from attestations.predicates.generators import pedersen_generators
from attestations.predicates.relations import bit_count, relation, witness
from attestations.predicates.statements import Predicate, predicate_from_json, predicate_key
from attestations.schemas import Schema, StringMapper

__all__ = [
    "LinkedProver",
    "PredicateProof",
    "argument_context",
    "challenge_octets",
    "link_points",
    "verify_arguments",
]

_FIELDS = ("commitment", "proof", "response")


@dataclass(frozen=True)
class PredicateProof:
    """A predicate as proven in a presentation: the statement, V, γ^ and the argument."""

    predicate: Predicate
    commitment: G1
    response: int
    proof: BitProof

    def to_json(self) -> dict[str, Any]:
        return {
            **self.predicate.to_json(),
            "commitment": b64url_encode(self.commitment.to_bytes()),
            "proof": b64url_encode(bit_proof_to_octets(self.proof)),
            "response": b64url_encode(i2osp(self.response, 32)),
        }

    @classmethod
    def from_json(cls, obj: Any, backend: CurveBackend) -> PredicateProof:
        """Parse one entry of a presentation's `predicates`; `DecodeError` if malformed."""
        what = "presentation predicate"
        if not isinstance(obj, dict):
            raise DecodeError(f"{what}: expected a JSON object")
        statement = {k: v for k, v in obj.items() if k not in _FIELDS}
        predicate = predicate_from_json(statement, what=what)
        missing = [k for k in _FIELDS if k not in obj]
        if missing:
            raise DecodeError(f"{what}: missing field {missing[0]!r}")
        raw_commitment = get_b64(obj, "commitment", length=48, what=what)
        try:
            commitment = backend.g1_from_bytes(raw_commitment)
        except DecodeError as exc:
            raise DecodeError(f"{what}: commitment: {exc}") from exc
        if commitment.is_identity():
            raise DecodeError(f"{what}: commitment is the identity")
        response = os2ip(get_b64(obj, "response", length=32, what=what))
        if not 0 < response < R:
            raise DecodeError(f"{what}: response not a scalar in [1, r)")
        data = get_b64(obj, "proof", what=what)
        proof = octets_to_bit_proof(data, bit_count(predicate), backend)
        return cls(predicate, commitment, response, proof)


def argument_context(presentation_header: bytes, predicate: Predicate) -> bytes:
    """What the argument's transcript starts from: I2OSP(len(ph), 8) ‖ ph ‖ statement."""
    statement = predicate_key(predicate)
    return i2osp(len(presentation_header), 8) + presentation_header + statement


def challenge_octets(items: Sequence[tuple[Predicate, BitProof]]) -> bytes:
    """What the predicates add to the BBS challenge besides their points."""
    parts = []
    for predicate, proof in items:
        statement = predicate_key(predicate)
        parts += [i2osp(len(statement), 8), statement, bit_proof_to_octets(proof)]
    return b"".join(parts)


class LinkedProver:
    """The holder's side, around the BBS proof: build it, pass `blindings`,
    `extra_points` and `extra_octets` to the BBS proof, then `finish` with its challenge.

    `predicates` must already be checked against the schema and sorted; `messages` is the
    signed vector. ValueError if a predicate is false for the credential."""

    def __init__(
        self,
        predicates: Sequence[Predicate],
        schema: Schema,
        messages: Sequence[int],
        *,
        presentation_header: bytes,
        map_string: StringMapper,
        backend: CurveBackend,
        rng: RandomScalars,
    ) -> None:
        gens = pedersen_generators(0, backend)
        self.blindings: dict[int, int] = {}
        self._pending: list[tuple[Predicate, G1, int, int, BitProof]] = []
        self.extra_points: list[G1] = []
        for predicate in predicates:
            j = schema.index(predicate.attribute)
            rel = relation(predicate, schema, map_string)
            bits = witness(predicate, messages[j], rel)
            if j not in self.blindings:
                self.blindings[j] = rng(1)[0]
            gamma, gamma_t, *random_scalars = rng(2 + 4 + 2 * rel.bits)
            v = backend.g1_msm([gens.g, gens.h], [messages[j], gamma])
            u = backend.g1_msm([gens.g, gens.h], [self.blindings[j], gamma_t])
            context = argument_context(presentation_header, predicate)
            proof = prove(
                rel, bits, gamma, v, context, random_scalars=random_scalars, backend=backend
            )
            self._pending.append((predicate, v, gamma, gamma_t, proof))
            self.extra_points += [v, u]
        self.extra_octets = challenge_octets([(p[0], p[4]) for p in self._pending])

    def finish(self, bbs_proof: bytes) -> tuple[PredicateProof, ...]:
        """The proofs, with γ^ = γ~ + c·γ for the challenge c of `bbs_proof` (its last
        scalar, §4.2.4.4 of the BBS draft)."""
        c = os2ip(bbs_proof[-32:])
        return tuple(
            PredicateProof(predicate, v, (gamma_t + c * gamma) % R, proof)
            for predicate, v, gamma, gamma_t, proof in self._pending
        )


def verify_arguments(
    proofs: Sequence[PredicateProof],
    schema: Schema,
    *,
    presentation_header: bytes,
    map_string: StringMapper,
    backend: CurveBackend,
) -> bool:
    """Whether every argument holds for its commitment (the link is checked by the BBS
    proof, with `link_points`)."""
    return all(
        verify(
            relation(p.predicate, schema, map_string),
            p.proof,
            p.commitment,
            argument_context(presentation_header, p.predicate),
            backend=backend,
        )
        for p in proofs
    )


def link_points(
    proofs: Sequence[PredicateProof],
    schema: Schema,
    *,
    responses: Mapping[int, int],
    challenge: int,
    backend: CurveBackend,
) -> list[G1]:
    """(V_i, U_i) for the BBS challenge, U_i = m^_j·g + γ^_i·h − c·V_i from the BBS proof's
    `responses` (hidden index → m^) and `challenge`. KeyError if an attribute is not hidden."""
    gens = pedersen_generators(0, backend)
    points = []
    for p in proofs:
        m_hat = responses[schema.index(p.predicate.attribute)]
        u = backend.g1_msm([gens.g, gens.h, p.commitment], [m_hat, p.response, R - challenge])
        points += [p.commitment, u]
    return points

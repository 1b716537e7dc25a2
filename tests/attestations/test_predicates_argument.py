"""The bit argument on its own: complete at the boundaries, sound just outside them (a
cheating prover's best bit vectors, forged responses, swapped commitments, other contexts),
strict decoding, and the two curve backends computing the same bytes."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence

import pytest

from attestations.bbs import seeded_random_scalars
from attestations.credentials._common import map_string
from attestations.curve import G1, CurveBackend, R, get_backend
from attestations.errors import DecodeError
from attestations.predicates import Member, Predicate, Range
from attestations.predicates.argument import (
    BitProof,
    bit_proof_to_octets,
    octets_to_bit_proof,
    prove,
    verify,
)
from attestations.predicates.generators import pedersen_generators
from attestations.predicates.relations import Relation, relation, witness
from attestations.schemas import INTEGER_MAX, Schema, Value

D = datetime.date
SCHEMA = Schema.create(
    "resident", [("birthdate", "date"), ("district", "string"), ("income", "integer")]
)
ARK = get_backend("arkworks")
CONTEXT = b"test context"
DISTRICTS = Member("district", ["Ciutat Vella", "Gràcia", "Sants-Montjuïc", "Sarrià"])


def _message(predicate: Predicate, value: Value) -> int:
    return SCHEMA.to_message(predicate.attribute, value, map_string)


def _commit(m: int, backend: CurveBackend = ARK) -> tuple[G1, int]:
    gens = pedersen_generators(0, backend)
    gamma = secrets.randbelow(R)
    return backend.g1_msm([gens.g, gens.h], [m, gamma]), gamma


def _prove(rel: Relation, bits: Sequence[int], gamma: int, v: G1) -> BitProof:
    scalars = [secrets.randbelow(R) for _ in range(4 + 2 * rel.bits)]
    return prove(rel, bits, gamma, v, CONTEXT, random_scalars=scalars, backend=ARK)


def _accepts(predicate: Predicate, value: Value, bits: Sequence[int] | None = None) -> bool:
    """Commit to `value` and prove `predicate` with the honest witness, or with `bits`."""
    rel = relation(predicate, SCHEMA, map_string)
    m = _message(predicate, value)
    v, gamma = _commit(m)
    proof = _prove(rel, witness(predicate, m, rel) if bits is None else bits, gamma, v)
    return verify(rel, proof, v, CONTEXT, backend=ARK)


INSIDE = [
    (Range("birthdate", lo=D(2000, 1, 1)), D(2000, 1, 1)),
    (Range("birthdate", lo=D(2000, 1, 1)), D.max),
    (Range("birthdate", hi=D(2008, 5, 1)), D(2008, 5, 1)),
    (Range("birthdate", hi=D(2008, 5, 1)), D.min),
    (Range("birthdate", hi=D.max), D.min),
    (Range("birthdate", lo=D.min), D.max),
    (Range("birthdate", D(1990, 1, 1), D(1999, 12, 31)), D(1990, 1, 1)),
    (Range("birthdate", D(1990, 1, 1), D(1999, 12, 31)), D(1999, 12, 31)),
    (Range("income", lo=-INTEGER_MAX), INTEGER_MAX),
    (Range("income", hi=INTEGER_MAX), -INTEGER_MAX),
    (Range("income", lo=0), 0),
    (Range("income", hi=-1), -1),
    (Range("income", -INTEGER_MAX, INTEGER_MAX), -INTEGER_MAX),
    (Range("income", -INTEGER_MAX, INTEGER_MAX), INTEGER_MAX),
    (Range("income", 7, 8), 7),
    (Range("income", 7, 8), 8),
    (DISTRICTS, "Ciutat Vella"),
    (DISTRICTS, "Sarrià"),
]
OUTSIDE = [
    (Range("birthdate", lo=D(2000, 1, 1)), D(1999, 12, 31)),
    (Range("birthdate", lo=D(2000, 1, 1)), D.min),
    (Range("birthdate", hi=D(2008, 5, 1)), D(2008, 5, 2)),
    (Range("birthdate", hi=D(2008, 5, 1)), D.max),
    (Range("birthdate", D(1990, 1, 1), D(1999, 12, 31)), D(1989, 12, 31)),
    (Range("birthdate", D(1990, 1, 1), D(1999, 12, 31)), D(2000, 1, 1)),
    (Range("income", lo=0), -1),
    (Range("income", lo=INTEGER_MAX), -INTEGER_MAX),
    (Range("income", hi=-1), 0),
    (Range("income", hi=-INTEGER_MAX), INTEGER_MAX),
    (Range("income", 7, 8), 6),
    (Range("income", 7, 8), 9),
    (DISTRICTS, "Eixample"),
    (DISTRICTS, "gràcia"),
]


@pytest.mark.parametrize(("predicate", "value"), INSIDE)
def test_complete_at_the_boundaries(predicate: Predicate, value: Value) -> None:
    assert _accepts(predicate, value)


def _cheating_bit_vectors(predicate: Predicate, m: int, rel: Relation) -> list[list[int]]:
    """What a prover whose value is outside could try: the witness of the nearest inside
    value, the low bits of each wrapped constraint value, all ones, all zeros, one-hots."""
    n = rel.bits
    tries = [[1] * n, [0] * n]
    if isinstance(predicate, Member):
        tries += [[int(i == k) for i in range(n)] for k in range(n)]
        tries.append([1, 1] + [0] * (n - 2))
        return tries
    width = n // len(rel.constraints)
    wrapped = [(c.value_coeff * m + c.offset) % R for c in rel.constraints]
    tries.append([(v >> i) & 1 for v in wrapped for i in range(width)])
    for bound in (predicate.lo, predicate.hi):
        if bound is not None:
            near = SCHEMA.to_message(predicate.attribute, bound, map_string)
            tries.append(witness(predicate, near, rel))
    return tries


@pytest.mark.parametrize(("predicate", "value"), OUTSIDE)
def test_sound_just_outside(predicate: Predicate, value: Value) -> None:
    rel = relation(predicate, SCHEMA, map_string)
    m = _message(predicate, value)
    with pytest.raises(ValueError):
        witness(predicate, m, rel)
    for bits in _cheating_bit_vectors(predicate, m, rel):
        assert not _accepts(predicate, value, bits)


def _honest() -> tuple[Relation, BitProof, G1]:
    predicate = Range("birthdate", hi=D(2008, 5, 1))
    rel = relation(predicate, SCHEMA, map_string)
    m = _message(predicate, D(1990, 6, 15))
    v, gamma = _commit(m)
    return rel, _prove(rel, witness(predicate, m, rel), gamma, v), v


def test_forged_responses_fail() -> None:
    rel, proof, v = _honest()
    assert verify(rel, proof, v, CONTEXT, backend=ARK)
    g = pedersen_generators(0, ARK).g
    forgeries = [
        proof._replace(A=proof.A + g),
        proof._replace(S=proof.S + g),
        proof._replace(T1=proof.T1 + g),
        proof._replace(T2=proof.T2 + g),
        proof._replace(tau_x=(proof.tau_x + 1) % R),
        proof._replace(mu=(proof.mu + 1) % R),
        proof._replace(left=((proof.left[0] + 1) % R, *proof.left[1:])),
        proof._replace(right=(*proof.right[:-1], (proof.right[-1] + 1) % R)),
        proof._replace(left=proof.right, right=proof.left),
        proof._replace(T1=proof.T2, T2=proof.T1),
        proof._replace(left=proof.left[:-1], right=proof.right[:-1]),
    ]
    for forged in forgeries:
        assert not verify(rel, forged, v, CONTEXT, backend=ARK)


def test_bound_to_commitment_context_and_relation() -> None:
    rel, proof, v = _honest()
    other, _ = _commit(_message(Range("birthdate", lo=D.min), D(1990, 6, 15)))
    assert not verify(rel, proof, other, CONTEXT, backend=ARK)  # same value, another V
    assert not verify(rel, proof, v, CONTEXT + b"!", backend=ARK)
    looser = relation(Range("birthdate", hi=D(2008, 5, 2)), SCHEMA, map_string)
    assert not verify(looser, proof, v, CONTEXT, backend=ARK)


def test_decoding_is_strict() -> None:
    rel, proof, _ = _honest()
    data = bit_proof_to_octets(proof)
    assert octets_to_bit_proof(data, rel.bits, ARK) == proof
    identity = ARK.g1_identity().to_bytes()
    bad = [
        data[:-1],
        data + b"\x00" * 32,
        identity + data[48:],
        b"\xff" * 48 + data[48:],  # x >= p
        data[:192] + R.to_bytes(32, "big") + data[224:],  # τ_x = r
        data[:-32] + b"\x00" * 32,  # a zero scalar
    ]
    for octets in bad:
        with pytest.raises(DecodeError):
            octets_to_bit_proof(octets, rel.bits, ARK)
    with pytest.raises(DecodeError):
        octets_to_bit_proof(data, rel.bits + 1, ARK)


def test_prover_refuses_malformed_inputs() -> None:
    rel, _, v = _honest()
    with pytest.raises(ValueError):
        _prove(rel, [0] * (rel.bits - 1), 1, v)
    with pytest.raises(ValueError):
        _prove(rel, [2] + [0] * (rel.bits - 1), 1, v)
    with pytest.raises(ValueError):
        prove(rel, [0] * rel.bits, 1, v, CONTEXT, random_scalars=[1], backend=ARK)


@pytest.mark.slow
def test_backends_agree_byte_for_byte() -> None:
    """Fixed randomness: the same proof bytes on both backends; each verifies the other's."""
    predicate = Range("income", 10, 13)
    rel = relation(predicate, SCHEMA, map_string)
    m = _message(predicate, 12)
    scalars = seeded_random_scalars(b"predicate-seed", b"TEST-DST", 5 + 2 * rel.bits)
    gamma, random_scalars = scalars[0], scalars[1:]
    outputs = []
    for name in ("arkworks", "pyecc"):
        backend = get_backend(name)
        gens = pedersen_generators(rel.bits, backend)
        v = backend.g1_msm([gens.g, gens.h], [m, gamma])
        bits = witness(predicate, m, rel)
        proof = prove(rel, bits, gamma, v, CONTEXT, random_scalars=random_scalars, backend=backend)
        outputs.append((v.to_bytes(), bit_proof_to_octets(proof)))
    assert outputs[0] == outputs[1]
    for name in ("arkworks", "pyecc"):
        backend = get_backend(name)
        v = backend.g1_from_bytes(outputs[0][0])
        proof = octets_to_bit_proof(outputs[0][1], rel.bits, backend)
        assert verify(rel, proof, v, CONTEXT, backend=backend)
        assert not verify(rel, proof._replace(mu=1), v, CONTEXT, backend=backend)

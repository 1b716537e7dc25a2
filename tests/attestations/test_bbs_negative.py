"""Malformed and mismatched BBS inputs: verification says False, never raises.

Also the two Hypothesis properties of the issue: any disclosed subset verifies, and any
single-byte change to a proof makes it fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attestations.bbs import (
    SHA256,
    SHAKE256,
    Ciphersuite,
    key_gen,
    proof_gen,
    proof_verify,
    sign,
    sk_to_pk,
    verify,
)
from attestations.curve import P, R

MESSAGES = [f"message {i}".encode() for i in range(10)]
HEADER, PH = b"cartera header", b"verifier nonce"
IDENTITY_G1 = bytes([0xC0]) + bytes(47)
IDENTITY_G2 = bytes([0xC0]) + bytes(95)


@dataclass(frozen=True)
class Case:
    suite: Ciphersuite
    pk: bytes
    signature: bytes
    proof: bytes
    disclosed: tuple[int, ...] = (0, 2, 4, 6, 8)

    def verify_proof(self, proof: bytes, indexes: list[int] | None = None) -> bool:
        idx = list(self.disclosed) if indexes is None else indexes
        shown = [MESSAGES[i] if 0 <= i < len(MESSAGES) else b"" for i in idx]
        return proof_verify(self.pk, proof, HEADER, PH, shown, idx, self.suite)


def _make(suite: Ciphersuite) -> Case:
    sk = key_gen(b"negative-test key material, 32+ bytes", b"", None, suite)
    pk = sk_to_pk(sk, suite)
    signature = sign(sk, pk, HEADER, MESSAGES, suite)
    proof = proof_gen(pk, signature, HEADER, PH, MESSAGES, [0, 2, 4, 6, 8], suite)
    return Case(suite, pk, signature, proof)


CASES = {"sha256": _make(SHA256.with_backend("arkworks"))}
CASES["shake256"] = _make(SHAKE256.with_backend("arkworks"))


@pytest.fixture(params=list(CASES), scope="module")
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def _fp_sqrt_exists(v: int) -> bool:
    return pow(v % P, (P - 1) // 2, P) in (0, 1)


def _compressed_x(x: int) -> bytes:
    raw = bytearray(x.to_bytes(48, "big"))
    raw[0] |= 0x80
    return bytes(raw)


def _off_curve_g1() -> bytes:
    x = next(x for x in range(1, 100) if not _fp_sqrt_exists(x**3 + 4))
    return _compressed_x(x)


def _outside_subgroup_g1() -> bytes:
    # On the curve (x^3 + 4 is a square) but, with overwhelming probability, not in G1.
    x = next(x for x in range(5, 100) if _fp_sqrt_exists(x**3 + 4))
    return _compressed_x(x)


def _with_scalar(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + value.to_bytes(32, "big") + data[offset + 32 :]


def test_valid_case_verifies(case: Case) -> None:
    assert verify(case.pk, case.signature, HEADER, MESSAGES, case.suite)
    assert case.verify_proof(case.proof)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda s: s[:-1], id="truncated"),
        pytest.param(lambda s: s + b"\x00", id="extended"),
        pytest.param(lambda s: b"", id="empty"),
        pytest.param(lambda s: _with_scalar(s, 48, R), id="e-equals-r"),
        pytest.param(lambda s: _with_scalar(s, 48, 0), id="e-zero"),
        pytest.param(lambda s: b"\xff" * 32 + s[32:], id="scalar-all-ones"),
        pytest.param(lambda s: IDENTITY_G1 + s[48:], id="identity-A"),
        pytest.param(lambda s: _off_curve_g1() + s[48:], id="off-curve-A"),
        pytest.param(lambda s: _outside_subgroup_g1() + s[48:], id="outside-subgroup-A"),
        pytest.param(lambda s: s[:48] + bytes(32), id="zero-e"),
    ],
)
def test_malformed_signature(case: Case, mutate: object) -> None:
    assert callable(mutate)
    assert verify(case.pk, mutate(case.signature), HEADER, MESSAGES, case.suite) is False


def test_signature_mismatches(case: Case) -> None:
    other_pk = sk_to_pk(key_gen(b"another issuer's key material, 32b", b"", None, case.suite))
    suite = case.suite
    assert not verify(other_pk, case.signature, HEADER, MESSAGES, suite)
    assert not verify(case.pk, case.signature, HEADER + b"!", MESSAGES, suite)
    assert not verify(case.pk, case.signature, HEADER, [*MESSAGES[:-1], b"x"], suite)
    assert not verify(case.pk, case.signature, HEADER, MESSAGES[:-1], suite)
    assert not verify(case.pk, case.signature, HEADER, [*MESSAGES, b""], suite)
    other = SHAKE256 if suite.ciphersuite_id == SHA256.ciphersuite_id else SHA256
    assert not verify(case.pk, case.signature, HEADER, MESSAGES, other.with_backend("arkworks"))


@pytest.mark.parametrize(
    "pk",
    [
        pytest.param(b"", id="empty"),
        pytest.param(bytes(96), id="zeros"),
        pytest.param(IDENTITY_G2, id="identity"),
        pytest.param(b"\xff" * 96, id="ones"),
    ],
)
def test_malformed_public_key(case: Case, pk: bytes) -> None:
    assert verify(pk, case.signature, HEADER, MESSAGES, case.suite) is False
    assert case.verify_proof(case.proof) is True
    shown = [MESSAGES[i] for i in case.disclosed]
    assert not proof_verify(pk, case.proof, HEADER, PH, shown, list(case.disclosed), case.suite)


def test_truncated_public_key(case: Case) -> None:
    assert not verify(case.pk[:-1], case.signature, HEADER, MESSAGES, case.suite)
    assert not verify(case.pk + b"\x00", case.signature, HEADER, MESSAGES, case.suite)


PROOF_POINTS, PROOF_SCALARS = 3 * 48, 3 * 48 + 32  # offsets of Abar/Bbar/D and of r1^


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda p: p[:-1], id="truncated-byte"),
        pytest.param(lambda p: p[:-32], id="truncated-scalar"),
        pytest.param(lambda p: p + b"\x00", id="extended-byte"),
        pytest.param(lambda p: p + bytes(31) + b"\x01", id="extended-scalar"),
        pytest.param(lambda p: p[: 3 * 48 + 4 * 32 - 1], id="below-floor"),
        pytest.param(lambda p: b"", id="empty"),
        pytest.param(lambda p: _with_scalar(p, len(p) - 32, R), id="challenge-equals-r"),
        pytest.param(lambda p: _with_scalar(p, PROOF_SCALARS, R + 1), id="r1-above-r"),
        pytest.param(lambda p: _with_scalar(p, PROOF_POINTS, 0), id="e-hat-zero"),
        pytest.param(lambda p: IDENTITY_G1 + p[48:], id="identity-Abar"),
        pytest.param(lambda p: p[:48] + IDENTITY_G1 + p[96:], id="identity-Bbar"),
        pytest.param(lambda p: p[:96] + _off_curve_g1() + p[144:], id="off-curve-D"),
        pytest.param(lambda p: _outside_subgroup_g1() + p[48:], id="outside-subgroup-Abar"),
    ],
)
def test_malformed_proof(case: Case, mutate: object) -> None:
    assert callable(mutate)
    assert case.verify_proof(mutate(case.proof)) is False


@pytest.mark.parametrize(
    "indexes",
    [
        pytest.param([0, 2, 4, 6, 10], id="out-of-range"),
        pytest.param([0, 2, 4, 6, -1], id="negative"),
        pytest.param([0, 2, 4, 4, 8], id="duplicated"),
        pytest.param([0, 4, 2, 6, 8], id="unsorted"),
        pytest.param([0, 2, 4, 6], id="one-missing"),
        pytest.param([0, 2, 4, 6, 8, 9], id="one-extra"),
        pytest.param([1, 2, 4, 6, 8], id="shifted"),
    ],
)
def test_bad_disclosed_indexes(case: Case, indexes: list[int]) -> None:
    assert case.verify_proof(case.proof, indexes) is False


def test_proof_mismatches(case: Case) -> None:
    suite, idx = case.suite, list(case.disclosed)
    shown = [MESSAGES[i] for i in idx]
    other_pk = sk_to_pk(key_gen(b"another issuer's key material, 32b", b"", None, suite))
    assert not proof_verify(other_pk, case.proof, HEADER, PH, shown, idx, suite)
    assert not proof_verify(case.pk, case.proof, HEADER + b"!", PH, shown, idx, suite)
    assert not proof_verify(case.pk, case.proof, HEADER, PH + b"!", shown, idx, suite)
    assert not proof_verify(case.pk, case.proof, HEADER, PH, [*shown[:-1], b"x"], idx, suite)
    assert not proof_verify(case.pk, case.proof, HEADER, PH, shown[:-1], idx, suite)


def test_proof_gen_rejects_caller_mistakes(case: Case) -> None:
    suite = case.suite
    with pytest.raises(ValueError):
        proof_gen(case.pk, case.signature, HEADER, PH, MESSAGES, [2, 0], suite)
    with pytest.raises(ValueError):
        proof_gen(case.pk, case.signature, HEADER, PH, MESSAGES, [10], suite)
    with pytest.raises(ValueError):
        key_gen(b"too short")


@settings(max_examples=25, deadline=None)
@given(disclosed=st.sets(st.integers(min_value=0, max_value=len(MESSAGES) - 1)))
def test_any_disclosed_subset_verifies(disclosed: set[int]) -> None:
    case = CASES["sha256"]
    idx = sorted(disclosed)
    proof = proof_gen(case.pk, case.signature, HEADER, PH, MESSAGES, idx, case.suite)
    assert len(proof) == 3 * 48 + (4 + len(MESSAGES) - len(idx)) * 32
    assert proof_verify(case.pk, proof, HEADER, PH, [MESSAGES[i] for i in idx], idx, case.suite)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_single_byte_change_fails(data: st.DataObject) -> None:
    case = CASES["sha256"]
    position = data.draw(st.integers(min_value=0, max_value=len(case.proof) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    tampered = bytearray(case.proof)
    tampered[position] ^= flip
    assert case.verify_proof(bytes(tampered)) is False

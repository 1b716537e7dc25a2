"""Octet encodings of BBS values, draft-irtf-cfrg-bbs-signatures-06/07 §4.2.4 "Serialization".

The draft's generic `serialize` tells scalars (32 bytes) from integers (8 bytes) by their
type; Python ints carry no such tag, so callers here concatenate `scalar_octets`,
`I2OSP(n, 8)` and `point.to_bytes()` explicitly, in the order the draft lists.

Decoders (`octets_to_signature`, `octets_to_proof`, `octets_to_pubkey`) check everything
the draft asks: exact lengths, points on the curve, in the subgroup and not the identity,
scalars in [1, r). Anything else raises `DecodeError`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from attestations.bbs.suites import Ciphersuite
from attestations.curve import G1, G2, CurveBackend, R
from attestations.errors import DecodeError

__all__ = [
    "Proof",
    "Signature",
    "i2osp",
    "octets_to_proof",
    "octets_to_pubkey",
    "octets_to_signature",
    "os2ip",
    "proof_to_octets",
    "scalar_octets",
    "signature_to_octets",
]


class Signature(NamedTuple):
    """A decoded BBS signature (A, e)."""

    A: G1
    e: int


class Proof(NamedTuple):
    """A decoded BBS proof (Abar, Bbar, D, e^, r1^, r3^, (m^_j1, ..., m^_jU), c)."""

    Abar: G1
    Bbar: G1
    D: G1
    e_hat: int
    r1_hat: int
    r3_hat: int
    commitments: tuple[int, ...]
    challenge: int


def i2osp(value: int, length: int) -> bytes:
    """RFC 8017 §4.1 I2OSP (big-endian, fixed length)."""
    return value.to_bytes(length, "big")


def os2ip(octets: bytes) -> int:
    """RFC 8017 §4.2 OS2IP (big-endian)."""
    return int.from_bytes(octets, "big")


def scalar_octets(*scalars: int) -> bytes:
    """`serialize` of scalars: I2OSP(s, octet_scalar_length) each, concatenated."""
    return b"".join(s.to_bytes(32, "big") for s in scalars)


def _scalar(octets: bytes, what: str) -> int:
    value = os2ip(octets)
    if value == 0 or value >= R:
        raise DecodeError(f"{what}: scalar not in [1, r)")
    return value


def _point_g1(octets: bytes, backend: CurveBackend, what: str) -> G1:
    point = backend.g1_from_bytes(octets)
    if point.is_identity():
        raise DecodeError(f"{what}: identity point")
    return point


def signature_to_octets(signature: Signature) -> bytes:
    """§4.2.4.2: serialize((A, e))."""
    return signature.A.to_bytes() + scalar_octets(signature.e)


def octets_to_signature(octets: bytes, suite: Ciphersuite) -> Signature:
    """§4.2.4.3: decode and validate (A, e); `DecodeError` on anything non-canonical."""
    pl, sl = suite.octet_point_length, suite.octet_scalar_length
    if len(octets) != pl + sl:
        raise DecodeError(f"signature: length {len(octets)}, want {pl + sl}")
    a = _point_g1(bytes(octets[:pl]), suite.curve, "signature A")
    return Signature(a, _scalar(bytes(octets[pl:]), "signature e"))


def proof_to_octets(proof: Proof) -> bytes:
    """§4.2.4.4: serialize((Abar, Bbar, D, e^, r1^, r3^, m^_1, ..., m^_U, c))."""
    points = proof.Abar.to_bytes() + proof.Bbar.to_bytes() + proof.D.to_bytes()
    return points + scalar_octets(
        proof.e_hat, proof.r1_hat, proof.r3_hat, *proof.commitments, proof.challenge
    )


def octets_to_proof(octets: bytes, suite: Ciphersuite) -> Proof:
    """§4.2.4.5: decode and validate a proof; `DecodeError` on anything non-canonical."""
    pl, sl = suite.octet_point_length, suite.octet_scalar_length
    floor = 3 * pl + 4 * sl
    if len(octets) < floor or (len(octets) - floor) % sl:
        raise DecodeError(f"proof: length {len(octets)} is not {floor} + a multiple of {sl}")
    data = bytes(octets)
    backend = suite.curve
    abar, bbar, d = (
        _point_g1(data[i * pl : (i + 1) * pl], backend, "proof point") for i in range(3)
    )
    scalars = [_scalar(data[i : i + sl], "proof scalar") for i in range(3 * pl, len(data), sl)]
    e_hat, r1_hat, r3_hat = scalars[:3]
    return Proof(abar, bbar, d, e_hat, r1_hat, r3_hat, tuple(scalars[3:-1]), scalars[-1])


def octets_to_pubkey(pk: bytes, suite: Ciphersuite) -> G2:
    """§4.2.4.6: decode and validate W; cached per (PK, backend) as the draft allows."""
    return _pubkey(bytes(pk), suite.curve, suite.octet_point_length * 2)


@lru_cache(maxsize=256)
def _pubkey(pk: bytes, backend: CurveBackend, length: int) -> G2:
    if len(pk) != length:
        raise DecodeError(f"public key: length {len(pk)}, want {length}")
    w = backend.g2_from_bytes(pk)
    if w.is_identity():
        raise DecodeError("public key: identity point")
    return w

"""The default, native backend: thin wrappers over py-arkworks-bls12381.

The library is fast but has traps that this module exists to close:

- `Scalar(int)` reduces its argument mod r in silence, so an out-of-range scalar would be
  accepted; ints pass `check_scalar` and then the strict `Scalar.from_be_bytes`.
- `multiexp_unchecked` truncates lists of unequal length in silence; `g1_msm` checks.
- `from_compressed_bytes_unchecked` skips the subgroup check; only the checked decoder is
  used, and since the checked decoder still accepts some non-canonical encodings (the
  point at infinity with stray bits set), a decoded point must re-encode to its input.
- GT's `+` and `-` are Fp12 field operations, not the group law; `ArkGT` offers only `*`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, final

from py_arkworks_bls12381 import GT as _GT
from py_arkworks_bls12381 import G1Point, G2Point, Scalar

from attestations.curve.base import (
    G1,
    G1_BYTES,
    G2,
    G2_BYTES,
    GT,
    SCALAR_BYTES,
    CurveBackend,
    G1Multiples,
    P,
    check_scalar,
)
from attestations.curve.fixed_base import Multiples
from attestations.errors import DecodeError

__all__ = ["ArkG1", "ArkG2", "ArkGT", "ArkworksBackend"]


def _scalar(k: int) -> Scalar:
    """An int in [0, r) as a native scalar, never reduced in silence."""
    return Scalar.from_be_bytes(check_scalar(k).to_bytes(SCALAR_BYTES, "big"))


@final
class ArkG1(G1):
    """A G1 point held by arkworks."""

    __slots__ = ("_p",)

    def __init__(self, point: G1Point) -> None:
        self._p = point

    def __add__(self, other: ArkG1) -> ArkG1:
        return ArkG1(self._p + other._p)

    def __sub__(self, other: ArkG1) -> ArkG1:
        return ArkG1(self._p - other._p)

    def __neg__(self) -> ArkG1:
        return ArkG1(-self._p)

    def __mul__(self, k: int) -> ArkG1:
        return ArkG1(self._p * _scalar(k))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArkG1) and self._p == other._p

    def __hash__(self) -> int:
        return hash(self._p)

    def __repr__(self) -> str:
        return f"ArkG1({self.to_bytes().hex()})"

    def is_identity(self) -> bool:
        return self._p == _G1_IDENTITY

    def to_bytes(self) -> bytes:
        return self._p.to_compressed_bytes()


@final
class ArkG2(G2):
    """A G2 point held by arkworks."""

    __slots__ = ("_p",)

    def __init__(self, point: G2Point) -> None:
        self._p = point

    def __add__(self, other: ArkG2) -> ArkG2:
        return ArkG2(self._p + other._p)

    def __sub__(self, other: ArkG2) -> ArkG2:
        return ArkG2(self._p - other._p)

    def __neg__(self) -> ArkG2:
        return ArkG2(-self._p)

    def __mul__(self, k: int) -> ArkG2:
        return ArkG2(self._p * _scalar(k))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArkG2) and self._p == other._p

    def __hash__(self) -> int:
        return hash(self._p)

    def __repr__(self) -> str:
        return f"ArkG2({self.to_bytes().hex()})"

    def is_identity(self) -> bool:
        return self._p == _G2_IDENTITY

    def to_bytes(self) -> bytes:
        return self._p.to_compressed_bytes()


@final
class ArkGT(GT):
    """An element of GT; only the group law `*` is exposed (the native `+` is Fp12's)."""

    __slots__ = ("_v",)

    def __init__(self, value: _GT) -> None:
        self._v = value

    def __mul__(self, other: ArkGT) -> ArkGT:
        return ArkGT(self._v * other._v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArkGT) and self._v == other._v

    def __hash__(self) -> int:
        return hash(self._v)

    def __repr__(self) -> str:
        return f"ArkGT({self._v})"

    def is_one(self) -> bool:
        return self._v == _GT_ONE


_G1_IDENTITY: Final = G1Point.identity()
_G2_IDENTITY: Final = G2Point.identity()
_GT_ONE: Final = _GT.one()


def _check_length(data: bytes, size: int, group: str) -> bytes:
    if len(data) != size:
        raise DecodeError(f"{group} point: expected {size} bytes, got {len(data)}")
    return bytes(data)


def _invalid(group: str, exc: ValueError) -> DecodeError:
    return DecodeError(
        f"{group} point: invalid encoding (flags, x >= p, not on the curve or not in the "
        f"prime-order subgroup): {exc}"
    )


def _check_canonical(encoded: bytes, data: bytes, group: str) -> None:
    if encoded != data:
        raise DecodeError(f"{group} point: not the canonical encoding of the point")


def _decode_g1(data: bytes) -> G1Point:
    """Exact length, then the checked decoder (flags, x < p, on the curve, in the subgroup),
    then canonical form by re-encoding."""
    data = _check_length(data, G1_BYTES, "G1")
    try:
        point = G1Point.from_compressed_bytes(data)
    except ValueError as exc:
        raise _invalid("G1", exc) from None
    _check_canonical(point.to_compressed_bytes(), data, "G1")
    return point


def _decode_g2(data: bytes) -> G2Point:
    """As `_decode_g1`, for G2."""
    data = _check_length(data, G2_BYTES, "G2")
    try:
        point = G2Point.from_compressed_bytes(data)
    except ValueError as exc:
        raise _invalid("G2", exc) from None
    _check_canonical(point.to_compressed_bytes(), data, "G2")
    return point


class ArkworksBackend(CurveBackend):
    """BLS12-381 through py-arkworks-bls12381 (Rust, arkworks)."""

    name = "arkworks"

    def g1_generator(self) -> ArkG1:
        return ArkG1(G1Point())

    def g1_identity(self) -> ArkG1:
        return ArkG1(_G1_IDENTITY)

    def g2_generator(self) -> ArkG2:
        return ArkG2(G2Point())

    def g2_identity(self) -> ArkG2:
        return ArkG2(_G2_IDENTITY)

    def g1_from_bytes(self, data: bytes) -> ArkG1:
        return ArkG1(_decode_g1(data))

    def g2_from_bytes(self, data: bytes) -> ArkG2:
        return ArkG2(_decode_g2(data))

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> ArkG1:
        if len(points) != len(scalars):
            raise ValueError(f"msm: {len(points)} points but {len(scalars)} scalars")
        return ArkG1(
            G1Point.multiexp_unchecked([_g1(p) for p in points], [_scalar(k) for k in scalars])
        )

    def g1_multiples(self, base: G1) -> G1Multiples:
        return _ArkMultiples(Multiples(_g1(base), _G1_IDENTITY))

    def pairing(self, p: G1, q: G2) -> ArkGT:
        return ArkGT(_GT.pairing(_g1(p), _g2(q)))

    def pairing_check(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        return _GT.pairing_check([_g1(p) for p, _ in pairs], [_g2(q) for _, q in pairs])

    def map_to_g1(self, u: int) -> ArkG1:
        if not 0 <= u < P:
            raise ValueError("field element out of range [0, p)")
        # map_from_fp_be is RFC 9380 map_to_curve followed by clear_cofactor.
        return ArkG1(G1Point.map_from_fp_be(u.to_bytes(G1_BYTES, "big")))


@final
class _ArkMultiples:
    """`Multiples` of a native point, answering with wrapped points."""

    __slots__ = ("_table",)

    def __init__(self, table: Multiples[G1Point]) -> None:
        self._table = table

    def times(self, k: int) -> ArkG1:
        return ArkG1(self._table.times(k))


def _g1(p: G1) -> G1Point:
    if not isinstance(p, ArkG1):
        raise TypeError(f"expected an arkworks G1 point, got {type(p).__name__}")
    return p._p


def _g2(q: G2) -> G2Point:
    if not isinstance(q, ArkG2):
        raise TypeError(f"expected an arkworks G2 point, got {type(q).__name__}")
    return q._p

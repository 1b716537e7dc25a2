"""The reference backend: py-ecc's pure-Python `optimized_bls12_381`, slow and plain.

It exists so the test suite can check the native backend against an independent
implementation, so it favours the obvious algorithm (a loop for MSM, r·P = O for the
subgroup check) over speed. Two places are not the obvious ones, on purpose:

- py-ecc's `pairing()` ends with a naive exponentiation by (p^12 - 1)/r; here every Miller
  loop is followed by py-ecc's fast `final_exponentiate` instead, and `pairing_check` runs
  one final exponentiation over the product of the Miller loops.
- py-ecc's decompressors take integers and trust their caller for the length and for
  subgroup membership; `_split` checks the ZCash format byte by byte first (length, the
  compression, infinity and sign flags, a canonical infinity, x < p) and the decoders
  add the subgroup check.

py-ecc's Miller loop skips the conjugation for BLS12-381's negative parameter, so its GT
values are the inverses of other libraries'. That is still a bilinear, non-degenerate
pairing and `pairing_check` is unaffected, but GT elements are not comparable across
backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, final

from py_ecc.bls.hash_to_curve import clear_cofactor_G1, map_to_curve_G1
from py_ecc.bls.point_compression import compress_G1, compress_G2, decompress_G1, decompress_G2
from py_ecc.bls.typing import G1Compressed, G2Compressed
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381.optimized_curve import G1 as _G1_GENERATOR
from py_ecc.optimized_bls12_381.optimized_curve import G2 as _G2_GENERATOR
from py_ecc.optimized_bls12_381.optimized_curve import Z1, Z2, add, eq, is_inf, multiply, neg
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, miller_loop
from py_ecc.typing import Optimized_Point3D

from attestations.curve.base import (
    G1,
    G1_BYTES,
    G2,
    G2_BYTES,
    GT,
    CurveBackend,
    G1Multiples,
    P,
    R,
    check_scalar,
)
from attestations.curve.fixed_base import Multiples
from attestations.errors import DecodeError

__all__ = ["PyEccBackend", "PyG1", "PyG2", "PyGT"]

_Point1 = Optimized_Point3D[FQ]
_Point2 = Optimized_Point3D[FQ2]

_C_FLAG: Final = 0x80  # compressed form
_B_FLAG: Final = 0x40  # point at infinity
_A_FLAG: Final = 0x20  # sign of y: set when y is the larger of y and p - y
_FLAGS: Final = _C_FLAG | _B_FLAG | _A_FLAG


@final
class PyG1(G1):
    """A G1 point held by py-ecc in projective coordinates."""

    __slots__ = ("_p",)

    def __init__(self, point: _Point1) -> None:
        self._p = point

    def __add__(self, other: PyG1) -> PyG1:
        return PyG1(add(self._p, other._p))

    def __sub__(self, other: PyG1) -> PyG1:
        return PyG1(add(self._p, neg(other._p)))

    def __neg__(self) -> PyG1:
        return PyG1(neg(self._p))

    def __mul__(self, k: int) -> PyG1:
        return PyG1(multiply(self._p, check_scalar(k)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PyG1) and eq(self._p, other._p)

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def __repr__(self) -> str:
        return f"PyG1({self.to_bytes().hex()})"

    def is_identity(self) -> bool:
        return is_inf(self._p)

    def to_bytes(self) -> bytes:
        return int(compress_G1(self._p)).to_bytes(G1_BYTES, "big")


@final
class PyG2(G2):
    """A G2 point held by py-ecc in projective coordinates over Fp2."""

    __slots__ = ("_p",)

    def __init__(self, point: _Point2) -> None:
        self._p = point

    def __add__(self, other: PyG2) -> PyG2:
        return PyG2(add(self._p, other._p))

    def __sub__(self, other: PyG2) -> PyG2:
        return PyG2(add(self._p, neg(other._p)))

    def __neg__(self) -> PyG2:
        return PyG2(neg(self._p))

    def __mul__(self, k: int) -> PyG2:
        return PyG2(multiply(self._p, check_scalar(k)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PyG2) and eq(self._p, other._p)

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def __repr__(self) -> str:
        return f"PyG2({self.to_bytes().hex()})"

    def is_identity(self) -> bool:
        return is_inf(self._p)

    def to_bytes(self) -> bytes:
        z1, z2 = compress_G2(self._p)
        half = G2_BYTES // 2
        return int(z1).to_bytes(half, "big") + int(z2).to_bytes(half, "big")


@final
class PyGT(GT):
    """An element of GT as a py-ecc Fp12 value after final exponentiation."""

    __slots__ = ("_v",)

    def __init__(self, value: FQ12) -> None:
        self._v = value

    def __mul__(self, other: PyGT) -> PyGT:
        return PyGT(self._v * other._v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PyGT) and self._v == other._v

    def __hash__(self) -> int:
        return hash(tuple(int(c) for c in self._v.coeffs))

    def __repr__(self) -> str:
        return f"PyGT({[int(c) for c in self._v.coeffs]})"

    def is_one(self) -> bool:
        return self._v == FQ12.one()


def _split(data: bytes, size: int, group: str) -> tuple[bool, list[int]] | None:
    """Check the ZCash compressed format up to the curve equation.

    Returns None for the (canonical) point at infinity, else the sign flag and the
    coordinates of x as 48-byte big-endian integers with the flags removed, each < p.
    """
    if len(data) != size:
        raise DecodeError(f"{group} point: expected {size} bytes, got {len(data)}")
    flags = data[0] & _FLAGS
    if not flags & _C_FLAG:
        raise DecodeError(f"{group} point: compression flag not set")
    if flags & _B_FLAG:
        if flags != _C_FLAG | _B_FLAG or any(data[1:]) or data[0] & ~_FLAGS:
            raise DecodeError(f"{group} point: infinity must be 0xc0 followed by zero bytes")
        return None
    body = bytes([data[0] & ~_FLAGS]) + bytes(data[1:])
    coords = [int.from_bytes(body[i : i + G1_BYTES], "big") for i in range(0, size, G1_BYTES)]
    if any(c >= P for c in coords):
        raise DecodeError(f"{group} point: x coordinate not below p")
    return bool(flags & _A_FLAG), coords


class PyEccBackend(CurveBackend):
    """BLS12-381 through py-ecc (pure Python; the reference, about 10^3 times slower)."""

    name = "pyecc"

    def g1_generator(self) -> PyG1:
        return PyG1(_G1_GENERATOR)

    def g1_identity(self) -> PyG1:
        return PyG1(Z1)

    def g2_generator(self) -> PyG2:
        return PyG2(_G2_GENERATOR)

    def g2_identity(self) -> PyG2:
        return PyG2(Z2)

    def g1_from_bytes(self, data: bytes) -> PyG1:
        parts = _split(data, G1_BYTES, "G1")
        if parts is None:
            return self.g1_identity()
        sign, (x,) = parts
        try:
            point = decompress_G1(G1Compressed(x | (sign << 381) | (1 << 383)))
        except ValueError:
            raise DecodeError("G1 point: x is not the abscissa of a curve point") from None
        if not is_inf(multiply(point, R)):  # r·P = O: in the prime-order subgroup
            raise DecodeError("G1 point: not in the prime-order subgroup")
        return PyG1(point)

    def g2_from_bytes(self, data: bytes) -> PyG2:
        parts = _split(data, G2_BYTES, "G2")
        if parts is None:
            return self.g2_identity()
        sign, (x_im, x_re) = parts
        try:
            point = decompress_G2(G2Compressed((x_im | (sign << 381) | (1 << 383), x_re)))
        except ValueError:
            raise DecodeError("G2 point: x is not the abscissa of a curve point") from None
        if not is_inf(multiply(point, R)):  # r·P = O: in the prime-order subgroup
            raise DecodeError("G2 point: not in the prime-order subgroup")
        return PyG2(point)

    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> PyG1:
        if len(points) != len(scalars):
            raise ValueError(f"msm: {len(points)} points but {len(scalars)} scalars")
        acc: _Point1 = Z1
        for point, k in zip(points, scalars, strict=True):
            acc = add(acc, multiply(_g1(point), check_scalar(k)))
        return PyG1(acc)

    def g1_multiples(self, base: G1) -> G1Multiples:
        if not isinstance(base, PyG1):
            raise TypeError(f"expected a py-ecc G1 point, got {type(base).__name__}")
        return Multiples(base, self.g1_identity())

    def pairing(self, p: G1, q: G2) -> PyGT:
        return PyGT(final_exponentiate(_miller(_g1(p), _g2(q))))

    def pairing_check(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        product = FQ12.one()
        for p, q in pairs:
            product = product * _miller(_g1(p), _g2(q))
        return bool(final_exponentiate(product) == FQ12.one())

    def map_to_g1(self, u: int) -> PyG1:
        if not 0 <= u < P:
            raise ValueError("field element out of range [0, p)")
        return PyG1(clear_cofactor_G1(map_to_curve_G1(FQ(u))))


def _miller(p: _Point1, q: _Point2) -> FQ12:
    """The Miller loop alone; 1 when either point is the identity, as e(O, Q) = 1."""
    if is_inf(p) or is_inf(q):
        return FQ12.one()
    return miller_loop(q, p, False)


def _g1(p: G1) -> _Point1:
    if not isinstance(p, PyG1):
        raise TypeError(f"expected a py-ecc G1 point, got {type(p).__name__}")
    return p._p


def _g2(q: G2) -> _Point2:
    if not isinstance(q, PyG2):
        raise TypeError(f"expected a py-ecc G2 point, got {type(q).__name__}")
    return q._p

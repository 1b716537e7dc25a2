"""The small BLS12-381 interface that every curve backend implements.

Scalars are plain Python ints in [0, r): arithmetic mod r is cheap in Python and the same on
every backend. Group elements are backend objects behind the abstract classes below, with
operators that read like the specifications (`A * e + B`). Decoders check everything a point
from the wire must satisfy (length, flags, on the curve, in the prime-order subgroup) and
raise `DecodeError`; encoders produce the compressed ZCash format (48 bytes in G1, 96 in G2).

A backend supplies only what a library does natively; what a library lacks (expand_message,
hash_to_field, the SHAKE-256 suites) is built once on top of this interface in
`attestations.curve.hash_to_curve`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol, Self

#: Order of G1, G2 and GT.
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
#: Modulus of the base field Fp.
P = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB  # noqa: E501

G1_BYTES = 48
G2_BYTES = 96
SCALAR_BYTES = 32


def check_scalar(k: int) -> int:
    """Return `k` if it is a canonical scalar; a caller passing anything else has a bug."""
    if not isinstance(k, int):
        raise TypeError(f"scalar must be an int, got {type(k).__name__}")
    if not 0 <= k < R:
        raise ValueError("scalar out of range [0, r)")
    return k


class GroupElement(ABC):
    """An element of G1 or G2 (additive notation)."""

    __slots__ = ()

    @abstractmethod
    def __add__(self, other: Self) -> Self: ...

    @abstractmethod
    def __sub__(self, other: Self) -> Self: ...

    @abstractmethod
    def __neg__(self) -> Self: ...

    @abstractmethod
    def __mul__(self, k: int) -> Self:
        """Scalar multiplication; `k` must be in [0, r) (ValueError otherwise)."""

    @abstractmethod
    def __eq__(self, other: object) -> bool: ...

    @abstractmethod
    def __hash__(self) -> int: ...

    @abstractmethod
    def is_identity(self) -> bool: ...

    @abstractmethod
    def to_bytes(self) -> bytes:
        """Compressed ZCash encoding."""


class G1(GroupElement):
    """A point of G1 (48-byte compressed encoding)."""

    __slots__ = ()


class G2(GroupElement):
    """A point of G2 (96-byte compressed encoding)."""

    __slots__ = ()


class GT(ABC):
    """An element of the target group, written multiplicatively (the group operation is `*`)."""

    __slots__ = ()

    @abstractmethod
    def __mul__(self, other: Self) -> Self: ...

    @abstractmethod
    def __eq__(self, other: object) -> bool: ...

    @abstractmethod
    def __hash__(self) -> int: ...

    @abstractmethod
    def is_one(self) -> bool: ...


class G1Multiples(Protocol):
    """A G1 point prepared for many multiplications (`CurveBackend.g1_multiples`)."""

    def times(self, k: int) -> G1:
        """`k·base` for a scalar `k` in [0, r) (ValueError otherwise)."""
        ...


class CurveBackend(ABC):
    """One implementation of BLS12-381. Instances are stateless and shareable."""

    #: Short name used by `CARTERA_CURVE_BACKEND`.
    name: str

    @abstractmethod
    def g1_generator(self) -> G1: ...

    @abstractmethod
    def g1_identity(self) -> G1: ...

    @abstractmethod
    def g2_generator(self) -> G2: ...

    @abstractmethod
    def g2_identity(self) -> G2: ...

    @abstractmethod
    def g1_from_bytes(self, data: bytes) -> G1:
        """Decode a compressed G1 point; `DecodeError` unless canonical, on the curve and in
        the subgroup. The identity is accepted here; callers that forbid it check."""

    @abstractmethod
    def g2_from_bytes(self, data: bytes) -> G2:
        """Decode a compressed G2 point, with the same checks as `g1_from_bytes`."""

    @abstractmethod
    def g1_msm(self, points: Sequence[G1], scalars: Sequence[int]) -> G1:
        """Sum of `scalars[i] * points[i]`; ValueError if the lengths differ."""

    @abstractmethod
    def g1_multiples(self, base: G1) -> G1Multiples:
        """`base` with a table of its multiples (`attestations.curve.fixed_base`): worth it
        for a point that takes part in many multiplications, such as a verifier's base."""

    @abstractmethod
    def pairing(self, p: G1, q: G2) -> GT: ...

    @abstractmethod
    def pairing_check(self, pairs: Sequence[tuple[G1, G2]]) -> bool:
        """True iff the product of e(p_i, q_i) is the identity of GT."""

    @abstractmethod
    def map_to_g1(self, u: int) -> G1:
        """RFC 9380 map_to_curve for G1 (simplified SWU on the 11-isogenous curve, then the
        isogeny) followed by clear_cofactor. `u` is a field element in [0, p)."""

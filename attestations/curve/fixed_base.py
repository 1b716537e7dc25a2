"""`k·B` for a point `B` that many multiplications share, from precomputed multiples.

A consent signature's check computes `z·B_v` with the verifier's base `B_v`, the same point
for every grant to that verifier, and a native double-and-add spends ~250 doublings and
additions on it each time. With a table of small multiples of `B`, `2^(w·i)·B`, `k·B` is one
addition per `w`-bit window of `k` and no doubling at all.

The digits are signed (in `[-2^(w-1), 2^(w-1))`, with a carry into the next window), so a
row holds only `2^(w-1)` multiples and a negative digit subtracts one of them. With `w = 5`
a table has 52 rows × 16 points, is built in ~900 additions (about as long as four
ordinary multiplications) and answers in at most 52 additions: on py-arkworks ~5× faster
than `B * k`. The code needs only `+` and `-` of the group elements it is given, so both
backends use it, each on its own point type.
"""

from __future__ import annotations

from typing import Generic, Protocol, Self, TypeVar

from attestations.curve.base import R, check_scalar

__all__ = ["WINDOW", "Multiples"]

#: Bits per window: 5 balances the table's size and build time against additions per use.
WINDOW = 5


class _Additive(Protocol):
    def __add__(self, other: Self, /) -> Self: ...

    def __sub__(self, other: Self, /) -> Self: ...


T = TypeVar("T", bound=_Additive)


class Multiples(Generic[T]):
    """Precomputed multiples of `base`; `times(k)` is `k·base` for a scalar `k` in [0, r)."""

    __slots__ = ("_identity", "_rows", "_window")

    def __init__(self, base: T, identity: T, window: int = WINDOW) -> None:
        if not 2 <= window <= 16:
            raise ValueError(f"window: got {window}, want 2..16")
        self._identity, self._window = identity, window
        half = 1 << (window - 1)
        rows: list[list[T]] = []
        # A final carry can reach one window past the scalar's top bit.
        for _ in range(-(-R.bit_length() // window) + 1):
            row = [base]
            for _ in range(half - 1):
                row.append(row[-1] + base)
            rows.append(row)
            for _ in range(window):  # the next row's base: 2^window · base
                base = base + base
        self._rows = rows

    def times(self, k: int) -> T:
        """`k·base` (`ValueError` unless 0 <= k < r)."""
        k = check_scalar(k)
        window = self._window
        full = 1 << window
        half = full >> 1
        acc: T | None = None
        for row in self._rows:
            if not k:
                break
            digit = k & (full - 1)
            k >>= window
            if digit >= half:  # a negative digit: subtract, and carry one into the rest
                k += 1
                term = row[full - digit - 1]
                acc = self._identity - term if acc is None else acc - term
            elif digit:
                term = row[digit - 1]
                acc = term if acc is None else acc + term
        return self._identity if acc is None else acc

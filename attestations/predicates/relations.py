"""From a predicate on a hidden message m to linear constraints on a bit vector.

The argument (`attestations.predicates.argument`) proves knowledge of bits a ∈ {0,1}^N with
constraints <a, w_q> = α_q·m + β_q (mod r), m the value in the commitment V = m·g + γ·h.
Each predicate becomes such a relation in message space (integers and dates are v + 2^53,
strings are hash-to-scalar, as `attestations.schemas` encodes them):

| predicate            | N       | constraints                                              |
|----------------------|---------|----------------------------------------------------------|
| m >= lo              | n       | <a, 2^n> = m − lo                                        |
| m <= hi              | n       | <a, 2^n> = hi − m                                        |
| lo <= m <= hi        | 2k      | <a[:k], 2^k> = m − lo;  <a[k:], 2^k> = m − hi − 1 + 2^k  |
| m in {x_1..x_N}      | members | <a, x> = m;  <a, 1> = 1   (a is one-hot)                 |

with n = 22 for dates and 54 for integers and k = bitlen(hi − lo). Why these widths are
sound (no wrap mod r) is in docs/protocol.md, Predicates: in short, every date message
lies in a window of 3,652,059 < 2^22 values and every integer message in one of
2^54 − 1 values, and all bounds and values are below 2^55, far from r ≈ 2^255.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from attestations.curve import R
from attestations.predicates.statements import Bound, Member, Predicate, Range, bound_ordinal
from attestations.schemas import Schema, StringMapper

__all__ = [
    "DATE_BITS",
    "INTEGER_BITS",
    "Constraint",
    "Relation",
    "bit_count",
    "relation",
    "witness",
]

#: Bits of a one-sided date range: the widest gap between two dates, date.max − date.min.
DATE_BITS = 22
#: Bits of a one-sided integer range: the widest gap, 2·(2^53 − 1) = 2^54 − 2.
INTEGER_BITS = 54


@dataclass(frozen=True)
class Constraint:
    """<a, weights> = value_coeff·m + offset (mod r)."""

    weights: tuple[int, ...]
    value_coeff: int
    offset: int


@dataclass(frozen=True)
class Relation:
    """N = `bits` and the constraints the bits satisfy."""

    bits: int
    constraints: tuple[Constraint, ...]


def _powers(k: int) -> tuple[int, ...]:
    return tuple(1 << i for i in range(k))


def _bounds(predicate: Range, schema: Schema, map_string: StringMapper) -> tuple[int, int]:
    """(lo, hi) messages; a missing side is -1 (never used)."""
    name = predicate.attribute
    lo = -1 if predicate.lo is None else schema.to_message(name, predicate.lo, map_string)
    hi = -1 if predicate.hi is None else schema.to_message(name, predicate.hi, map_string)
    return lo, hi


def bit_count(predicate: Predicate) -> int:
    """N, the length of the bit vector, from the predicate alone (decoders need it)."""
    if isinstance(predicate, Member):
        return len(predicate.values)
    if predicate.op != "between":
        return DATE_BITS if predicate.is_date else INTEGER_BITS
    lo, hi = cast(tuple[Bound, Bound], (predicate.lo, predicate.hi))
    return 2 * (bound_ordinal(hi) - bound_ordinal(lo)).bit_length()


def relation(predicate: Predicate, schema: Schema, map_string: StringMapper) -> Relation:
    """The constraints of `predicate` (checked against `schema` by the caller)."""
    n = bit_count(predicate)
    if isinstance(predicate, Member):
        xs = tuple(map_string(v.encode("utf-8")) for v in predicate.values)
        return Relation(n, (Constraint(xs, 1, 0), Constraint((1,) * n, 0, 1)))
    lo, hi = _bounds(predicate, schema, map_string)
    if predicate.op == ">=":
        return Relation(n, (Constraint(_powers(n), 1, (-lo) % R),))
    if predicate.op == "<=":
        return Relation(n, (Constraint(_powers(n), R - 1, hi),))
    k, zeros = n // 2, (0,) * (n // 2)
    low = Constraint(_powers(k) + zeros, 1, (-lo) % R)
    high = Constraint(zeros + _powers(k), 1, ((1 << k) - hi - 1) % R)
    return Relation(n, (low, high))


def witness(predicate: Predicate, message: int, rel: Relation) -> list[int]:
    """The bits proving `predicate` of `message`; ValueError when the predicate is false."""
    if isinstance(predicate, Member):
        xs = rel.constraints[0].weights
        if message not in xs:
            raise ValueError(f"the credential's {predicate.attribute} is not in the set")
        return [int(x == message) for x in xs]
    values = [(c.value_coeff * message + c.offset) % R for c in rel.constraints]
    width = rel.bits // len(values)
    if any(v >> width for v in values):
        raise ValueError(f"the credential's {predicate.attribute} is outside the range")
    return [(v >> i) & 1 for v in values for i in range(width)]

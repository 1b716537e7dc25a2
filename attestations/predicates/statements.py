"""What a predicate says: `Range` and `Member`, frozen values in the attribute's own space.

    Range("birthdate", hi=date(2007, 11, 22))        birthdate <= 2007-11-22
    Range("income", lo=12000, hi=30000)              12000 <= income <= 30000
    Member("district", ["Gràcia", "Sants-Montjuïc"]) district in {…}

Bounds are inclusive, of the attribute's type: Python ints for `integer` attributes (within
±(2^53 − 1), like the values), `datetime.date` for `date` attributes; members are strings.
The JSON form is the one `policies.predicates` uses, `{"attribute", "op", "value"}` with
`op` one of `>=`, `<=`, `between`, `in`, so that a policy predicate converts with
`predicate_from_json(p.to_json_dict())`. As there, predicates that pin the value (equal
bounds, one member) are refused, and members are sorted by UTF-16 code units without
repeats, so one predicate has one spelling.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from attestations.encoding import canonical_json, expect_fields, get_str
from attestations.errors import DecodeError
from attestations.schemas import INTEGER_MAX, INTEGER_MIN, Schema

__all__ = [
    "MAX_MEMBERS",
    "MAX_PREDICATES",
    "Bound",
    "Member",
    "Op",
    "Predicate",
    "Range",
    "bound_ordinal",
    "check_predicates",
    "predicate_from_json",
    "predicate_key",
]

#: Largest set of a `Member` predicate (the proof grows linearly with it).
MAX_MEMBERS = 64
#: Most predicates in one presentation (as in a consent grant).
MAX_PREDICATES = 32
Bound = int | datetime.date
Op = Literal[">=", "<=", "between", "in"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _check_bound(bound: Bound | None) -> None:
    if bound is None:
        return
    if isinstance(bound, bool) or not isinstance(bound, int | datetime.date):
        raise TypeError("a range bound is an int or a datetime.date")
    if isinstance(bound, datetime.datetime):
        raise TypeError("a range bound is a datetime.date, not a datetime")
    if isinstance(bound, int) and not INTEGER_MIN <= bound <= INTEGER_MAX:
        raise ValueError("an integer range bound must lie within ±(2^53 − 1)")


def bound_ordinal(bound: Bound) -> int:
    """Bounds of one kind compare as these ints (dates by their proleptic ordinal)."""
    return bound.toordinal() if isinstance(bound, datetime.date) else bound


def _dump(bound: Bound | None) -> Any:
    return bound.isoformat() if isinstance(bound, datetime.date) else bound


def _utf16(member: str) -> bytes:
    return member.encode("utf-16-be")


@dataclass(frozen=True)
class Range:
    """`lo <= attribute <= hi`; either bound may be None (not both), both of one kind."""

    attribute: str
    lo: Bound | None = None
    hi: Bound | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.attribute, str) or not self.attribute:
            raise ValueError("a predicate names an attribute")
        _check_bound(self.lo)
        _check_bound(self.hi)
        if self.lo is None and self.hi is None:
            raise ValueError("a range needs at least one bound")
        if self.lo is not None and self.hi is not None:
            if isinstance(self.lo, datetime.date) != isinstance(self.hi, datetime.date):
                raise TypeError("range bounds must be both integers or both dates")
            if not bound_ordinal(self.lo) < bound_ordinal(self.hi):
                raise ValueError("a range needs lo < hi (equal bounds would reveal the value)")

    @property
    def op(self) -> Op:
        if self.hi is None:
            return ">="
        return "<=" if self.lo is None else "between"

    @property
    def is_date(self) -> bool:
        return isinstance(self.lo if self.lo is not None else self.hi, datetime.date)

    def holds(self, value: Bound) -> bool:
        """Whether `value` (of the bounds' kind) satisfies the range."""
        if isinstance(value, datetime.date) != self.is_date:
            raise TypeError("a value of another kind than the range's bounds")
        v = bound_ordinal(value)
        above = self.lo is None or bound_ordinal(self.lo) <= v
        return above and (self.hi is None or v <= bound_ordinal(self.hi))

    def to_json(self) -> dict[str, Any]:
        lo, hi = _dump(self.lo), _dump(self.hi)
        value = {">=": lo, "<=": hi, "between": [lo, hi]}[self.op]
        return {"attribute": self.attribute, "op": self.op, "value": value}


@dataclass(frozen=True)
class Member:
    """`attribute in values`: 2 to `MAX_MEMBERS` distinct strings, kept sorted."""

    attribute: str
    values: tuple[str, ...]

    def __init__(self, attribute: str, values: Iterable[str]) -> None:
        members = tuple(values)
        if not isinstance(attribute, str) or not attribute:
            raise ValueError("a predicate names an attribute")
        if not all(isinstance(v, str) for v in members):
            raise TypeError("set members are strings")
        for v in members:
            v.encode("utf-8")  # lone surrogates raise UnicodeEncodeError (a ValueError)
        if len(set(members)) != len(members):
            raise ValueError("a set member is repeated")
        if not 2 <= len(members) <= MAX_MEMBERS:
            raise ValueError(f"a set has 2..{MAX_MEMBERS} members (one would reveal the value)")
        object.__setattr__(self, "attribute", attribute)
        object.__setattr__(self, "values", tuple(sorted(members, key=_utf16)))

    @property
    def op(self) -> Op:
        return "in"

    def holds(self, value: str) -> bool:
        return value in self.values

    def to_json(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "op": "in", "value": list(self.values)}


Predicate = Range | Member


def predicate_key(predicate: Predicate) -> bytes:
    """Canonical JSON of the predicate: its identity, and the order of predicate lists."""
    return canonical_json(predicate.to_json())


def _bound_from_json(raw: Any, what: str) -> Bound:
    if isinstance(raw, int) and not isinstance(raw, bool):
        if not INTEGER_MIN <= raw <= INTEGER_MAX:
            raise DecodeError(f"{what}: integer bound outside ±(2^53 − 1)")
        return raw
    if isinstance(raw, str) and _DATE.fullmatch(raw):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError as exc:
            raise DecodeError(f"{what}: invalid date {raw!r}") from exc
    raise DecodeError(f"{what}: a bound is an integer or a YYYY-MM-DD date")


def predicate_from_json(obj: Any, *, what: str = "predicate") -> Predicate:
    """Parse `{"attribute", "op", "value"}`; `DecodeError` unless it is exactly the one
    spelling `to_json` writes (sorted members, lo < hi, bounds of one kind)."""
    doc = expect_fields(obj, ["attribute", "op", "value"], what=what)
    attribute, op, raw = get_str(doc, "attribute", what=what), doc["op"], doc["value"]
    try:
        if op in (">=", "<="):
            bound = _bound_from_json(raw, what)
            return Range(attribute, lo=bound) if op == ">=" else Range(attribute, hi=bound)
        if op == "between":
            if not isinstance(raw, list) or len(raw) != 2:
                raise DecodeError(f"{what}: between takes [low, high]")
            return Range(attribute, _bound_from_json(raw[0], what), _bound_from_json(raw[1], what))
        if op == "in":
            if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
                raise DecodeError(f"{what}: in takes a list of strings")
            member = Member(attribute, raw)
            if list(member.values) != raw:
                raise DecodeError(f"{what}: members must be sorted (UTF-16 code units)")
            return member
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"{what}: {exc}") from exc
    raise DecodeError(f"{what}: op must be one of >=, <=, between, in")


def check_predicates(predicates: Iterable[Predicate], schema: Schema) -> tuple[Predicate, ...]:
    """`predicates` sorted by `predicate_key`, if each fits `schema`: a `Range` on an
    integer or date attribute with bounds of that type, a `Member` on a string attribute;
    no repeats, at most `MAX_PREDICATES`. TypeError/ValueError otherwise (caller bugs)."""
    checked = tuple(predicates)
    for predicate in checked:
        if not isinstance(predicate, Range | Member):
            raise TypeError(f"not a predicate: {predicate!r}")
        kind = schema.type_of(predicate.attribute)
        if isinstance(predicate, Member):
            fits = kind == "string"
        else:
            fits = kind == ("date" if predicate.is_date else "integer")
        if not fits:
            raise ValueError(
                f"predicate {predicate.op} does not fit {kind} {predicate.attribute!r}"
            )
    keys = [predicate_key(p) for p in checked]
    if len(set(keys)) != len(keys):
        raise ValueError("a predicate is repeated")
    if len(checked) > MAX_PREDICATES:
        raise ValueError(f"at most {MAX_PREDICATES} predicates")
    return tuple(p for _, p in sorted(zip(keys, checked, strict=True), key=lambda kp: kp[0]))

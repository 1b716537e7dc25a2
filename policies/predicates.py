"""Predicates: conditions on an attribute that a presentation proves without revealing it.

    {"attribute": "birthdate", "op": "<=", "value": "2007-11-22"}
    {"attribute": "income", "op": "between", "value": [12000, 30000]}
    {"attribute": "district", "op": "in", "value": ["Gràcia", "Sants-Montjuïc"]}

Range predicates (`>=`, `<=`, `between`, bounds inclusive) apply to `integer` attributes
(JSON integers) and `date` attributes (`YYYY-MM-DD`); set membership (`in`) applies to
`string` attributes. The zero-knowledge proofs are issue 6's; this module fixes the model
and the one relation policy needs, `implies`.

A grant for predicate P covers a request for predicate Q when P implies Q: the verifier
then learns nothing the grant did not allow. Predicates a grant lists together count
together (`covered_by`): `>= 18` and `<= 65` allow `between 18 65`, which says no more
than the two of them. This is what keeps a grant useful while the
verifier's "at least 18" bound moves forward one day every day. Predicates that pin the
value (`between` with equal bounds, `in` with one member) are refused: they would disclose
the value, and a grant for a predicate must never cover the value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, cast

from pydantic import Field, PlainSerializer, PlainValidator, WithJsonSchema, model_validator

from attestations.errors import AttestationError
from attestations.predicates import Predicate as Statement
from attestations.predicates import predicate_from_json
from attestations.predicates.statements import check_predicates
from attestations.schemas import EXPIRY, Schema
from policies.canonical import canonical_bytes
from policies.document import Model
from policies.errors import DocumentError
from policies.fields import MAX_SAFE_INTEGER, AttributeName, sorted_unique
from policies.times import format_date, parse_date

__all__ = [
    "MAX_SET_MEMBERS",
    "AtLeast",
    "AtMost",
    "Between",
    "MemberOf",
    "Predicate",
    "RangeValue",
    "covered_by",
    "predicate_key",
    "predicates_json",
    "proof_statements",
    "shared",
    "valid_on",
    "validity_bound",
]

#: Upper bound on the members of an `in` set (the proof's size grows with it).
MAX_SET_MEMBERS = 64


def _range_value(value: Any) -> int | date:
    if isinstance(value, bool):
        raise ValueError("range bound: want an integer or a YYYY-MM-DD date, not a boolean")
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError("range bound: integer outside ±(2^53 - 1)")
        return value
    if isinstance(value, date):
        return value
    try:
        return parse_date(value)
    except DocumentError:
        raise ValueError(f"range bound: {value!r} is neither an integer nor YYYY-MM-DD") from None


def _dump_range_value(value: int | date) -> int | str:
    return value if isinstance(value, int) else format_date(value)


#: A bound of a range predicate: an integer, or a date (days are compared as dates).
RangeValue = Annotated[
    int | date,
    PlainValidator(_range_value),
    PlainSerializer(_dump_range_value),
    WithJsonSchema({"oneOf": [{"type": "integer"}, {"type": "string", "format": "date"}]}),
]


def _le(a: int | date, b: int | date) -> bool:
    """`a <= b` for bounds of one kind; False for an integer against a date."""
    if isinstance(a, int) and isinstance(b, int):
        return a <= b
    if isinstance(a, date) and isinstance(b, date):
        return a <= b
    return False


class _Predicate(Model):
    attribute: AttributeName

    def implies(self, other: Predicate) -> bool:
        """Whether every value satisfying `self` satisfies `other` (same attribute only)."""
        raise NotImplementedError

    def describe(self) -> str:
        """The predicate for people: `birthdate <= 2007-11-22`."""
        raise NotImplementedError


class AtLeast(_Predicate):
    """`attribute >= value`."""

    op: Literal[">="]
    value: RangeValue

    def implies(self, other: Predicate) -> bool:
        if other.attribute != self.attribute:
            return False
        return isinstance(other, AtLeast) and _le(other.value, self.value)

    def describe(self) -> str:
        return f"{self.attribute} >= {_dump_range_value(self.value)}"


class AtMost(_Predicate):
    """`attribute <= value`."""

    op: Literal["<="]
    value: RangeValue

    def implies(self, other: Predicate) -> bool:
        if other.attribute != self.attribute:
            return False
        return isinstance(other, AtMost) and _le(self.value, other.value)

    def describe(self) -> str:
        return f"{self.attribute} <= {_dump_range_value(self.value)}"


class Between(_Predicate):
    """`low <= attribute <= high`, with `low < high` of one kind (integers or dates)."""

    op: Literal["between"]
    value: tuple[RangeValue, RangeValue]

    @model_validator(mode="after")
    def _ordered(self) -> Between:
        low, high = self.value
        if not (_le(low, high) or _le(high, low)):
            raise ValueError("between: both bounds must be integers or both dates")
        if _le(high, low):
            raise ValueError("between: want low < high (equal bounds would reveal the value)")
        return self

    def implies(self, other: Predicate) -> bool:
        if other.attribute != self.attribute:
            return False
        low, high = self.value
        if isinstance(other, AtLeast):
            return _le(other.value, low)
        if isinstance(other, AtMost):
            return _le(high, other.value)
        if isinstance(other, Between):
            return _le(other.value[0], low) and _le(high, other.value[1])
        return False

    def describe(self) -> str:
        low, high = (_dump_range_value(v) for v in self.value)
        return f"{low} <= {self.attribute} <= {high}"


class MemberOf(_Predicate):
    """`attribute in {value...}`: 2 to `MAX_SET_MEMBERS` strings, sorted, no repeats."""

    op: Literal["in"]
    value: tuple[str, ...]

    @model_validator(mode="after")
    def _set(self) -> MemberOf:
        if not 2 <= len(self.value) <= MAX_SET_MEMBERS:
            raise ValueError(
                f"in: want 2..{MAX_SET_MEMBERS} members (one member would reveal the value)"
            )
        sorted_unique(self.value, key=lambda member: member.encode("utf-16-be"), what="in")
        return self

    def implies(self, other: Predicate) -> bool:
        if other.attribute != self.attribute or not isinstance(other, MemberOf):
            return False
        return set(self.value) <= set(other.value)

    def describe(self) -> str:
        return f"{self.attribute} in {{{', '.join(self.value)}}}"


Predicate = Annotated[AtLeast | AtMost | Between | MemberOf, Field(discriminator="op")]


def covered_by(granted: Iterable[Predicate], wanted: Predicate) -> bool:
    """Whether the granted predicates together imply `wanted`: one of them does, or, for
    a range, some granted lower bound and some granted upper bound on its attribute lie
    within its bounds; for a set, the granted sets' intersection lies within it. Together
    only if some value meets them all: contradictory grants cover nothing by conjunction
    (a holder proves only true statements, so one of them says nothing)."""
    given = [p for p in granted if p.attribute == wanted.attribute]
    if any(p.implies(wanted) for p in given):
        return True
    if isinstance(wanted, Between):
        low, high = wanted.value
        lows = [p.value[0] if isinstance(p, Between) else p.value
                for p in given if isinstance(p, AtLeast | Between)]  # fmt: skip
        highs = [p.value[1] if isinstance(p, Between) else p.value
                 for p in given if isinstance(p, AtMost | Between)]  # fmt: skip
        consistent = all(_le(a, b) for a in lows for b in highs)  # some value meets them all
        within = any(_le(low, b) for b in lows) and any(_le(b, high) for b in highs)
        return consistent and within
    if isinstance(wanted, MemberOf):
        sets = [set(p.value) for p in given if isinstance(p, MemberOf)]
        common = set.intersection(*sets) if sets else set()
        return bool(common) and common <= set(wanted.value)
    return False


def _checks_validity(p: Predicate) -> bool:
    return isinstance(p, AtLeast) and p.attribute == EXPIRY and isinstance(p.value, date)


def valid_on(moment: datetime) -> AtLeast:
    """`expiry >=` the UTC day of `moment`: a credential valid that day, its date unshown."""
    return AtLeast(attribute=EXPIRY, op=">=", value=moment.astimezone(UTC).date())


def validity_bound(predicates: Iterable[Predicate]) -> date | None:
    """The day that an `expiry >=` predicate among `predicates` proves the credential valid
    through, if there is one. A presentation proving it does not show its expiry date
    (attestations.credentials: the date could link a holder across verifiers)."""
    return next((cast(date, p.value) for p in predicates if _checks_validity(p)), None)


def shared(predicates: Iterable[Predicate]) -> tuple[Predicate, ...]:
    """`predicates` without `expiry >=` bounds: those check the credential's validity,
    which every presentation shows anyway (as its date, or as such a bound, which says
    less), so a consent grant need not, and does not, cover them."""
    return tuple(p for p in predicates if not _checks_validity(p))


def predicate_key(predicate: Predicate) -> bytes:
    """Sort key of predicates in a list: their canonical bytes (one order for everyone)."""
    return canonical_bytes(predicate.to_json_dict())


def predicates_json(predicates: Iterable[Predicate]) -> list[dict[str, Any]]:
    """A set of predicates as a document lists them: sorted, without repeats."""
    return [p.to_json_dict() for p in sorted(set(predicates), key=predicate_key)]


def proof_statements(predicates: Iterable[Predicate], schema: Schema) -> tuple[Statement, ...]:
    """`predicates` as the `attestations.predicates` statements a presentation proves
    (both share one JSON form), checked against `schema` and in the order proofs list
    them; `ValueError` saying why one does not fit (an attribute the schema lacks, a set on
    an integer, a date bound on an integer, …). The wallet proves these; the verifier
    checks them."""
    try:
        return check_predicates([predicate_from_json(p.to_json_dict()) for p in predicates], schema)
    except (AttestationError, TypeError) as exc:
        raise ValueError(str(exc)) from None

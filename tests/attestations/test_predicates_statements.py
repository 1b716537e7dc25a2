"""Predicate statements (`Range`, `Member`): validation, their one JSON spelling, the fit
with a schema, the bit widths of the relations, and the age helper's calendar."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from attestations.errors import DecodeError
from attestations.predicates import (
    MAX_MEMBERS,
    MAX_PREDICATES,
    Member,
    Range,
    minimum_age,
    predicate_from_json,
    years_before,
)
from attestations.predicates.relations import DATE_BITS, INTEGER_BITS, bit_count
from attestations.predicates.statements import check_predicates
from attestations.schemas import INTEGER_MAX, Schema
from policies.predicates import AtLeast, AtMost, Between, MemberOf

D = datetime.date
SCHEMA = Schema.create(
    "resident",
    [("birthdate", "date"), ("district", "string"), ("income", "integer"), ("voter", "boolean")],
)


def test_widths_cover_every_gap_without_wrapping() -> None:
    """The one-sided widths hold the widest gap between two values of the type."""
    assert (D.max - D.min).days < 2**DATE_BITS
    assert (D.max - D.min).days >= 2 ** (DATE_BITS - 1)
    assert INTEGER_MAX - (-INTEGER_MAX) < 2**INTEGER_BITS
    assert bit_count(Range("birthdate", hi=D(2008, 5, 1))) == DATE_BITS
    assert bit_count(Range("income", lo=0)) == INTEGER_BITS
    # between: two blocks of bitlen(hi - lo) bits.
    assert bit_count(Range("income", lo=10, hi=11)) == 2
    assert bit_count(Range("income", lo=0, hi=1024)) == 22
    assert bit_count(Range("income", lo=-INTEGER_MAX, hi=INTEGER_MAX)) == 2 * INTEGER_BITS
    assert bit_count(Range("birthdate", lo=D.min, hi=D.max)) == 2 * DATE_BITS
    assert bit_count(Member("district", ["a", "b", "c"])) == 3


@pytest.mark.parametrize(
    ("predicate", "json"),
    [
        (Range("income", lo=5), {"attribute": "income", "op": ">=", "value": 5}),
        (
            Range("birthdate", hi=D(2008, 5, 1)),
            {"attribute": "birthdate", "op": "<=", "value": "2008-05-01"},
        ),
        (Range("income", -3, 3), {"attribute": "income", "op": "between", "value": [-3, 3]}),
        (
            Member("district", ["Sants-Montjuïc", "Gràcia"]),
            {"attribute": "district", "op": "in", "value": ["Gràcia", "Sants-Montjuïc"]},
        ),
    ],
)
def test_json_round_trip_matches_policies(predicate: Any, json: dict[str, Any]) -> None:
    assert predicate.to_json() == json
    assert predicate_from_json(json) == predicate


def test_policy_predicates_convert_trivially() -> None:
    """What the session layer does: a policy predicate's JSON is a statement's JSON."""
    for policy in (
        AtLeast(attribute="income", op=">=", value=12000),
        AtMost(attribute="birthdate", op="<=", value=D(2008, 5, 1)),
        Between(attribute="income", op="between", value=(1, 9)),
        MemberOf(attribute="district", op="in", value=("Gràcia", "Sants")),
    ):
        assert predicate_from_json(policy.to_json_dict()).to_json() == policy.to_json_dict()


def test_members_sort_by_utf16_code_units() -> None:
    # U+1F600 (surrogates D83D..) sorts before U+FF21 in UTF-16, after it in code points.
    member = Member("district", ["\uff21", "\U0001f600"])
    assert member.values == ("\U0001f600", "\uff21")


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: Range("income"), ValueError),
        (lambda: Range("", lo=1), ValueError),
        (lambda: Range("income", lo=3, hi=3), ValueError),
        (lambda: Range("income", lo=4, hi=3), ValueError),
        (lambda: Range("income", lo=1, hi=D(2000, 1, 1)), TypeError),
        (lambda: Range("income", lo=True), TypeError),
        (lambda: Range("income", lo=1.5), TypeError),  # type: ignore[arg-type]
        (lambda: Range("income", lo=datetime.datetime(2000, 1, 1)), TypeError),
        (lambda: Range("income", lo=INTEGER_MAX + 1), ValueError),
        (lambda: Member("district", ["only"]), ValueError),
        (lambda: Member("district", ["a", "a", "b"]), ValueError),
        (lambda: Member("district", [f"d{i}" for i in range(MAX_MEMBERS + 1)]), ValueError),
        (lambda: Member("district", ["a", 1]), TypeError),  # type: ignore[list-item]
        (lambda: Member("district", ["a", "\ud800"]), ValueError),
    ],
)
def test_invalid_statements_are_caller_errors(build: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        build()


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"attribute": "income", "op": ">="},
        {"attribute": "income", "op": ">=", "value": 1, "extra": 1},
        {"attribute": 3, "op": ">=", "value": 1},
        {"attribute": "income", "op": "<", "value": 1},
        {"attribute": "income", "op": ">=", "value": True},
        {"attribute": "income", "op": ">=", "value": 2**53},
        {"attribute": "income", "op": ">=", "value": "2008-5-1"},
        {"attribute": "income", "op": ">=", "value": "2008-02-30"},
        {"attribute": "income", "op": ">=", "value": [1]},
        {"attribute": "income", "op": "between", "value": [1]},
        {"attribute": "income", "op": "between", "value": 1},
        {"attribute": "income", "op": "between", "value": [2, 1]},
        {"attribute": "income", "op": "between", "value": [1, 1]},
        {"attribute": "income", "op": "between", "value": [1, "2008-05-01"]},
        {"attribute": "district", "op": "in", "value": ["b", "a"]},
        {"attribute": "district", "op": "in", "value": ["a", "a"]},
        {"attribute": "district", "op": "in", "value": ["a"]},
        {"attribute": "district", "op": "in", "value": ["a", 2]},
        {"attribute": "district", "op": "in", "value": "ab"},
        {"attribute": "", "op": "in", "value": ["a", "b"]},
    ],
)
def test_malformed_statement_json_is_decode_error(raw: Any) -> None:
    with pytest.raises(DecodeError):
        predicate_from_json(raw)


def test_check_predicates_sorts_and_checks_the_schema() -> None:
    age, district = Range("birthdate", hi=D(2008, 5, 1)), Member("district", ["a", "b"])
    assert check_predicates([district, age], SCHEMA) == (age, district)
    for bad in (
        Range("district", lo=1),  # a string attribute
        Range("birthdate", lo=1),  # integer bound on a date
        Range("income", lo=D(2000, 1, 1)),  # date bound on an integer
        Member("income", ["1", "2"]),  # set on an integer
        Member("voter", ["a", "b"]),  # set on a boolean
        Range("nickname", lo=1),  # not in the schema
    ):
        with pytest.raises(ValueError):
            check_predicates([bad], SCHEMA)
    with pytest.raises(ValueError):
        check_predicates([age, age], SCHEMA)
    with pytest.raises(TypeError):
        check_predicates([{"attribute": "income"}], SCHEMA)  # type: ignore[list-item]
    too_many = [Range("income", lo=i) for i in range(MAX_PREDICATES + 1)]
    with pytest.raises(ValueError):
        check_predicates(too_many, SCHEMA)


def test_range_holds() -> None:
    r = Range("birthdate", D(2000, 1, 1), D(2000, 12, 31))
    assert r.holds(D(2000, 1, 1)) and r.holds(D(2000, 12, 31))
    assert not r.holds(D(1999, 12, 31)) and not r.holds(D(2001, 1, 1))
    with pytest.raises(TypeError):
        r.holds(5)


@pytest.mark.parametrize(
    ("today", "years", "bound"),
    [
        (D(2026, 5, 1), 18, D(2008, 5, 1)),
        (D(2026, 2, 28), 18, D(2008, 2, 28)),  # a Feb-29 birthdate is not yet 18 ...
        (D(2026, 3, 1), 18, D(2008, 3, 1)),  # ... and is on 1 March
        (D(2024, 2, 29), 18, D(2006, 2, 28)),  # today Feb 29, no Feb 29 in 2006
        (D(2024, 2, 29), 16, D(2008, 2, 29)),  # leap to leap keeps it
        (D(2026, 12, 31), 0, D(2026, 12, 31)),
    ],
)
def test_years_before_handles_february_29(today: D, years: int, bound: D) -> None:
    assert years_before(today, years) == bound
    assert minimum_age("birthdate", years, today=today) == Range("birthdate", hi=bound)


def test_minimum_age_reads_the_utc_clock_and_refuses_nonsense() -> None:
    before = datetime.datetime.now(datetime.UTC).date()
    bound = minimum_age("birthdate", 18).hi
    after = datetime.datetime.now(datetime.UTC).date()
    assert bound in {years_before(before, 18), years_before(after, 18)}
    for years in (-1, True):
        with pytest.raises(ValueError):
            years_before(D(2026, 1, 1), years)
    with pytest.raises(ValueError):
        years_before(D(10, 1, 1), 10)

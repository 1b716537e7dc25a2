"""Predicates: their wire form, what they refuse, and `implies` checked against a reference
semantics (a grant for P may answer a request for Q only if every value satisfying P
satisfies Q)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from policies import AtLeast, AtMost, Between, MemberOf, Predicate
from policies.fields import MAX_SAFE_INTEGER
from policies.predicates import MAX_SET_MEMBERS

ADAPTER: TypeAdapter[Predicate] = TypeAdapter(Predicate)


def parse(text: str) -> Predicate:
    return ADAPTER.validate_json(text)


def test_range_on_a_date() -> None:
    p = parse('{"attribute":"birthdate","op":"<=","value":"2007-03-01"}')
    assert p == AtMost(attribute="birthdate", op="<=", value=date(2007, 3, 1))
    assert p.to_json_dict() == {"attribute": "birthdate", "op": "<=", "value": "2007-03-01"}


def test_range_on_an_integer() -> None:
    p = parse('{"attribute":"income","op":"between","value":[12000,30000]}')
    assert p == Between(attribute="income", op="between", value=(12000, 30000))
    assert p.describe() == "12000 <= income <= 30000"


def test_set_membership() -> None:
    p = parse('{"attribute":"district","op":"in","value":["Gràcia","Sants-Montjuïc"]}')
    assert isinstance(p, MemberOf)
    assert p.describe() == "district in {Gràcia, Sants-Montjuïc}"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"attribute":"income","op":"between","value":[5,5]}', "equal bounds"),
        ('{"attribute":"income","op":"between","value":[6,5]}', "low < high"),
        ('{"attribute":"income","op":"between","value":[5,"2007-03-01"]}', "both bounds"),
        ('{"attribute":"income","op":"between","value":[5]}', "Field required"),
        ('{"attribute":"income","op":">=","value":true}', "not a boolean"),
        ('{"attribute":"income","op":">=","value":9007199254740992}', "outside"),
        ('{"attribute":"income","op":">=","value":"12000"}', "neither an integer nor"),
        ('{"attribute":"birthdate","op":"<=","value":"2007-02-29"}', "neither an integer nor"),
        ('{"attribute":"district","op":"in","value":["Sants"]}', "one member"),
        ('{"attribute":"district","op":"in","value":["Sants","Gràcia"]}', "must be sorted"),
        ('{"attribute":"district","op":"in","value":["Sants","Sants"]}', "duplicate"),
        ('{"attribute":"district","op":"in","value":[1,2]}', "valid string"),
        ('{"attribute":"district","op":"in","value":"Sants"}', "valid array"),
        ('{"attribute":"District","op":"in","value":["a","b"]}', "attribute name"),
        ('{"attribute":"district","op":"==","value":"Sants"}', "does not match any"),
    ],
)
def test_malformed_predicates(text: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        parse(text)


def test_set_size_is_bounded() -> None:
    members = sorted(f"d{i:03}" for i in range(MAX_SET_MEMBERS + 1))
    with pytest.raises(ValidationError, match="members"):
        MemberOf(attribute="district", op="in", value=tuple(members))


def test_set_members_sort_by_utf16_code_units() -> None:
    # U+FB33 sorts after U+1F600 in UTF-16 (a surrogate pair starts 0xD83D) but before it
    # by code point; RFC 8785 sorts object keys by UTF-16, and sets follow the same rule.
    MemberOf(attribute="district", op="in", value=("\U0001f600", "\ufb33"))
    with pytest.raises(ValidationError, match="must be sorted"):
        MemberOf(attribute="district", op="in", value=("\ufb33", "\U0001f600"))


D = date(2007, 3, 1)
IMPLIES = [
    # same op: a tighter bound implies a looser one, not the other way round
    (
        AtMost(attribute="birthdate", op="<=", value=D),
        AtMost(attribute="birthdate", op="<=", value=D + timedelta(1)),
        True,
    ),
    (
        AtMost(attribute="birthdate", op="<=", value=D),
        AtMost(attribute="birthdate", op="<=", value=D),
        True,
    ),
    (
        AtMost(attribute="birthdate", op="<=", value=D),
        AtMost(attribute="birthdate", op="<=", value=D - timedelta(1)),
        False,
    ),
    (
        AtLeast(attribute="income", op=">=", value=10),
        AtLeast(attribute="income", op=">=", value=5),
        True,
    ),
    (
        AtLeast(attribute="income", op=">=", value=10),
        AtLeast(attribute="income", op=">=", value=11),
        False,
    ),
    # across ops
    (
        AtLeast(attribute="income", op=">=", value=10),
        AtMost(attribute="income", op="<=", value=100),
        False,
    ),
    (
        Between(attribute="income", op="between", value=(10, 20)),
        AtLeast(attribute="income", op=">=", value=10),
        True,
    ),
    (
        Between(attribute="income", op="between", value=(10, 20)),
        AtMost(attribute="income", op="<=", value=20),
        True,
    ),
    (
        Between(attribute="income", op="between", value=(10, 20)),
        AtMost(attribute="income", op="<=", value=19),
        False,
    ),
    (
        Between(attribute="income", op="between", value=(10, 20)),
        Between(attribute="income", op="between", value=(0, 30)),
        True,
    ),
    (
        Between(attribute="income", op="between", value=(10, 20)),
        Between(attribute="income", op="between", value=(11, 30)),
        False,
    ),
    (
        AtLeast(attribute="income", op=">=", value=10),
        Between(attribute="income", op="between", value=(0, 10**9)),
        False,
    ),
    # other attribute, other kind of bound
    (
        AtLeast(attribute="income", op=">=", value=10),
        AtLeast(attribute="age", op=">=", value=5),
        False,
    ),
    (
        AtMost(attribute="birthdate", op="<=", value=D),
        AtMost(attribute="birthdate", op="<=", value=14000),
        False,
    ),
    # sets: a subset implies a superset
    (
        MemberOf(attribute="district", op="in", value=("a", "b")),
        MemberOf(attribute="district", op="in", value=("a", "b", "c")),
        True,
    ),
    (
        MemberOf(attribute="district", op="in", value=("a", "b", "c")),
        MemberOf(attribute="district", op="in", value=("a", "b")),
        False,
    ),
    (
        MemberOf(attribute="district", op="in", value=("a", "b")),
        AtLeast(attribute="district", op=">=", value=0),
        False,
    ),
]


@pytest.mark.parametrize(
    ("given_", "wanted", "expected"),
    IMPLIES,
    ids=lambda x: getattr(x, "describe", lambda: str(x))(),
)
def test_implies_table(given_: Predicate, wanted: Predicate, expected: bool) -> None:
    assert given_.implies(wanted) is expected


# -- reference semantics over integers ---------------------------------------------------


def holds(p: Predicate, value: Any) -> bool:
    if isinstance(p, AtLeast):
        return value >= p.value
    if isinstance(p, AtMost):
        return value <= p.value
    if isinstance(p, Between):
        return p.value[0] <= value <= p.value[1]
    return value in p.value


bound = st.integers(-1000, 1000)
ranges = st.one_of(
    st.builds(lambda v: AtLeast(attribute="n", op=">=", value=v), bound),
    st.builds(lambda v: AtMost(attribute="n", op="<=", value=v), bound),
    st.tuples(bound, bound)
    .filter(lambda t: t[0] != t[1])
    .map(lambda t: Between(attribute="n", op="between", value=(min(t), max(t)))),
)
sets = st.sets(st.sampled_from("abcdef"), min_size=2).map(
    lambda s: MemberOf(attribute="s", op="in", value=tuple(sorted(s)))
)


def _witnesses(*ps: Predicate) -> set[int]:
    """Values where a range predicate can change truth, plus the ends of the domain."""
    points = {-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER}
    for p in ps:
        bounds = p.value if isinstance(p, Between) else (p.value,)
        for b in bounds:
            points |= {b - 1, b, b + 1}
    return points


@given(ranges, ranges)
def test_range_implication_is_sound_and_complete(p: Predicate, q: Predicate) -> None:
    counterexamples = [v for v in _witnesses(p, q) if holds(p, v) and not holds(q, v)]
    assert p.implies(q) is (not counterexamples)


@given(sets, sets)
def test_set_implication_is_sound_and_complete(p: Predicate, q: Predicate) -> None:
    counterexamples = [v for v in "abcdef" if holds(p, v) and not holds(q, v)]
    assert p.implies(q) is (not counterexamples)


@given(st.one_of(ranges, sets))
def test_every_predicate_implies_itself(p: Predicate) -> None:
    assert p.implies(p)


def test_predicates_are_hashable_values() -> None:
    a = AtLeast(attribute="income", op=">=", value=10)
    assert {a, AtLeast(attribute="income", op=">=", value=10)} == {a}

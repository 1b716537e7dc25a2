"""Predicates a grant lists together count together: `covered_by` and `evaluate`.

A grant holding `>= a` and `<= b` lets the verifier learn both, so it covers `between`
any wider bounds, and never a narrower range, the other attribute, or the value.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from policy_builders import T0, grant, request

from policies import AtLeast, AtMost, Between, MemberOf, Predicate, evaluate
from policies.predicates import covered_by

NOW = T0 + timedelta(minutes=1)


def at_least(value: int | date, attribute: str = "income") -> AtLeast:
    return AtLeast(attribute=attribute, op=">=", value=value)


def at_most(value: int | date, attribute: str = "income") -> AtMost:
    return AtMost(attribute=attribute, op="<=", value=value)


def between(low: int | date, high: int | date, attribute: str = "income") -> Between:
    return Between(attribute=attribute, op="between", value=(low, high))


def member_of(*members: str) -> MemberOf:
    return MemberOf(attribute="district", op="in", value=tuple(sorted(members)))


@pytest.mark.parametrize(
    ("granted", "wanted", "covered"),
    [
        ([at_least(100), at_most(200)], between(100, 200), True),
        ([at_least(100), at_most(200)], between(50, 300), True),  # wider: says less
        ([at_least(100), at_most(200)], between(150, 200), False),  # narrower: says more
        ([at_least(100), at_most(200)], between(100, 199), False),
        ([at_least(100)], between(100, 200), False),  # no upper bound granted
        ([at_most(200)], between(100, 200), False),  # no lower bound granted
        ([between(100, 150), at_most(120)], between(90, 130), True),
        ([at_least(100), at_most(200, attribute="age")], between(100, 200), False),
        ([at_least(date(2000, 1, 1)), at_most(200)], between(100, 200), False),  # kinds
        (
            [at_least(date(2000, 1, 1), "birthdate"), at_most(date(2007, 3, 1), "birthdate")],
            between(date(1999, 1, 1), date(2007, 3, 1), "birthdate"),
            True,
        ),
        ([member_of("a", "b", "c"), member_of("b", "c", "d")], member_of("b", "c"), True),
        ([member_of("a", "b", "c"), member_of("b", "c", "d")], member_of("c", "x"), False),
        ([member_of("a", "b")], member_of("a", "b", "c"), True),
        ([at_least(300), at_most(200)], between(100, 400), False),  # contradictory
        ([member_of("a", "b"), member_of("c", "d")], member_of("a", "c"), False),
        ([], between(100, 200), False),
        ([], member_of("a", "b"), False),
    ],
)
def test_covered_by(granted: list[Predicate], wanted: Predicate, covered: bool) -> None:
    assert covered_by(granted, wanted) is covered


@settings(max_examples=200, deadline=None)
@given(
    bounds=st.lists(st.integers(-50, 50), min_size=4, max_size=4),
    values=st.lists(st.integers(-60, 60), min_size=1, max_size=30),
)
def test_covered_means_every_value_the_grant_allows_satisfies_the_request(
    bounds: list[int], values: list[int]
) -> None:
    """Soundness: if the granted pair covers the request, no value satisfying both granted
    predicates falsifies the requested range."""
    g_low, g_high, w_low, w_high = bounds
    assume(w_low < w_high)
    wanted = between(w_low, w_high)
    if covered_by([at_least(g_low), at_most(g_high)], wanted):
        for v in values:
            if g_low <= v <= g_high:
                assert w_low <= v <= w_high


def test_evaluate_allows_between_from_two_granted_bounds() -> None:
    wanted = between(12_000, 30_000)
    g = grant(attributes=[], predicates=[at_least(12_000), at_most(30_000)])
    decision = evaluate(request(attributes=(), predicates=(wanted,)), [g], NOW)
    assert decision.allowed and decision.grant == g.id


def test_evaluate_still_refuses_a_narrower_range() -> None:
    wanted = between(15_000, 30_000)
    g = grant(attributes=[], predicates=[at_least(12_000), at_most(30_000)])
    decision = evaluate(request(attributes=(), predicates=(wanted,)), [g], NOW)
    assert not decision.allowed
    assert decision.missing_predicates == (wanted,)

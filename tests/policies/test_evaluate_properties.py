"""Properties of `evaluate`, with real signed grants and requests:

- a request inside a live grant (same verifier, schema and purpose; attributes it names;
  predicates it implies or whose attribute it names) is always allowed;
- stepping outside that grant in any one way (an attribute, a predicate, the purpose, the
  verifier, the schema, the time window, a revocation, the use count, the request's own
  expiry) is never allowed, and the decision names that way;
- on arbitrary mixes of grants, `allowed` agrees with a reference decision written from
  the rules with a brute-force predicate semantics, not with `implies`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from policy_builders import OTHER_SCHEMA, OTHER_VERIFIER, SCHEMA, T0, VERIFIER, grant, request

from policies import (
    AtLeast,
    AtMost,
    Between,
    ConsentGrant,
    MemberOf,
    Predicate,
    PresentationRequest,
    Problem,
    Purpose,
    evaluate,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATTRIBUTES = ("birthdate", "district", "income", "postal_code")
PURPOSES = (Purpose.SERVICE_PROVISION, Purpose.AGE_VERIFICATION, Purpose.SCIENTIFIC_RESEARCH)
DAY0 = date(2000, 1, 1)
LETTERS = "abcdefg"

days = st.integers(0, 30).map(lambda k: DAY0 + timedelta(days=k))
amounts = st.integers(0, 30)


def _ranges(attribute: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Predicate]:
    return st.one_of(
        values.map(lambda v: AtLeast(attribute=attribute, op=">=", value=v)),
        values.map(lambda v: AtMost(attribute=attribute, op="<=", value=v)),
        st.tuples(values, values)
        .filter(lambda t: t[0] != t[1])
        .map(lambda t: Between(attribute=attribute, op="between", value=(min(t), max(t)))),
    )


predicates = st.one_of(
    _ranges("birthdate", days),
    _ranges("income", amounts),
    st.sets(st.sampled_from(LETTERS), min_size=2).map(
        lambda s: MemberOf(attribute="district", op="in", value=tuple(sorted(s)))
    ),
)

# -- reference semantics ---------------------------------------------------------------------


def holds(p: Predicate, value: Any) -> bool:
    if isinstance(p, AtLeast):
        return bool(value >= p.value)
    if isinstance(p, AtMost):
        return bool(value <= p.value)
    if isinstance(p, Between):
        return bool(p.value[0] <= value <= p.value[1])
    return value in p.value


def domain(attribute: str) -> list[Any]:
    """Enough values of each attribute to tell the strategies' predicates apart."""
    if attribute == "birthdate":
        return [date.min, *(DAY0 + timedelta(days=k) for k in range(-1, 32)), date.max]
    if attribute == "income":
        return [-(2**53) + 1, *range(-1, 32), 2**53 - 1]
    return [*LETTERS, "zz"]


def reference_implies(p: Predicate, q: Predicate) -> bool:
    return p.attribute == q.attribute and all(
        holds(q, v) for v in domain(p.attribute) if holds(p, v)
    )


def reference_covered(g: ConsentGrant, q: Predicate) -> bool:
    """`q` is covered by the value, by one granted predicate implying it, or by all the
    granted predicates on its attribute together, if some value meets them all."""
    if q.attribute in g.attributes or any(reference_implies(p, q) for p in g.predicates):
        return True
    given = [p for p in g.predicates if p.attribute == q.attribute]
    meets = [v for v in domain(q.attribute) if all(holds(p, v) for p in given)]
    return bool(given) and bool(meets) and all(holds(q, v) for v in meets)


def reference_covers(g: ConsentGrant, attributes: Any, wanted: Any) -> bool:
    return all(a in g.attributes for a in attributes) and all(
        reference_covered(g, q) for q in wanted
    )


def reference_allowed(
    req: PresentationRequest,
    grants: list[ConsentGrant],
    now: datetime,
    revoked: set[str],
    uses: dict[str, int],
) -> bool:
    if now >= req.expires_at:
        return False
    return any(
        g.verifier == req.verifier
        and g.schema_id == req.schema_id
        and g.purpose == req.purpose
        and g.not_before <= now < g.not_after
        and g.id not in revoked
        and (g.max_uses is None or uses.get(g.id, 0) < g.max_uses)
        and reference_covers(g, req.attributes, req.predicates)
        for g in grants
    )


# -- building grants and requests inside them --------------------------------------------------


@st.composite
def grants(draw: st.DrawFn, verifier: str | None = None) -> ConsentGrant:
    attributes = draw(st.sets(st.sampled_from(ATTRIBUTES), max_size=3))
    given_predicates = draw(st.sets(predicates, max_size=3))
    if not attributes and not given_predicates:
        attributes = {"postal_code"}
    start = T0 + timedelta(minutes=draw(st.integers(-10, 10)))
    return grant(
        verifier=verifier or draw(st.sampled_from([VERIFIER, VERIFIER, OTHER_VERIFIER])).did,
        schema=draw(st.sampled_from([SCHEMA, SCHEMA, SCHEMA, OTHER_SCHEMA])).schema_id,
        purpose=draw(st.sampled_from(PURPOSES)),
        attributes=attributes,
        predicates=given_predicates,
        not_before=start,
        not_after=start + timedelta(minutes=draw(st.integers(1, 20))),
        max_uses=draw(st.none() | st.integers(1, 3)),
    )


def weaken(draw: st.DrawFn, p: Predicate) -> Predicate:
    """A predicate that `p` implies: a looser bound, a wider interval, a larger set."""
    step = draw(st.integers(0, 3))
    if isinstance(p, MemberOf):
        extra = draw(st.sets(st.sampled_from("xyz")))
        return MemberOf(attribute=p.attribute, op="in", value=tuple(sorted({*p.value, *extra})))

    def moved(v: Any, k: int) -> Any:
        return v + timedelta(days=k) if isinstance(v, date) else v + k

    if isinstance(p, AtLeast):
        return AtLeast(attribute=p.attribute, op=">=", value=moved(p.value, -step))
    if isinstance(p, AtMost):
        return AtMost(attribute=p.attribute, op="<=", value=moved(p.value, step))
    low, high = p.value
    return Between(
        attribute=p.attribute,
        op="between",
        value=(moved(low, -step), moved(high, draw(st.integers(0, 3)))),
    )


@st.composite
def inside(draw: st.DrawFn) -> tuple[ConsentGrant, dict[str, Any], datetime, dict[str, int]]:
    """A live grant to VERIFIER, the terms of a request it covers, a moment inside its
    window and use counts below its limit."""
    g = draw(grants(verifier=VERIFIER.did))
    attributes = draw(st.sets(st.sampled_from(g.attributes))) if g.attributes else set()
    wanted = {weaken(draw, p) for p in g.predicates if draw(st.booleans())}
    on_granted = [a for a in g.attributes if a in ("birthdate", "income", "district")]
    if on_granted:
        extra = draw(st.lists(predicates, max_size=2))
        wanted |= {q for q in extra if q.attribute in on_granted}
    if not attributes and not wanted:
        attributes, wanted = set(g.attributes), set(g.predicates)
    seconds = int((g.not_after - g.not_before).total_seconds())
    now = g.not_before + timedelta(seconds=draw(st.integers(0, seconds - 1)))
    terms = {
        "attributes": tuple(attributes),
        "predicates": tuple(wanted),
        "purpose": g.purpose,
        "schema": g.schema_id,
        "created_at": now - timedelta(seconds=draw(st.integers(0, 120))),
        "expires_at": now + timedelta(seconds=draw(st.integers(1, 300))),
    }
    uses = {g.id: draw(st.integers(0, g.max_uses - 1))} if g.max_uses else {}
    return g, terms, now, uses


@SETTINGS
@given(inside())
def test_a_request_inside_a_live_grant_is_always_allowed(case: Any) -> None:
    g, terms, now, uses = case
    decision = evaluate(request(**terms), [g], now, uses=uses, revoked={"sha256:" + "0" * 64})
    assert decision.allowed, decision.explain()
    assert decision.grant == g.id


OUTSIDE = [
    "attribute",
    "predicate",
    "purpose",
    "verifier",
    "schema",
    "too-early",
    "too-late",
    "revoked",
    "exhausted",
    "request-expired",
]


@pytest.mark.parametrize("way", OUTSIDE)
@SETTINGS
@given(case=inside(), data=st.data())
def test_anything_outside_the_grant_is_never_allowed(case: Any, way: str, data: Any) -> None:
    g, terms, now, uses = case
    key, revoked = VERIFIER, set()
    expected: Problem
    if way == "attribute":
        missing = [a for a in ATTRIBUTES if a not in g.attributes]
        assume(missing)
        added = data.draw(st.sampled_from(missing))
        terms["attributes"] = (*terms["attributes"], added)
        expected = Problem.NOT_COVERED
    elif way == "predicate":
        added = data.draw(predicates)
        assume(not reference_covers(g, (), (added,)))
        terms["predicates"] = (*terms["predicates"], added)
        expected = Problem.NOT_COVERED
    elif way == "purpose":
        terms["purpose"] = data.draw(st.sampled_from([p for p in PURPOSES if p != g.purpose]))
        expected = Problem.WRONG_PURPOSE
    elif way == "verifier":
        key, expected = OTHER_VERIFIER, Problem.NO_GRANT
    elif way == "schema":
        terms["schema"], expected = OTHER_SCHEMA.schema_id, Problem.WRONG_SCHEMA
        assume(g.schema_id != OTHER_SCHEMA.schema_id)
    elif way in ("too-early", "too-late"):
        gap = timedelta(seconds=data.draw(st.integers(1, 600)))
        now = g.not_before - gap if way == "too-early" else g.not_after - timedelta(seconds=1) + gap
        terms["created_at"], terms["expires_at"] = now - gap, now + gap
        expected = Problem.NOT_YET_VALID if way == "too-early" else Problem.EXPIRED
    elif way == "revoked":
        revoked, expected = {g.id}, Problem.REVOKED
    elif way == "exhausted":
        assume(g.max_uses is not None)
        uses, expected = {g.id: g.max_uses + data.draw(st.integers(0, 2))}, Problem.EXHAUSTED
    else:
        now, expected = terms["expires_at"], Problem.REQUEST_EXPIRED
    decision = evaluate(request(key, **terms), [g], now, revoked=revoked, uses=uses)
    assert not decision.allowed
    assert decision.grant is None
    assert expected in decision.problems, (way, decision.explain())


def _rarely(odds: int) -> st.SearchStrategy[bool]:
    """True about once in `odds + 1` draws (and False when shrinking)."""
    return st.sampled_from([False] * odds + [True])


@st.composite
def near_misses(draw: st.DrawFn) -> tuple[PresentationRequest, list[ConsentGrant], datetime]:
    """A request built inside one grant, then perhaps pushed outside it in several ways at
    once, among other grants: about a third of these are allowed."""
    g, terms, now, _ = draw(inside())
    key = VERIFIER
    if draw(_rarely(3)):
        terms["attributes"] = (*terms["attributes"], draw(st.sampled_from(ATTRIBUTES)))
    if draw(_rarely(3)):
        terms["predicates"] = (*terms["predicates"], draw(predicates))
    if draw(_rarely(5)):
        terms["purpose"] = draw(st.sampled_from(PURPOSES))
    if draw(_rarely(5)):
        key = OTHER_VERIFIER
    if draw(_rarely(3)):
        now += timedelta(minutes=draw(st.integers(-20, 20)))
    others = draw(st.lists(grants(), max_size=2))
    return request(key, **terms), [g, *others], now


@settings(SETTINGS, max_examples=200)
@given(near_misses(), st.data())
def test_allowed_agrees_with_the_reference_decision(case: Any, data: Any) -> None:
    req, given_grants, now = case
    ids = [g.id for g in given_grants]
    revoked = {data.draw(st.sampled_from(ids))} if data.draw(_rarely(4)) else set()
    uses = {i: data.draw(st.integers(0, 2)) for i in ids if data.draw(_rarely(4))}
    decision = evaluate(req, given_grants, now, revoked=revoked, uses=uses)
    event(f"allowed: {decision.allowed}")
    event(f"problems: {[p.value for p in decision.problems]}")
    assert decision.allowed is reference_allowed(req, given_grants, now, revoked, uses)
    assert decision.allowed is (not decision.problems)
    if decision.allowed:
        chosen = next(g for g in given_grants if g.id == decision.grant)
        assert reference_allowed(req, [chosen], now, revoked, uses)

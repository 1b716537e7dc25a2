"""Properties of predicate proofs: over random bounds, sets and values the argument accepts
exactly when the predicate holds (the honest witness when it does; the cheater's wrapped
bits when it does not), and no change to a presentation's predicate bytes is accepted."""

from __future__ import annotations

import datetime
import secrets

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from attestations.credentials import (
    Credential,
    HolderSecret,
    IssuerKey,
    Presentation,
    Range,
    begin_issuance,
    finish_issuance,
    issue,
    present,
    verify_presentation,
)
from attestations.credentials._common import map_string
from attestations.curve import R, get_backend
from attestations.errors import DecodeError, InvalidProof
from attestations.predicates import Member, Predicate
from attestations.predicates.argument import prove, verify
from attestations.predicates.generators import pedersen_generators
from attestations.predicates.relations import relation, witness
from attestations.predicates.statements import Bound, bound_ordinal
from attestations.schemas import INTEGER_MAX, Schema, Value

SCHEMA = Schema.create(
    "resident", [("birthdate", "date"), ("district", "string"), ("income", "integer")]
)
ARK = get_backend("arkworks")
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

dates = st.dates()
integers = st.integers(-INTEGER_MAX, INTEGER_MAX)
# Values near the bounds matter most: draw a bound, then values a few units around it.
offsets = st.integers(-3, 3)


@st.composite
def ranges(draw: st.DrawFn, values: st.SearchStrategy[Bound]) -> Range:
    attribute = "birthdate" if isinstance(draw(values), datetime.date) else "income"
    lo, hi = draw(values), draw(values)
    shape = draw(st.sampled_from([">=", "<=", "between"]))
    if shape == ">=":
        return Range(attribute, lo=lo)
    if shape == "<=":
        return Range(attribute, hi=hi)
    assume(lo != hi)
    low, high = sorted([lo, hi], key=bound_ordinal)
    return Range(attribute, low, high)


def _shift(value: Bound, by: int) -> Bound:
    if isinstance(value, datetime.date):
        try:
            return value + datetime.timedelta(days=by)
        except OverflowError:
            return value
    return max(-INTEGER_MAX, min(INTEGER_MAX, value + by))


def _accepted(predicate: Predicate, value: Value) -> bool:
    """Commit to `value`; prove with the witness if the predicate holds, else with the low
    bits of each wrapped constraint value (what a cheater would try); verify."""
    rel = relation(predicate, SCHEMA, map_string)
    m = SCHEMA.to_message(predicate.attribute, value, map_string)
    try:
        bits = witness(predicate, m, rel)
    except ValueError:
        width = rel.bits // len(rel.constraints)
        wrapped = [(c.value_coeff * m + c.offset) % R for c in rel.constraints]
        bits = [(v >> i) & 1 for v in wrapped for i in range(width)]
        if isinstance(predicate, Member):
            bits = [1] + [0] * (rel.bits - 1)
    gens = pedersen_generators(0, ARK)
    gamma = secrets.randbelow(R)
    v = ARK.g1_msm([gens.g, gens.h], [m, gamma])
    scalars = [secrets.randbelow(R) for _ in range(4 + 2 * rel.bits)]
    proof = prove(rel, bits, gamma, v, b"ctx", random_scalars=scalars, backend=ARK)
    return verify(rel, proof, v, b"ctx", backend=ARK)


@SLOW
@given(predicate=ranges(dates), by=offsets, anchor=st.sampled_from(["lo", "hi"]))
def test_date_ranges_accept_exactly_what_holds(predicate: Range, by: int, anchor: str) -> None:
    bound = getattr(predicate, anchor) or predicate.lo or predicate.hi
    assert bound is not None
    value = _shift(bound, by)
    assert _accepted(predicate, value) == predicate.holds(value)


@SLOW
@given(predicate=ranges(integers), by=offsets, far=integers)
def test_integer_ranges_accept_exactly_what_holds(predicate: Range, by: int, far: int) -> None:
    bound = predicate.lo if predicate.lo is not None else predicate.hi
    assert isinstance(bound, int)
    for value in (_shift(bound, by), far):
        assert _accepted(predicate, value) == predicate.holds(value)


@SLOW
@given(
    members=st.lists(st.text(max_size=12), min_size=2, max_size=12, unique=True),
    other=st.text(max_size=12),
    pick=st.integers(0, 11),
)
def test_sets_accept_exactly_their_members(members: list[str], other: str, pick: int) -> None:
    predicate = Member("district", members)
    assert _accepted(predicate, members[pick % len(members)])
    assert _accepted(predicate, other) == (other in members)


@pytest.fixture(scope="module")
def holder() -> tuple[IssuerKey, HolderSecret, Credential]:
    issuer, secret = IssuerKey.generate(), HolderSecret.generate()
    request, state = begin_issuance(secret, issuer.public_key(), SCHEMA)
    values: dict[str, Value] = {
        "expiry": datetime.date(2031, 1, 31),
        "birthdate": datetime.date(2008, 2, 29),
        "district": "Gràcia",
        "income": 21000,
    }
    now = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
    return issuer, secret, finish_issuance(state, issue(issuer, SCHEMA, values, request, now=now))


@FEW
@given(bound=st.dates(datetime.date(2008, 2, 20), datetime.date(2008, 3, 10)))
def test_presentations_prove_age_bounds_exactly(
    holder: tuple[IssuerKey, HolderSecret, Credential], bound: datetime.date
) -> None:
    issuer, secret, credential = holder
    asked: list[Predicate] = [Range("birthdate", hi=bound)]
    nonce = secrets.token_bytes(16)
    if bound < datetime.date(2008, 2, 29):
        with pytest.raises(ValueError):
            present(credential, secret, disclose=[], predicates=asked, verifier_id="v", nonce=nonce)
        return
    shown = present(credential, secret, disclose=[], predicates=asked, verifier_id="v", nonce=nonce)
    verify_presentation(
        shown, issuer.public_key(), SCHEMA, verifier_id="v", nonce=nonce, predicates=asked
    )


@FEW
@given(data=st.data())
def test_no_change_to_predicate_bytes_is_accepted(
    holder: tuple[IssuerKey, HolderSecret, Credential], data: st.DataObject
) -> None:
    issuer, secret, credential = holder
    asked: list[Predicate] = [Range("income", 20000, 22000), Member("district", ["Gràcia", "x"])]
    nonce = bytes(16)
    text = present(
        credential, secret, disclose=[], predicates=asked, verifier_id="v", nonce=nonce
    ).to_json()
    start = text.index(b'"predicates"')
    at = data.draw(st.integers(start, len(text) - 1))
    flipped = text[:at] + bytes([text[at] ^ data.draw(st.integers(1, 255))]) + text[at + 1 :]
    try:
        tampered = Presentation.from_json(flipped)
    except DecodeError:
        return
    with pytest.raises(InvalidProof):
        verify_presentation(
            tampered, issuer.public_key(), SCHEMA, verifier_id="v", nonce=nonce, predicates=asked
        )

"""`evaluate` case by case: every reason for a refusal, the choice among grants, drafts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from policy_builders import (
    ADULT,
    LOW_INCOME,
    OTHER_SCHEMA,
    OTHER_SECRET,
    OTHER_VERIFIER,
    SECRET,
    T0,
    VERIFIER,
    grant,
    request,
)
from pydantic import ValidationError

from attestations.pseudonym import pseudonym
from policies import AtMost, Problem, Purpose, RequestExpired, draft_grant, evaluate

NOW = T0 + timedelta(minutes=1)


def test_a_live_covering_grant_allows() -> None:
    g = grant()
    decision = evaluate(request(), [g], NOW)
    assert decision.allowed
    assert decision.grant == g.id
    assert decision.problems == ()
    assert decision.missing_attributes == () and decision.missing_predicates == ()
    assert decision.explain() == f"allowed by grant {g.id}"


def test_no_grant_at_all() -> None:
    decision = evaluate(request(), [], NOW)
    assert not decision.allowed
    assert decision.problems == (Problem.NO_GRANT,)
    assert decision.missing_attributes == ("postal_code",)
    assert decision.missing_predicates == (ADULT,)
    assert decision.explain() == (
        "refused: no grant; missing attributes: postal_code; "
        "missing predicates: birthdate <= 2007-03-01"
    )


def test_grant_for_another_verifier_does_not_count() -> None:
    decision = evaluate(request(), [grant(verifier=OTHER_VERIFIER.did)], NOW)
    assert decision.problems == (Problem.NO_GRANT,)
    assert decision.findings == ()


def test_pseudonym_restricts_the_grants() -> None:
    mine, theirs = grant(), grant(secret=OTHER_SECRET)
    expected = pseudonym(OTHER_SECRET, VERIFIER.did)
    decision = evaluate(request(), [mine, theirs], NOW, pseudonym=expected)
    assert decision.allowed and decision.grant == theirs.id
    decision = evaluate(request(), [mine], NOW, pseudonym=expected)
    assert decision.problems == (Problem.NO_GRANT,)


def test_wrong_schema() -> None:
    decision = evaluate(request(), [grant(schema=OTHER_SCHEMA.schema_id)], NOW)
    assert decision.problems == (Problem.WRONG_SCHEMA,)


def test_wrong_purpose() -> None:
    decision = evaluate(request(), [grant(purpose=Purpose.MARKETING)], NOW)
    assert not decision.allowed
    assert decision.problems == (Problem.WRONG_PURPOSE,)
    assert decision.missing_attributes == ()


def test_related_dpv_purposes_do_not_cover_each_other() -> None:
    # Both are DPV sub-purposes of Verification: neither covers the other.
    decision = evaluate(
        request(purpose=Purpose.AGE_VERIFICATION),
        [grant(purpose=Purpose.IDENTITY_VERIFICATION)],
        NOW,
    )
    assert decision.problems == (Problem.WRONG_PURPOSE,)


def test_not_yet_valid() -> None:
    decision = evaluate(request(), [grant(not_before=NOW + timedelta(seconds=1))], NOW)
    assert decision.problems == (Problem.NOT_YET_VALID,)


def test_valid_from_its_first_second() -> None:
    assert evaluate(request(), [grant(not_before=NOW)], NOW).allowed


def test_expired_at_not_after() -> None:
    g = grant(not_after=NOW)
    assert evaluate(request(), [g], NOW - timedelta(seconds=1)).allowed
    assert evaluate(request(), [g], NOW).problems == (Problem.EXPIRED,)


def test_revoked() -> None:
    g = grant()
    decision = evaluate(request(), [g], NOW, revoked={g.id})
    assert decision.problems == (Problem.REVOKED,)
    assert decision.explain() == "refused: revoked"


def test_exhausted_when_uses_reach_max_uses() -> None:
    g = grant(max_uses=2)
    assert evaluate(request(), [g], NOW, uses={g.id: 1}).allowed
    decision = evaluate(request(), [g], NOW, uses={g.id: 2})
    assert decision.problems == (Problem.EXHAUSTED,)


def test_missing_attribute_is_named() -> None:
    decision = evaluate(request(attributes=("district", "postal_code")), [grant()], NOW)
    assert decision.problems == (Problem.NOT_COVERED,)
    assert decision.missing_attributes == ("district",)
    assert decision.missing_predicates == ()


def test_missing_predicate_is_named() -> None:
    decision = evaluate(request(predicates=(ADULT, LOW_INCOME)), [grant()], NOW)
    assert decision.problems == (Problem.NOT_COVERED,)
    assert decision.missing_predicates == (LOW_INCOME,)


def test_a_grant_of_the_value_covers_predicates_on_it() -> None:
    g = grant(attributes=["birthdate", "postal_code"], predicates=[])
    assert evaluate(request(), [g], NOW).allowed


def test_a_grant_of_a_predicate_never_covers_the_value() -> None:
    decision = evaluate(request(attributes=("birthdate",), predicates=()), [grant()], NOW)
    assert decision.missing_attributes == ("birthdate",)


def test_a_granted_predicate_covers_weaker_ones() -> None:
    # The verifier's "18 or older" bound moves forward a day at a time: still covered.
    later = AtMost(attribute="birthdate", op="<=", value=date(2007, 3, 5))
    assert evaluate(request(predicates=(later,)), [grant()], NOW).allowed
    earlier = AtMost(attribute="birthdate", op="<=", value=date(2007, 2, 25))
    decision = evaluate(request(predicates=(earlier,)), [grant()], NOW)
    assert decision.missing_predicates == (earlier,)


def test_an_expired_request_is_refused_whatever_the_grants() -> None:
    decision = evaluate(request(), [grant()], T0 + timedelta(minutes=5))
    assert not decision.allowed and decision.grant is None
    assert decision.problems == (Problem.REQUEST_EXPIRED,)


def test_two_grants_are_not_combined() -> None:
    # access.record names one grant, so one grant must cover everything.
    a = grant(attributes=["postal_code"], predicates=[])
    b = grant(attributes=[], predicates=[ADULT])
    decision = evaluate(request(), [a, b], NOW)
    assert not decision.allowed
    assert decision.problems == (Problem.NOT_COVERED,)
    assert len(decision.findings) == 2


def test_the_closest_grant_explains_the_refusal() -> None:
    partial = grant(attributes=["district"])  # live, lacks postal_code
    lapsed = grant(not_after=NOW)  # covers everything, expired
    decision = evaluate(request(), [partial, lapsed], NOW)
    assert decision.problems == (Problem.EXPIRED,)
    assert decision.missing_attributes == ()
    findings = {f.grant: f for f in decision.findings}
    assert findings[partial.id].problems == (Problem.NOT_COVERED,)
    assert findings[partial.id].missing_attributes == ("postal_code",)
    assert findings[lapsed.id].problems == (Problem.EXPIRED,)


def test_several_problems_of_one_grant_are_all_listed() -> None:
    g = grant(purpose=Purpose.MARKETING, not_after=NOW, attributes=["district"])
    decision = evaluate(request(), [g], NOW, revoked={g.id})
    assert decision.problems == (
        Problem.WRONG_PURPOSE,
        Problem.EXPIRED,
        Problem.REVOKED,
        Problem.NOT_COVERED,
    )


def test_among_usable_grants_the_one_lapsing_first_is_used() -> None:
    short = grant(not_after=T0 + timedelta(days=1))
    long = grant(not_after=T0 + timedelta(days=60))
    assert evaluate(request(), [long, short], NOW).grant == short.id
    assert evaluate(request(), [short, long], NOW).grant == short.id


def test_repeated_grants_are_counted_once() -> None:
    decision = evaluate(request(), [grant(), grant()], NOW)
    assert len(decision.findings) == 1


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="naive"):
        evaluate(request(), [grant()], datetime(2025, 3, 1, 9, 31))


def test_now_may_carry_fractions_and_any_offset() -> None:
    cet = timezone(timedelta(hours=1))
    assert evaluate(request(), [grant()], (NOW + timedelta(microseconds=5)).astimezone(cet)).allowed
    late = (T0 + timedelta(minutes=5) - timedelta(microseconds=1)).astimezone(cet)
    assert evaluate(request(), [grant()], late).allowed


def test_decisions_are_frozen_and_serialisable() -> None:
    decision = evaluate(request(predicates=(ADULT, LOW_INCOME)), [grant()], NOW)
    with pytest.raises(ValidationError):
        decision.allowed = True  # type: ignore[misc]
    shown = decision.to_json_dict()
    assert shown["problems"] == ["not_covered"]
    assert shown["missing_predicates"] == [{"attribute": "income", "op": ">=", "value": 0}]


# -- drafting the grant that would cover a request ------------------------------------------


def test_draft_covers_exactly_the_request_once() -> None:
    req = request(predicates=(ADULT, LOW_INCOME), attributes=("district", "postal_code"))
    draft = draft_grant(req, now=NOW)
    assert draft.attributes == req.attributes and draft.predicates == req.predicates
    assert draft.purpose == req.purpose and draft.schema_id == req.schema_id
    assert (draft.not_before, draft.not_after, draft.max_uses) == (T0, req.expires_at, 1)
    signed = draft.sign(SECRET, created_at=NOW)
    assert evaluate(req, [signed], NOW).allowed
    assert evaluate(req, [signed], NOW, uses={signed.id: 1}).problems == (Problem.EXHAUSTED,)


def test_draft_can_be_widened_by_the_citizen() -> None:
    draft = draft_grant(request(), now=NOW, not_after=T0 + timedelta(days=30), max_uses=None)
    signed = draft.sign(SECRET, created_at=NOW)
    assert signed.max_uses is None
    later = request(
        created_at=T0 + timedelta(days=10), expires_at=T0 + timedelta(days=10, minutes=5)
    )
    assert evaluate(later, [signed], T0 + timedelta(days=10, minutes=1)).allowed


def test_draft_starts_no_later_than_the_request_when_the_wallet_clock_is_behind() -> None:
    draft = draft_grant(request(), now=T0 - timedelta(seconds=30))
    assert draft.not_before == T0 - timedelta(seconds=30)


def test_draft_truncates_the_clock_to_seconds() -> None:
    draft = draft_grant(request(), now=T0 - timedelta(seconds=30, microseconds=400))
    assert draft.not_before == T0 - timedelta(seconds=31)


def test_no_draft_for_an_expired_request() -> None:
    with pytest.raises(RequestExpired):
        draft_grant(request(), now=T0 + timedelta(minutes=5))


def test_draft_window_must_reach_into_the_future() -> None:
    with pytest.raises(ValueError, match="future"):
        draft_grant(request(), now=NOW, not_after=NOW)


def test_draft_max_uses_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        draft_grant(request(), now=NOW, max_uses=0)

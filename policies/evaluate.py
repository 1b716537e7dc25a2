"""Deciding a presentation request against the holder's consent grants.

`evaluate` allows a request only when one grant (an `access.record` names exactly one)

1. is for the request's verifier (and, when given, under the expected pseudonym),
2. is for the request's schema and the request's purpose (DPV terms match exactly),
3. is live: `not_before <= now < not_after`,
4. is not revoked and, if it has `max_uses`, has been used fewer times,
5. covers every requested attribute (by naming it) and every requested predicate (by
   naming its attribute, or by granted predicates that together imply it,
   `policies.predicates.covered_by`; a granted predicate never covers the value itself;
   an `expiry >=` bound checks validity, shares nothing and needs no grant),

and the request has not expired. Otherwise the `Decision` says what stands in the way,
judged on the grant that comes closest, and lists what every grant lacks. It is a pure
function: revocations and use counts come from the ledger through the caller, time is an
argument, signatures are the caller's to have checked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from enum import StrEnum

from attestations.consent import Rng
from policies.document import Model
from policies.entries import ConsentGrant
from policies.errors import RequestExpired
from policies.predicates import Predicate, covered_by, predicate_key, shared
from policies.purposes import Purpose
from policies.request import PresentationRequest
from policies.signing import sign_consent_grant
from policies.times import utc_seconds

__all__ = [
    "Decision",
    "GrantDraft",
    "GrantFinding",
    "Problem",
    "draft_grant",
    "evaluate",
    "uncovered",
]


class Problem(StrEnum):
    """One reason a request is refused."""

    REQUEST_EXPIRED = "request_expired"
    NO_GRANT = "no_grant"
    WRONG_SCHEMA = "wrong_schema"
    WRONG_PURPOSE = "wrong_purpose"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    EXHAUSTED = "exhausted"
    NOT_COVERED = "not_covered"


_STRUCTURAL = frozenset({Problem.WRONG_SCHEMA, Problem.WRONG_PURPOSE})


class GrantFinding(Model):
    """How one grant of the request's verifier measures up against the request."""

    grant: str
    problems: tuple[Problem, ...]
    missing_attributes: tuple[str, ...]
    missing_predicates: tuple[Predicate, ...]


class Decision(Model):
    """The answer to a request: `allowed` with the `grant` that allows it, or the
    `problems` and missing items of the closest grant (all grants are in `findings`)."""

    allowed: bool
    grant: str | None
    problems: tuple[Problem, ...]
    missing_attributes: tuple[str, ...]
    missing_predicates: tuple[Predicate, ...]
    findings: tuple[GrantFinding, ...]

    def explain(self) -> str:
        """One line for people: `allowed by grant …` or `refused: …`."""
        if self.allowed:
            return f"allowed by grant {self.grant}"
        parts = [problem.value.replace("_", " ") for problem in self.problems]
        if self.missing_attributes:
            parts.append("missing attributes: " + ", ".join(self.missing_attributes))
        if self.missing_predicates:
            described = (predicate.describe() for predicate in self.missing_predicates)
            parts.append("missing predicates: " + ", ".join(described))
        return "refused: " + "; ".join(parts)


def uncovered(
    grant: ConsentGrant, attributes: Iterable[str], predicates: Iterable[Predicate]
) -> tuple[tuple[str, ...], tuple[Predicate, ...]]:
    """The requested attributes and predicates that `grant` does not cover."""
    granted = set(grant.attributes)
    missing_attributes = tuple(sorted(a for a in set(attributes) if a not in granted))
    missing_predicates = tuple(
        sorted(
            (
                wanted
                for wanted in set(shared(predicates))
                if wanted.attribute not in granted and not covered_by(grant.predicates, wanted)
            ),
            key=predicate_key,
        )
    )
    return missing_attributes, missing_predicates


def evaluate(
    request: PresentationRequest,
    grants: Iterable[ConsentGrant],
    now: datetime,
    *,
    revoked: Collection[str] = frozenset(),
    uses: Mapping[str, int] | None = None,
    pseudonym: bytes | None = None,
) -> Decision:
    """Decide `request` at `now` against `grants` (see the module docstring). `revoked` holds
    the ids of revoked grants, `uses` counts each grant's recorded accesses, and `pseudonym`
    (for a verifier checking a presentation) restricts the grants to that `P_v`."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware one (e.g. datetime.now(UTC))")
    counts = uses or {}
    request_problems = (Problem.REQUEST_EXPIRED,) if now >= request.expires_at else ()
    mine = {
        grant.id: grant
        for grant in grants
        if grant.verifier == request.verifier
        and (pseudonym is None or grant.pseudonym == pseudonym)
    }
    ranked = sorted(
        (
            _judge(grant_id, grant, request, now, revoked, counts)
            for grant_id, grant in mine.items()
        ),
        key=lambda pair: pair[0],
    )
    findings = tuple(finding for _, finding in ranked)
    if not findings:
        return Decision(
            allowed=False,
            grant=None,
            problems=(*request_problems, Problem.NO_GRANT),
            missing_attributes=request.attributes,
            missing_predicates=shared(request.predicates),
            findings=(),
        )
    closest = findings[0]
    allowed = not request_problems and not closest.problems
    return Decision(
        allowed=allowed,
        grant=closest.grant if allowed else None,
        problems=(*request_problems, *closest.problems),
        missing_attributes=closest.missing_attributes,
        missing_predicates=closest.missing_predicates,
        findings=findings,
    )


def _judge(
    grant_id: str,
    grant: ConsentGrant,
    request: PresentationRequest,
    now: datetime,
    revoked: Collection[str],
    uses: Mapping[str, int],
) -> tuple[tuple[int, int, int, datetime, str], GrantFinding]:
    """A grant's finding, with its rank: fewest structural problems, then fewest missing
    items, then fewest state problems; among usable grants, the one that lapses first."""
    problems: list[Problem] = []
    if grant.schema_id != request.schema_id:
        problems.append(Problem.WRONG_SCHEMA)
    if grant.purpose != request.purpose:
        problems.append(Problem.WRONG_PURPOSE)
    if now < grant.not_before:
        problems.append(Problem.NOT_YET_VALID)
    if now >= grant.not_after:
        problems.append(Problem.EXPIRED)
    if grant_id in revoked:
        problems.append(Problem.REVOKED)
    if grant.max_uses is not None and uses.get(grant_id, 0) >= grant.max_uses:
        problems.append(Problem.EXHAUSTED)
    attributes, predicates = uncovered(grant, request.attributes, request.predicates)
    if attributes or predicates:
        problems.append(Problem.NOT_COVERED)
    structural = sum(problem in _STRUCTURAL for problem in problems)
    rank = (structural, len(attributes) + len(predicates), len(problems), grant.not_after, grant_id)
    finding = GrantFinding(
        grant=grant_id,
        problems=tuple(problems),
        missing_attributes=attributes,
        missing_predicates=predicates,
    )
    return rank, finding


class GrantDraft(Model):
    """The terms of a grant the wallet proposes to the citizen; `sign` makes it a grant."""

    verifier: str
    schema_id: str
    attributes: tuple[str, ...]
    predicates: tuple[Predicate, ...]
    purpose: Purpose
    not_before: datetime
    not_after: datetime
    max_uses: int | None

    def sign(self, secret: int, *, created_at: datetime, rng: Rng | None = None) -> ConsentGrant:
        """The signed `consent.grant` of these terms, by holder secret `secret`."""
        return sign_consent_grant(
            secret,
            verifier=self.verifier,
            schema=self.schema_id,
            attributes=self.attributes,
            predicates=self.predicates,
            purpose=self.purpose,
            not_before=self.not_before,
            not_after=self.not_after,
            max_uses=self.max_uses,
            created_at=created_at,
            rng=rng,
        )


def draft_grant(
    request: PresentationRequest,
    *,
    now: datetime,
    not_after: datetime | None = None,
    max_uses: int | None = 1,
) -> GrantDraft:
    """The least grant that covers `request`: exactly its attributes, predicates, schema
    and purpose, once, over the request's own window (from the earlier of its creation and
    `now`, so that a verifier whose clock lags the wallet's still finds it live, until its
    expiry). The citizen may widen the window (`not_after`) or lift the limit
    (`max_uses=None`)."""
    now = utc_seconds(now)
    if now >= request.expires_at:
        raise RequestExpired("the request has expired")
    not_before = min(request.created_at, now)
    end = utc_seconds(not_after) if not_after is not None else request.expires_at
    if end <= now:
        raise ValueError("not_after must lie in the future")
    if max_uses is not None and max_uses < 1:
        raise ValueError("max_uses must be at least 1")
    return GrantDraft(
        verifier=request.verifier,
        schema_id=request.schema_id,
        attributes=request.attributes,
        predicates=shared(request.predicates),
        purpose=request.purpose,
        not_before=not_before,
        not_after=end,
        max_uses=max_uses,
    )

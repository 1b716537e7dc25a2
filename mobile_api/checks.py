"""The verifier's checks of an answer to its request (docs/sessions-api.md, "Verification").

`check_answer` runs them in the contract's order and stops at the first failure, raising
`Refused` with the failed `check` and a stable `reason`:

1. `request`: exists, is live, has no answer yet; the answer is claimed atomically (one
   answer per request, whatever its outcome). Done by the caller, `mobile_api.verifier`.
2. `issuer`: the request trusts the answer's issuer; the ledger holds the issuer's
   registration of the presentation's BBS key, for the request's schema, live now and
   not revoked. One proven read (docs/ledger-api.md): it moves the trusted checkpoint
   forward over a consistency proof, so a forked ledger is caught here, and carries the
   key's revocation as of that checkpoint, so a revocation is refused at once. The
   registration itself, immutable, is parsed and proven once per process (the client's
   memo of proven entries).
3. `presentation`: the BBS proof verifies for this verifier's did and the request's
   nonce, discloses every requested attribute, and the credential has not expired.
4. `consent`: the ledger holds the grant, proven included (one proven read), under the
   presentation's pseudonym and this verifier, and `policies.evaluate` allows the
   request under it now.
5. `ledger`: the `access.record` is appended (and its receipt verified: its checkpoint
   proven consistent with the trusted one by the proof the append's answer carries).

Failures of the ledger itself during 2 and 4 are reported as check 5's (`ledger`). Every
step is blocking (HTTP to the ledger, pairings): callers run this off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from time import perf_counter

from attestations.credentials import IssuerPublicKey, Presentation, verify_presentation
from attestations.errors import AttestationError
from attestations.predicates.statements import predicate_key
from attestations.schemas import EXPIRY, Schema, Value
from ledger.client import GrantView, LedgerClient
from ledger.errors import LedgerError, NotFound
from ledger.rules import Reason, Rejected
from mobile_api.home import VerifierIdentity
from mobile_api.problems import Refused, ledger_refusal
from policies import (
    PresentationRequest,
    PresentationResponse,
    Problem,
    evaluate,
    sign_access_record,
)
from policies.predicates import proof_statements, validity_bound

__all__ = ["Verified", "check_answer"]


# Decision problems, most telling first, and the reason each is reported as.
_CONSENT_REASONS = (
    (Problem.REVOKED, "grant-revoked"),
    (Problem.EXPIRED, "grant-expired"),
    (Problem.NOT_YET_VALID, "grant-not-yet-valid"),
    (Problem.EXHAUSTED, "grant-exhausted"),
)
# The ledger refusing the access record for a reason of consent (a race with a revocation
# or another use) is a consent refusal, not a ledger failure.
_LEDGER_CONSENT = {
    Reason.GRANT_REVOKED: "grant-revoked",
    Reason.GRANT_EXPIRED: "grant-expired",
    Reason.GRANT_NOT_YET_VALID: "grant-not-yet-valid",
    Reason.MAX_USES_REACHED: "grant-exhausted",
}


@dataclass(frozen=True)
class Verified:
    """An accepted answer: what was disclosed, under which grant, and where its access
    record sits on the ledger."""

    disclosed: dict[str, Value]
    schema: Schema
    grant: str
    access_index: int
    tree_size: int
    #: Milliseconds spent in checks 2, 3, 4 and 5 (`issuer`, `presentation`, `consent`,
    #: `access`): what the answer's `Server-Timing` header reports.
    timings: dict[str, float]


class _Phases:
    """A stopwatch of named consecutive phases."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._start = perf_counter()

    def lap(self, name: str) -> None:
        now = perf_counter()
        self.laps[name] = (now - self._start) * 1000
        self._start = now


def check_answer(
    *,
    identity: VerifierIdentity,
    ledger: LedgerClient,
    request: PresentationRequest,
    answer: PresentationResponse,
    now: datetime,
) -> Verified:
    """Checks 2-5 of the module docstring, for an answer whose request was claimed."""
    shown = answer.presentation
    clock = _Phases()
    key, schema = _issuer(ledger, request, answer.issuer, shown, now)
    clock.lap("issuer")
    disclosed = _presentation(identity, request, shown, key, schema, now)
    clock.lap("presentation")
    grant = _consent(identity, ledger, request, answer.grant, shown, now)
    clock.lap("consent")
    record = sign_access_record(identity.key, grant=grant.id, presentation=shown.to_json(),
                                created_at=now)  # fmt: skip
    try:
        receipt = ledger.append(record.to_json())
        clock.lap("access")
    except Rejected as refused:
        if refused.reason in _LEDGER_CONSENT:
            reason = _LEDGER_CONSENT[refused.reason]
            raise Refused(403, reason, refused.detail, check="consent") from None
        raise ledger_refusal(refused, check="ledger") from None
    except LedgerError as exc:
        raise ledger_refusal(exc, check="ledger") from None
    return Verified(disclosed, schema, grant.id, receipt.index, receipt.checkpoint.size, clock.laps)


def _issuer(
    ledger: LedgerClient,
    request: PresentationRequest,
    issuer: str,
    shown: Presentation,
    now: datetime,
) -> tuple[IssuerPublicKey, Schema]:
    """Check 2: the registration of the presentation's key, and the schema it defines."""

    def refuse(reason: str, detail: str) -> Refused:
        return Refused(403, reason, detail, check="issuer")

    if issuer not in request.trusted_issuers:
        raise refuse("untrusted-issuer", f"the request does not trust issuer {issuer}")
    try:
        keys = ledger.issuer(issuer)  # moves trust forward over a consistency proof
    except NotFound:
        keys = []
    except LedgerError as exc:
        raise ledger_refusal(exc, check="ledger") from None
    found = next((k for k in keys if k.public_key == shown.issuer.to_bytes()), None)
    if found is None:
        raise refuse("unknown-issuer-key", f"the ledger holds no key of {issuer} like this one")
    registration = found.registration.document
    ref = next((s for s in registration.schemas if s.id == request.schema_id), None)
    if ref is None or ref.definition is None:
        detail = f"the key of {issuer} is not registered (with its definition) for the schema"
        raise refuse("unknown-issuer-key", detail)
    revoked = found.revocation
    if revoked is not None and revoked.document.effective_at <= now:
        detail = f"the key was revoked from {revoked.document.effective_at} (entry {revoked.index})"
        raise refuse("issuer-key-revoked", detail)
    if not registration.valid_from <= now < registration.valid_until:
        window = f"{registration.valid_from} to {registration.valid_until}"
        detail = f"the key's registration is valid from {window}"
        raise refuse("issuer-key-expired", detail)
    return shown.issuer, ref.definition


def _presentation(
    identity: VerifierIdentity,
    request: PresentationRequest,
    shown: Presentation,
    key: IssuerPublicKey,
    schema: Schema,
    now: datetime,
) -> dict[str, Value]:
    """Check 3: the proof, the requested attributes, the credential's expiry."""

    def refuse(reason: str, detail: str) -> Refused:
        return Refused(403, reason, detail, check="presentation")

    invalid = refuse("invalid-presentation", "the presentation does not verify")
    asked = proof_statements(request.predicates, schema)
    proven = {predicate_key(p.predicate) for p in shown.predicates}
    missing_proofs = [p for p in asked if predicate_key(p) not in proven]
    if missing_proofs:
        named = ", ".join(f"{p.attribute} {p.op}" for p in missing_proofs)
        raise refuse("missing-attributes", f"not proven: {named}")
    if len(proven) != len(asked):
        raise invalid  # proofs of predicates nobody asked for
    # The expiry date as shown; or, when the request asks for `expiry >=` a day instead,
    # that day (the proof of it is verified below).
    expiry: Value | None = validity_bound(request.predicates)
    if expiry is None:
        try:
            expiry = schema.value_from_json(EXPIRY, shown.disclosed.get(EXPIRY))
        except AttestationError:
            raise invalid from None
    if not isinstance(expiry, date):
        raise invalid
    # An expired credential's proof is checked at a moment it was valid, so that the
    # reason said is the true one: an invalid proof stays `invalid-presentation`.
    expired = expiry < now.date()
    at = datetime.combine(expiry, time(12), tzinfo=UTC) if expired else now
    try:
        values = verify_presentation(
            shown,
            key,
            schema,
            verifier_id=identity.key.did,
            nonce=request.nonce,
            now=at,
            predicates=asked,
        )
    except AttestationError:
        raise invalid from None
    if expired:
        raise refuse("credential-expired", f"the credential expired on {expiry}")
    missing = [name for name in request.attributes if name not in values]
    if missing:
        raise refuse("missing-attributes", f"not disclosed: {', '.join(missing)}")
    return values


def _consent(
    identity: VerifierIdentity,
    ledger: LedgerClient,
    request: PresentationRequest,
    grant_id: str,
    shown: Presentation,
    now: datetime,
) -> GrantView:
    """Check 4: the grant on the ledger, and the decision of `policies.evaluate` under it."""

    def refuse(reason: str, detail: str) -> Refused:
        return Refused(403, reason, detail, check="consent")

    try:
        view = ledger.grant(grant_id, now)
    except NotFound:
        raise refuse("no-grant", f"the ledger holds no grant {grant_id}") from None
    except LedgerError as exc:
        raise ledger_refusal(exc, check="ledger") from None
    grant = view.logged.document
    if grant.verifier != identity.key.did or grant.pseudonym != shown.pseudonym:
        raise refuse("no-grant", f"grant {grant_id} is not this pseudonym's grant to this verifier")
    revoked = {view.id} if view.revoked_at is not None and view.revoked_at <= now else set()
    decision = evaluate(request, [grant], now, revoked=revoked, uses={view.id: view.uses},
                        pseudonym=shown.pseudonym)  # fmt: skip
    if decision.allowed:
        return view
    for problem, reason in _CONSENT_REASONS:
        if problem in decision.problems:
            raise refuse(reason, decision.explain())
    raise refuse("not-covered", decision.explain())

"""The wallet's side of issuance and verification sessions (docs/sessions-api.md): every
check is made before the wallet acts on what a service says.

    with WalletLedger(wallet, ledger_url) as ledger, SessionHttp() as http:
        offer = fetch_offer(http, offer_url)                  # signed, not expired
        stored = receive_offer(wallet, ledger, http, offer)   # issuer registered, signature ours

        request = fetch_request(http, request_url)            # signed, not expired
        prepared = prepare(wallet, ledger, request)           # verifier, credential, decision
        accepted = answer(wallet, ledger, http, prepared, approve=ask_the_citizen)

Issuance: 1. the offer carries its issuer's signature and is live; 2. the ledger holds a
live `issuer.register` by that issuer of the offer's BBS key listing the schema; 3. the
commitment goes to the signed `response_uri`; 4. the blind signature verifies over our
holder secret and signs exactly the offered values, and only then is it kept.

Verification: 1. the request carries its verifier's signature, is live and names where
the answer goes; 2. the verifier is registered on the ledger for that purpose; 3. a live
credential of the schema, from an issuer the request trusts and the ledger shows
registered, whose values satisfy every predicate of the request, is chosen (a credential
that would answer but fails a predicate is `PredicateNotSatisfied`, and nothing is sent);
4. the ledger's grants are evaluated (`WalletLedger.decide`); when none covers the request,
the least grant (its attributes and predicates) is drafted and the citizen asked
(`approve`), then it is published; 5. the presentation, which discloses the requested
attributes and proves the predicates without their values, goes to the signed
`response_uri`, and nowhere else; 6. the access record the verifier reports is read back
from the ledger.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from attestations.credentials import IssuanceResponse
from attestations.errors import AttestationError
from attestations.schemas import EXPIRY
from ledger.errors import InvalidProof, NotFound
from policies import (
    AccessRecord,
    Decision,
    DocumentError,
    GrantDraft,
    IssuanceOffer,
    PresentationRequest,
    PresentationResponse,
    SignatureError,
    VerifierRegister,
    build_response,
    draft_grant,
    format_time,
    parse_entry,
    sha256_id,
    verify_offer,
    verify_request,
)
from policies.predicates import validity_bound
from wallet.contents import now_seconds
from wallet.errors import (
    DeclinedByCitizen,
    IssuanceRejected,
    IssuerNotRegistered,
    IssuerRefused,
    NoSuitableCredential,
    OfferExpired,
    PredicateNotSatisfied,
    RequestExpired,
    SessionError,
    SignatureInvalid,
    UnsupportedRequest,
    VerifierNotRegistered,
    VerifierRefused,
)
from wallet.ledger import WalletLedger
from wallet.predicates import holds, statements
from wallet.records import StoredConsent, StoredCredential
from wallet.session_http import Problem, SessionHttp
from wallet.wallet import Wallet

__all__ = [
    "Accepted",
    "Approve",
    "Prepared",
    "answer",
    "deliver",
    "fetch_offer",
    "fetch_request",
    "load_request",
    "prepare",
    "receive_offer",
]

Approve = Callable[[GrantDraft], bool]
"""Asked when no grant covers a request: True to sign and publish the draft."""


# -- issuance -------------------------------------------------------------------------------


def _issuer_refusal(message: str, problem: Problem) -> IssuerRefused:
    kind = _OfferGone if problem.reason == "offer-expired" else IssuerRefused
    return kind(message, status=problem.status, reason=problem.reason, detail=problem.detail)


class _OfferGone(OfferExpired, IssuerRefused):
    """The issuer itself says the offer expired."""


def fetch_offer(
    http: SessionHttp, url: str, *, now: datetime.datetime | None = None
) -> IssuanceOffer:
    """The offer at `url`, its signature checked and still live."""
    data = http.get(url, _issuer_refusal)
    offer = IssuanceOffer.from_json(data, canonical=False)
    try:
        verify_offer(offer)
    except SignatureError:
        raise SignatureInvalid(f"the offer at {url} is not signed by {offer.issuer}") from None
    if now_seconds(now) >= offer.expires_at:
        raise OfferExpired(f"the offer at {url} expired at {format_time(offer.expires_at)}")
    return offer


def receive_offer(
    wallet: Wallet,
    ledger: WalletLedger,
    http: SessionHttp,
    offer: IssuanceOffer,
    *,
    label: str | None = None,
    now: datetime.datetime | None = None,
) -> StoredCredential:
    """Answer `offer` with our commitment and keep the credential (steps 2-4 above)."""
    at = now_seconds(now)
    schema = offer.credential_schema
    # 2. A live registration of this key for this schema, by the issuer that signed.
    ledger.issuer_key(offer.issuer, offer.public_key, schema.schema_id, now=at)
    # 3. The commitment to s, to where the signed offer says.
    request, state = wallet.credentials.begin(offer.issuer_public_key(), schema)
    body = http.post(offer.response_uri, request.to_json(), _issuer_refusal)
    try:
        response = IssuanceResponse.from_json(body)
    except AttestationError as exc:
        raise IssuanceRejected(f"issuance answer refused: {exc}") from None
    # 4. Exactly the offered values (the signature is checked by `receive`, before keeping).
    if dict(response.attributes) != offer.attributes:
        raise IssuanceRejected("issuance answer refused: the values differ from the offer's")
    return wallet.credentials.receive(state, response, label=label, now=at)


# -- verification: the request ------------------------------------------------------------


def load_request(data: bytes, *, now: datetime.datetime | None = None) -> PresentationRequest:
    """A request from its JSON, its signature checked, live, with a `response_uri`."""
    request = PresentationRequest.from_json(data, canonical=False)
    try:
        verify_request(request)
    except SignatureError:
        raise SignatureInvalid(f"the request is not signed by {request.verifier}") from None
    if now_seconds(now) >= request.expires_at:
        raise RequestExpired(f"the request expired at {format_time(request.expires_at)}")
    if request.response_uri is None:
        raise UnsupportedRequest("the request names no response_uri to answer to")
    return request


def _verifier_refusal(message: str, problem: Problem) -> VerifierRefused:
    kind = _RequestGone if problem.reason == "request-expired" else VerifierRefused
    return kind(
        message,
        status=problem.status,
        check=problem.check or "request",
        reason=problem.reason,
        detail=problem.detail,
    )


class _RequestGone(RequestExpired, VerifierRefused):
    """The verifier itself says the request expired."""


def fetch_request(
    http: SessionHttp, url: str, *, now: datetime.datetime | None = None
) -> PresentationRequest:
    """The request at `url` (see `load_request`)."""
    return load_request(http.get(url, _verifier_refusal), now=now)


@dataclass(frozen=True)
class Prepared:
    """What the wallet will do with a request, before the citizen is asked anything: who
    asks (their registration), which credential answers and under whose issuer did,
    the ledger's decision and, if no grant covers the request, the least grant to ask for."""

    request: PresentationRequest
    verifier: VerifierRegister
    credential: StoredCredential
    issuer: str
    decision: Decision
    draft: GrantDraft | None


def prepare(
    wallet: Wallet,
    ledger: WalletLedger,
    request: PresentationRequest,
    *,
    credential: str | None = None,
    now: datetime.datetime | None = None,
) -> Prepared:
    """Steps 2-4 of the module docstring, short of asking and signing."""
    at = now_seconds(now)
    if at >= request.expires_at:
        raise RequestExpired(f"the request expired at {format_time(request.expires_at)}")
    shown = {*request.attributes, *([] if validity_bound(request.predicates) else [EXPIRY])}
    shown_and_proven = sorted({p.attribute for p in request.predicates} & shown)
    if shown_and_proven:
        raise UnsupportedRequest(
            f"the request asks to see {', '.join(shown_and_proven)} and to prove a predicate "
            "on it: one or the other"
        )
    # 2. Registered, for this purpose.
    verifier = ledger.verifier(request.verifier)
    if request.purpose not in verifier.purposes:
        raise VerifierNotRegistered(
            f"verifier {verifier.name} ({request.verifier}) is not registered for "
            f"{request.purpose.value}"
        )
    # 3. A credential that will verify for this request.
    chosen, issuer = _choose(wallet, ledger, request, credential, at)
    # 4. The ledger's word on our grants.
    decision = ledger.decide(request, now=at)
    draft = None if decision.allowed else draft_grant(request, now=at)
    return Prepared(request, verifier, chosen, issuer, decision, draft)


def _choose(
    wallet: Wallet,
    ledger: WalletLedger,
    request: PresentationRequest,
    ref: str | None,
    at: datetime.datetime,
) -> tuple[StoredCredential, str]:
    """The newest live credential of the request's schema whose BBS key a trusted issuer
    registered and whose values satisfy the request's predicates (or `ref`, if it is one),
    with that issuer's did. When the only credentials that would answer fail a predicate,
    `PredicateNotSatisfied` names the predicates the newest of them fails."""
    candidates = [wallet.credentials.get(ref)] if ref else wallet.credentials.all()[::-1]
    why = f"no credential of schema {request.schema_id} in this wallet"
    unmet: PredicateNotSatisfied | None = None
    for stored in candidates:
        if stored.schema.schema_id != request.schema_id:
            why = f"credential {stored.id} is of another schema"
            continue
        if stored.is_expired(at.date()):
            why = f"credential {stored.id} expired on {stored.expiry}"
            continue
        _check_fit(request, stored)
        issuer = _trusted_issuer(ledger, request, stored, at)
        if issuer is None:
            why = f"credential {stored.id} is not from an issuer the request trusts, as registered"
            continue
        failed = tuple(p for p in request.predicates if not holds(p, stored))
        if not failed:
            return stored, issuer
        if unmet is None:  # the newest credential that would answer is the one to name
            unmet = PredicateNotSatisfied(
                f"your {stored.schema.name} credential {stored.id} does not satisfy "
                f"{', '.join(p.describe() for p in failed)}: nothing was sent to the verifier",
                credential=stored.id,
                predicates=failed,
            )
    raise unmet or NoSuitableCredential(why)


def _check_fit(request: PresentationRequest, stored: StoredCredential) -> None:
    """`UnsupportedRequest` unless the credential's schema has every requested attribute
    and every predicate fits its attribute's type."""
    missing = sorted(set(request.attributes) - set(stored.schema.names))
    if missing:
        raise UnsupportedRequest(f"schema {stored.schema.name!r} has no {', '.join(missing)}")
    try:
        statements(request.predicates, stored.schema)
    except ValueError as exc:
        raise UnsupportedRequest(f"a predicate this wallet cannot prove: {exc}") from None


def _trusted_issuer(
    ledger: WalletLedger,
    request: PresentationRequest,
    stored: StoredCredential,
    at: datetime.datetime,
) -> str | None:
    """The did of an issuer the request trusts that registered the credential's BBS key
    for the schema, live at `at`, on the ledger; None if there is none."""
    key = stored.credential.issuer.to_bytes()
    for did in request.trusted_issuers:
        try:
            ledger.issuer_key(did, key, request.schema_id, now=at)
        except IssuerNotRegistered:
            continue
        return did
    return None


# -- verification: the answer -------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """The verifier's acceptance: what it learned, under which grant (and the grant this
    answer signed, if any), and its access record, read back from the ledger."""

    request_id: str
    disclosed: dict[str, Any]
    grant: str
    granted: StoredConsent | None
    access: AccessRecord
    access_index: int
    tree_size: int


def answer(
    wallet: Wallet,
    ledger: WalletLedger,
    http: SessionHttp,
    prepared: Prepared,
    *,
    approve: Approve,
    now: datetime.datetime | None = None,
) -> Accepted:
    """Steps 4-6: ask for and publish the grant if one is needed, present (disclosing the
    requested attributes, proving the predicates), post to the signed `response_uri`;
    `VerifierRefused` (its `check`, `reason`, `detail`) on refusal."""
    request = prepared.request
    at = now_seconds(now)
    if at >= request.expires_at:
        raise RequestExpired(f"the request expired at {format_time(request.expires_at)}")
    granted = None
    if prepared.draft is not None:
        if not approve(prepared.draft):
            raise DeclinedByCitizen("declined: no grant signed, nothing shown")
        granted = ledger.grant(prepared.draft, now=at)
    grant = granted.id if granted is not None else prepared.decision.grant
    assert grant is not None
    shown = wallet.present(
        prepared.credential.id,
        disclose=request.attributes,
        verifier_id=request.verifier,
        nonce=request.nonce,
        predicates=request.predicates,
        purpose=request.purpose.value,
        grant_id=grant,
        now=at,
    )
    response = build_response(issuer=prepared.issuer, grant=grant, presentation=shown)
    body = deliver(http, request, response)
    return _accepted(ledger, body, grant, granted, sha256_id(shown.to_json()))


def deliver(
    http: SessionHttp, request: PresentationRequest, response: PresentationResponse
) -> dict[str, Any]:
    """Post `response` to the request's signed `response_uri` (and nowhere else); the
    verifier's answer, or `VerifierRefused`. `answer` is the way to build a response that
    the wallet's policies allow; this is its last step."""
    if request.response_uri is None:
        raise UnsupportedRequest("the request names no response_uri to answer to")
    return _object(http.post(request.response_uri, response.to_json(), _verifier_refusal))


def _accepted(
    ledger: WalletLedger,
    body: dict[str, Any],
    grant: str,
    granted: StoredConsent | None,
    presentation: str,
) -> Accepted:
    """The acceptance in `body`, once the ledger shows the access record it names."""
    access, disclosed, request_id = body.get("access"), body.get("disclosed"), body.get("request")
    if body.get("status") != "accepted" or not isinstance(access, dict):
        raise SessionError(f"the verifier's answer is not an acceptance: {body!r:.200}")
    index, size = access.get("index"), access.get("tree_size")
    if not (
        isinstance(index, int)
        and isinstance(size, int)
        and isinstance(disclosed, dict)
        and isinstance(request_id, str)
    ):
        raise SessionError("the acceptance lacks its request, access or disclosed values")
    try:
        record = parse_entry(ledger.client.entry(index).data)
    except (NotFound, InvalidProof, DocumentError) as exc:  # an unreachable ledger stays that
        raise SessionError(f"the access record the verifier names (entry {index}): {exc}") from None
    if not (
        isinstance(record, AccessRecord)
        and record.grant == grant
        and record.presentation == presentation
    ):
        raise SessionError(f"ledger entry {index} is not the access record of this presentation")
    return Accepted(
        request_id=request_id,
        disclosed=disclosed,
        grant=grant,
        granted=granted,
        access=record,
        access_index=index,
        tree_size=size,
    )


def _object(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SessionError("the verifier's answer is not a JSON object")
    return body

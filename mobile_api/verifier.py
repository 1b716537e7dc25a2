"""Verification sessions (docs/sessions-api.md, "Verification"): requests and answers.

    admin  POST /v1/verifier/requests          create_request → id, url, QR, signed request
    admin  GET  /v1/verifier/requests/{id}     request_result
    wallet GET  /v1/requests/{id}              request_document → the presentation.request
    wallet POST /v1/requests/{id}/response     answer_request → accepted, or a problem

A request is signed when created, with a fresh 32-byte nonce and its `response_uri`, and
kept as signed. Check 1 happens here: the request must exist, be live and unanswered, and
a well-formed answer claims it atomically (a malformed body is refused before, and claims
nothing). Checks 2-5 are `mobile_api.checks`; their outcome is recorded for the admin
whether the answer is accepted or refused.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from attestations.encoding import b64url_encode
from attestations.schemas import EXPIRY, Schema
from ledger.client import LedgerClient
from ledger.errors import LedgerError, NotFound
from mobile_api import models
from mobile_api.checks import check_answer
from mobile_api.home import VerifierIdentity
from mobile_api.problems import Refused, ledger_refusal
from mobile_api.qr import qr_codes
from mobile_api.settings import SessionSettings
from mobile_api.store import (
    Outcome,
    RequestRow,
    add_request,
    finish_request,
    get_request,
)
from mobile_api.store import (
    answer_request as claim_request,
)
from policies import (
    DocumentError,
    PolicyError,
    PresentationRequest,
    PresentationResponse,
    format_time,
    public_key_from_did,
    sign_request,
)
from policies.predicates import proof_statements, valid_on

__all__ = ["answer_request", "create_request", "request_document", "request_result"]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _time(epoch: int | None) -> str | None:
    return None if epoch is None else format_time(datetime.fromtimestamp(epoch, tz=UTC))


def create_request(
    engine: Engine,
    identity: VerifierIdentity,
    ledger: LedgerClient,
    settings: SessionSettings,
    body: models.RequestCreate,
    *,
    now: datetime,
) -> models.RequestCreated:
    """Sign and store a request for `body` (its schema resolved on the ledger)."""
    if body.purpose not in identity.purposes:
        listed = ", ".join(identity.purposes)
        raise Refused(400, "invalid-purpose", f"this verifier registered the purposes {listed}")
    trusted = sorted(set(body.trusted_issuers or identity.trusted_issuers))
    if not trusted:
        raise Refused(400, "invalid-request", "no trusted issuers: name some, or configure them")
    for did in trusted:
        try:
            public_key_from_did(did)
        except DocumentError as exc:
            raise Refused(400, "invalid-request", f"trusted_issuers: {exc}") from None
    schema = _resolve_schema(ledger, trusted, body.schema_ref)
    unknown = sorted(set(body.attributes) - set(schema.names))
    if unknown or not (body.attributes or body.predicates):
        detail = f"schema {schema.name!r} has {list(schema.names)}; asked for {body.attributes}"
        raise Refused(400, "invalid-attributes", detail)
    try:
        proof_statements(body.predicates, schema)
    except ValueError as exc:
        raise Refused(400, "invalid-predicates", str(exc)) from None
    named = {p.attribute for p in body.predicates}
    if EXPIRY in named:
        detail = "a predicate on expiry: ask for prove_expiry instead (the service sets the day)"
        raise Refused(400, "invalid-predicates", detail)
    if named & set(body.attributes):
        detail = "a predicate on an attribute that is disclosed (ask for one or the other)"
        raise Refused(400, "invalid-predicates", detail)
    request_id, ttl = (
        b64url_encode(os.urandom(32)),
        body.ttl_seconds or settings.request_ttl_seconds,
    )
    expires_at = now + timedelta(seconds=ttl)
    predicates = list(body.predicates)
    if body.prove_expiry:  # valid through the last day an answer can come: never a past day
        predicates.append(valid_on(expires_at))
    signed = sign_request(
        identity.key, schema=schema.schema_id, attributes=body.attributes,
        predicates=predicates,
        purpose=body.purpose, nonce=os.urandom(32), trusted_issuers=trusted, created_at=now,
        expires_at=expires_at,
        response_uri=f"{settings.base_url}/v1/requests/{request_id}/response",
    )  # fmt: skip
    add_request(engine, request=RequestRow(
        id=request_id, request=signed.to_json().decode(), nonce=b64url_encode(signed.nonce),
        created_at=_epoch(now), expires_at=_epoch(signed.expires_at), status="pending",
    ))  # fmt: skip
    url = f"{settings.base_url}/v1/requests/{request_id}"
    svg, text = qr_codes(url)
    expires = format_time(signed.expires_at)
    return models.RequestCreated(id=request_id, url=url, expires_at=expires, qr_svg=svg,
                                 qr_text=text, request=signed.to_json_dict())  # fmt: skip


def _resolve_schema(ledger: LedgerClient, trusted: list[str], ref: str) -> Schema:
    """The one schema named or identified `ref` among the trusted issuers' registrations."""
    found: dict[str, Schema] = {}
    for did in trusted:
        try:
            keys = ledger.issuer(did)
        except NotFound:
            continue
        except LedgerError as exc:
            raise ledger_refusal(exc) from None
        for key in keys:
            for schema in key.registration.document.schemas:
                if schema.definition is not None and ref in (schema.id, schema.definition.name):
                    found[schema.id] = schema.definition
    if not found:
        raise Refused(400, "unknown-schema", f"no trusted issuer registered a schema {ref!r}")
    if len(found) > 1:
        raise Refused(400, "ambiguous-schema", f"{ref!r} names several schemas: {sorted(found)}")
    return next(iter(found.values()))


def _live_request(engine: Engine, request_id: str, now: datetime) -> RequestRow:
    """Check 1 before the answer is read: the request exists, is live, is unanswered."""
    row = get_request(engine, request_id=request_id)
    if row is None:
        raise Refused(404, "unknown-request", "no such request", check="request")
    if row.answered_at is not None:
        detail = f"the request was answered at {_time(row.answered_at)}"
        raise Refused(409, "nonce-replayed", detail, check="request")
    if row.expires_at <= _epoch(now):
        detail = f"the request expired at {_time(row.expires_at)}"
        raise Refused(410, "request-expired", detail, check="request")
    return row


def request_document(engine: Engine, request_id: str, *, now: datetime) -> bytes:
    """The signed request's canonical bytes, while it can be answered."""
    return _live_request(engine, request_id, now).request.encode()


def answer_request(
    engine: Engine,
    identity: VerifierIdentity,
    ledger: LedgerClient,
    request_id: str,
    body: bytes,
    *,
    now: datetime,
) -> tuple[models.Accepted, dict[str, float]]:
    """Check an answer to request `request_id` and record the outcome (module docstring).
    Also returns the milliseconds each check took (`Verified.timings`)."""
    row = _live_request(engine, request_id, now)
    try:
        answer = PresentationResponse.from_json(body, canonical=False)
    except PolicyError as exc:
        raise Refused(400, "malformed-response", str(exc)) from None
    if not claim_request(engine, request_id=request_id, now=_epoch(now)):
        _live_request(engine, request_id, now)  # answered or expired meanwhile: says which
        raise Refused(409, "nonce-replayed", "the request was answered meanwhile", check="request")
    request = PresentationRequest.from_json(row.request.encode())
    try:
        verified = check_answer(
            identity=identity, ledger=ledger, request=request, answer=answer, now=now
        )
    except Refused as refused:
        outcome = Outcome("refused", refused.check, refused.reason, refused.detail)
        finish_request(engine, request_id=request_id, outcome=outcome)
        raise
    except Exception as exc:
        outcome = Outcome("refused", None, "internal-error", type(exc).__name__)
        finish_request(engine, request_id=request_id, outcome=outcome)
        raise
    disclosed = {n: verified.schema.value_to_json(n, v) for n, v in verified.disclosed.items()}
    finish_request(engine, request_id=request_id, outcome=Outcome(
        "accepted", disclosed=json.dumps(disclosed, ensure_ascii=False), grant=verified.grant,
        access_index=verified.access_index, access_tree_size=verified.tree_size,
    ))  # fmt: skip
    access = models.AccessRef(index=verified.access_index, tree_size=verified.tree_size)
    accepted = models.Accepted(status="accepted", request=request_id, disclosed=disclosed,
                               grant=verified.grant, access=access)  # fmt: skip
    return accepted, verified.timings


def request_result(engine: Engine, request_id: str, *, now: datetime) -> models.RequestResult:
    row = get_request(engine, request_id=request_id)
    if row is None:
        raise Refused(404, "unknown-request", "no such request")
    status = row.status
    if status == "pending" and row.expires_at <= _epoch(now):
        status = "expired"
    access = None
    if row.access_index is not None and row.access_tree_size is not None:
        access = models.AccessRef(index=row.access_index, tree_size=row.access_tree_size)
    proven = None
    if status == "accepted":
        proven = list(PresentationRequest.from_json(row.request.encode()).predicates)
    return models.RequestResult(
        id=row.id, status=status, expires_at=_time(row.expires_at) or "",
        answered_at=_time(row.answered_at), check=row.check, reason=row.reason,
        detail=row.detail, disclosed=None if row.disclosed is None else json.loads(row.disclosed),
        proven=proven, grant=row.grant, access=access,
    )  # fmt: skip

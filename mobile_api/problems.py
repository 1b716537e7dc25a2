"""Every refusal of a session service, as an RFC 9457 problem document, mapped once.

A route refuses by raising `Refused(status, reason, detail, check=...)`; FastAPI's own
errors (a body or parameter that does not validate, an unknown route, a wrong method) get
the same shape, so a wallet or admin client parses one kind of error body. `reason` is a
stable code (docs/sessions-api.md lists them), `check` names the verification step that
failed on answers to a request. The OpenAPI helpers are the ledger's (`tidy_openapi`):
problem responses are `application/problem+json` only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from ledger.client import LedgerForked, LedgerUnavailable
from ledger.errors import EntryRejected, InvalidProof, LedgerError
from ledger.service.problems import MEDIA_TYPE, allowed_methods, problem_responses, tidy_openapi

__all__ = [
    "MEDIA_TYPE",
    "Problem",
    "Refused",
    "install",
    "ledger_refusal",
    "problem",
    "responses",
    "tidy_openapi",
]

_log = logging.getLogger("mobile_api")


class Problem(BaseModel):
    """An RFC 9457 problem document; `reason` is a stable code, `check` the verification
    step that failed (answers to a presentation request only)."""

    type: str = Field(description="urn:cartera:sessions:<reason>")
    title: str
    status: int
    detail: str
    reason: str
    check: str | None = None


class Refused(Exception):
    """A refusal a route answers as a problem document."""

    def __init__(
        self,
        status: int,
        reason: str,
        detail: str,
        *,
        check: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{reason}: {detail}")
        self.status, self.reason, self.detail = status, reason, detail
        self.check, self.headers = check, headers


def problem(refused: Refused) -> JSONResponse:
    body = Problem(
        type=f"urn:cartera:sessions:{refused.reason}",
        title=HTTPStatus(refused.status).phrase,
        status=refused.status,
        detail=refused.detail,
        reason=refused.reason,
        check=refused.check,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=refused.status,
        media_type=MEDIA_TYPE,
        headers=dict(refused.headers or {}),
    )


def ledger_refusal(error: LedgerError, *, check: str | None = None) -> Refused:
    """How a failure of the ledger shows to callers (docs/sessions-api.md, check 5)."""
    if isinstance(error, LedgerUnavailable):
        return Refused(503, "ledger-unavailable", str(error), check=check)
    if isinstance(error, LedgerForked | InvalidProof):
        return Refused(502, "ledger-forked", str(error), check=check)
    if isinstance(error, EntryRejected):
        return Refused(502, "ledger-refused", str(error), check=check)
    return Refused(502, "ledger-invalid", str(error), check=check)


async def _refused(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    if exc.status >= 500:
        _log.warning("%s %s: %s", exc.status, exc.reason, exc.detail)
    return problem(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    where = " ".join(str(part) for part in first.get("loc", ()))
    return problem(Refused(400, "invalid-request", f"{where}: {first.get('msg', 'invalid')}"))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    reason = HTTPStatus(exc.status_code).name.lower().replace("_", "-")
    reason = {"request-entity-too-large": "too-large", "content-too-large": "too-large"}.get(
        reason, reason
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # RFC 9110 §15.5.6: every method the path serves
        headers["Allow"] = allowed_methods(request)
    return problem(Refused(exc.status_code, reason, str(exc.detail), headers=headers))


def install(app: FastAPI) -> None:
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem statuses a route can answer (the ledger's
    `problem_responses`, with this service's `Problem`)."""
    return problem_responses(Problem, *statuses)

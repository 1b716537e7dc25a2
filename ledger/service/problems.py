"""Every error the service answers, as an RFC 9457 problem document.

The ledger's error family is mapped here, once: a refused entry is 400 when the bytes are
not an entry at all (`not_json`, `not_canonical`, `malformed`) and 422 when a signature,
the clock or a state rule refuses it; `NotFound` is 404; a request the service cannot
answer as asked (`InvalidRequest`: out-of-range proof queries, bad parameters, an
oversized body) carries its own status; a stopped sequencer, or a worker process that
died while checking the entry, is 503 (nothing was appended: send it again); anything
else in the family means the store is broken: 500. FastAPI's own errors (parameter
validation, unknown routes) get the same shape, so clients parse one kind of error body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ledger.errors import EntryRejected, LedgerError, NotFound, SequencerClosed, WorkerFailed
from ledger.rules import MALFORMED_REASONS, Rejected
from ledger.service.models import Problem

MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger("ledger.service")


class InvalidRequest(LedgerError):
    """The request cannot be answered as asked; nothing was read or changed."""

    def __init__(self, detail: str, *, status: int = 400, reason: str = "invalid_request"):
        super().__init__(detail)
        self.status, self.reason = status, reason


def problem(
    status: int, reason: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = Problem(
        type=f"urn:cartera:ledger:{reason}",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        reason=reason,
    )
    return JSONResponse(
        body.model_dump(), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


def classify(error: LedgerError) -> tuple[int, str, str]:
    """(status, reason, detail) of a ledger error."""
    if isinstance(error, Rejected):
        status = 400 if error.reason in MALFORMED_REASONS else 422
        return status, error.reason, error.detail
    if isinstance(error, InvalidRequest):
        return error.status, error.reason, str(error)
    if isinstance(error, EntryRejected):
        return 422, "rejected", str(error)
    if isinstance(error, NotFound):
        return 404, "not_found", str(error)
    if isinstance(error, SequencerClosed | WorkerFailed):
        return 503, "unavailable", str(error)
    return 500, "internal", f"{type(error).__name__}: {error}"


async def _ledger_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LedgerError)
    status, reason, detail = classify(exc)
    if status >= 500:
        _log.error("ledger error: %s", detail)
    return problem(status, reason, detail)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    where = " ".join(str(part) for part in first.get("loc", ()))
    return problem(400, "invalid_request", f"{where}: {first.get('msg', 'invalid')}")


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette's 405 names the first route
    that matched only; the routes are asked through their public `matches`, so routers
    included with a prefix (which FastAPI wraps) are asked too."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    reason = "not_found" if exc.status_code == 404 else HTTPStatus(exc.status_code).name.lower()
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # RFC 9110 §15.5.6: say which methods are allowed
        headers["Allow"] = allowed_methods(request)
    return problem(exc.status_code, reason, str(exc.detail), headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)


def problem_responses(model: type[BaseModel], *statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem statuses a route can answer, each a `model`
    problem document (both services' routes use this, each with its `Problem`)."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        status: {"description": HTTPStatus(status).phrase, "model": model,
                 "content": {MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }  # fmt: skip


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`problem_responses` of the ledger's `Problem`."""
    return problem_responses(Problem, *statuses)


def tidy_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Problem responses are `application/problem+json` only, and FastAPI's generic 422
    validation response is gone (parameter errors are 400 problems here)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            found = operation.get("responses", {})
            generic = found.get("422", {}).get("content", {}).get("application/json", {})
            if generic.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                del found["422"]
            for answer in found.values():
                if MEDIA_TYPE in answer.get("content", {}):
                    answer["content"].pop("application/json", None)
    for name in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(name, None)
    return schema

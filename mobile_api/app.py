"""`create_app(settings)`: a session service, issuer or verifier (docs/sessions-api.md).

The app is built by this factory, never at import time, so tests run it in-process and
`cartera issuer serve` / `cartera verifier serve` run it under uvicorn. Its lifespan runs
`start` off the event loop:

1. the identity, from the role's home (`mobile_api.home`; key files checked);
2. the store (tables created);
3. the ledger: a verifying client whose trust is kept in the home, and the service's
   registration there (`mobile_api.ledger_link`); a ledger that cannot be reached or does
   not check out stops the start with an error naming it.

They live on `app.state` (`identity`, `engine`, `ledger`) beside `settings`, `clock` and
`limiter`, for the dependencies of `mobile_api.deps`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from sqlalchemy.engine import Engine

from ledger.client import LedgerClient
from mobile_api import problems
from mobile_api.home import IssuerIdentity, VerifierIdentity, read_identity
from mobile_api.ledger_link import connect, register
from mobile_api.limits import BodyLimit, RateLimiter
from mobile_api.routes import common_router, issuer_router, verifier_router
from mobile_api.settings import Role, SessionSettings
from mobile_api.store import open_store
from policies import IssuanceOffer, PresentationRequest, PresentationResponse, utc_seconds
from policies.document import Document

__all__ = ["Started", "create_app", "start"]

Clock = Callable[[], datetime]
DESCRIPTION = {
    Role.ISSUER: "Issuance sessions: single-use offers of credentials, answered with a blind "
    "BBS signature.",
    Role.VERIFIER: "Verification sessions: signed presentation requests, answers checked "
    "against the consent ledger and recorded there.",
}
_DOCUMENTS: dict[str, type[Document]] = {
    "IssuanceOffer": IssuanceOffer,
    "PresentationRequest": PresentationRequest,
    "PresentationResponse": PresentationResponse,
}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Started:
    """What a started service holds."""

    identity: IssuerIdentity | VerifierIdentity
    engine: Engine
    ledger: LedgerClient
    registered: int | None
    """The index of the registration appended at this start, if one was."""

    def close(self) -> None:
        self.ledger.close()
        self.engine.dispose()


def start(settings: SessionSettings, *, now: datetime) -> Started:
    """Steps 1-3 of the module docstring (blocking)."""
    identity = read_identity(settings)
    engine = open_store(settings.url)
    try:
        ledger = connect(settings)
    except BaseException:
        engine.dispose()
        raise
    try:
        registered = register(ledger, identity, now=utc_seconds(now))
    except BaseException:
        ledger.close()
        engine.dispose()
        raise
    return Started(identity, engine, ledger, registered)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    started = await run_in_threadpool(lambda: start(app.state.settings, now=app.state.clock()))
    app.state.identity, app.state.engine, app.state.ledger = (
        started.identity, started.engine, started.ledger)  # fmt: skip
    try:
        yield
    finally:
        started.close()


def create_app(settings: SessionSettings, *, clock: Clock = _now) -> FastAPI:
    """The session service of `settings.role` (see the module docstring). `clock` gives
    the service's time (offers, requests, checks, the rate limit's buckets)."""
    title = f"Cartera {settings.role.value} sessions"
    app = FastAPI(title=title, version="1", description=DESCRIPTION[settings.role],
                  lifespan=_lifespan)  # fmt: skip
    app.state.settings, app.state.clock = settings, clock
    app.state.limiter = RateLimiter(
        settings.rate_limit_per_minute, clock=lambda: clock().timestamp()
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    problems.install(app)
    app.include_router(common_router, prefix="/v1")
    role_router = issuer_router if settings.role is Role.ISSUER else verifier_router
    app.include_router(role_router, prefix="/v1")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)  # fmt: skip
            app.openapi_schema = problems.tidy_openapi(_with_documents(schema))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _with_documents(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the signed documents' JSON schemas (`policies` models) to the components the
    routes refer to, their own definitions hoisted beside them."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in _DOCUMENTS.items():
        found = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        components.update(found.pop("$defs", {}))
        components[name] = found
    return schema

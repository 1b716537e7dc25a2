"""The service's dependencies: what `create_app` and its lifespan put on `app.state`,
the admin key check and the rate limit.

Routes take these as typed aliases, so a test can override one with
`app.dependency_overrides` instead of patching globals. They are `async def` because they
only read `app.state` (a plain `def` would cost a thread hop each), except `require_admin`,
which reads the database and so runs in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from ledger.client import LedgerClient
from mobile_api.auth import hash_api_key, valid_api_key
from mobile_api.home import IssuerIdentity, VerifierIdentity
from mobile_api.limits import RateLimiter
from mobile_api.problems import Refused
from mobile_api.settings import SessionSettings
from mobile_api.store import api_key_known
from policies import utc_seconds

Clock = Callable[[], datetime]


async def get_settings(request: Request) -> SessionSettings:
    settings: SessionSettings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_ledger(request: Request) -> LedgerClient:
    ledger: LedgerClient = request.app.state.ledger
    return ledger


async def get_identity(request: Request) -> IssuerIdentity | VerifierIdentity:
    identity: IssuerIdentity | VerifierIdentity = request.app.state.identity
    return identity


async def get_issuer(request: Request) -> IssuerIdentity:
    identity = request.app.state.identity
    assert isinstance(identity, IssuerIdentity)
    return identity


async def get_verifier(request: Request) -> VerifierIdentity:
    identity = request.app.state.identity
    assert isinstance(identity, VerifierIdentity)
    return identity


async def get_now(request: Request) -> datetime:
    """The moment this request is handled (whole seconds, UTC), from the app's clock."""
    clock: Clock = request.app.state.clock
    return utc_seconds(clock())


SettingsDep = Annotated[SessionSettings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
LedgerDep = Annotated[LedgerClient, Depends(get_ledger)]
IdentityDep = Annotated[IssuerIdentity | VerifierIdentity, Depends(get_identity)]
IssuerDep = Annotated[IssuerIdentity, Depends(get_issuer)]
VerifierDep = Annotated[VerifierIdentity, Depends(get_verifier)]
NowDep = Annotated[datetime, Depends(get_now)]


def require_admin(request: Request, engine: EngineDep) -> None:
    """`Authorization: Bearer <admin key>` with a key this service knows; 401 otherwise."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="cartera"'}
    if scheme.lower() != "bearer" or not valid_api_key(key.strip()):
        raise Refused(401, "unauthorized", "an admin API key is required", headers=challenge)
    if not api_key_known(engine, key_hash=hash_api_key(key.strip())):
        raise Refused(401, "unauthorized", "unknown API key", headers=challenge)


async def rate_limited(request: Request) -> None:
    """One call of the client's address against the public endpoints' rate limit."""
    limiter: RateLimiter = request.app.state.limiter
    limiter.take(request.client.host if request.client else "unknown")


Admin = Depends(require_admin)
Public = Depends(rate_limited)


async def json_body(request: Request) -> bytes:
    """The raw body of a POST carrying a document (its canonical bytes matter, so it is not
    parsed here); `BodyLimit` has bounded it already. Only `application/json` (415)."""
    media = request.headers.get("content-type")
    if media is not None and media.split(";")[0].strip().lower() != "application/json":
        raise Refused(415, "unsupported-media-type", f"content type {media[:80]!r}: send JSON")
    return await request.body()


JsonBody = Annotated[bytes, Depends(json_body)]

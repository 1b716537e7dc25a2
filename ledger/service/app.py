"""`create_app(settings)`: the ledger's FastAPI application.

The app is built by this factory, never at import time, so tests run it in-process
(httpx `ASGITransport`) and `cartera ledger serve` runs it under uvicorn. Its lifespan
opens the log and closes it again:

1. the operator key (read, or generated at first start: `ledger.settings.operator_key`);
2. the store (tables created) and the state index (created, then brought up to the log
   by `ledger.rules.catch_up` if another writer left it behind);
3. the rules, with their worker processes (`LedgerSettings.check_workers`) that check
   entries in parallel, and the sequencer with the rules as its hooks; closing the
   sequencer finishes every queued append, then the workers stop.

They live on `app.state` (`settings`, `signer`, `store`, `sequencer`) for the
dependencies of `ledger.service.deps`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi

from ledger import state
from ledger.note import SignerKey
from ledger.rules import Rules, catch_up
from ledger.sequencer import Sequencer
from ledger.service import problems
from ledger.service.petitions import router as petition_router
from ledger.service.routes import router
from ledger.settings import LedgerSettings, operator_key
from ledger.storage import LedgerStore

DESCRIPTION = """An append-only RFC 9162 Merkle log of consent grants, revocations, accesses,
issuer and verifier registrations and anonymous petitions, with signed C2SP checkpoints.
Errors are RFC 9457 problem documents with a stable `reason`."""


@dataclass(frozen=True)
class OpenLog:
    signer: SignerKey
    store: LedgerStore
    sequencer: Sequencer
    rules: Rules | None = None

    def close(self) -> None:
        """Finish the queued appends, stop the workers, release the database."""
        self.sequencer.close()
        if self.rules is not None:
            self.rules.close()
        self.store.engine.dispose()


def open_log(settings: LedgerSettings) -> OpenLog:
    """Steps 1-3 of the module docstring (blocking: run it off the event loop)."""
    signer = operator_key(settings)
    store = LedgerStore.from_url(settings.url)
    rules = None
    try:
        state.create_tables(store.engine)
        catch_up(store)
        workers = settings.check_workers
        rules = Rules(max_skew=settings.max_skew, workers=workers)
        sequencer = Sequencer(
            store, signer=signer, origin=settings.origin,
            validate=rules.validate, validate_later=rules.validate_later if workers else None,
            apply_batch=rules.apply_batch, max_batch=settings.max_batch,
        ).start()  # fmt: skip
    except BaseException:
        if rules is not None:
            rules.close()
        store.engine.dispose()
        raise
    return OpenLog(signer, store, sequencer, rules)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    log = await run_in_threadpool(open_log, app.state.settings)
    app.state.signer, app.state.store, app.state.sequencer = log.signer, log.store, log.sequencer
    try:
        yield
    finally:
        await run_in_threadpool(log.close)


def create_app(settings: LedgerSettings) -> FastAPI:
    """The ledger service for `settings` (see the module docstring)."""
    app = FastAPI(
        title="Cartera consent ledger",
        version="1",
        description=DESCRIPTION,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    problems.install(app)
    app.include_router(router, prefix="/v1")
    app.include_router(petition_router, prefix="/v1")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.tidy_openapi(
                get_openapi(title=app.title, version=app.version, description=app.description,
                            routes=app.routes)
            )  # fmt: skip
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app

"""The service's dependencies: what `create_app` put on `app.state`, and the entry body.

Routes take these as typed aliases (`StoreDep`, `SequencerDep`, ...), so a test can
override one with `app.dependency_overrides` instead of patching globals. They are
`async def` because they only read `app.state`: FastAPI would send a plain `def` through
the thread pool, one thread hop per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ledger.note import SignerKey
from ledger.sequencer import Sequencer
from ledger.service.problems import InvalidRequest
from ledger.settings import LedgerSettings
from ledger.storage import LedgerStore


async def get_settings(request: Request) -> LedgerSettings:
    settings: LedgerSettings = request.app.state.settings
    return settings


async def get_store(request: Request) -> LedgerStore:
    store: LedgerStore = request.app.state.store
    return store


async def get_sequencer(request: Request) -> Sequencer:
    sequencer: Sequencer = request.app.state.sequencer
    return sequencer


async def get_signer(request: Request) -> SignerKey:
    signer: SignerKey = request.app.state.signer
    return signer


SettingsDep = Annotated[LedgerSettings, Depends(get_settings)]
StoreDep = Annotated[LedgerStore, Depends(get_store)]
SequencerDep = Annotated[Sequencer, Depends(get_sequencer)]
SignerDep = Annotated[SignerKey, Depends(get_signer)]


async def read_entry(request: Request, settings: SettingsDep) -> bytes:
    """The request body, at most `max_body_bytes`: a declared Content-Length over the limit
    is refused before reading, and the stream is cut off as soon as it passes the limit
    (a chunked body, or one longer than it claimed, is not trusted to stop)."""
    limit = settings.max_body_bytes
    media = request.headers.get("content-type")
    if media is not None and media.split(";")[0].strip().lower() != "application/json":
        raise InvalidRequest(
            f"content type {media!r}: an entry is sent as application/json",
            status=415,
            reason="unsupported_media_type",
        )
    too_large = InvalidRequest(
        f"the body is larger than {limit} bytes", status=413, reason="too_large"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


EntryBody = Annotated[bytes, Depends(read_entry)]

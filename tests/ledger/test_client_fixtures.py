"""The real ledger service for the client and audit tests, reached through httpx's
ASGITransport from the synchronous `LedgerClient`.

`LedgerClient` is synchronous; `httpx.ASGITransport` is asynchronous. `SyncASGITransport`
runs each request through an `ASGITransport` on an anyio blocking portal (an event loop in
a thread), where the app's lifespan also runs: the service is the real one, with its
sequencer, rules and database; only the socket is missing. `Tamper` sits in front of a
transport and edits answers, as a network attacker or a lying ledger would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ledger.client import LedgerClient
from ledger.note import SignerKey, VerifierKey
from ledger.service import create_app
from ledger.settings import LedgerSettings, load

BASE = "http://ledger.test"


class SyncASGITransport(httpx.BaseTransport):
    """A synchronous transport over `httpx.ASGITransport` and a blocking portal."""

    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            body = request.read()
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            answer = await self._inner.handle_async_request(forwarded)
            content = await answer.aread()
            return httpx.Response(answer.status_code, headers=answer.headers, content=content)

        return self._portal.call(send)


Editor = Callable[[httpx.Request, httpx.Response], httpx.Response | None]


class Tamper(httpx.BaseTransport):
    """Forwards to `inner`; `edit(request, response)` may return a changed response."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.edit: Editor | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.edit is not None:
            response.read()
            changed = self.edit(request, response)
            if changed is not None:
                return changed
        return response


def json_edit(path: str, change: Callable[[dict[str, Any]], None]) -> Editor:
    """An editor that changes the JSON body of answers to requests for `path`."""

    def edit(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
        if request.url.path != path or not response.is_success:
            return None
        body = response.json()
        change(body)
        return httpx.Response(response.status_code, json=body)

    return edit


def recorder(calls: list[str], then: Editor | None = None) -> Editor:
    """An editor that notes every request's method and path, then applies `then`."""

    def edit(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
        calls.append(f"{request.method} {request.url.path}")
        return then(request, response) if then is not None else None

    return edit


def flip(text: str) -> str:
    """A base64url hash with its first character changed."""
    return ("B" if text[0] == "A" else "A") + text[1:]


@dataclass
class Ledger:
    settings: LedgerSettings
    key: VerifierKey
    transport: Tamper

    def client(self, state_path: Path | None = None) -> LedgerClient:
        return LedgerClient(
            BASE, log_key=self.key, origin=self.settings.origin, state_path=state_path,
            transport=self.transport, timeout=30,
        )  # fmt: skip


@contextmanager
def running(settings: LedgerSettings) -> Iterator[Ledger]:
    """The service for `settings`, lifespan started, behind a `Tamper` transport."""
    app = create_app(settings)
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        stack.enter_context(portal.wrap_async_context_manager(app.router.lifespan_context(app)))
        key = SignerKey.from_text(settings.key_path.read_text().strip()).verifier()
        yield Ledger(settings, key, Tamper(SyncASGITransport(app, portal)))


def settings_for(home: Path, database_url: str, key_file: Path | None = None) -> LedgerSettings:
    return load(home=home, database_url=database_url, key_file=key_file)


def test_the_transport_reaches_the_real_service(tmp_path: Path) -> None:
    with running(settings_for(tmp_path, f"sqlite:///{tmp_path / 'l.db'}")) as ledger:
        answer = ledger.transport.handle_request(httpx.Request("GET", f"{BASE}/v1/log"))
        body = json.loads(answer.read())
        assert answer.status_code == 200
        assert body["verifier_key"] == ledger.key.to_text()

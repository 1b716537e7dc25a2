"""ASGI apps served by uvicorn in a thread of this process, on 127.0.0.1 ports the
kernel picks: how `cartera demo` (and the end-to-end tests) run a ledger, an issuer and
a verifier side by side, over real HTTP, without configuration.

    with ExitStack() as stack:
        port = stack.enter_context(loopback_socket())        # bound now: the URL is known
        app = create_app(settings_for(port))                 # so the app can point at itself
        url = stack.enter_context(serve(app, port))          # started (lifespan done)

The socket is bound before the app is built, so a service whose URLs name its own port
(offers and requests carry them) knows it, and no other process can take the port in
between. A service whose start fails (its lifespan raises) is an error here, with uvicorn's
own report in the log.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

__all__ = ["Bound", "ServiceFailed", "loopback_socket", "serve"]

START_TIMEOUT = 60.0


class ServiceFailed(RuntimeError):
    """A service did not start (its lifespan failed, or it did not answer in time)."""


@dataclass(frozen=True)
class Bound:
    """A listening socket on 127.0.0.1 and its port."""

    sock: socket.socket
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def loopback_socket() -> Iterator[Bound]:
    """A TCP socket bound to a free port of 127.0.0.1 (closed when the block ends)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield Bound(sock, int(sock.getsockname()[1]))
    finally:
        sock.close()


@contextmanager
def serve(app: Any, bound: Bound, *, name: str = "service") -> Iterator[str]:
    """Serve `app` on `bound` in a daemon thread until the block ends; yields its URL once
    its lifespan has started."""
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [bound.sock]}, name=name, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(5)
            raise ServiceFailed(f"the {name} did not start on {bound.url}")
        time.sleep(0.02)
    try:
        yield bound.url
    finally:
        server.should_exit = True
        thread.join(30)

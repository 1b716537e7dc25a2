"""Running the ledger service for tests: in-process over httpx's ASGITransport (lifespan
included), or as a real `cartera ledger serve` process on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from attestations.encoding import b64url_decode
from ledger.checkpoint import open_checkpoint
from ledger.merkle import check_inclusion, leaf_hash
from ledger.note import SignerKey, VerifierKey
from ledger.service import create_app
from ledger.settings import LedgerSettings

JSON = {"content-type": "application/json"}
CARTERA = Path(sys.executable).with_name("cartera")


@asynccontextmanager
async def in_process(settings: LedgerSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh app for `settings`, its lifespan running around the block."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as c:
            yield c


def log_key(settings: LedgerSettings) -> VerifierKey:
    return SignerKey.from_text(settings.key_path.read_text().strip()).verifier()


def check_appended(answer: dict[str, object], entry: bytes, key: VerifierKey, origin: str) -> int:
    """Check an append answer as a client would: signed checkpoint of the stated size,
    inclusion proof from this entry's leaf to its root. Returns the index."""
    signed = open_checkpoint(str(answer["checkpoint"]), key, origin=origin).checkpoint
    assert answer["tree_size"] == signed.size
    hashes, index = answer["inclusion_proof"], answer["index"]
    assert isinstance(hashes, list) and isinstance(index, int)
    proof = [b64url_decode(h) for h in hashes]
    assert b64url_decode(str(answer["leaf_hash"])) == leaf_hash(entry)
    check_inclusion(leaf_hash(entry), index, signed.size, proof, signed.root_hash)
    return index


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(
    process: subprocess.Popen[bytes],
    url: str,
    log: Callable[[], str],
    *,
    timeout: float,
    name: str,
) -> None:
    """Return once `url/v1/health` answers 200; `RuntimeError` with the process's log if
    it exits first or does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log()}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not start: {log()}")


@dataclass
class Server:
    """`cartera ledger serve` in a subprocess, with its own CARTERA_HOME."""

    home: Path
    database_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        env = {**os.environ, "CARTERA_HOME": str(self.home),
               "CARTERA_LEDGER_DATABASE_URL": self.database_url}  # fmt: skip
        log = (self.home / "serve.log").open("ab")
        self.process = subprocess.Popen(
            [str(CARTERA), "ledger", "serve", "--port", str(self.port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_healthy(self.process, self.url, lambda: (self.home / "serve.log").read_text(),
                     timeout=timeout, name="ledger serve")  # fmt: skip
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

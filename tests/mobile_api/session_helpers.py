"""Running the three parties for the session tests, all real: a ledger, issuers and
verifiers under uvicorn on 127.0.0.1 (each in a thread of the test process), and a citizen
with a real wallet who speaks the sessions protocol with plain httpx (what
`wallet/sessions.py` does, written out here so that the tests see every byte)."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from attestations.credentials import IssuanceResponse
from ledger.settings import LedgerSettings
from ledger.settings import load as load_ledger
from mobile_api import (
    AdminClient,
    IssuerIdentity,
    VerifierIdentity,
    create_app,
    init_issuer,
    init_verifier,
    load,
)
from mobile_api.catalog import RESIDENT
from policies import (
    ConsentGrant,
    IssuanceOffer,
    PresentationRequest,
    Purpose,
    build_response,
    draft_grant,
    utc_seconds,
    verify_offer,
    verify_request,
)
from tests.ledger.http_helpers import CARTERA, JSON, free_port, log_key, wait_healthy
from wallet import KdfParams, Wallet, create

PASSPHRASE = "correct horse battery staple"
AINA = {
    "given_name": "Aina",
    "family_name": "Puig",
    "birthdate": "1990-05-17",
    "district": "Gràcia",
    "postcode": 8012,
}


def now() -> datetime.datetime:
    return utc_seconds(datetime.datetime.now(datetime.UTC))


class Clock:
    """A service's clock: the real time (or, `frozen`, the time it was made), moved by
    `advance` (whole seconds, UTC)."""

    def __init__(self, *, frozen: bool = False) -> None:
        self.offset = datetime.timedelta()
        self.frozen_at = now() if frozen else None

    def __call__(self) -> datetime.datetime:
        return (self.frozen_at or now()) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += datetime.timedelta(seconds=seconds)


@contextmanager
def serve(app: Any, port: int | None = None) -> Iterator[str]:
    """`app` under uvicorn on 127.0.0.1 in a thread, lifespan included; yields its URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the server did not start (see its log above)")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


class Switch:
    """Several ledger apps behind one address, serving the one `current` says: a ledger
    operator that shows different clients (or one client over time) different views."""

    def __init__(self, *apps: FastAPI) -> None:
        self.apps, self.current = apps, apps[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.current(scope, receive, send)
            return
        async with AsyncExitStack() as stack:
            await receive()  # lifespan.startup
            for app in self.apps:
                await stack.enter_async_context(app.router.lifespan_context(app))
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})


@dataclass
class Ledger:
    url: str
    settings: LedgerSettings

    @property
    def key(self) -> str:
        return log_key(self.settings).to_text()

    def append(self, document: Any) -> dict[str, Any]:
        answer = httpx.post(f"{self.url}/v1/entries", content=document.to_json(), headers=JSON)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def ledger_settings(home: Path) -> LedgerSettings:
    return load_ledger(home=home, database_url=f"sqlite:///{home / 'ledger.db'}")


@dataclass
class Party:
    """A running issuer or verifier: its settings, identity, admin key, URL and clock."""

    settings: Any
    identity: Any
    api_key: str
    url: str
    clock: Clock = field(default_factory=Clock)

    @property
    def did(self) -> str:
        return str(self.identity.key.did)

    def admin(self) -> AdminClient:
        return AdminClient(self.url, api_key=self.api_key)


@contextmanager
def running(
    role: str,
    home: Path,
    ledger_url: str,
    *,
    database_url: str | None = None,
    clock: Clock | None = None,
    **options: Any,
) -> Iterator[Party]:
    """Init a home for `role` and serve it against the ledger at `ledger_url`.
    `options`: settings, then `name`, `purposes`, `trusted_issuers` for `init_*`."""
    port = free_port()
    init = {k: options.pop(k) for k in ("name", "purposes", "trusted_issuers") if k in options}
    settings = load(
        role=role, home=home, port=port, ledger_url=ledger_url, database_url=database_url, **options
    )
    identity: IssuerIdentity | VerifierIdentity
    if role == "issuer":
        identity, key = init_issuer(
            settings, name=init.get("name", "Padró de Barcelona"), schemas=[RESIDENT], now=now()
        )
    else:
        identity, key = init_verifier(
            settings,
            name=init.get("name", "Bicing"),
            purposes=init.get("purposes", [Purpose.SERVICE_PROVISION]),
            contact="dpo@bicing.example",
            trusted_issuers=init.get("trusted_issuers", []),
            now=now(),
        )
    clock = clock or Clock()
    with serve(create_app(settings, clock=clock), port) as url:
        yield Party(settings, identity, key, url, clock)


# -- the citizen ----------------------------------------------------------------------------


def new_wallet(home: Path) -> Wallet:
    return create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE)


def secret_int(wallet: Wallet) -> int:
    return int.from_bytes(wallet.holder_secret.to_bytes(), "big")


def fetch_offer(url: str) -> IssuanceOffer:
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    offer = IssuanceOffer.from_json(answer.content)
    verify_offer(offer)
    return offer


def receive(wallet: Wallet, url: str) -> str:
    """Take the offer at `url` into `wallet`; the stored credential's id."""
    offer = fetch_offer(url)
    request, state = wallet.credentials.begin(offer.issuer_public_key(), offer.credential_schema)
    answer = httpx.post(offer.response_uri, content=request.to_json(), headers=JSON)
    assert answer.status_code == 200, answer.text
    return wallet.credentials.receive(state, IssuanceResponse.from_json(answer.content)).id


def fetch_request(url: str) -> PresentationRequest:
    answer = httpx.get(url)
    assert answer.status_code == 200, answer.text
    request = PresentationRequest.from_json(answer.content)
    verify_request(request)
    return request


def grant(
    wallet: Wallet, request: PresentationRequest, ledger: Ledger, **terms: Any
) -> ConsentGrant:
    """The least grant covering `request` (terms changed by `terms`), on the ledger."""
    at = now()
    draft = draft_grant(request, now=at, max_uses=None, not_after=at + datetime.timedelta(days=1))
    signed = draft.model_copy(update=terms).sign(secret_int(wallet), created_at=at)
    ledger.append(signed)
    return signed


def present(
    wallet: Wallet,
    credential: str,
    request: PresentationRequest,
    *,
    issuer: str,
    grant_id: str,
    disclose: list[str] | None = None,
    verifier_id: str | None = None,
) -> httpx.Response:
    """Answer `request` with a presentation of `credential`; the verifier's HTTP answer."""
    shown = wallet.present(
        credential,
        disclose=request.attributes if disclose is None else disclose,
        verifier_id=verifier_id or request.verifier,
        nonce=request.nonce,
    )
    body = build_response(issuer=issuer, grant=grant_id, presentation=shown).to_json()
    assert request.response_uri is not None
    return httpx.post(request.response_uri, content=body, headers=JSON)


@dataclass
class ServiceProcess:
    """`cartera issuer serve` or `cartera verifier serve` in a subprocess (real uvicorn on
    loopback), with its own CARTERA_HOME."""

    role: str
    home: Path
    ledger_url: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return (self.home / f"{self.role}-serve.log").read_text(errors="replace")

    def start(self, timeout: float = 60) -> ServiceProcess:
        env = {**os.environ, "CARTERA_HOME": str(self.home)}
        out = (self.home / f"{self.role}-serve.log").open("ab")
        self.process = subprocess.Popen(
            [str(CARTERA), self.role, "serve", "--port", str(self.port), "--ledger",
             self.ledger_url],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_healthy(self.process, self.url, lambda: self.log, timeout=timeout,
                     name=f"{self.role} serve")  # fmt: skip
        return self

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        return self.process.returncode

"""The verifier against a ledger that misbehaves: one that shows it two views of its
history (same key, same origin, different entries), one that goes away, one that is slow;
and the start of a service: registration once, trust on first use, refusals that name
the ledger."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from ledger.client import LedgerForked, LedgerUnavailable
from ledger.errors import InvalidNoteSignature
from ledger.service import create_app as create_ledger_app
from ledger.settings import LedgerSettings, operator_key
from mobile_api import SettingsError, start
from policies import (
    OrgKey,
    PresentationRequest,
    Purpose,
    sign_issuer_revoke_key,
    sign_verifier_register,
)
from tests.ledger.http_helpers import free_port
from tests.mobile_api.session_helpers import (
    AINA,
    Ledger,
    Party,
    Switch,
    fetch_request,
    grant,
    ledger_settings,
    new_wallet,
    now,
    present,
    receive,
    running,
    serve,
)
from wallet import Wallet


@dataclass
class World:
    """An issuer, a verifier trusting it, and a citizen holding a credential, all on the
    ledger at `ledger`."""

    ledger: Ledger
    issuer: Party
    verifier: Party
    wallet: Wallet
    credential: str

    def request_and_grant(self) -> tuple[PresentationRequest, str]:
        with self.verifier.admin() as admin:
            created = admin.create_request(
                "resident", ["district"], purpose=Purpose.SERVICE_PROVISION
            )
        request = fetch_request(created.url)
        return request, grant(self.wallet, request, self.ledger).id


@pytest.fixture
def world_on(tmp_path: Path) -> Iterator[object]:
    """`world_on(url, settings)`: a World on the ledger served at `url`."""
    with ExitStack() as stack:

        def build(url: str, settings: LedgerSettings) -> World:
            issuer = stack.enter_context(running("issuer", tmp_path / "issuer", url))
            verifier = stack.enter_context(
                running("verifier", tmp_path / "verifier", url, trusted_issuers=[issuer.did])
            )
            wallet = stack.enter_context(new_wallet(tmp_path / "citizen"))
            with issuer.admin() as admin:
                credential = receive(wallet, admin.create_offer("resident", AINA).url)
            return World(Ledger(url, settings), issuer, verifier, wallet, credential)

        yield build


def refused(answer: httpx.Response, status: int, reason: str) -> None:
    assert answer.status_code == status, answer.text
    assert (answer.json()["check"], answer.json()["reason"]) == ("ledger", reason)


def twin_ledgers(tmp_path: Path) -> tuple[LedgerSettings, LedgerSettings]:
    """Two ledgers with one operator key and origin: what one dishonest operator runs."""
    first, second = ledger_settings(tmp_path / "a"), ledger_settings(tmp_path / "b")
    operator_key(first)
    second.key_path.parent.mkdir(mode=0o700, parents=True)
    shutil.copy2(first.key_path, second.key_path)
    return first, second


def test_a_ledger_showing_a_forked_view_is_caught(tmp_path: Path, world_on: object) -> None:
    honest, other = twin_ledgers(tmp_path)
    switch = Switch(create_ledger_app(honest), create_ledger_app(other))
    with serve(switch) as url:
        switch.current = switch.apps[1]  # the other view grows a history of its own
        for _ in range(12):
            Ledger(url, other).append(sign_verifier_register(
                OrgKey.generate(), name="Other", purposes=[Purpose.MARKETING], contact="x",
                created_at=now(),
            ))  # fmt: skip
        switch.current = switch.apps[0]
        world = world_on(url, honest)  # type: ignore[operator]
        request, grant_id = world.request_and_grant()

        switch.current = switch.apps[1]  # ... and is shown to the verifier
        answer = present(world.wallet, world.credential, request, issuer=world.issuer.did,
                         grant_id=grant_id)  # fmt: skip

        refused(answer, 502, "ledger-forked")
        with world.verifier.admin() as admin:
            outcome = admin.request_result(str(request.response_uri).rsplit("/", 2)[-2])
        assert (outcome.status, outcome.reason) == ("refused", "ledger-forked")
        # A restart against that view is refused too: the kept checkpoint says otherwise.
        with pytest.raises(LedgerForked, match="two views"):
            start(world.verifier.settings, now=now())


def test_a_ledger_gone_during_a_verification_is_unavailable(
    tmp_path: Path, world_on: object
) -> None:
    settings = ledger_settings(tmp_path / "ledger")
    with ExitStack() as ledger_running:
        url = ledger_running.enter_context(serve(create_ledger_app(settings)))
        world = world_on(url, settings)  # type: ignore[operator]
        request, grant_id = world.request_and_grant()
    answer = present(world.wallet, world.credential, request, issuer=world.issuer.did,
                     grant_id=grant_id)  # fmt: skip
    refused(answer, 503, "ledger-unavailable")


class Gate:
    """Holds every request to `app` while closed (`waiting` says one is held)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.open, self.waiting = app, threading.Event(), threading.Event()
        self.open.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.open.is_set():
            self.waiting.set()
            await anyio.to_thread.run_sync(self.open.wait)
        await self.app(scope, receive, send)


def test_the_service_answers_while_a_verification_waits(tmp_path: Path, world_on: object) -> None:
    settings = ledger_settings(tmp_path / "ledger")
    gate = Gate(create_ledger_app(settings))
    with serve(gate) as url:
        world = world_on(url, settings)  # type: ignore[operator]
        request, grant_id = world.request_and_grant()
        gate.open.clear()
        answers: list[httpx.Response] = []
        checking = threading.Thread(target=lambda: answers.append(present(
            world.wallet, world.credential, request, issuer=world.issuer.did, grant_id=grant_id
        )))  # fmt: skip
        checking.start()
        assert gate.waiting.wait(30)  # the verification is held inside the ledger call
        health = httpx.get(f"{world.verifier.url}/v1/health", timeout=10)
        gate.open.set()
        checking.join(30)
    assert health.status_code == 200
    assert answers[0].status_code == 200, answers[0].text


class Counted:
    """Notes the method and path of every request to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.calls.append(f"{scope['method']} {scope['path']}")
        await self.app(scope, receive, send)


def test_an_answer_costs_the_verifier_three_ledger_round_trips(
    tmp_path: Path, world_on: object
) -> None:
    """Checks 2-5, each answer proven (docs/sessions-api.md): the issuer's keys (which
    move the trusted checkpoint), the grant, and the append (whose answer carries the
    consistency proof from the trusted checkpoint)."""
    settings = ledger_settings(tmp_path / "ledger")
    counted = Counted(create_ledger_app(settings))
    with serve(counted) as url:
        world = world_on(url, settings)  # type: ignore[operator]
        for _ in range(2):  # the first answer proves the registration, the next reuses it
            request, grant_id = world.request_and_grant()
            counted.calls.clear()
            answer = present(world.wallet, world.credential, request, issuer=world.issuer.did,
                             grant_id=grant_id)  # fmt: skip
            assert answer.status_code == 200, answer.text
            assert counted.calls == [
                f"GET /v1/issuers/{world.issuer.did}",
                f"GET /v1/consent/grants/{grant_id}",
                "POST /v1/entries",
            ]


def test_registration_is_appended_once(tmp_path: Path, ledger: Ledger) -> None:
    with running("issuer", tmp_path / "issuer", ledger.url) as issuer:
        pass
    again = start(issuer.settings, now=now())
    try:
        assert again.registered is None
    finally:
        again.close()
    key_file = issuer.settings.role_dir / "ledger-key"
    assert key_file.read_text().strip() == ledger.key  # trusted on first use, then kept


def test_an_issuer_whose_key_was_revoked_does_not_start(tmp_path: Path, ledger: Ledger) -> None:
    with running("issuer", tmp_path / "issuer", ledger.url) as issuer:
        identity = issuer.identity
        ledger.append(sign_issuer_revoke_key(
            identity.key, public_key=identity.bbs.public_key().to_bytes(),
            reason="superseded", effective_at=now(), created_at=now(),
        ))  # fmt: skip
    with pytest.raises(SettingsError, match="revoked"):
        start(issuer.settings, now=now())


def test_an_unreachable_ledger_stops_the_start(tmp_path: Path, ledger: Ledger) -> None:
    with running("verifier", tmp_path / "verifier", ledger.url) as verifier:
        pass
    gone = f"http://127.0.0.1:{free_port()}"
    moved = verifier.settings.model_copy(update={"ledger_url": gone})
    with pytest.raises(LedgerUnavailable, match=gone):
        start(moved, now=now())


def test_a_ledger_with_another_key_is_refused(tmp_path: Path, ledger: Ledger) -> None:
    with running("verifier", tmp_path / "verifier", ledger.url) as verifier:
        pass
    impostor = ledger_settings(tmp_path / "impostor")
    with serve(create_ledger_app(impostor)) as url:
        moved = verifier.settings.model_copy(update={"ledger_url": url})
        with pytest.raises(InvalidNoteSignature):
            start(moved, now=now())

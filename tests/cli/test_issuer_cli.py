"""`cartera issuer …`: init a home, serve it as a real process (uvicorn on loopback)
against a real ledger, make offers a real wallet takes, read their status; every bad
input or refusal is one `error:` line and its exit code."""

from __future__ import annotations

import json
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from ledger.service import create_app as create_ledger_app
from tests.ledger.http_helpers import free_port
from tests.mobile_api.session_helpers import (
    Ledger,
    ServiceProcess,
    fetch_offer,
    ledger_settings,
    new_wallet,
    receive,
    serve,
)

runner = CliRunner()
AINA = [
    *("--attr", "given_name=Aina", "--attr", "family_name=Puig"),
    *("--attr", "birthdate=1990-05-17", "--attr", "district=Gràcia", "--attr", "postcode=08012"),
]


def cartera(*args: str) -> Result:
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    settings = ledger_settings(tmp_path_factory.mktemp("ledger"))
    with serve(create_ledger_app(settings)) as url:
        yield Ledger(url, settings)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, ledger: Ledger) -> Iterator[ServiceProcess]:
    """`cartera issuer serve`, run as its own process, on a home `cartera issuer init` made."""
    home = tmp_path_factory.mktemp("issuer-home")
    assert cartera("issuer", "init", "--name", "Padró", "--home", str(home)).exit_code == 0
    process = ServiceProcess("issuer", home, ledger.url).start()
    yield process
    assert process.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it ended on


def test_init_makes_a_private_home_and_shows_the_key_once(tmp_path: Path) -> None:
    done = cartera(
        "issuer",
        "init",
        "--name",
        "Padró de Barcelona",
        "--home",
        str(tmp_path),
        "--schema",
        "resident",
        "--schema",
        "card:number=string",
        "--json",
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert shown["did"].startswith("did:key:z6Mk") and shown["schemas"] == ["resident", "card"]
    key_file = tmp_path / "issuer" / "admin.key"
    assert key_file.read_text().strip() == shown["api_key"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "issuer").stat().st_mode) == 0o700
    again = cartera("issuer", "init", "--name", "Other", "--home", str(tmp_path))
    assert again.exit_code == 2 and "exists already" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--schema", "nothing"], "built-in"),
        (["--schema", "x:a=colour"], "attribute type"),
        (["--name", " padded"], "white space"),
    ],
)
def test_init_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    done = cartera("issuer", "init", "--name", "Padró", "--home", str(tmp_path), *args)
    assert done.exit_code == 2 and message in done.stderr
    assert not (tmp_path / "issuer").exists()


def test_served_issuer_offers_a_credential_a_wallet_takes(
    served: ServiceProcess, tmp_path: Path
) -> None:
    assert "listening on" in served.log and "registered at ledger entry" in served.log
    done = cartera("issuer", "offer", *AINA, "--home", str(served.home), "--url", served.url)
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    url = lines[1]
    assert lines[0].startswith("offer ") and url.startswith(f"{served.url}/v1/offers/")
    assert "█" in done.stdout  # the QR code, for a terminal
    assert fetch_offer(url).attributes["postcode"] == 8012  # typed by the home's schema
    with new_wallet(tmp_path) as wallet:
        receive(wallet, url)
    offer_id = lines[0].split()[1].rstrip(",")
    status = cartera(
        "issuer", "status", offer_id, "--home", str(served.home), "--url", served.url, "--json"
    )
    assert status.exit_code == 0 and json.loads(status.stdout)["status"] == "used"


def test_offer_json_is_the_whole_answer(served: ServiceProcess) -> None:
    done = cartera(
        "issuer",
        "offer",
        *AINA,
        "--expiry",
        "2030-01-31",
        "--ttl",
        "60",
        "--home",
        str(served.home),
        "--url",
        served.url,
        "--json",
    )
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert sorted(answer) == ["expires_at", "id", "qr_svg", "qr_text", "url"]
    assert fetch_offer(answer["url"]).attributes["expiry"] == "2030-01-31"


def test_offer_errors_have_their_exit_codes(served: ServiceProcess, tmp_path: Path) -> None:
    at = ["--home", str(served.home), "--url", served.url]
    bad_value = cartera("issuer", "offer", *AINA[:-1], "postcode=x", *at)
    assert bad_value.exit_code == 2 and "postcode" in bad_value.stderr
    refused = cartera("issuer", "offer", *AINA[:2], *at)  # values the service refuses
    assert refused.exit_code == 2 and "invalid-attributes" in refused.stderr
    wrong_key = cartera("issuer", "offer", *AINA, *at, "--api-key", "cak_" + "A" * 43)
    assert wrong_key.exit_code == 2 and "unauthorized" in wrong_key.stderr
    no_key = cartera("issuer", "offer", *AINA, "--home", str(tmp_path), "--url", served.url)
    assert no_key.exit_code == 2 and "run `init` first" in no_key.stderr
    down = cartera(
        "issuer",
        "offer",
        *AINA,
        "--home",
        str(served.home),
        "--url",
        f"http://127.0.0.1:{free_port()}",
    )
    assert down.exit_code == 3
    unknown = cartera("issuer", "status", "nope", *at)
    assert unknown.exit_code == 2 and "unknown-offer" in unknown.stderr


def test_serve_refuses_to_start_without_a_home(tmp_path: Path, ledger: Ledger) -> None:
    done = cartera("issuer", "serve", "--home", str(tmp_path), "--ledger", ledger.url)
    assert done.exit_code == 2 and "run `init` first" in done.stderr


def test_serve_names_a_ledger_it_cannot_reach(tmp_path: Path) -> None:
    assert cartera("issuer", "init", "--name", "Padró", "--home", str(tmp_path)).exit_code == 0
    gone = f"http://127.0.0.1:{free_port()}"
    done = cartera("issuer", "serve", "--home", str(tmp_path), "--ledger", gone)
    assert done.exit_code == 3 and gone in done.stderr


def test_every_command_has_help() -> None:
    for command in ([], ["init"], ["serve"], ["offer"], ["status"]):
        done = cartera("issuer", *command, "--help")
        assert done.exit_code == 0 and "Exit codes" in done.stdout

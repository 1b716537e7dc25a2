"""`cartera credential list|show` on a real vault holding blindly issued credentials:
typed values, expiry, issuer, `--json` shapes, prefixes, and failures as one line; and
`cartera credential receive` answering offers of the real issuer service (`cli.stage`)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from attestations.credentials import IssuerKey, issue
from attestations.encoding import b64url_encode
from attestations.schemas import Value
from cli.main import app
from cli.stage import World, stage
from tests.e2e.story import new_offer, offer_status
from tests.ledger.http_helpers import free_port
from tests.wallet.wallet_helpers import SCHEMA, VALUES
from wallet import KdfParams, StoredCredential, Wallet, create, unlock

CARTERA = Path(sys.executable).with_name("cartera")
PASSPHRASE = "correct horse battery staple"
EXPIRED = {**VALUES, "expiry": datetime.date(2020, 1, 31), "district": "Sants-Montjuïc"}
runner = CliRunner()


def receive(
    wallet: Wallet, issuer: IssuerKey, values: dict[str, Value], *, label: str | None = None
) -> StoredCredential:
    """Blind issuance into `wallet`, the issuer signing as of 2019 (so `EXPIRED` may be)."""
    request, state = wallet.credentials.begin(issuer.public_key(), SCHEMA)
    when = datetime.datetime(2019, 6, 1, tzinfo=datetime.UTC)
    response = issue(issuer, SCHEMA, values, request, now=when)
    return wallet.credentials.receive(state, response, label=label, now=when)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CARTERA_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def issuer() -> IssuerKey:
    return IssuerKey.generate()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def kept(home: Path, issuer: IssuerKey) -> list[StoredCredential]:
    """A wallet with two credentials: a live one with a label, an expired one."""
    with create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE) as wallet:
        return [receive(wallet, issuer, VALUES, label="padró"), receive(wallet, issuer, EXPIRED)]


def run(home: Path, *args: str, input: str | None = None, **env: str) -> Result:
    return runner.invoke(
        app,
        ["credential", *args, "--home", str(home)],
        input=input,
        env={"CARTERA_PASSPHRASE": PASSPHRASE, "COLUMNS": "200", **env},
    )


def one_line_error(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["receive"]])
def test_help_documents_exit_codes(command: list[str]) -> None:
    result = runner.invoke(app, ["credential", *command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.stdout and "Exit codes: 0" in result.stdout


def test_list_for_people(home: Path, kept: list[StoredCredential]) -> None:
    result = run(home, "list")
    assert result.exit_code == 0, result.stderr
    for stored in kept:
        assert stored.id[:19] in result.stdout  # sha256: + 12 hex digits
    assert "resident" in result.stdout and "padró" in result.stdout
    assert "2099-12-31" in result.stdout and "2020-01-31 (expired)" in result.stdout


def test_list_json(home: Path, kept: list[StoredCredential], issuer: IssuerKey) -> None:
    result = run(home, "list", "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)["credentials"]
    assert sorted(c["id"] for c in shown) == sorted(c.id for c in kept)
    first, second = sorted(shown, key=lambda c: c["label"] is None)
    assert set(first) == {"id", "label", "schema", "issuer", "expiry", "expired", "received_at"}
    assert first["schema"] == {"id": SCHEMA.schema_id, "name": "resident"}
    assert first["issuer"] == b64url_encode(issuer.public_key().to_bytes())
    assert (first["expiry"], first["expired"], first["label"]) == ("2099-12-31", False, "padró")
    assert (second["expiry"], second["expired"], second["label"]) == ("2020-01-31", True, None)
    assert first["received_at"].endswith("Z")


def test_list_empty_wallet(home: Path) -> None:
    create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE).close()
    result = run(home, "list")
    assert result.exit_code == 0 and "credentials: none" in result.stdout
    assert json.loads(run(home, "list", "--json").stdout) == {"credentials": []}


def test_show_typed_values(home: Path, kept: list[StoredCredential]) -> None:
    result = run(home, "show", kept[0].id)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert kept[0].id in out and SCHEMA.schema_id in out
    rows = out.splitlines()
    expected = [
        ("district", "string", "Gràcia"),
        ("postcode", "integer", "8012"),
        ("birthdate", "date", "1990-05-17"),
        ("adult", "boolean", "yes"),
    ]
    for words in expected:
        assert any(all(word in row for word in words) for row in rows), words


def test_show_json_by_prefix(home: Path, kept: list[StoredCredential]) -> None:
    prefix = kept[1].id.removeprefix("sha256:")[:10]
    result = run(home, "show", prefix, "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["id"] == kept[1].id and shown["expired"] is True
    assert shown["attributes"] == [
        {"name": "expiry", "type": "date", "value": "2020-01-31"},
        {"name": "district", "type": "string", "value": "Sants-Montjuïc"},
        {"name": "postcode", "type": "integer", "value": 8012},
        {"name": "birthdate", "type": "date", "value": "1990-05-17"},
        {"name": "adult", "type": "boolean", "value": True},
    ]


def test_show_unknown_or_short_id(home: Path, kept: list[StoredCredential]) -> None:
    one_line_error(run(home, "show", "0000000000"), 2, "no credentials match")
    one_line_error(run(home, "show", "abc"), 2, "at least 8 hex digits")


def test_wrong_passphrase(home: Path, kept: list[StoredCredential]) -> None:
    one_line_error(run(home, "list", CARTERA_PASSPHRASE="wrong"), 2, "wrong passphrase")
    one_line_error(run(home, "show", kept[0].id, CARTERA_PASSPHRASE="nope"), 2, "wrong passphrase")


def test_missing_wallet(tmp_path: Path) -> None:
    one_line_error(run(tmp_path, "list"), 2, "no wallet at")


def test_passphrase_from_prompt_and_file(
    home: Path, kept: list[StoredCredential], tmp_path: Path
) -> None:
    prompted = runner.invoke(
        app, ["credential", "list", "--json", "--home", str(home)], input=PASSPHRASE + "\n"
    )
    assert prompted.exit_code == 0, prompted.output
    assert len(json.loads(prompted.stdout.splitlines()[-1])["credentials"]) == 2
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    filed = runner.invoke(
        app, ["credential", "list", "--home", str(home), "--passphrase-file", str(secret)]
    )
    assert filed.exit_code == 0, filed.stderr


def test_installed_cartera_credential_in_a_subprocess(
    home: Path, kept: list[StoredCredential]
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTERA_")}
    env |= {"CARTERA_HOME": str(home), "CARTERA_PASSPHRASE": PASSPHRASE}
    listed = subprocess.run(
        [str(CARTERA), "credential", "list", "--json"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert {c["id"] for c in json.loads(listed.stdout)["credentials"]} == {c.id for c in kept}
    shown = subprocess.run(
        [str(CARTERA), "credential", "show", kept[0].id[7:20]],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0 and "Gràcia" in shown.stdout
    missing = subprocess.run(
        [str(CARTERA), "credential", "show", "ffffffffffff"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 2 and missing.stderr.startswith("error: no credentials match")


# -- receive (the real issuer, ledger and verifier on loopback) -------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with stage(tmp_path_factory.mktemp("stage")) as running:
        yield running


def receiving(world: World, home: Path, *args: str, **env: str) -> Result:
    create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE).close()
    ledger = {"CARTERA_LEDGER_URL": world.ledger_url, "CARTERA_LEDGER_LOG_KEY": world.ledger_key}
    return run(home, "receive", *args, **{**ledger, **env})


def test_receive(world: World, home: Path) -> None:
    offer = new_offer(world)
    result = receiving(world, home, offer.url, "--label", "padró")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert (
        f"received from Ajuntament de Barcelona: Padró Municipal d'Habitants ({world.issuer.did})"
        in out
    )
    assert "padró" in out and "Gràcia" in out and "family_name" in out
    assert offer_status(world, offer) == "used"
    with unlock(home / "wallet", PASSPHRASE) as wallet:
        (stored,) = wallet.credentials.all()
        assert stored.label == "padró" and stored.attributes["postcode"] == 8012


def test_receive_json(world: World, home: Path) -> None:
    result = receiving(world, home, new_offer(world).url, "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["schema"]["name"] == "resident" and shown["expired"] is False
    values = {a["name"]: a["value"] for a in shown["attributes"]}
    assert values["birthdate"] == "1990-03-14" and values["given_name"] == "Núria"


def test_receive_refusals(world: World, home: Path, tmp_path: Path) -> None:
    offer = new_offer(world)
    assert receiving(world, home, offer.url).exit_code == 0
    again = run(home, "receive", offer.url, CARTERA_LEDGER_URL=world.ledger_url,
                CARTERA_LEDGER_LOG_KEY=world.ledger_key)  # fmt: skip
    one_line_error(again, 1, "offer-used")
    unknown = f"{world.issuer.url}/v1/offers/{'A' * 43}"
    one_line_error(receiving(world, tmp_path / "b", unknown), 1, "unknown-offer")
    down = f"http://127.0.0.1:{free_port()}"
    one_line_error(receiving(world, tmp_path / "c", f"{down}/v1/offers/x"), 3, down)
    other = new_offer(world)
    one_line_error(receiving(world, tmp_path / "d", other.url, "--ledger", down), 3, down)
    assert offer_status(world, other) == "pending"  # nothing sent before the ledger check


def test_installed_cartera_credential_receive_in_a_subprocess(world: World, home: Path) -> None:
    create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE).close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTERA_")}
    env |= {"CARTERA_HOME": str(home), "CARTERA_PASSPHRASE": PASSPHRASE,
            "CARTERA_LEDGER_URL": world.ledger_url,
            "CARTERA_LEDGER_LOG_KEY": world.ledger_key}  # fmt: skip
    done = subprocess.run(
        [str(CARTERA), "credential", "receive", new_offer(world).url, "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["schema"]["name"] == "resident"

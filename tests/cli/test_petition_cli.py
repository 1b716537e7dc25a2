"""`cartera petition open|sign|tally` against a real ledger (`cartera ledger serve` on
127.0.0.1) and real vault files: a petition opened with its eligibility typed on the
command line, signed once by an eligible citizen after seeing what is shown and proven,
refused to the ineligible and to a second try, counted, and recounted by `cartera audit
replay`; bad input is exit 2, an unreachable ledger exit 3, always one line."""

from __future__ import annotations

import datetime
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from attestations.credentials import issue
from attestations.encoding import b64url_decode
from attestations.predicates import years_before
from attestations.schemas import Value
from cli.main import app
from ledger.settings import load
from policies import Entry, utc_seconds
from tests.ledger.http_helpers import JSON, Server, free_port, log_key
from tests.ledger.petition_builders import ADULT_VALUES, LIBRARY, RESIDENT, PetitionWorld
from wallet import KdfParams, create, unlock

CARTERA = Path(sys.executable).with_name("cartera")
PASSPHRASE = "correct horse battery staple"
runner = CliRunner()


def now() -> datetime.datetime:
    return utc_seconds(datetime.datetime.now(datetime.UTC))


@dataclass
class Town:
    """A running ledger where an issuer of `resident` credentials registered."""

    server: Server
    vkey: str
    world: PetitionWorld

    def post(self, document: Entry) -> None:
        httpx.post(f"{self.server.url}/v1/entries", content=document.to_json(), headers=JSON,
                   timeout=30).raise_for_status()  # fmt: skip

    def run(self, home: Path, *args: str, input: str | None = None) -> Result:
        env = {"CARTERA_HOME": str(home), "CARTERA_PASSPHRASE": PASSPHRASE,
               "CARTERA_LEDGER_URL": self.server.url, "CARTERA_LEDGER_LOG_KEY": self.vkey,
               "COLUMNS": "200"}  # fmt: skip
        return runner.invoke(app, list(args), input=input, env=env)

    def open(self, home: Path, *extra: str) -> str:
        """Open the usual petition (aged 16+, in Gràcia or Sants) with --json; its id."""
        result = self.run(
            home, "petition", "open", "--title", "More trees on Carrer de Verdi",
            "--text", "Twenty trees, please.", "--issuer", self.world.issuer.did,
            "--schema", "resident", "--min-age", "16",
            "--predicate", "district in Gràcia,Sants-Montjuïc", "--days", "7", "--json", *extra,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        return str(json.loads(result.stdout)["id"])

    def tally(self, home: Path, petition: str) -> dict[str, Any]:
        result = self.run(home, "petition", "tally", petition, "--json")
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Town]:
    home = tmp_path_factory.mktemp("ledger-home")
    server = Server(home, f"sqlite:///{home / 'ledger.db'}").start()
    built = Town(server, log_key(load(home=home)).to_text(), PetitionWorld())
    built.post(built.world.register(now(), schemas=(RESIDENT, LIBRARY)))
    yield built
    server.stop()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CARTERA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def citizen(town: Town, home: Path, **values: Value) -> None:
    """A wallet under `home` holding a resident credential (`ADULT_VALUES`, overridden)."""
    with create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE) as wallet:
        bbs = town.world.bbs
        request, state = wallet.credentials.begin(bbs.public_key(), RESIDENT)
        wallet.credentials.receive(state, issue(bbs, RESIDENT, {**ADULT_VALUES, **values}, request))


def one_line_error(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("command", [[], ["open"], ["sign"], ["tally"]])
def test_help_documents_exit_codes(command: list[str]) -> None:
    result = runner.invoke(app, ["petition", *command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.stdout and "Exit codes: 0" in result.stdout


def test_open_fixes_the_eligibility_in_the_petition(town: Town, home: Path) -> None:
    petition = town.open(home)
    key = home / "organiser" / "organiser.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    shown = town.tally(home, petition)
    assert (shown["id"], shown["signatures"], shown["status"]) == (petition, 0, "open")
    entry = httpx.get(f"{town.server.url}/v1/petitions/{petition}", timeout=30).json()
    assert entry["signatures"] == 0
    bound = years_before(now().date(), 16).isoformat()
    opened = json.loads(b64url_decode(entry["entry"]))
    assert opened["eligibility"]["predicates"] == [
        {"attribute": "birthdate", "op": "<=", "value": bound},
        {"attribute": "district", "op": "in", "value": ["Gràcia", "Sants-Montjuïc"]},
    ]
    assert opened["eligibility"]["schema"]["name"] == "resident"
    assert opened["organiser"] == shown["organiser"]
    again = town.open(home)  # the same organiser key, read back
    assert town.tally(home, again)["organiser"] == shown["organiser"]


def test_a_citizen_signs_once_and_the_audit_recounts(
    town: Town, home: Path, tmp_path: Path
) -> None:
    petition = town.open(home)
    citizen(town, home)
    result = town.run(home, "petition", "sign", petition, input="y\n")
    assert result.exit_code == 0, result.output
    shown = result.stdout + result.stderr
    assert "More trees on Carrer de Verdi" in shown and "Twenty trees, please." in shown
    assert "2027-12-31" not in shown and "expiry >= " in shown  # proven, never shown
    assert "birthdate <= " in shown and "district in {Gràcia, Sants-Montjuïc}" in shown
    assert f"signed petition {petition}" in result.stdout
    assert town.tally(home, petition)["signatures"] == 1
    with unlock(home / "wallet", PASSPHRASE) as wallet:
        assert len(wallet.presentations.all(verifier=petition)) == 1

    twice = town.run(home, "petition", "sign", petition, "--yes")
    one_line_error(twice, 1, "signed petition", "already")
    assert town.tally(home, petition)["signatures"] == 1

    audit = runner.invoke(
        app, ["audit", "replay", str(town.server.home / "ledger.db"), "--log-key", town.vkey,
              "--json", "--workers", "0"],
    )  # fmt: skip
    assert audit.exit_code == 0, audit.output
    recounted = {p["id"]: p["signatures"] for p in json.loads(audit.stdout)["state"]["petitions"]}
    assert recounted[petition] == town.tally(home, petition)["signatures"] == 1
    text = runner.invoke(
        app,
        [
            "audit",
            "replay",
            str(town.server.home / "ledger.db"),
            "--log-key",
            town.vkey,
            "--workers",
            "0",
        ],
        env={"COLUMNS": "250"},
    )
    assert "Petitions" in text.stdout and petition in text.stdout  # fmt: skip


def test_declining_signs_nothing(town: Town, home: Path) -> None:
    petition = town.open(home)
    citizen(town, home)
    result = town.run(home, "petition", "sign", petition, input="n\n")
    assert result.exit_code == 1
    assert town.tally(home, petition)["signatures"] == 0


@pytest.mark.parametrize(
    ("values", "unmet"),
    [
        ({"birthdate": datetime.date(2015, 6, 1)}, "not birthdate <= "),
        ({"district": "Eixample"}, "not district in {Gràcia, Sants-Montjuïc}"),
    ],
)
def test_an_ineligible_citizen_is_told_why(
    town: Town, home: Path, values: dict[str, Value], unmet: str
) -> None:
    petition = town.open(home)
    citizen(town, home, **values)
    one_line_error(town.run(home, "petition", "sign", petition, "--yes"), 1, unmet)
    assert town.tally(home, petition)["signatures"] == 0


def test_json_sign(town: Town, home: Path) -> None:
    petition = town.open(home)
    citizen(town, home)
    result = town.run(home, "petition", "sign", petition, "--yes", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["petition"] == petition and answer["tree_size"] > answer["index"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tally", "sha256:nope"], "not a petition id"),
        (["sign", "trees"], "not a petition id"),
        (["tally", "sha256:" + "0" * 64], "no petition"),
        (["open", "--title", "T", "--issuer", "did:key:z6Mk", "--schema", "resident",
          "--text", "x"], "--issuer"),
        (["open", "--title", "T", "--issuer", "{issuer}", "--schema", "resident"], "--text"),
        (["open", "--title", "T", "--issuer", "{issuer}", "--schema", "passport", "--text", "x"],
         "registered no schema 'passport'"),
        (["open", "--title", "T", "--issuer", "{issuer}", "--schema", "library_card",
          "--text", "x", "--min-age", "18"], "has no birthdate"),
        (["open", "--title", "T", "--issuer", "{issuer}", "--schema", "resident", "--text", "x",
          "--closes", "next week"], "--closes"),
        (["open", "--title", "T", "--issuer", "{issuer}", "--schema", "resident", "--text", "x",
          "--predicate", "district ~ Gràcia"], "--predicate"),
        (["open", "--title", "T", "--issuer", "{issuer}", "--schema", "resident", "--text", "x",
          "--disclose", "shoe_size"], "shoe_size"),
        (["open", "--title", "T", "--issuer", "{issuer}", "--schema", "resident", "--text", "x",
          "--closes", "2020-01-01T00:00:00Z"], "closes_at"),
    ],
)  # fmt: skip
def test_bad_input_exits_2(town: Town, home: Path, args: list[str], message: str) -> None:
    filled = [a.replace("{issuer}", town.world.issuer.did) for a in args]
    one_line_error(town.run(home, "petition", *filled), 2, message)


def test_an_organiser_key_others_can_read_exits_2(town: Town, home: Path) -> None:
    town.open(home)
    key = home / "organiser" / "organiser.key"
    key.chmod(0o644)
    result = town.run(home, "petition", "open", "--title", "T", "--text", "x", "--issuer",
                      town.world.issuer.did, "--schema", "resident")  # fmt: skip
    one_line_error(result, 2, "chmod 600")


def test_an_unreachable_ledger_exits_3(town: Town, home: Path) -> None:
    result = runner.invoke(
        app, ["petition", "tally", "sha256:" + "0" * 64, "--ledger",
              f"http://127.0.0.1:{free_port()}", "--log-key", town.vkey],
        env={"CARTERA_HOME": str(home)},
    )  # fmt: skip
    one_line_error(result, 3)


def test_the_installed_command(town: Town, home: Path) -> None:
    petition = town.open(home)
    env = {**os.environ, "CARTERA_HOME": str(home), "CARTERA_LEDGER_URL": town.server.url,
           "CARTERA_LEDGER_LOG_KEY": town.vkey}  # fmt: skip
    done = subprocess.run([str(CARTERA), "petition", "tally", petition, "--json"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["signatures"] == 0

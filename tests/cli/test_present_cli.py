"""`cartera present` against the three real services on loopback (`cli.stage`) and real
vault files: the request shown, a grant approved (or declined, or `--yes`), the answer
accepted with what the verifier learned, or refused with the verifier's check and
reason; bad input as exit 2, unreachable services as exit 3."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from attestations.predicates import years_before
from cli.main import app
from cli.stage import World, stage
from mobile_api.models import RequestCreated
from policies import AtMost, MemberOf, Predicate, Purpose, sign_request, utc_seconds
from tests.e2e.story import (
    PURPOSE,
    RESIDENCE,
    RESIDENT_VALUES,
    issuer_identity,
    new_offer,
    new_request,
    request_result,
    tree_size,
    verifier_identity,
)
from tests.ledger.http_helpers import free_port
from wallet import KdfParams, Wallet, WalletLedger, create, unlock
from wallet.session_http import SessionHttp
from wallet.sessions import fetch_offer, receive_offer

CARTERA = Path(sys.executable).with_name("cartera")
PASSPHRASE = "correct horse battery staple"
runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with stage(tmp_path_factory.mktemp("stage")) as running:
        yield running


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CARTERA_"):
            monkeypatch.delenv(name)


def citizen_home(home: Path, world: World, offer_url: str) -> Path:
    """A home whose wallet holds the credential offered at `offer_url`."""
    with (
        create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE) as wallet,
        WalletLedger(wallet, world.ledger_url, log_key=world.ledger_key) as ledger,
        SessionHttp() as http,
    ):
        receive_offer(wallet, ledger, http, fetch_offer(http, offer_url))
    return home


@pytest.fixture
def home(tmp_path: Path, world: World) -> Path:
    """A home whose wallet holds a resident credential from the stage's issuer."""
    return citizen_home(tmp_path / "home", world, new_offer(world).url)


def env(world: World, home: Path) -> dict[str, str]:
    return {
        "CARTERA_HOME": str(home),
        "CARTERA_PASSPHRASE": PASSPHRASE,
        "CARTERA_LEDGER_URL": world.ledger_url,
        "CARTERA_LEDGER_LOG_KEY": world.ledger_key,
        "COLUMNS": "200",
    }


def run(world: World, home: Path, *args: str, input: str | None = None, **extra: str) -> Result:
    return runner.invoke(app, ["present", *args], input=input, env={**env(world, home), **extra})


def one_line_error(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def opened(home: Path) -> Wallet:
    return unlock(home / "wallet", PASSPHRASE)


def saved_request(world: World, tmp_path: Path, url: str | None = None) -> Path:
    """A request as a file (what a verifier might hand over instead of a URL)."""
    data = httpx.get(url or new_request(world).url, timeout=30).content
    path = tmp_path / "request.json"
    path.write_bytes(data)
    return path


# -- help -----------------------------------------------------------------------------------


def test_help_documents_exit_codes() -> None:
    result = runner.invoke(app, ["present", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "URL_OR_FILE" in result.stdout and "Exit codes: 0 accepted" in result.stdout


# -- accepted -------------------------------------------------------------------------------


def test_present_with_yes(world: World, home: Path) -> None:
    created = new_request(world)
    before = tree_size(world)
    result = run(world, home, created.url, "--yes")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Bicing (bike sharing)" in out and "dpv:ServiceProvision" in out
    assert "district = Gràcia, postcode = 8012" in out  # what would be shown, before
    assert "consent to grant" in out and "at most 1" in out
    assert "accepted by Bicing (bike sharing)" in out and "granted sha256:" in out
    assert f"entry {before + 1} (tree size {before + 2})" in out
    assert request_result(world, created).status == "accepted"
    with opened(home) as wallet:
        (consent,) = wallet.consents.all()
        (shown,) = wallet.presentations.all()
        assert shown.grant_id == consent.id and shown.disclosed == ("expiry", *RESIDENCE)


def test_present_asks_and_a_no_shows_nothing(world: World, home: Path) -> None:
    created = new_request(world)
    before = tree_size(world)
    declined = run(world, home, created.url, input="n\n")
    assert declined.exit_code == 1, declined.output
    assert "Sign and publish this grant, and answer?" in declined.stderr
    assert "declined: no grant signed, nothing shown" in declined.stderr
    assert tree_size(world) == before and request_result(world, created).status == "pending"
    with opened(home) as wallet:
        assert wallet.consents.all() == [] and wallet.presentations.all() == []
    accepted = run(world, home, created.url, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert request_result(world, created).status == "accepted"


def test_present_json(world: World, home: Path) -> None:
    result = run(world, home, new_request(world).url, "--yes", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["status"] == "accepted" and shown["granted"] is True
    assert shown["disclosed"]["district"] == "Gràcia" and shown["disclosed"]["postcode"] == 8012
    assert shown["verifier"] == {"did": world.verifier.did, "name": "Bicing (bike sharing)"}
    assert shown["purpose"] == "dpv:ServiceProvision"
    assert shown["access"]["tree_size"] == shown["access"]["index"] + 1
    assert "presentation request" in result.stderr  # people still see what is asked


def test_present_a_request_file(world: World, home: Path, tmp_path: Path) -> None:
    result = run(world, home, str(saved_request(world, tmp_path)), "--yes")
    assert result.exit_code == 0, result.output
    assert "accepted by" in result.stdout


# -- predicates -------------------------------------------------------------------------------

TODAY = datetime.datetime.now(datetime.UTC).date()
ADULT = AtMost(attribute="birthdate", op="<=", value=years_before(TODAY, 18))
NEIGHBOURS = MemberOf(attribute="district", op="in", value=("Gràcia", "Sants-Montjuïc"))


def predicate_request(world: World, *predicates: Predicate) -> RequestCreated:
    """A request for the postcode and `predicates`, through the verifier's admin API."""
    with world.verifier.admin() as admin:
        return admin.create_request(
            "resident", ["postcode"], purpose=PURPOSE, predicates=list(predicates)
        )


def test_present_a_predicate_request(world: World, home: Path) -> None:
    created = predicate_request(world, ADULT, NEIGHBOURS)
    result = run(world, home, created.url, "--yes")
    assert result.exit_code == 0, result.output
    out = result.stdout
    bound = ADULT.value.isoformat()
    assert "postcode = 8012" in out  # shown, and beside it what is proven
    assert f"birthdate ≤ {bound} — proven without showing your birthdate" in out
    assert "district in {Gràcia, Sants-Montjuïc} — proven without showing your district" in out
    assert f"birthdate <= {bound}, district in {{Gràcia, Sants-Montjuïc}}" in out  # the grant
    assert f"│ birthdate │ ≤ {bound} (proven; the value was not shown)" in out
    assert RESIDENT_VALUES["birthdate"] not in out and "│ Gràcia" not in out
    outcome = request_result(world, created)
    assert outcome.disclosed is not None and set(outcome.disclosed) == {"expiry", "postcode"}
    with opened(home) as wallet:
        (shown,) = wallet.presentations.all()
        assert shown.predicates == (ADULT, NEIGHBOURS) and shown.disclosed == ("expiry", "postcode")


def test_present_a_predicate_request_json(world: World, home: Path) -> None:
    result = run(world, home, predicate_request(world, ADULT).url, "--yes", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["proven"] == [{**ADULT.to_json_dict(), "text": f"birthdate ≤ {ADULT.value}"}]
    assert set(shown["disclosed"]) == {"expiry", "postcode"}
    assert "proven without showing your birthdate" in result.stderr


def test_a_minor_is_refused_by_the_wallet(world: World, tmp_path: Path) -> None:
    with world.issuer.admin() as admin:
        young = {**RESIDENT_VALUES, "birthdate": years_before(TODAY, 10).isoformat()}
        offer = admin.create_offer("resident", young)
    minor = citizen_home(tmp_path / "minor", world, offer.url)
    created = predicate_request(world, ADULT)
    before = tree_size(world)
    result = run(world, minor, created.url, "--yes")
    one_line_error(result, 1, f"does not satisfy {ADULT.describe()}", "nothing was sent")
    assert young["birthdate"] not in result.output
    assert tree_size(world) == before and request_result(world, created).status == "pending"
    with opened(minor) as wallet:
        assert wallet.consents.all() == [] and wallet.presentations.all() == []


# -- refused by the verifier ----------------------------------------------------------------


def test_refusal_shows_the_check_and_the_reason(world: World, home: Path, tmp_path: Path) -> None:
    created = new_request(world)
    path = saved_request(world, tmp_path, created.url)
    assert run(world, home, created.url, "--yes").exit_code == 0
    again = run(world, home, str(path), "--yes")  # the same request, from the file
    assert again.exit_code == 1, again.output
    assert "refused by the verifier" in again.stdout
    assert "request" in again.stdout and "nonce-replayed" in again.stdout
    as_json = run(world, home, str(path), "--yes", "--json")
    assert as_json.exit_code == 1
    refusal = json.loads(as_json.stdout)
    assert (refusal["status"], refusal["check"], refusal["reason"]) == (
        "refused", "request", "nonce-replayed"
    )  # fmt: skip
    fetched = run(world, home, created.url, "--yes")  # nor is it served again
    assert fetched.exit_code == 1 and "nonce-replayed" in fetched.stdout


# -- the wallet's own checks -----------------------------------------------------------------


def test_bad_request_files(world: World, home: Path, tmp_path: Path) -> None:
    one_line_error(run(world, home, str(tmp_path / "missing.json")), 2, "cannot read")
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"type": "presentation.request"}')
    one_line_error(run(world, home, str(malformed)), 2, "presentation.request")
    document: dict[str, Any] = json.loads(saved_request(world, tmp_path).read_bytes())
    document["attributes"] = ["birthdate", *RESIDENCE]
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    one_line_error(run(world, home, str(forged), "--yes"), 1, "not signed by")


def test_an_expired_request(world: World, home: Path, tmp_path: Path) -> None:
    past = utc_seconds(datetime.datetime.now(datetime.UTC)) - datetime.timedelta(hours=1)
    expired = sign_request(
        verifier_identity(world).key, schema=issuer_identity(world).schemas[0].schema_id,
        attributes=RESIDENCE, predicates=[], purpose=Purpose.SERVICE_PROVISION,
        nonce=os.urandom(32), trusted_issuers=[world.issuer.did], created_at=past,
        expires_at=past + datetime.timedelta(minutes=5),
        response_uri=f"{world.verifier.url}/v1/requests/x/response",
    )  # fmt: skip
    path = tmp_path / "expired.json"
    path.write_bytes(expired.to_json())
    one_line_error(run(world, home, str(path), "--yes"), 2, "expired")


def test_no_suitable_credential(world: World, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    create(empty / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE).close()
    result = run(world, empty, new_request(world).url, "--yes")
    one_line_error(result, 1, "no credential of schema")


def test_unreachable(world: World, home: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    one_line_error(run(world, home, f"{down}/v1/requests/x"), 3, down)
    url = new_request(world).url
    one_line_error(run(world, home, url, "--yes", "--ledger", down), 3, down)


def test_wrong_passphrase(world: World, home: Path) -> None:
    result = run(world, home, new_request(world).url, CARTERA_PASSPHRASE="wrong")
    one_line_error(result, 2, "wrong passphrase")


# -- the installed command ---------------------------------------------------------------------


def test_installed_cartera_present_in_a_subprocess(world: World, home: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CARTERA_")}
    done = subprocess.run(
        [str(CARTERA), "present", new_request(world).url, "--yes", "--json"],
        env={**environment, **env(world, home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "accepted"

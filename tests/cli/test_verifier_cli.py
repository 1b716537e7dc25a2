"""`cartera verifier …`: init a home trusting an issuer, serve it as a real process
(uvicorn on loopback) against a real ledger, ask a real wallet for attributes, read the
result (accepted, refused, pending), with the exit codes the help promises."""

from __future__ import annotations

import datetime
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from attestations.predicates import years_before
from cli.main import app
from ledger.service import create_app as create_ledger_app
from policies import build_response
from tests.ledger.http_helpers import JSON
from tests.mobile_api.session_helpers import (
    AINA,
    Ledger,
    Party,
    ServiceProcess,
    fetch_request,
    grant,
    ledger_settings,
    new_wallet,
    present,
    receive,
    running,
    serve,
)
from wallet import Wallet

runner = CliRunner()


def cartera(*args: str) -> Result:
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    settings = ledger_settings(tmp_path_factory.mktemp("ledger"))
    with serve(create_ledger_app(settings)) as url:
        yield Ledger(url, settings)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory, ledger: Ledger) -> Iterator[Party]:
    with running("issuer", tmp_path_factory.mktemp("issuer"), ledger.url) as party:
        yield party


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, ledger: Ledger, issuer: Party
) -> Iterator[ServiceProcess]:
    home = tmp_path_factory.mktemp("verifier-home")
    made = cartera(
        "verifier",
        "init",
        "--name",
        "Bicing",
        "--trust",
        issuer.did,
        "--contact",
        "dpo@bicing.example",
        "--home",
        str(home),
    )
    assert made.exit_code == 0, made.output
    process = ServiceProcess("verifier", home, ledger.url).start()
    yield process
    assert process.stop() in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it ended on


@pytest.fixture(scope="module")
def citizen(
    tmp_path_factory: pytest.TempPathFactory, issuer: Party
) -> Iterator[tuple[Wallet, str]]:
    with new_wallet(tmp_path_factory.mktemp("citizen")) as wallet:
        with issuer.admin() as admin:
            credential = receive(wallet, admin.create_offer("resident", AINA).url)
        yield wallet, credential


def ask(served: ServiceProcess, *args: str) -> dict[str, str]:
    done = cartera(
        "verifier",
        "request",
        "--attr",
        "district",
        "--attr",
        "postcode",
        "--home",
        str(served.home),
        "--url",
        served.url,
        "--json",
        *args,
    )
    assert done.exit_code == 0, done.output
    answer: dict[str, str] = json.loads(done.stdout)
    return answer


def result(served: ServiceProcess, request_id: str) -> Result:
    return cartera(
        "verifier", "result", request_id, "--home", str(served.home), "--url", served.url, "--json"
    )


def test_init_writes_the_verifier_home(tmp_path: Path, issuer: Party) -> None:
    done = cartera(
        "verifier",
        "init",
        "--name",
        "Biblioteques",
        "--purpose",
        "dpv:IdentityVerification",
        "--purpose",
        "dpv:ServiceProvision",
        "--trust",
        issuer.did,
        "--home",
        str(tmp_path),
        "--json",
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    assert shown["purposes"] == ["dpv:IdentityVerification", "dpv:ServiceProvision"]
    assert shown["trusted_issuers"] == [issuer.did]
    assert (tmp_path / "verifier" / "admin.key").read_text().strip() == shown["api_key"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trust", "did:web:padro.example"], "trusted_issuers"),
        (["--purpose", "dpv:Gossip"], "dpv:Gossip"),
    ],
)
def test_init_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    done = cartera("verifier", "init", "--name", "B", "--home", str(tmp_path), *args)
    assert done.exit_code == 2 and message in done.stderr
    assert not (tmp_path / "verifier").exists()


def test_a_request_answered_and_accepted(
    served: ServiceProcess, ledger: Ledger, issuer: Party, citizen: tuple[Wallet, str]
) -> None:
    assert "registered at ledger entry" in served.log
    shown = cartera(
        "verifier", "request", "--attr", "district", "--home", str(served.home), "--url", served.url
    )
    assert shown.exit_code == 0, shown.output
    assert "█" in shown.stdout
    created = ask(served)
    request = fetch_request(created["url"])
    assert request.attributes == ("district", "postcode")
    pending = result(served, created["id"])
    assert pending.exit_code == 0, pending.output
    assert json.loads(pending.stdout)["status"] == "pending"
    wallet, credential = citizen
    consent = grant(wallet, request, ledger)
    assert present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id).is_success
    done = result(served, created["id"])
    assert done.exit_code == 0
    answer = json.loads(done.stdout)
    assert answer["status"] == "accepted" and answer["grant"] == consent.id
    assert answer["disclosed"]["district"] == "Gràcia"
    human = cartera(
        "verifier", "result", created["id"], "--home", str(served.home), "--url", served.url
    )
    assert "accepted" in human.stdout and "Gràcia" in human.stdout


def test_a_refused_answer_exits_1_and_says_why(
    served: ServiceProcess, ledger: Ledger, issuer: Party, citizen: tuple[Wallet, str]
) -> None:
    created = ask(served)
    request = fetch_request(created["url"])
    wallet, credential = citizen
    consent = grant(wallet, request, ledger, attributes=("district",))
    present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    done = result(served, created["id"])
    assert done.exit_code == 1
    answer = json.loads(done.stdout)
    assert (answer["status"], answer["check"], answer["reason"]) == (
        "refused",
        "consent",
        "not-covered",
    )


def test_a_request_for_predicates(
    served: ServiceProcess, ledger: Ledger, issuer: Party, citizen: tuple[Wallet, str]
) -> None:
    """`--min-age`, `--predicate` (the syntax `consent grant` takes) and `--prove-expiry`:
    signed into the request, proven by the wallet, and the verifier's result discloses
    none of the values, and lists what was proven."""
    done = cartera(
        "verifier", "request", "--attr", "postcode", "--min-age", "18",
        "--predicate", "district in Gràcia,Sants-Montjuïc", "--prove-expiry",
        "--home", str(served.home), "--url", served.url, "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    created = json.loads(done.stdout)
    today = datetime.datetime.now(datetime.UTC).date()
    request = fetch_request(created["url"])
    assert created["request"]["predicates"] == [
        {"attribute": "birthdate", "op": "<=", "value": years_before(today, 18).isoformat()},
        {"attribute": "district", "op": "in", "value": ["Gràcia", "Sants-Montjuïc"]},
        {"attribute": "expiry", "op": ">=", "value": request.expires_at.date().isoformat()},
    ]
    assert request.attributes == ("postcode",) and len(request.predicates) == 3
    wallet, credential = citizen
    consent = grant(wallet, request, ledger)
    shown = wallet.present(credential, disclose=request.attributes, verifier_id=request.verifier,
                           nonce=request.nonce, predicates=request.predicates)  # fmt: skip
    body = build_response(issuer=issuer.did, grant=consent.id, presentation=shown).to_json()
    assert request.response_uri is not None
    assert httpx.post(request.response_uri, content=body, headers=JSON).is_success
    answer = json.loads(result(served, created["id"]).stdout)
    assert answer["status"] == "accepted"
    assert set(answer["disclosed"]) == {"postcode"}  # not district, birthdate nor expiry
    assert answer["proven"] == created["request"]["predicates"]
    human = cartera(
        "verifier", "result", created["id"], "--home", str(served.home), "--url", served.url
    )
    assert "district in {Gràcia, Sants-Montjuïc}" in human.stdout and "expiry >= " in human.stdout


def test_request_errors_have_their_exit_codes(served: ServiceProcess) -> None:
    at = ["--home", str(served.home), "--url", served.url]
    purpose = cartera("verifier", "request", "--attr", "district", "--purpose", "dpv:X", *at)
    assert purpose.exit_code == 2 and "dpv:X" in purpose.stderr
    unregistered = cartera(
        "verifier", "request", "--attr", "district", "--purpose", "dpv:Marketing", *at
    )
    assert unregistered.exit_code == 2 and "invalid-purpose" in unregistered.stderr
    unknown = cartera("verifier", "result", "nope", *at)
    assert unknown.exit_code == 2 and "unknown-request" in unknown.stderr
    nothing = cartera("verifier", "request", *at)
    assert nothing.exit_code == 2 and "--attr, --predicate or --min-age" in nothing.stderr
    syntax = cartera("verifier", "request", "-p", "district ~ Gràcia", *at)
    assert syntax.exit_code == 2 and "want 'ATTR >= V'" in syntax.stderr
    unfit = cartera("verifier", "request", "-p", "district >= 5", *at)
    assert unfit.exit_code == 2 and "invalid-predicates" in unfit.stderr
    shown_and_proven = cartera("verifier", "request", "--attr", "birthdate", "--min-age", "18", *at)
    assert shown_and_proven.exit_code == 2 and "invalid-predicates" in shown_and_proven.stderr
    too_old = cartera("verifier", "request", "--min-age", "151", *at)
    assert too_old.exit_code == 2 and "--min-age" in too_old.stderr


def test_every_command_has_help() -> None:
    commands = [[], ["init"], ["serve"], ["request"], ["result"], ["keys"], ["keys", "list"],
                ["keys", "add"], ["keys", "revoke"]]  # fmt: skip
    for command in commands:
        done = cartera("verifier", *command, "--help")
        assert done.exit_code == 0 and "Exit codes" in done.stdout


def test_admin_keys_are_added_listed_and_revoked(served: ServiceProcess) -> None:
    """A key added works against the running service at once; revoked, it is refused at
    once; the key `init` made is untouched; unknown and malformed ids are bad input."""
    home = ["--home", str(served.home)]
    before = json.loads(cartera("verifier", "keys", "list", *home, "--json").stdout)
    assert [k["label"] for k in before] == ["init"]
    added = cartera("verifier", "keys", "add", "--label", "front desk", *home, "--json")
    assert added.exit_code == 0, added.output
    made = json.loads(added.stdout)
    key = made["api_key"]
    assert key.startswith("cak_") and made["label"] == "front desk"
    listed = json.loads(cartera("verifier", "keys", "list", *home, "--json").stdout)
    assert [k["id"] for k in listed] == [before[0]["id"], made["id"]]
    assert key not in cartera("verifier", "keys", "list", *home).stdout  # shown once only
    ask_with = ["verifier", "request", "--attr", "district", "--url", served.url, *home]
    assert cartera(*ask_with, "--api-key", key).exit_code == 0
    revoked = cartera("verifier", "keys", "revoke", made["id"], *home)
    assert revoked.exit_code == 0 and "front desk" in revoked.stdout
    refused = cartera(*ask_with, "--api-key", key)
    assert refused.exit_code == 2 and "unknown API key" in refused.stderr
    assert cartera(*ask_with).exit_code == 0  # the init key still works
    again = cartera("verifier", "keys", "revoke", made["id"], *home)
    assert again.exit_code == 2 and "no admin key" in again.stderr
    malformed = cartera("verifier", "keys", "revoke", "zz", *home)
    assert malformed.exit_code == 2 and "give a key" in malformed.stderr

"""`cartera consent …` against a real ledger (`cartera ledger serve` on 127.0.0.1) and
real vault files: grants drafted from a signed request or from options, confirmed or
declined, revoked (also after the ledger was down), listed with the ledger's status or
the wallet's, and the history of accesses matched to the wallet's presentations."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from attestations.credentials import IssuerKey, issue
from cli.main import app
from ledger.note import SignerKey
from ledger.settings import load
from policies import (
    AtMost,
    Ciphersuite,
    OrgKey,
    PresentationRequest,
    Purpose,
    SchemaRef,
    sign_access_record,
    sign_consent_grant,
    sign_consent_revoke,
    sign_issuer_register,
    sign_request,
    sign_verifier_register,
    utc_seconds,
)
from tests.ledger.http_helpers import JSON, Server, free_port, log_key
from tests.wallet.wallet_helpers import SCHEMA, VALUES
from wallet import ConsentStatus, KdfParams, StoredCredential, Wallet, create, unlock

CARTERA = Path(sys.executable).with_name("cartera")
PASSPHRASE = "correct horse battery staple"
runner = CliRunner()


def now() -> datetime.datetime:
    return utc_seconds(datetime.datetime.now(datetime.UTC))


@dataclass
class World:
    """A running ledger with an issuer of `SCHEMA` and a registered verifier (Bicing)."""

    server: Server
    vkey: str
    issuer: IssuerKey
    issuer_org: OrgKey
    verifier: OrgKey

    def post(self, document: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.server.url}/v1/entries", content=document.to_json(), headers=JSON, timeout=30
        )
        answer.raise_for_status()
        return dict(answer.json())

    def get(self, path: str) -> Any:
        answer = httpx.get(f"{self.server.url}{path}", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def tree_size(self) -> int:
        return int(self.get("/v1/log")["tree_size"])

    def request(self, **overrides: Any) -> PresentationRequest:
        at = now()
        fields: dict[str, Any] = {
            "schema": SCHEMA.schema_id,
            "attributes": ["district"],
            "predicates": [AtMost(attribute="birthdate", op="<=", value=datetime.date(2007, 1, 1))],
            "purpose": Purpose.SERVICE_PROVISION,
            "nonce": os.urandom(16),
            "trusted_issuers": [self.issuer_org.did],
            "created_at": at,
            "expires_at": at + datetime.timedelta(minutes=10),
        }
        return sign_request(self.verifier, **{**fields, **overrides})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("ledger-home")
    server = Server(home, f"sqlite:///{home / 'ledger.db'}").start()
    issuer, issuer_org, verifier = IssuerKey.generate(), OrgKey.generate(), OrgKey.generate()
    built = World(server, log_key(load(home=home)).to_text(), issuer, issuer_org, verifier)
    at = now()
    built.post(
        sign_issuer_register(
            issuer_org,
            name="Padró",
            public_key=issuer.public_key().to_bytes(),
            ciphersuite=Ciphersuite.SHA256,
            schemas=[SchemaRef(id=SCHEMA.schema_id, definition=SCHEMA)],
            valid_from=at,
            valid_until=at + datetime.timedelta(days=365),
            created_at=at,
        )
    )
    built.post(
        sign_verifier_register(
            verifier,
            name="Bicing",
            purposes=[Purpose.SERVICE_PROVISION],
            contact="dpo@bicing.example",
            created_at=at,
        )
    )
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


@pytest.fixture
def credential(home: Path, world: World) -> StoredCredential:
    """A wallet holding a resident credential from the registered issuer."""
    with create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE) as wallet:
        request, state = wallet.credentials.begin(world.issuer.public_key(), SCHEMA)
        return wallet.credentials.receive(state, issue(world.issuer, SCHEMA, VALUES, request))


def run(world: World, home: Path, *args: str, input: str | None = None, **env: str) -> Result:
    base = {
        "CARTERA_HOME": str(home),
        "CARTERA_PASSPHRASE": PASSPHRASE,
        "CARTERA_LEDGER_URL": world.server.url,
        "CARTERA_LEDGER_LOG_KEY": world.vkey,
        "COLUMNS": "200",
    }
    return runner.invoke(app, ["consent", *args], input=input, env={**base, **env})


def one_line_error(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def write_request(tmp_path: Path, request: PresentationRequest) -> Path:
    path = tmp_path / f"request-{request.nonce.hex()[:8]}.json"
    path.write_bytes(request.to_json())
    return path


def opened(home: Path) -> Wallet:
    return unlock(home / "wallet", PASSPHRASE)


def granted(world: World, home: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    """Grant `world.request()` with --yes --json; the JSON answer."""
    path = write_request(tmp_path, world.request())
    result = run(world, home, "grant", str(path), "--yes", "--json", *extra)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


# -- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["grant"], ["revoke"], ["list"], ["history"]])
def test_help_documents_exit_codes(command: list[str]) -> None:
    result = runner.invoke(app, ["consent", *command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.stdout and "Exit codes: 0" in result.stdout


# -- grant ----------------------------------------------------------------------------------


def test_grant_from_a_request_is_the_least_grant(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    request = world.request()
    before = world.tree_size()
    result = run(world, home, "grant", str(write_request(tmp_path, request)), "--yes")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Bicing" in out and "district" in out and "birthdate <= 2007-01-01" in out
    assert "dpv:ServiceProvision" in out and "at most 1" in out
    assert "granted sha256:" in out and f"ledger entry {before} " in out
    with opened(home) as wallet:
        (kept,) = wallet.consents.all()
        assert kept.status(now()) is ConsentStatus.LIVE
        assert kept.receipt is not None and kept.receipt.index == before
        assert kept.grant.attributes == request.attributes
        assert kept.grant.predicates == request.predicates
        assert kept.grant.not_after == request.expires_at and kept.grant.max_uses == 1
        assert kept.grant.pseudonym == wallet.pseudonym(world.verifier.did)
        (checkpoint,) = wallet.checkpoints.all()
        assert checkpoint.size == before + 1
    on_ledger = world.get(f"/v1/consent/grants/{kept.id}")
    assert on_ledger["status"] == "live" and on_ledger["index"] == before


def test_grant_json(world: World, home: Path, tmp_path: Path, credential: StoredCredential) -> None:
    shown = granted(world, home, tmp_path, "--max-uses", "3", "--not-after", "2d")
    assert set(shown) == {"grant", "index", "tree_size"}
    grant = shown["grant"]
    assert set(grant) == {
        "id",
        "verifier",
        "schema",
        "attributes",
        "predicates",
        "purpose",
        "not_before",
        "not_after",
        "max_uses",
        "created_at",
    }
    assert grant["verifier"] == world.verifier.did and grant["schema"] == SCHEMA.schema_id
    assert grant["attributes"] == ["district"] and grant["max_uses"] == 3
    assert grant["predicates"] == [{"attribute": "birthdate", "op": "<=", "value": "2007-01-01"}]
    not_after = datetime.datetime.fromisoformat(grant["not_after"])
    assert not_after - now() > datetime.timedelta(days=1, hours=23)
    assert shown["tree_size"] > shown["index"]


def test_grant_asks_and_a_no_signs_nothing(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    path = write_request(tmp_path, world.request())
    before = world.tree_size()
    declined = run(world, home, "grant", str(path), input="n\n")
    assert declined.exit_code == 1 and "declined: nothing signed" in declined.stderr
    assert "Sign and publish this grant?" in declined.stderr
    assert world.tree_size() == before
    with opened(home) as wallet:
        assert wallet.consents.all() == []
    accepted = run(world, home, "grant", str(path), input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert world.tree_size() == before + 1


def test_grant_passphrase_at_the_prompt_then_confirmation(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    path = write_request(tmp_path, world.request())
    result = run(world, home, "grant", str(path), input=f"{PASSPHRASE}\ny\n", CARTERA_PASSPHRASE="")
    assert result.exit_code == 0, result.output
    assert PASSPHRASE not in result.output


def test_grant_already_covered_signs_nothing_unless_new(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    request = world.request()
    path = write_request(tmp_path, request)
    assert run(world, home, "grant", str(path), "--yes").exit_code == 0
    before = world.tree_size()
    again = run(world, home, "grant", str(path), "--yes")
    assert again.exit_code == 0 and "already allowed by grant sha256:" in again.stdout
    assert world.tree_size() == before
    forced = run(world, home, "grant", str(path), "--yes", "--new")
    assert forced.exit_code == 0 and world.tree_size() == before + 1


def test_grant_from_options(world: World, home: Path, credential: StoredCredential) -> None:
    result = run(
        world,
        home,
        "grant",
        "--verifier",
        world.verifier.did,
        "--schema",
        "resident",
        "-a",
        "district",
        "-a",
        "postcode",
        "-p",
        "birthdate <= 2007-01-01",
        "-p",
        "8000 <= postcode <= 8099",
        "--purpose",
        "ServiceProvision",
        "--not-after",
        "30d",
        "--unlimited",
        "--yes",
        "--json",
    )
    assert result.exit_code == 0, result.output
    grant = json.loads(result.stdout)["grant"]
    assert grant["attributes"] == ["district", "postcode"] and grant["max_uses"] is None
    assert {"attribute": "postcode", "op": "between", "value": [8000, 8099]} in grant["predicates"]
    assert grant["purpose"] == "dpv:ServiceProvision" and grant["schema"] == SCHEMA.schema_id


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--verifier", "did:key:z6Mkx", "-a", "district"], ["--schema", "--purpose"]),
        (["-p", "birthdate ~ 2007"], ["--predicate", "ATTR >= V"]),
        (["-p", "district in {Gràcia}"], ["--predicate"]),
        (["--purpose", "Snooping"], ["not a DPV purpose"]),
        (["--not-after", "tomorrow"], ["--not-after", "RFC 3339"]),
        (["-a", "shoe_size"], ["has no attribute 'shoe_size'"]),
        (["--schema", "passport"], ["--schema 'passport'", "no credential"]),
    ],
)
def test_grant_bad_options(
    world: World, home: Path, credential: StoredCredential, args: list[str], words: list[str]
) -> None:
    defaults = {
        "--verifier": world.verifier.did,
        "--schema": "resident",
        "--purpose": "ServiceProvision",
        "--not-after": "1d",
    }
    if "--verifier" in args:  # the case of missing options
        defaults = {}
    given = [item for flag, value in defaults.items() if flag not in args for item in (flag, value)]
    if not any(a in args for a in ("-a", "-p")):
        given += ["-a", "district"]
    before = world.tree_size()
    one_line_error(run(world, home, "grant", *given, *args, "--yes"), 2, *words)
    assert world.tree_size() == before


def test_grant_request_and_options_together(world: World, home: Path, tmp_path: Path) -> None:
    path = write_request(tmp_path, world.request())
    one_line_error(run(world, home, "grant", str(path), "-a", "district"), 2, "not both")


def test_grant_unregistered_verifier(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    stranger = OrgKey.generate()
    request = sign_request(
        stranger,
        schema=SCHEMA.schema_id,
        attributes=["district"],
        predicates=[],
        purpose=Purpose.SERVICE_PROVISION,
        nonce=os.urandom(16),
        trusted_issuers=[world.issuer_org.did],
        created_at=now(),
        expires_at=now() + datetime.timedelta(minutes=5),
    )
    before = world.tree_size()
    result = run(world, home, "grant", str(write_request(tmp_path, request)), "--yes")
    one_line_error(result, 1, "is not registered on the ledger")
    assert world.tree_size() == before


def test_grant_tampered_or_malformed_request(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    document = json.loads(world.request().to_json())
    document["attributes"] = ["district", "postcode"]  # not what the verifier signed
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document, indent=2))
    one_line_error(run(world, home, "grant", str(tampered), "--yes"), 1, "signature")
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"type": "presentation.request"}')
    one_line_error(run(world, home, "grant", str(malformed), "--yes"), 2, "presentation.request")


def test_grant_expired_request(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    at = now() - datetime.timedelta(hours=1)
    request = world.request(created_at=at, expires_at=at + datetime.timedelta(minutes=5))
    one_line_error(
        run(world, home, "grant", str(write_request(tmp_path, request)), "--yes"), 2, "expired"
    )


def test_grant_ledger_unreachable(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    path = write_request(tmp_path, world.request())
    one_line_error(run(world, home, "grant", str(path), "--yes", "--ledger", down), 3, down)
    with opened(home) as wallet:
        assert wallet.consents.all() == []


def test_first_contact_without_a_log_key_warns(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    path = write_request(tmp_path, world.request())
    result = run(world, home, "grant", str(path), "--yes", CARTERA_LEDGER_LOG_KEY="")
    assert result.exit_code == 0, result.output
    assert "warning: first contact with cartera.localhost/ledger" in result.stderr
    listed = run(world, home, "list", CARTERA_LEDGER_LOG_KEY="")
    assert listed.exit_code == 0 and "warning" not in listed.stderr  # pinned by the checkpoint


def test_another_key_for_the_kept_checkpoint_is_refused(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    granted(world, home, tmp_path)
    impostor = SignerKey.generate("cartera.localhost/ledger").verifier().to_text()
    result = run(world, home, "list", "--require-ledger", CARTERA_LEDGER_LOG_KEY=impostor)
    one_line_error(result, 1, "does not sign the checkpoint this wallet kept")


# -- revoke ---------------------------------------------------------------------------------


def test_revoke(world: World, home: Path, tmp_path: Path, credential: StoredCredential) -> None:
    grant_id = granted(world, home, tmp_path)["grant"]["id"]
    result = run(world, home, "revoke", grant_id[7:20], "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["grant"] == grant_id and shown["revoked_at"].endswith("Z")
    on_ledger = world.get(f"/v1/consent/grants/{grant_id}")
    assert on_ledger["status"] == "revoked" and on_ledger["revoked_index"] == shown["index"]
    with opened(home) as wallet:
        assert wallet.consents.get(grant_id).status(now()) is ConsentStatus.REVOKED
    before = world.tree_size()
    again = run(world, home, "revoke", grant_id)
    assert again.exit_code == 0 and f"(ledger entry {shown['index']})" in again.stdout
    assert world.tree_size() == before


def test_revoke_while_the_ledger_is_down_keeps_it_for_later(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    grant_id = granted(world, home, tmp_path)["grant"]["id"]
    down = f"http://127.0.0.1:{free_port()}"
    one_line_error(run(world, home, "revoke", grant_id, "--ledger", down), 3)
    with opened(home) as wallet:
        kept = wallet.consents.get(grant_id)
        assert kept.status(now()) is ConsentStatus.REVOKE_PENDING
    result = run(world, home, "revoke", grant_id, "--json")
    assert result.exit_code == 0, result.output
    with opened(home) as wallet:
        again = wallet.consents.get(grant_id)
        assert again.status(now()) is ConsentStatus.REVOKED
        assert again.revocation == kept.revocation  # the kept one was sent, not a new one


def test_revoke_kept_too_long_is_signed_afresh(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    """A revocation kept while the ledger was down, now past the ledger's clock-skew
    bound: the ledger refuses it (clock_skew), so a fresh one is signed and sent."""
    grant_id = granted(world, home, tmp_path)["grant"]["id"]
    with opened(home) as wallet:
        secret = int.from_bytes(wallet.holder_secret.to_bytes(), "big")
        old = sign_consent_revoke(
            secret,
            grant=wallet.consents.get(grant_id).grant,
            created_at=now() - datetime.timedelta(hours=1),
        )
        wallet.consents.add_revocation(old)
    result = run(world, home, "revoke", grant_id, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["revoked_at"] != old.to_json_dict()["created_at"]
    with opened(home) as wallet:
        kept = wallet.consents.get(grant_id)
        assert kept.status(now()) is ConsentStatus.REVOKED and kept.revocation != old
    assert world.get(f"/v1/consent/grants/{grant_id}")["status"] == "revoked"


def test_revoke_unknown_grant(world: World, home: Path, credential: StoredCredential) -> None:
    one_line_error(run(world, home, "revoke", "0123456789abcdef"), 2, "no consents")
    one_line_error(run(world, home, "revoke", "0123"), 2, "at least 8 hex digits")


# -- list -----------------------------------------------------------------------------------


def test_list_with_the_ledgers_status(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    live = granted(world, home, tmp_path)["grant"]["id"]
    gone = granted(world, home, tmp_path, "--new")["grant"]["id"]
    assert run(world, home, "revoke", gone).exit_code == 0
    result = run(world, home, "list", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["ledger"]["url"] == world.server.url and shown["ledger"]["reached"] is True
    assert shown["ledger"]["tree_size"] == world.tree_size()
    by_id = {c["id"]: c for c in shown["consents"]}
    assert set(by_id) == {live, gone}
    assert by_id[live]["status"] == "live" and by_id[live]["uses"] == 0
    assert by_id[gone]["status"] == "revoked" and by_id[gone]["revoked_at"].endswith("Z")
    assert all(c["source"] == "ledger" and c["in_wallet"] for c in shown["consents"])
    people = run(world, home, "list")
    assert people.exit_code == 0 and "status from the ledger at" in people.stdout
    assert live[:19] in people.stdout and "revoked" in people.stdout and "0/1" in people.stdout


def test_list_falls_back_to_the_wallet_when_the_ledger_is_down(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    grant_id = granted(world, home, tmp_path)["grant"]["id"]
    down = f"http://127.0.0.1:{free_port()}"
    result = run(world, home, "list", "--json", "--ledger", down)
    assert result.exit_code == 0, result.output
    assert "showing the wallet's own status" in result.stderr
    shown = json.loads(result.stdout)
    assert shown["ledger"] == {"url": down, "reached": False, "tree_size": None}
    (consent,) = shown["consents"]
    assert (consent["id"], consent["status"], consent["source"]) == (grant_id, "live", "wallet")
    strict = run(world, home, "list", "--ledger", down, "--require-ledger")
    one_line_error(strict, 3, down)


def test_list_shows_grants_the_ledger_holds_but_the_wallet_does_not(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    """As after a crash between the ledger's acknowledgement and the vault write."""
    kept = granted(world, home, tmp_path)["grant"]["id"]
    with opened(home) as wallet:
        secret = int.from_bytes(wallet.holder_secret.to_bytes(), "big")
    at = now()
    lost = sign_consent_grant(
        secret,
        verifier=world.verifier.did,
        schema=SCHEMA.schema_id,
        attributes=["postcode"],
        predicates=[],
        purpose=Purpose.SERVICE_PROVISION,
        not_before=at,
        not_after=at + datetime.timedelta(days=1),
        created_at=at,
    )
    world.post(lost)
    shown = json.loads(run(world, home, "list", "--json").stdout)["consents"]
    by_id = {c["id"]: c for c in shown}
    assert by_id[kept]["in_wallet"] is True
    assert by_id[lost.id]["in_wallet"] is False and by_id[lost.id]["status"] == "live"
    people = run(world, home, "list")
    assert "live (not in this wallet)" in people.stdout


def test_list_empty(world: World, home: Path, credential: StoredCredential) -> None:
    result = run(world, home, "list")
    assert result.exit_code == 0 and "none" in result.stdout


# -- history --------------------------------------------------------------------------------


def test_history_matches_accesses_to_presentations(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    grant = granted(world, home, tmp_path, "--max-uses", "2")["grant"]
    with opened(home) as wallet:
        shown = wallet.present(
            credential.id,
            disclose=["district"],
            verifier_id=world.verifier.did,
            nonce=os.urandom(16),
            purpose=grant["purpose"],
            grant_id=grant["id"],
        )
    first = world.post(
        sign_access_record(
            world.verifier, grant=grant["id"], presentation=shown.to_json(), created_at=now()
        )
    )["index"]
    second = world.post(
        sign_access_record(
            world.verifier, grant=grant["id"], presentation=b"not ours", created_at=now()
        )
    )["index"]
    result = run(world, home, "history", "--json")
    assert result.exit_code == 0, result.output
    accesses = json.loads(result.stdout)["accesses"]
    assert [a["index"] for a in accesses] == [first, second]
    ours, foreign = accesses
    assert ours["verifier"] == {"did": world.verifier.did, "name": "Bicing"}
    assert ours["grant"] == grant["id"] and ours["purpose"] == "dpv:ServiceProvision"
    assert ours["made_by_this_wallet"] is True and ours["disclosed"] == ["expiry", "district"]
    assert foreign["made_by_this_wallet"] is False and foreign["disclosed"] is None
    people = run(world, home, "history")
    assert people.exit_code == 0 and "Bicing" in people.stdout
    assert "a presentation this wallet did not make" in people.stdout
    listed = json.loads(run(world, home, "list", "--json").stdout)["consents"]
    assert listed[0]["uses"] == 2 and listed[0]["status"] == "exhausted"


def test_history_needs_the_ledger(world: World, home: Path, credential: StoredCredential) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    one_line_error(run(world, home, "history", "--ledger", down), 3)


# -- the wallet's usual failures ------------------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["history"], ["revoke", "0123456789ab"]])
def test_wrong_passphrase(
    world: World, home: Path, credential: StoredCredential, command: list[str]
) -> None:
    one_line_error(run(world, home, *command, CARTERA_PASSPHRASE="wrong"), 2, "wrong passphrase")


def test_missing_wallet(world: World, tmp_path: Path) -> None:
    one_line_error(run(world, tmp_path / "nowhere", "list"), 2, "no wallet at")


def test_passphrase_file(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    secret = tmp_path / "pass"
    secret.write_text(PASSPHRASE + "\n")
    result = run(world, home, "list", "--passphrase-file", str(secret), CARTERA_PASSPHRASE="x")
    assert result.exit_code == 0, result.output


# -- the installed command ---------------------------------------------------------------------


def test_installed_cartera_consent_in_a_subprocess(
    world: World, home: Path, tmp_path: Path, credential: StoredCredential
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTERA_")}
    env |= {
        "CARTERA_HOME": str(home),
        "CARTERA_PASSPHRASE": PASSPHRASE,
        "CARTERA_LEDGER_URL": world.server.url,
        "CARTERA_LEDGER_LOG_KEY": world.vkey,
    }

    def cartera(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CARTERA), "consent", *args], env=env, capture_output=True, text=True, timeout=120
        )

    path = write_request(tmp_path, world.request())
    made = cartera("grant", str(path), "--yes", "--json")
    assert made.returncode == 0, made.stderr
    grant_id = json.loads(made.stdout)["grant"]["id"]
    listed = cartera("list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [c["status"] for c in json.loads(listed.stdout)["consents"]] == ["live"]
    revoked = cartera("revoke", grant_id)
    assert revoked.returncode == 0 and revoked.stdout.startswith(f"revoked {grant_id}")
    history = cartera("history", "--json")
    assert history.returncode == 0 and json.loads(history.stdout) == {"accesses": []}
    declined = subprocess.run(
        [str(CARTERA), "consent", "grant", str(write_request(tmp_path, world.request()))],
        env=env,
        input="n\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert declined.returncode == 1 and "declined: nothing signed" in declined.stderr

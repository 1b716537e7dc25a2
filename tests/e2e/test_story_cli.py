"""The whole story through the installed `cartera` command, as its users would run it: the
operator's `ledger serve`, the register's `issuer init|serve|offer`, Bicing's `verifier
init|serve|request|result`, the citizen's `wallet`, `credential receive`, `consent` and
`present`, and an auditor's `audit replay`. Every party is a real process; every call
goes over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.note import SignerKey
from tests.e2e.story import RESIDENT_VALUES
from tests.ledger.http_helpers import free_port

CARTERA = Path(sys.executable).with_name("cartera")
PASSPHRASE = "correct horse battery staple"


class Cartera:
    """Runs `cartera` with one CARTERA_HOME and the environment the story adds."""

    def __init__(self, home: Path) -> None:
        self.home = home
        base = {k: v for k, v in os.environ.items() if not k.startswith("CARTERA_")}
        self.env = {**base, "CARTERA_HOME": str(home), "COLUMNS": "200"}

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> str:
        done = subprocess.run(
            [str(CARTERA), *args], env=self.env, input=input, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr
        return done.stdout + done.stderr if code else done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))

    @contextmanager
    def serving(self, *args: str, port: int) -> Iterator[str]:
        """`cartera … serve --port PORT` until the block ends (SIGTERM, then waited for)."""
        url = f"http://127.0.0.1:{port}"
        log = (self.home / f"{args[0]}.log").open("ab")
        process = subprocess.Popen(
            [str(CARTERA), *args, "serve", "--port", str(port)], env=self.env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not _healthy(url):
                assert process.poll() is None, (self.home / f"{args[0]}.log").read_text()
                assert time.monotonic() < deadline, f"{args[0]} did not start"
                time.sleep(0.1)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)
            log.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/v1/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_the_whole_story_through_the_cli(tmp_path: Path) -> None:
    cartera = Cartera(tmp_path)
    with ExitStack() as stack:
        # The ledger operator.
        cartera.env["CARTERA_LEDGER_WORKERS"] = "0"
        ledger = stack.enter_context(cartera.serving("ledger", port=free_port()))
        key = SignerKey.from_text((tmp_path / "ledger" / "operator.key").read_text().strip())
        log_key = key.verifier().to_text()
        cartera.env |= {"CARTERA_LEDGER_URL": ledger, "CARTERA_LEDGER_LOG_KEY": log_key,
                        "CARTERA_SESSIONS_LEDGER_KEY": log_key}  # fmt: skip
        # The population register, then Bicing, which trusts it.
        issuer = cartera.json("issuer", "init", "--name", "Padró", "--schema", "resident")
        issuer_url = stack.enter_context(cartera.serving("issuer", port=free_port()))
        bikes = cartera.json(
            "verifier", "init", "--name", "Bicing", "--purpose", "dpv:ServiceProvision",
            "--trust", issuer["did"], "--contact", "dpo@bicing.example",
        )  # fmt: skip
        bikes_url = stack.enter_context(cartera.serving("verifier", port=free_port()))

        # Núria: a wallet, a credential.
        cartera.env |= {"CARTERA_PASSPHRASE": PASSPHRASE, "CARTERA_KDF": "interactive"}
        cartera("wallet", "init")
        attrs = [arg for name, value in RESIDENT_VALUES.items()
                 for arg in ("--attr", f"{name}={value}")]  # fmt: skip
        offer = cartera.json("issuer", "offer", *attrs, "--url", issuer_url)
        received = cartera.json("credential", "receive", offer["url"])
        assert received["schema"]["name"] == "resident"
        assert (
            cartera.json("issuer", "status", offer["id"], "--url", issuer_url)["status"] == "used"
        )

        # A standing grant, then a presentation it covers: accepted.
        granted = cartera.json(
            "consent", "grant", "--verifier", bikes["did"], "--schema", "resident",
            "-a", "district", "-a", "postcode", "--purpose", "ServiceProvision",
            "--not-after", "30d", "--unlimited", "--yes",
        )  # fmt: skip
        grant_id = granted["grant"]["id"]
        asked = ["--attr", "district", "--attr", "postcode", "--url", bikes_url]
        first = cartera.json("verifier", "request", *asked)
        accepted = cartera.json("present", first["url"])
        assert accepted["status"] == "accepted" and accepted["granted"] is False
        assert accepted["grant"] == grant_id
        assert accepted["disclosed"]["district"] == "Gràcia"
        result = cartera.json("verifier", "result", first["id"], "--url", bikes_url)
        assert result["status"] == "accepted" and result["access"]["index"] == 3

        # Revoked: her wallet refuses to answer again; the answered request is refused.
        assert cartera.json("consent", "revoke", grant_id)["index"] == 4
        second = cartera.json("verifier", "request", *asked)
        declined = cartera("present", second["url"], input="n\n", code=1)
        assert "revoked" in declined and "declined: no grant signed, nothing shown" in declined
        assert cartera.json("verifier", "result", second["id"], "--url", bikes_url)[
            "status"
        ] == "pending"  # fmt: skip
        replayed = cartera("present", first["url"], "--yes", code=1)
        assert "refused by the verifier" in replayed and "nonce-replayed" in replayed

        # The auditor, and Núria's history.
        audit = cartera.json("audit", "replay", ledger, "--workers", "0")
        assert audit["clean"] is True and audit["tree_size"] == 5
        assert audit["state"]["grants"]["revoked"] == audit["state"]["grants"]["total"] == 1
        assert audit["state"]["accesses"]["total"] == 1
        (listed,) = cartera.json("consent", "list")["consents"]
        assert listed["id"] == grant_id and listed["status"] == "revoked" and listed["uses"] == 1
        (access,) = cartera.json("consent", "history")["accesses"]
        assert access["made_by_this_wallet"] is True and access["index"] == 3
        assert access["verifier"]["name"] == "Bicing"

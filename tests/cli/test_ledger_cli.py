"""`cartera ledger …`: serve as a real process, read it back through CliRunner and a real
subprocess, and every failure as one line with its exit code."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app
from ledger.note import SignerKey
from ledger.settings import load, operator_key
from tests.ledger.entry_builders import World, now
from tests.ledger.http_helpers import CARTERA, JSON, Server, free_port, log_key

runner = CliRunner()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A SQLite ledger with an issuer, a verifier and a grant; and its verifier key."""
    home = tmp_path_factory.mktemp("ledger-home")
    server = Server(home, f"sqlite:///{home / 'ledger.db'}").start()
    world, t = World(), now()
    for doc in (world.issuer_register(t), world.verifier_register(t), world.grant(t)):
        httpx.post(
            f"{server.url}/v1/entries", content=doc.to_json(), headers=JSON
        ).raise_for_status()
    yield server, log_key(load(home=home)).to_text()
    server.stop()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["ledger", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [[], ["serve"], ["checkpoint"], ["get"], ["prove"]])
def test_help(command: list[str]) -> None:
    code, out, _ = _run(*command, "--help")
    assert code == 0 and "Usage: " in out


def test_serve_prints_origin_key_and_url(served: tuple[Server, str]) -> None:
    server, vkey = served
    printed = (server.home / "serve.log").read_text()
    assert "origin        cartera.localhost/ledger" in printed
    assert f"verifier key  {vkey}" in printed
    assert f"listening on  http://127.0.0.1:{server.port}" in printed


def test_checkpoint(served: tuple[Server, str], tmp_path: Path) -> None:
    server, vkey = served
    state = tmp_path / "trusted"
    code, out, err = _run(
        "checkpoint", "--url", server.url, "--log-key", vkey, "--state", str(state)
    )
    assert code == 0, err
    assert (
        out.startswith("cartera.localhost/ledger\n3\n") and "\n— cartera.localhost/ledger " in out
    )
    assert state.read_text() == out  # the client kept it


def test_get_announced_key_is_a_warning(served: tuple[Server, str]) -> None:
    server, _ = served
    code, out, err = _run("get", "2", "--url", server.url)
    assert code == 0, err
    assert "warning: trusting the key the ledger announces" in err
    assert out.startswith("entry 2 (consent.grant), included in the tree of size 3")


def test_get_json(served: tuple[Server, str]) -> None:
    server, vkey = served
    code, out, err = _run("get", "1", "--url", server.url, "--log-key", vkey, "--json")
    assert code == 0, err
    printed = json.loads(out)
    assert (printed["index"], printed["entry"]["type"]) == (1, "verifier.register")


def test_prove_inclusion_and_consistency(served: tuple[Server, str]) -> None:
    server, vkey = served
    code, out, err = _run("prove", "0", "--size", "2", "--url", server.url, "--log-key", vkey)
    assert code == 0, err
    assert out.splitlines()[0] == "entry 0 in tree 2: proof verified against the signed checkpoints"
    args = ["--url", server.url, "--log-key", vkey, "--json"]
    code, out, err = _run("prove", "--consistency", "1", "3", *args)
    assert code == 0, err
    assert json.loads(out)["first"] == 1 and json.loads(out)["verified"] is True


def test_unknown_index_is_bad_input(served: tuple[Server, str]) -> None:
    server, vkey = served
    code, _, err = _run("get", "99", "--url", server.url, "--log-key", vkey)
    assert code == 2 and err.startswith("error: ") and "no entry at index 99" in err


def test_wrong_log_key_fails_the_check(served: tuple[Server, str]) -> None:
    server, _ = served
    other = World().verifier  # any Ed25519 key, under the log's name
    wrong = SignerKey.from_seed("cartera.localhost/ledger", other.to_bytes()).verifier().to_text()
    code, _, err = _run("checkpoint", "--url", server.url, "--log-key", wrong)
    assert code == 1 and "error: " in err and "signature" in err


def test_unreachable_ledger() -> None:
    code, _, err = _run("checkpoint", "--url", f"http://127.0.0.1:{free_port()}")
    assert code == 3 and "error: " in err and "Traceback" not in err


def test_prove_needs_index_or_consistency() -> None:
    code, _, err = _run("prove")
    assert code == 2 and "give either INDEX or --consistency M N" in err


def test_invalid_settings_are_one_line(tmp_path: Path) -> None:
    env = {"CARTERA_HOME": str(tmp_path), "CARTERA_LEDGER_MAX_BODY_BYTES": "10"}
    result = runner.invoke(app, ["ledger", "serve", "--origin", "has space"], env=env)
    assert result.exit_code == 2
    assert (
        "CARTERA_LEDGER_ORIGIN" in result.stderr
        and "CARTERA_LEDGER_MAX_BODY_BYTES" in result.stderr
    )


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "ledger" / "operator.key"
    operator_key(load(home=tmp_path))
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    os.chmod(key, 0o644)
    result = runner.invoke(app, ["ledger", "serve"], env={"CARTERA_HOME": str(tmp_path)})
    assert result.exit_code == 2 and "chmod 600" in result.stderr


def test_a_real_subprocess(served: tuple[Server, str]) -> None:
    server, vkey = served
    done = subprocess.run(
        [str(CARTERA), "ledger", "get", "0", "--url", server.url, "--log-key", vkey, "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["entry"]["type"] == "issuer.register"

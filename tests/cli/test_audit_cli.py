"""`cartera audit replay` through Typer's CliRunner, and as real processes: the installed
`cartera` on a database, and on a `cartera ledger serve` process over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ledger.storage import LedgerStore
from tests.ledger.http_helpers import Server
from tests.ledger.test_audit_fixtures import ORIGIN, Story, golden, other_hash, story

__all__ = ["golden", "story"]  # fixtures
CARTERA = Path(sys.executable).with_name("cartera")
pytestmark = pytest.mark.parametrize("golden", ["sqlite"], indirect=True)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["audit", "replay", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_clean_ledger_exits_0(story: Story) -> None:
    code, out, _ = run(story.url, "--log-key", story.vkey)
    assert code == 0, out
    assert "clean: no violation" in out
    assert "Bicing" in out and "Biblioteca" in out


def test_json_for_scripts(story: Story, tmp_path: Path) -> None:
    key_file = tmp_path / "log.vkey"
    key_file.write_text(story.vkey + "\n")
    code, out, _ = run(story.url, "--log-key-file", str(key_file), "--json", "--workers", "0")
    assert code == 0
    report = json.loads(out)
    assert (report["clean"], report["tree_size"], report["origin"]) == (True, 11, ORIGIN)
    grants = report["state"]["grants"]
    assert (grants["live"], grants["revoked"], grants["expired"], grants["exhausted"]) == (
        1, 1, 1, 1,
    )  # fmt: skip
    assert report["state"]["accesses"]["total"] == 3
    assert report["violations"] == [] and report["violation_counts"] == {}


def test_a_violation_exits_1_and_names_its_index(story: Story) -> None:
    story.execute("UPDATE ledger_entry SET leaf_hash = :h WHERE idx = 7", h=other_hash(b"7"))
    code, out, _ = run(story.url, "--log-key", story.vkey, "--json")
    assert code == 1
    report = json.loads(out)
    assert [(v["kind"], v["index"]) for v in report["violations"]] == [("leaf_hash_mismatch", 7)]
    code, out, _ = run(story.url, "--log-key", story.vkey)
    assert code == 1
    assert "leaf_hash_mismatch" in out and "1 violations" in out


def test_saved_checkpoints(story: Story, tmp_path: Path) -> None:
    saved = tmp_path / "audited.note"
    code, _, err = run(story.url, "--log-key", story.vkey, "--save-checkpoint", str(saved))
    assert code == 0 and "saved the audited checkpoint" in err
    assert saved.read_text().split("\n")[:2] == [ORIGIN, "11"]
    assert run(story.url, "--log-key", story.vkey, "--checkpoint", str(saved))[0] == 0
    story.execute("DELETE FROM ledger_entry WHERE idx = 10")
    code, out, err = run(story.url, "--log-key", story.vkey, "--checkpoint", str(saved),
                         "--save-checkpoint", str(tmp_path / "not-saved"), "--json")  # fmt: skip
    assert code == 1
    kinds = {v["kind"] for v in json.loads(out)["violations"]}
    assert {"missing_index", "inconsistent_with_saved"} <= kinds
    assert "not saving" in err and not (tmp_path / "not-saved").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "needs the log's key"),
        (("--log-key", "not-a-key"), "malformed key"),
        (("--log-key", "{vkey}", "--checkpoint", "/nonexistent/note"), "--checkpoint"),
        (("--log-key", "{vkey}", "--log-key-file", "/nonexistent/key"), "not both"),
    ],
)
def test_bad_input_exits_2(story: Story, args: tuple[str, ...], message: str) -> None:
    code, _, err = run(story.url, *(a.format(vkey=story.vkey) for a in args))
    assert code == 2
    assert message in err


def test_a_checkpoint_from_another_log_exits_2(story: Story, tmp_path: Path) -> None:
    other = tmp_path / "other.note"
    other.write_text(LedgerStore.from_url(story.url).checkpoint(3).note.replace("\n3\n", "\n4\n"))
    code, _, err = run(story.url, "--log-key", story.vkey, "--checkpoint", str(other))
    assert (code, "saved checkpoint" in err) == (2, True)


def test_no_ledger_here_exits_2(story: Story, tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "absent.db"), "--log-key", story.vkey)
    assert (code, "no such file" in err) == (2, True)


def test_an_unreachable_ledger_exits_3(story: Story) -> None:
    code, _, err = run("http://127.0.0.1:9", "--log-key", story.vkey)
    assert code == 3
    assert err.startswith("error: ledger http://127.0.0.1:9")


def test_installed_cartera_audits_a_database(story: Story) -> None:
    done = subprocess.run(
        [str(CARTERA), "audit", "replay", story.url, "--log-key", story.vkey, "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tree_size"] == 11


def test_installed_cartera_audits_a_served_ledger(
    story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / "ledger").mkdir(mode=0o700, parents=True)
    key = home / "ledger" / "operator.key"
    key.write_text(story.signer.to_text() + "\n")
    key.chmod(0o600)
    monkeypatch.setenv("CARTERA_LEDGER_ORIGIN", ORIGIN)
    server = Server(home, story.url).start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARTERA_LEDGER")}
        done = subprocess.run(
            [str(CARTERA), "audit", "replay", server.url], env=env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert "trusting the key the ledger announces" in done.stderr
    assert "clean: no violation" in done.stdout

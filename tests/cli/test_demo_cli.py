"""`cartera demo` runs the whole story as the installed command, and tells the truth about
it: what it prints is checked against the data it leaves behind (the wallet opened with
its passphrase, the ledger database audited again from its file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli.demo import PASSPHRASE
from cli.main import app
from ledger.audit import replay
from ledger.note import SignerKey
from wallet import ConsentStatus, unlock

CARTERA = Path(sys.executable).with_name("cartera")


def test_the_story(tmp_path: Path) -> None:
    where = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARTERA_")}
    done = subprocess.run(
        [str(CARTERA), "demo", "--dir", str(where)],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    # What it says happened, in this order.
    story = [
        "the blind signature verifies",
        "and a proof that her credential is valid instead of its expiry date",
        "granted sha256:",
        "  accepted",
        "expiry >= ",  # what Bicing learned: proven, not the date
        "revoked sha256:",
        "her wallet asks the ledger: refused: revoked",
        "refused by her wallet",
        "refused by Bicing: check consent, reason grant-revoked",
        "clean: no violation",
        "accepted, then refused after revocation (grant-revoked); audit clean",
    ]
    positions = [out.find(line) for line in story]
    assert -1 not in positions, [line for line, at in zip(story, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    assert f"the data stays in {where}" in out
    # What it left behind agrees: one credential, one revoked consent, one access.
    with unlock(where / "wallet", PASSPHRASE) as wallet:
        (credential,) = wallet.credentials.all()
        assert credential.attributes["district"] == "Gràcia"
        learned = out[out.find("What Bicing learned") : out.find("revoked sha256:")]
        assert str(credential.expiry) not in learned  # proven valid, the date never shown
        shown = wallet.presentations.all()  # accepted, then refused after revocation
        assert [p.disclosed for p in shown] == [("district", "postcode")] * 2
        (consent,) = wallet.consents.all()
        assert consent.status(consent.recorded_at) is ConsentStatus.REVOKED
        assert consent.grant.max_uses is None and consent.grant.attributes == (
            "district", "postcode"
        )  # fmt: skip
    key = SignerKey.from_text((where / "ledger" / "operator.key").read_text().strip()).verifier()
    report = replay(f"sqlite:///{where / 'ledger' / 'ledger.db'}", log_key=key,
                    origin=key.name, workers=0)  # fmt: skip
    assert report.clean
    # issuer.register, verifier.register, the grant, one access, the revocation.
    assert report.tree_size == 5
    assert report.state.grants_by_status["revoked"] == 1
    assert sum(report.state.accesses.values()) == 1


def test_a_directory_in_use_is_refused(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("mine")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty" in result.stderr and "Traceback" not in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["something"]

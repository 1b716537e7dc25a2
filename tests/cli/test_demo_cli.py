"""`cartera demo` runs the credential story end to end and tells the truth about it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app


def test_demo_story_runs_and_reports_the_refusal() -> None:
    result = CliRunner().invoke(app, ["demo"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "08012" in result.output
    assert "refused" in result.output
    assert "the same pseudonym" in result.output
    assert "a different pseudonym" in result.output


def test_demo_runs_as_the_installed_command() -> None:
    cartera = Path(sys.executable).with_name("cartera")
    done = subprocess.run(
        [str(cartera), "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Gràcia" in done.stdout

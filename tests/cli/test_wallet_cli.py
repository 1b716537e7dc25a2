"""`cartera wallet …` on real vault files: through Typer's runner and the installed
`cartera` in a subprocess. Passphrases from a file, the environment and the prompt;
every failure one line on stderr with its exit code, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from wallet import KdfParams, unlock

CARTERA = Path(sys.executable).with_name("cartera")
PASSPHRASE = "correct horse battery staple"
BACKUP_PASSPHRASE = "a different backup phrase"
runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the developer's shell; the cheap KDF profile (tests only)."""
    for name in list(os.environ):
        if name.startswith("CARTERA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CARTERA_KDF", "interactive")


def run(*args: str, input: str | None = None, **env: str) -> Result:
    return runner.invoke(app, list(args), input=input, env=env or None)


def flat(output: str) -> str:
    """Output with rich's boxes and line wrapping taken out."""
    return " ".join(output.replace("│", " ").split())


def one_line_error(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0]


def init(home: Path, passphrase: str = PASSPHRASE) -> Result:
    result = run("wallet", "init", "--home", str(home), CARTERA_PASSPHRASE=passphrase)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    init(tmp_path / "home")
    return tmp_path / "home"


def secret_file(tmp_path: Path, text: str, name: str = "pass.txt") -> Path:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


# -- help ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["init"], ["info"], ["export"], ["import"], ["passwd"]])
def test_help_documents_exit_codes(command: list[str]) -> None:
    result = run("wallet", *command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.stdout and "Exit codes: 0" in result.stdout


def test_the_test_only_kdf_option_is_hidden() -> None:
    assert "--kdf" not in run("wallet", "init", "--help").stdout


# -- init ---------------------------------------------------------------------------------


def test_init_creates_a_wallet(tmp_path: Path) -> None:
    result = init(tmp_path / "home")
    assert f"created a wallet at {tmp_path / 'home' / 'wallet'}" in result.stdout
    assert "device did:key:z6Mk" in result.stdout
    with unlock(tmp_path / "home" / "wallet", PASSPHRASE) as wallet:
        info = wallet.info()
    assert info.kdf == KdfParams.INTERACTIVE and info.credentials == 0


def test_init_asks_twice_at_the_prompt(tmp_path: Path) -> None:
    typed = f"{PASSPHRASE}\nsomething else\n{PASSPHRASE}\n{PASSPHRASE}\n"
    result = run("wallet", "init", "--home", str(tmp_path), input=typed)
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert PASSPHRASE not in result.output  # hidden input
    unlock(tmp_path / "wallet", PASSPHRASE).close()


def test_init_passphrase_from_file(tmp_path: Path) -> None:
    file = secret_file(tmp_path, "from a file")
    result = run("wallet", "init", "--home", str(tmp_path), "--passphrase-file", str(file))
    assert result.exit_code == 0, result.stderr
    unlock(tmp_path / "wallet", "from a file").close()


def test_init_home_from_environment(tmp_path: Path) -> None:
    result = run(
        "wallet", "init", CARTERA_HOME=str(tmp_path / "env-home"), CARTERA_PASSPHRASE=PASSPHRASE
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "env-home" / "wallet" / "wallet.db").is_file()


def test_init_refuses_an_existing_wallet(home: Path) -> None:
    before = (home / "wallet" / "wallet.db").read_bytes()
    result = run("wallet", "init", "--home", str(home), CARTERA_PASSPHRASE="another one")
    one_line_error(result, 2, "a wallet already exists")
    assert (home / "wallet" / "wallet.db").read_bytes() == before
    unlock(home / "wallet", PASSPHRASE).close()


def test_init_refuses_an_empty_passphrase(tmp_path: Path) -> None:
    file = secret_file(tmp_path, "")
    result = run("wallet", "init", "--home", str(tmp_path), "--passphrase-file", str(file))
    one_line_error(result, 2, "wallet passphrase: empty")
    assert not (tmp_path / "wallet").exists()


def test_init_without_any_passphrase_source_is_bad_input(tmp_path: Path) -> None:
    result = run("wallet", "init", "--home", str(tmp_path), input="")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("error: no passphrase: type it")


# -- info ---------------------------------------------------------------------------------


def test_info_for_people(home: Path) -> None:
    result = run("wallet", "info", "--home", str(home), CARTERA_PASSPHRASE=PASSPHRASE)
    assert result.exit_code == 0, result.stderr
    assert str(home / "wallet") in result.stdout
    assert "opslimit 2, memlimit 64 MiB" in result.stdout
    assert "credentials" in result.stdout and "did:key:z6Mk" in result.stdout


def test_info_json(home: Path) -> None:
    result = run("wallet", "info", "--home", str(home), "--json", CARTERA_PASSPHRASE=PASSPHRASE)
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert set(shown) == {
        "path",
        "format_version",
        "kdf",
        "created_at",
        "device_did",
        "credentials",
        "consents",
        "presentations",
        "checkpoints",
    }
    assert shown["path"] == str(home / "wallet") and shown["format_version"] == 1
    assert shown["kdf"] == {"opslimit": 2, "memlimit": 64 << 20}
    assert shown["created_at"].endswith("Z") and shown["device_did"].startswith("did:key:")
    assert shown["credentials"] == shown["consents"] == 0


def test_info_passphrase_from_prompt(home: Path) -> None:
    result = run("wallet", "info", "--home", str(home), "--json", input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["consents"] == 0
    assert PASSPHRASE not in result.output


def test_info_passphrase_from_file_wins_over_environment(home: Path, tmp_path: Path) -> None:
    file = secret_file(tmp_path, PASSPHRASE)
    args = ("wallet", "info", "--home", str(home), "--passphrase-file", str(file), "--json")
    result = run(*args, CARTERA_PASSPHRASE="not this one")
    assert result.exit_code == 0, result.stderr


def test_info_wrong_passphrase(home: Path) -> None:
    result = run("wallet", "info", "--home", str(home), CARTERA_PASSPHRASE="wrong")
    one_line_error(result, 2, "wrong passphrase")


def test_info_missing_wallet_does_not_ask(tmp_path: Path) -> None:
    result = run("wallet", "info", "--home", str(tmp_path / "nowhere"))
    one_line_error(result, 2, "no wallet at", "cartera wallet init")
    assert "passphrase" not in result.stdout.lower()


def test_info_unreadable_passphrase_file(home: Path, tmp_path: Path) -> None:
    args = ("--passphrase-file", str(tmp_path / "missing.txt"))
    result = run("wallet", "info", "--home", str(home), *args)
    one_line_error(result, 2, "--passphrase-file: cannot read")


# -- export and import ----------------------------------------------------------------------


def test_export_then_import_elsewhere(home: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.cartera"
    secret = secret_file(tmp_path, BACKUP_PASSPHRASE, "backup-pass.txt")
    exported = run(
        "wallet", "export", str(backup), "--home", str(home),
        "--backup-passphrase-file", str(secret), CARTERA_PASSPHRASE=PASSPHRASE,
    )  # fmt: skip
    assert exported.exit_code == 0, exported.stderr
    assert f"wrote an encrypted backup to {backup}" in exported.stdout
    assert backup.stat().st_mode & 0o077 == 0

    other = tmp_path / "other-home"
    imported = run(
        "wallet", "import", str(backup), "--home", str(other),
        CARTERA_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE,
    )  # fmt: skip
    assert imported.exit_code == 0, imported.stderr
    assert f"restored the wallet at {other / 'wallet'}" in imported.stdout
    before = json.loads(
        run("wallet", "info", "--home", str(home), "--json", CARTERA_PASSPHRASE=PASSPHRASE).stdout
    )
    after = json.loads(
        run("wallet", "info", "--home", str(other), "--json", CARTERA_PASSPHRASE=PASSPHRASE).stdout
    )
    assert after["device_did"] == before["device_did"]
    assert after["created_at"] == before["created_at"]


def test_export_backup_passphrase_at_the_prompt_is_asked_twice(home: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.cartera"
    typed = f"{BACKUP_PASSPHRASE}\n{BACKUP_PASSPHRASE}\n"
    args = ("wallet", "export", str(backup), "--home", str(home))
    result = run(*args, input=typed, CARTERA_PASSPHRASE=PASSPHRASE)
    assert result.exit_code == 0, result.output
    assert "Backup passphrase: \nRepeat for confirmation: " in result.output
    restored = run(
        "wallet", "import", str(backup), "--home", str(tmp_path / "r"),
        input=BACKUP_PASSPHRASE + "\n",
    )  # fmt: skip
    assert restored.exit_code == 0, restored.output


def test_export_refuses_an_existing_file_unless_overwrite(home: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.cartera"
    backup.write_text("keep me")
    args = ("wallet", "export", str(backup), "--home", str(home))
    env = {"CARTERA_PASSPHRASE": PASSPHRASE, "CARTERA_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE}
    one_line_error(run(*args, **env), 2)
    assert backup.read_text() == "keep me"
    assert run(*args, "--overwrite", **env).exit_code == 0
    assert backup.read_bytes().startswith(b'{"format":1')


def test_export_wrong_wallet_passphrase(home: Path, tmp_path: Path) -> None:
    result = run(
        "wallet", "export", str(tmp_path / "b"), "--home", str(home),
        CARTERA_PASSPHRASE="wrong", CARTERA_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE,
    )  # fmt: skip
    one_line_error(result, 2, "wrong passphrase")
    assert not (tmp_path / "b").exists()


@pytest.fixture
def backup(home: Path, tmp_path: Path) -> Path:
    path = tmp_path / "backup.cartera"
    result = run(
        "wallet", "export", str(path), "--home", str(home),
        CARTERA_PASSPHRASE=PASSPHRASE, CARTERA_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return path


def test_import_wrong_backup_passphrase_writes_nothing(backup: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    result = run(
        "wallet", "import", str(backup), "--home", str(target), CARTERA_BACKUP_PASSPHRASE="wrong"
    )
    one_line_error(result, 2, "wrong passphrase or corrupted backup")
    assert not (target / "wallet").exists()


def test_import_refuses_an_existing_wallet_unless_overwrite(backup: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    init(target, "the newer wallet")
    args = ("wallet", "import", str(backup), "--home", str(target))
    env = {"CARTERA_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE}
    one_line_error(run(*args, **env), 2, "exists")
    unlock(target / "wallet", "the newer wallet").close()
    assert run(*args, "--overwrite", **env).exit_code == 0
    unlock(target / "wallet", PASSPHRASE).close()


def test_import_damaged_backup(backup: Path, tmp_path: Path) -> None:
    data = bytearray(backup.read_bytes())
    data[-5] ^= 1
    backup.write_bytes(bytes(data))
    result = run(
        "wallet", "import", str(backup), "--home", str(tmp_path / "t"),
        CARTERA_BACKUP_PASSPHRASE=BACKUP_PASSPHRASE,
    )  # fmt: skip
    one_line_error(result, 2)


def test_import_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("wallet", "import", str(tmp_path / "nothing"), "--home", str(tmp_path))
    assert result.exit_code == 2 and "does not exist" in flat(result.output)


# -- passwd -------------------------------------------------------------------------------


def test_passwd_changes_the_passphrase(home: Path, tmp_path: Path) -> None:
    new = secret_file(tmp_path, "a brand new passphrase", "new.txt")
    result = run(
        "wallet", "passwd", "--home", str(home), "--new-passphrase-file", str(new),
        CARTERA_PASSPHRASE=PASSPHRASE,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "passphrase changed" in result.stdout
    one_line_error(run("wallet", "info", "--home", str(home), CARTERA_PASSPHRASE=PASSPHRASE), 2)
    unlock(home / "wallet", "a brand new passphrase").close()


def test_passwd_all_at_the_prompt(home: Path) -> None:
    typed = f"{PASSPHRASE}\nnew one\nnew one\n"
    result = run("wallet", "passwd", "--home", str(home), input=typed)
    assert result.exit_code == 0, result.output
    assert "New wallet passphrase" in result.output
    unlock(home / "wallet", "new one").close()


def test_passwd_wrong_old_passphrase_asks_nothing_more(home: Path) -> None:
    result = run("wallet", "passwd", "--home", str(home), CARTERA_PASSPHRASE="wrong")
    one_line_error(result, 2, "wrong passphrase")
    assert "New wallet passphrase" not in result.output
    unlock(home / "wallet", PASSPHRASE).close()


# -- the installed command ---------------------------------------------------------------------


def test_installed_cartera_wallet_in_a_subprocess(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CARTERA_")},
        "CARTERA_HOME": str(tmp_path / "home"),
        "CARTERA_KDF": "interactive",
        "CARTERA_PASSPHRASE": PASSPHRASE,
    }

    def cartera(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CARTERA), *args], env={**env, **extra}, capture_output=True, text=True, timeout=60
        )

    made = cartera("wallet", "init")
    assert made.returncode == 0, made.stderr
    shown = cartera("wallet", "info", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["path"] == str(tmp_path / "home" / "wallet")
    again = cartera("wallet", "init")
    assert again.returncode == 2 and again.stderr.startswith("error: a wallet already exists")
    wrong = cartera("wallet", "info", CARTERA_PASSPHRASE="wrong")
    assert wrong.returncode == 2
    assert wrong.stderr == "error: wrong passphrase or corrupted key\n"
    assert wrong.stdout == ""

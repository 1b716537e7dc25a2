"""Where the wallet commands get their passphrases and their wallet from.

A passphrase comes, in this order, from `--passphrase-file FILE` (its first line), from
the environment (`CARTERA_PASSPHRASE`), or from a hidden prompt, with confirmation when a
new one is being set. It is never a positional argument or an option value: those end up
in shell history and in `ps`. The other passphrases a command may need (the new one of
`passwd`, a backup's) have their own file option and variable, named in the command's
`--help`.

The wallet is `HOME/wallet`, HOME being `--home`, `CARTERA_HOME`, or the platform's user
data directory (`wallet.default_path`).
"""

from __future__ import annotations

import getpass
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.errors import bad_input
from wallet import KdfParams, VaultNotFound, Wallet, default_path, unlock

__all__ = [
    "AsJson",
    "Home",
    "Kdf",
    "KdfChoice",
    "PassphraseFile",
    "Source",
    "get_passphrase",
    "unlocked",
    "wallet_path",
]

PASSPHRASE_ENV = "CARTERA_PASSPHRASE"

Home = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="CARTERA_HOME",
        file_okay=False,
        help="Cartera's data directory; the wallet is HOME/wallet (default: the user data dir)",
        show_default=False,
        rich_help_panel="Wallet",
    ),
]
PassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        dir_okay=False,
        help=f"read the wallet passphrase from FILE's first line (else ${PASSPHRASE_ENV}, "
        "else a hidden prompt)",
        show_default=False,
        rich_help_panel="Wallet",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print one JSON document instead")]


class Kdf(StrEnum):
    """Argon2id limits (docs/wallet.md): `interactive` is for tests only."""

    moderate = "moderate"
    interactive = "interactive"
    sensitive = "sensitive"

    @property
    def params(self) -> KdfParams:
        return {
            Kdf.moderate: KdfParams.MODERATE,
            Kdf.interactive: KdfParams.INTERACTIVE,
            Kdf.sensitive: KdfParams.SENSITIVE,
        }[self]


KdfChoice = Annotated[
    Kdf,
    typer.Option(
        "--kdf",
        envvar="CARTERA_KDF",
        hidden=True,
        case_sensitive=False,
        help="Argon2id limits; 'interactive' is weak and for tests only",
    ),
]


@dataclass(frozen=True)
class Source:
    """Where one passphrase may come from: a file option's value, a variable, a prompt."""

    file: Path | None
    env: str
    prompt: str
    file_option: str


def wallet_path(home: Path | None) -> Path:
    """The wallet directory for `--home` (or `CARTERA_HOME`, or the default)."""
    return home / "wallet" if home is not None else default_path()


def _first_line(path: Path, option: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise bad_input(f"{option}: cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8").splitlines()[0] if data else ""
    except UnicodeDecodeError:
        raise bad_input(f"{option}: {path} is not UTF-8 text") from None


def get_passphrase(source: Source, *, confirm: bool = False) -> str:
    """The passphrase from `source`'s file, its variable, or a hidden prompt (asked twice
    when `confirm`). An empty one, or none at all, is a usage error (exit 2)."""
    if source.file is not None:
        passphrase = _first_line(source.file, source.file_option)
    elif os.environ.get(source.env):
        passphrase = os.environ[source.env]
    else:
        try:
            with warnings.catch_warnings():  # getpass's own line says it when stdin is a pipe
                warnings.simplefilter("ignore", getpass.GetPassWarning)
                passphrase = typer.prompt(
                    source.prompt, hide_input=True, confirmation_prompt=confirm, show_default=False
                )
        except typer.Abort:
            render.note("")
            raise bad_input(
                f"no passphrase: type it, or give {source.file_option} or ${source.env}"
            ) from None
    if not passphrase:
        raise bad_input(f"{source.prompt.lower()}: empty")
    return passphrase


def wallet_passphrase(file: Path | None, *, confirm: bool = False) -> str:
    """The wallet's passphrase (`--passphrase-file`, `CARTERA_PASSPHRASE`, prompt)."""
    source = Source(file, PASSPHRASE_ENV, "Wallet passphrase", "--passphrase-file")
    return get_passphrase(source, confirm=confirm)


def require_wallet(path: Path) -> None:
    """Fail before asking for a passphrase when there is no wallet to open (the file name
    is the vault's, docs/wallet.md); `unlock` makes the same check authoritatively."""
    if not (path / "wallet.db").exists():
        raise VaultNotFound(f"no wallet at {path} (create one with: cartera wallet init)")


@contextmanager
def unlocked(home: Path | None, passphrase_file: Path | None) -> Iterator[Wallet]:
    """The wallet under `home`, unlocked with the passphrase from its sources; closed
    when the block ends."""
    path = wallet_path(home)
    require_wallet(path)
    with unlock(path, wallet_passphrase(passphrase_file)) as wallet:
        yield wallet

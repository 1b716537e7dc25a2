"""`cartera wallet …`: create the citizen's encrypted wallet, look at it, back it up,
restore it, change its passphrase.

Each command is one call of the `wallet` API (docs/wallet.md) between its options and
what it prints; passphrases come from `cli.passphrase`, errors become exit codes in
`cli.errors`, output goes through `cli.render`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.errors import handle_errors
from cli.passphrase import (
    AsJson,
    Home,
    Kdf,
    KdfChoice,
    PassphraseFile,
    Source,
    get_passphrase,
    require_wallet,
    unlocked,
    wallet_passphrase,
    wallet_path,
)
from wallet import WalletInfo, create, import_backup, unlock

EXIT_CODES = (
    "Exit codes: 0 done; 2 bad input (wrong passphrase, no wallet or one already there, "
    "damaged or unreadable file); 3 the wallet is locked by another process."
)

app = typer.Typer(
    name="wallet",
    help=f"Create, inspect, back up and restore your encrypted wallet.\n\n{EXIT_CODES}",
    no_args_is_help=True,
)

BackupPassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--backup-passphrase-file",
        dir_okay=False,
        help="read the backup's passphrase from FILE's first line "
        "(else $CARTERA_BACKUP_PASSPHRASE, else a hidden prompt)",
        show_default=False,
        rich_help_panel="Wallet",
    ),
]
NewPassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--new-passphrase-file",
        dir_okay=False,
        help="read the new passphrase from FILE's first line "
        "(else $CARTERA_NEW_PASSPHRASE, else a hidden prompt, asked twice)",
        show_default=False,
        rich_help_panel="Wallet",
    ),
]


def _backup_source(file: Path | None) -> Source:
    return Source(
        file, "CARTERA_BACKUP_PASSPHRASE", "Backup passphrase", "--backup-passphrase-file"
    )


def _info_pairs(info: WalletInfo) -> list[tuple[str, object]]:
    return [
        ("path", info.path),
        ("format", info.format_version),
        (
            "kdf",
            f"argon2id13, opslimit {info.kdf.opslimit}, memlimit {info.kdf.memlimit >> 20} MiB",
        ),
        ("created", info.created_at),
        ("device", info.device_did),
        ("credentials", info.credentials),
        ("consents", info.consents),
        ("presentations", info.presentations),
        ("ledger checkpoints", info.checkpoints),
    ]


@app.command(epilog="Exit codes: 0 created; 2 a wallet exists already, or bad passphrase input.")
@handle_errors
def init(
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    kdf: KdfChoice = Kdf.moderate,
) -> None:
    """Create a new wallet (fresh holder secret and device key) under HOME.

    Refuses if a wallet is already there. The passphrase is asked twice.
    """
    path = wallet_path(home)
    with create(path, wallet_passphrase(passphrase_file, confirm=True), kdf=kdf.params) as made:
        info = made.info()
    render.say(f"created a wallet at {info.path}")
    render.say(f"device {info.device_did}")


@app.command(
    epilog="Exit codes: 0 shown; 2 no wallet, wrong passphrase or damaged vault; 3 locked."
)
@handle_errors
def info(
    home: Home = None, passphrase_file: PassphraseFile = None, as_json: AsJson = False
) -> None:
    """Show where the wallet is, how it is protected and what it holds (nothing secret)."""
    with unlocked(home, passphrase_file) as wallet:
        shown = wallet.info()
    if as_json:
        render.emit_json(shown)
        return
    render.fields("wallet", _info_pairs(shown))


@app.command(
    "export", epilog="Exit codes: 0 written; 2 no wallet, wrong passphrase, FILE exists; 3 locked."
)
@handle_errors
def export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="the backup file to write")],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace FILE if it exists")
    ] = False,
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    backup_passphrase_file: BackupPassphraseFile = None,
    kdf: KdfChoice = Kdf.moderate,
) -> None:
    """Write an encrypted backup of the whole wallet to FILE.

    The backup has its own passphrase, asked twice.

    To restore: that passphrase, then the wallet passphrase as it is now.
    """
    with unlocked(home, passphrase_file) as wallet:
        secret = get_passphrase(_backup_source(backup_passphrase_file), confirm=True)
        wallet.export_backup(file, secret, kdf=kdf.params, overwrite=overwrite)
    render.say(f"wrote an encrypted backup to {file}")


@app.command(
    "import",
    epilog="Exit codes: 0 restored; 2 wrong passphrase, damaged backup, wallet exists; 3 locked.",
)
@handle_errors
def import_(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="the backup file to restore")
    ],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace the wallet under HOME if there is one")
    ] = False,
    home: Home = None,
    backup_passphrase_file: BackupPassphraseFile = None,
) -> None:
    """Restore the wallet under HOME from backup FILE.

    Asks for the backup's passphrase. A damaged or tampered backup writes nothing.

    Then unlock with the wallet passphrase of the time of the backup.
    """
    path = wallet_path(home)
    import_backup(
        file, path, get_passphrase(_backup_source(backup_passphrase_file)), overwrite=overwrite
    )
    render.say(f"restored the wallet at {path} from {file}")


@app.command(epilog="Exit codes: 0 changed; 2 no wallet, wrong passphrase, bad input; 3 locked.")
@handle_errors
def passwd(
    home: Home = None,
    passphrase_file: PassphraseFile = None,
    new_passphrase_file: NewPassphraseFile = None,
    kdf: Annotated[
        Kdf | None,
        typer.Option(
            "--kdf",
            envvar="CARTERA_KDF",
            hidden=True,
            case_sensitive=False,
            help="Argon2id limits; 'interactive' is weak and for tests only",
        ),
    ] = None,
) -> None:
    """Change the wallet's passphrase (the key is re-wrapped; records stay as they are)."""
    path = wallet_path(home)
    require_wallet(path)
    old = wallet_passphrase(passphrase_file)
    with unlock(path, old) as wallet:
        new_source = Source(
            new_passphrase_file,
            "CARTERA_NEW_PASSPHRASE",
            "New wallet passphrase",
            "--new-passphrase-file",
        )
        new = get_passphrase(new_source, confirm=True)
        wallet.change_passphrase(old, new, kdf=kdf.params if kdf else None)
    render.say("passphrase changed")

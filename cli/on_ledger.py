"""How the citizen's commands reach the ledger: the `--ledger` and `--log-key` options,
and the wallet's view of the ledger (`wallet.ledger.WalletLedger`) with the first-contact
warning printed for people."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import render
from ledger import settings as ledger_settings
from ledger.note import VerifierKey
from wallet import Wallet, WalletLedger

__all__ = ["DEFAULT_LEDGER", "LedgerUrl", "LogKey", "ledger_of"]

DEFAULT_LEDGER = f"http://127.0.0.1:{ledger_settings.DEFAULT_PORT}"
LedgerUrl = Annotated[
    str,
    typer.Option(
        "--ledger",
        envvar="CARTERA_LEDGER_URL",
        help="the ledger's base URL",
        rich_help_panel="Ledger",
    ),
]
LogKey = Annotated[
    str | None,
    typer.Option(
        "--log-key",
        envvar="CARTERA_LEDGER_LOG_KEY",
        help="the ledger's C2SP verifier key (else the one it announces, checked against "
        "the checkpoint the wallet kept)",
        show_default=False,
        rich_help_panel="Ledger",
    ),
]


def _first_contact(key: VerifierKey) -> None:
    render.note(
        f"warning: first contact with {key.name}: trusting the key it announces "
        f"({key.to_text()}); pass --log-key to check it"
    )


def ledger_of(wallet: Wallet, url: str, log_key: str | None) -> WalletLedger:
    """The ledger at `url` as `wallet` knows it; warns on first contact without a key."""
    return WalletLedger(wallet, url, log_key=log_key, on_first_contact=_first_contact)

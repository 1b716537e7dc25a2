"""One place where the library's typed errors become a clear line and an exit code.

Exit codes: 0 success, 1 a check failed (invalid signature, proof, consent refused, audit
violation), 2 bad input or usage (malformed file, wrong passphrase), 3 a service could not
be reached or answered with an error.

The wallet's family (`wallet.errors`): a wrong passphrase, a damaged or newer vault, a
vault that exists (or does not), an unknown record are 2; a vault locked by another
process or replaced under us is 3 (try again); a refused issuance, receipt or a ledger
that showed two trees is 1; in a session, an expired offer or request, or one the wallet
cannot answer as asked, is 2, a service it cannot reach 3, a refusal 1. The policies'
family: a malformed or expired document is 2, a signature that does not verify is 1. The
session services' (`mobile_api.errors`): an unusable setting or home file, or input a
service refused as such (a wrong key, an unknown id), is 2; a service that cannot be
reached is 3; any other refusal is 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer

from attestations.errors import AttestationError, DecodeError
from ledger.audit import AuditInputError
from ledger.client import LedgerUnavailable
from ledger.errors import LedgerError, MalformedNote, NotFound
from ledger.settings import SettingsError
from mobile_api.errors import ServiceRefused, ServiceUnavailable, SessionError
from mobile_api.errors import SettingsError as SessionSettingsError
from policies.errors import DocumentError, PolicyError, RequestExpired
from wallet.errors import NotFound as WalletNotFound
from wallet.errors import (
    ServiceUnreachable,
    SessionExpired,
    UnsupportedFormat,
    UnsupportedRequest,
    VaultCorrupted,
    VaultExists,
    VaultLocked,
    VaultReplaced,
    WalletError,
    WrongPassphrase,
)

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3

P = ParamSpec("P")
T = TypeVar("T")


_WALLET_BAD_INPUT = (
    WrongPassphrase
    | VaultCorrupted
    | UnsupportedFormat
    | VaultExists
    | WalletNotFound
    | SessionExpired
    | UnsupportedRequest
)


def _exit_code(error: Exception) -> int:
    if isinstance(error, _WALLET_BAD_INPUT | DocumentError | RequestExpired):
        return EXIT_BAD_INPUT
    if isinstance(error, VaultLocked | VaultReplaced):
        return EXIT_UNAVAILABLE
    if isinstance(error, DecodeError | SettingsError | NotFound | MalformedNote):
        return EXIT_BAD_INPUT
    if isinstance(error, AuditInputError):
        return EXIT_BAD_INPUT
    if isinstance(error, LedgerUnavailable | ServiceUnavailable | ServiceUnreachable):
        return EXIT_UNAVAILABLE
    if isinstance(error, SessionSettingsError):
        return EXIT_BAD_INPUT
    if isinstance(error, ServiceRefused) and error.bad_input:
        return EXIT_BAD_INPUT
    return EXIT_CHECK_FAILED


@contextmanager
def reported() -> Iterator[None]:
    """Turn a library error into `error: …` on stderr and a meaningful exit code."""
    try:
        yield
    except (AttestationError, LedgerError, WalletError, PolicyError, SessionError) as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(_exit_code(error)) from None


def handle_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Decorator form of `reported()` for Typer commands."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with reported():
            return command(*args, **kwargs)

    return wrapper


def bad_input(message: str) -> typer.Exit:
    """For input the library never sees (an option's syntax, an unreadable file): say
    `error: message` on stderr like `reported()` does; raise the result to exit with 2."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(EXIT_BAD_INPUT)

"""One place where the library's typed errors become a clear line and an exit code.

Exit codes: 0 success, 1 a check failed (invalid signature, proof, consent refused, audit
violation), 2 bad input or usage (malformed file, wrong passphrase), 3 a service could not
be reached or answered with an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer

from attestations.errors import AttestationError, DecodeError
from ledger.client import LedgerUnavailable
from ledger.errors import LedgerError, MalformedNote, NotFound
from ledger.settings import SettingsError

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3

P = ParamSpec("P")
T = TypeVar("T")


def _exit_code(error: Exception) -> int:
    if isinstance(error, DecodeError | SettingsError | NotFound | MalformedNote):
        return EXIT_BAD_INPUT
    if isinstance(error, LedgerUnavailable):
        return EXIT_UNAVAILABLE
    return EXIT_CHECK_FAILED


@contextmanager
def reported() -> Iterator[None]:
    """Turn a library error into `error: …` on stderr and a meaningful exit code."""
    try:
        yield
    except (AttestationError, LedgerError) as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        raise typer.Exit(_exit_code(error)) from None


def handle_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Decorator form of `reported()` for Typer commands."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with reported():
            return command(*args, **kwargs)

    return wrapper

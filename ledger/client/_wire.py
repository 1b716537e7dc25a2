"""What the ledger's answers parse into, and the errors they can turn into.

Answers are read defensively: every field the client uses is checked for its type here,
so a malformed answer is a `LedgerError` naming the field, never a `KeyError` later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from attestations.encoding import b64url_decode
from attestations.errors import DecodeError
from ledger.checkpoint import Checkpoint
from ledger.errors import EntryRejected, LedgerError, NotFound
from ledger.rules import Reason, Rejected


class LedgerUnavailable(LedgerError):
    """The ledger could not be reached, timed out, or answered with a server error."""


class LedgerForked(LedgerError):
    """The ledger showed two views of its history that cannot both be true."""


@dataclass(frozen=True)
class Receipt:
    """A verified append: the entry's index and leaf hash, the signed checkpoint that
    includes it, and the inclusion proof (RFC 9162 §2.1.3) against that checkpoint."""

    index: int
    leaf_hash: bytes
    checkpoint: Checkpoint
    note: str
    proof: tuple[bytes, ...]
    duplicate: bool
    """True when the ledger already held this entry: `index` is where it was."""


@dataclass(frozen=True)
class LoggedEntry:
    """An entry as the log holds it: its index and its canonical bytes."""

    index: int
    data: bytes


def b64_field(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise LedgerError(f"{what}: got {type(value).__name__}, want a base64url string")
    try:
        return b64url_decode(value)
    except DecodeError as exc:
        raise LedgerError(f"{what}: {exc}") from None


def int_field(obj: dict[str, Any], key: str, what: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LedgerError(f"{what}: field {key!r} is {value!r}, want a non-negative integer")
    return value


def str_field(obj: dict[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise LedgerError(f"{what}: field {key!r} is {value!r}, want a string")
    return value


def list_field(obj: dict[str, Any], key: str, what: str) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list):
        raise LedgerError(f"{what}: field {key!r} is not a list")
    return value


def hashes_field(obj: dict[str, Any], key: str, what: str) -> list[bytes]:
    return [b64_field(h, f"{what}: {key}[{i}]") for i, h in enumerate(list_field(obj, key, what))]


def rejected(reason: str, detail: str) -> EntryRejected:
    """The ledger's own `Rejected` for a reason this client knows; a plain
    `EntryRejected` naming the reason for one it does not (a newer ledger)."""
    try:
        return Rejected(Reason(reason), detail)
    except ValueError:
        return EntryRejected(f"{reason}: {detail}")


def problem(where: str, method: str, response: httpx.Response) -> LedgerError:
    """The ledger error for a 4xx/5xx answer, read from its RFC 9457 problem document."""
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
    status = response.status_code
    if status >= 500:
        return LedgerUnavailable(f"{where}: {status}: {detail}")
    if status == 404:
        return NotFound(f"{where}: {detail}")
    if method == "POST" and status in (400, 413, 422):
        default = "too_large" if status == 413 else "malformed"
        reason = body.get("reason") if isinstance(body.get("reason"), str) else default
        return rejected(str(reason), detail)
    return LedgerError(f"{where}: {status}: {detail}")

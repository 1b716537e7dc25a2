"""The client's memory: the last checkpoint it trusted, as a signed note in a file.

The file holds the C2SP signed note exactly as the ledger sent it, so it is checked again
(log key and origin) every time it is read: a state file edited by hand is refused, never
trusted. Writes are atomic: a temporary file in the same directory, fsync, rename over
the old file, fsync of the directory; a crash leaves the old note or the new one.

Several processes may share one state file. Each checks consistency against what it read,
so a race can only make the file step back to an older checkpoint that is still
consistent (the next client re-verifies from there), never accept a second view.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ledger.checkpoint import SignedCheckpoint, open_checkpoint
from ledger.errors import LedgerError
from ledger.note import VerifierKey

MAX_STATE_BYTES = 64 * 1024


def load_state(path: Path, log_key: VerifierKey, *, origin: str) -> SignedCheckpoint | None:
    """The checkpoint saved at `path`, verified again; None if there is no file yet."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_STATE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LedgerError(f"checkpoint state {path}: {exc.strerror}") from None
    if len(raw) > MAX_STATE_BYTES:
        raise LedgerError(f"checkpoint state {path}: larger than {MAX_STATE_BYTES} bytes")
    try:
        return open_checkpoint(raw, log_key, origin=origin)
    except LedgerError as exc:
        raise type(exc)(f"checkpoint state {path}: {exc}") from None


def save_state(path: Path, note: str) -> None:
    """Replace the note at `path` atomically and durably."""
    try:
        _replace(path, note.encode())
    except OSError as exc:
        raise LedgerError(f"checkpoint state {path}: cannot save: {exc.strerror}") from exc


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)

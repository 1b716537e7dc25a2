"""The client's memory: the last checkpoint it trusted, as a signed note in a file.

The file holds the C2SP signed note exactly as the ledger sent it, so it is checked again
(log key and origin) every time it is read: a state file edited by hand is refused, never
trusted. Writes are atomic: a temporary file in the same directory, fsync, rename over
the old file, fsync of the directory; a crash leaves the old note or the new one.

Writes are made in the background (`StateFile`): a client that moves trust forward hands
the note over and goes on; one writer thread saves the newest note handed over, so a burst
of moves costs one write (~10 ms of fsyncs here, which were on every verifier's answer),
and stays a moment for the next one (`LINGER_SECONDS`).
This is safe because any checkpoint the client trusted is a sound anchor: trust moves
forward from it only over consistency proofs, so a client restarted from an older note
still refuses every view that contradicts it. What is given up is only the newest notes
of the last few milliseconds before a crash of the process or the machine; a clean close,
and the normal end of the interpreter (the writer is not a daemon thread), write the
newest, and a client that catches a fork writes what it trusted before it says so, so
that a restart against the fork is refused too.

Several processes may share one state file. Each checks consistency against what it read,
so a race can only make the file step back to an older checkpoint that is still
consistent (the next client re-verifies from there), never accept a second view.
"""

from __future__ import annotations

import os
import tempfile
import threading
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


LINGER_SECONDS = 0.5
"""How long the writer waits for the next note before it ends: a busy client keeps one
thread (starting one per note cost ~1 ms under load), an idle or closed one keeps none."""


class StateFile:
    """The state file of one client, written in the background (module docstring).

    `save_later` hands a note over and returns; `flush` waits until the newest one is on
    disk; `close` flushes and lets the writer end at once. A write that fails is raised
    by the next `save_later` or `flush`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._changed = threading.Condition()
        self._pending: str | None = None
        self._saving = False  # a note is being written
        self._writer = False  # the writer thread runs
        self._closed = False
        self._failed: LedgerError | None = None

    def load(self, log_key: VerifierKey, *, origin: str) -> SignedCheckpoint | None:
        return load_state(self.path, log_key, origin=origin)

    def save_later(self, note: str) -> None:
        with self._changed:
            self._raise_failure()
            self._pending = note
            if self._writer:
                self._changed.notify_all()
            else:
                self._writer = True
                threading.Thread(target=self._write, name=f"save {self.path}").start()

    def flush(self) -> None:
        with self._changed:
            while self._pending is not None or self._saving:
                self._changed.wait()
            self._raise_failure()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self.flush()

    def _raise_failure(self) -> None:
        failed, self._failed = self._failed, None
        if failed is not None:
            raise failed

    def _write(self) -> None:
        while True:
            with self._changed:
                if self._pending is None and not self._closed:
                    self._changed.wait(LINGER_SECONDS)
                note, self._pending = self._pending, None
                if note is None:
                    self._writer = False
                    return
                self._saving = True
            failed = None
            try:
                save_state(self.path, note)
            except LedgerError as exc:
                failed = exc
            with self._changed:
                self._saving = False
                self._failed = failed or self._failed
                self._changed.notify_all()

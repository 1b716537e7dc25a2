"""The wallet's write lock: `flock` on a lock file beside the vault.

Every write transaction (and every create, import or passphrase change) runs with this lock
held, so two processes on one wallet take turns: no lost update, no two writers racing to
replace the file. The lock file holds no data and is never deleted (deleting it would let a
waiter lock the old inode while a newcomer locks a new one). The kernel drops the lock
when its holder dies, even by SIGKILL, so a crash never leaves the wallet locked.

`flock` locks belong to an open file description, so two threads of one process that each
take the lock also exclude each other. Readers do not take it: SQLite's own locks give
them a consistent snapshot.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wallet.errors import VaultLocked

__all__ = ["DEFAULT_LOCK_TIMEOUT", "exclusive"]

DEFAULT_LOCK_TIMEOUT = 30.0
_FIRST_WAIT, _MAX_WAIT = 0.002, 0.05


@contextmanager
def exclusive(path: Path, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the exclusive lock on `path` (created if missing) for the `with` block;
    `VaultLocked` if another process keeps it for more than `timeout` seconds."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout
        wait = _FIRST_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise VaultLocked(
                        f"another process has held the wallet lock {path} for {timeout:g} s"
                    ) from None
                time.sleep(wait)
                wait = min(wait * 2, _MAX_WAIT)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock

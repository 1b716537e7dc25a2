"""Private files of a session service's home: created 0600 in a 0700 directory, never
half-written, and refused when anyone but the owner may read them.

The same rules as the ledger operator's key (`ledger.settings`): a key file is written to
a private temporary file and linked into place, so a reader never sees half of it and two
processes initialising at once cannot both win.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mobile_api.errors import SettingsError

__all__ = ["MAX_FILE_BYTES", "create_private", "read_private"]

#: Home files are small; anything larger is not one of ours.
MAX_FILE_BYTES = 1 << 20


def create_private(path: Path, data: bytes) -> None:
    """Create `path` (mode 0600, its directory 0700) holding `data`; `SettingsError` if
    it exists already."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(tmp, path)
    except FileExistsError:
        raise SettingsError(f"{path} exists already: remove it to start afresh") from None
    finally:
        tmp.unlink(missing_ok=True)


def read_private(path: Path) -> bytes:
    """The bytes of private file `path`, after checking that only its owner may read it."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise SettingsError(f"{path} does not exist: run `init` first") from None
    if mode & 0o077:
        raise SettingsError(f"{path} is accessible to others (mode {mode:04o}): chmod 600 {path}")
    with path.open("rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise SettingsError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    return data

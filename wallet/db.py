"""The vault's SQLite file: tables, connections, and checks that name what is damaged.

One header row (`vault_header`) and five record tables of the same shape (`id`, `nonce`,
`ciphertext`): the id is a keyed hash (`wallet.crypto.VaultKeys.record_id`), the other two
columns are one XChaCha20-Poly1305 seal. Nothing else is in clear.

Connection settings, on every connection:
- `journal_mode=DELETE` (rollback journal), not WAL: an import may replace the whole file,
  and a WAL or shared-memory sidecar left by another connection must never be applied to
  the new file. Under our write lock the only journal that can exist is a crashed
  writer's, and it belongs to the file being replaced.
- `synchronous=FULL`: a commit is on disk when it returns.
- `busy_timeout`: a reader waits out a commit instead of failing.
- `cell_size_check=ON`: catch damaged pages as they are read, not later.
- `trusted_schema=OFF`: views and triggers in a tampered file cannot call functions.

Files are opened with `mode=rw` (or `rwc` only when creating), so a missing vault is never
created by accident.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, SQLModel

from wallet.errors import VaultCorrupted, VaultLocked

__all__ = [
    "HEADER_TABLE",
    "RECORD_TABLES",
    "WRITE_OPTION",
    "check_file",
    "create_tables",
    "make_engine",
    "translate_errors",
]

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "vault_write"
"""Execution option of a connection that will write: its transaction starts IMMEDIATE."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_HEADER = 100


class HeaderRow(SQLModel, table=True):
    """The one header row: format, KDF and the wrapped data key."""

    __tablename__: ClassVar[Any] = "vault_header"

    id: int = Field(primary_key=True)  # always 1
    format_version: int
    kdf: str
    opslimit: int
    memlimit: int
    salt: bytes
    key_nonce: bytes
    wrapped_key: bytes


class _Sealed(SQLModel):
    id: str = Field(primary_key=True, max_length=32)
    nonce: bytes
    ciphertext: bytes


class SecretRow(_Sealed, table=True):
    """The holder secret and the device key."""

    __tablename__: ClassVar[Any] = "vault_secret"


class CredentialRow(_Sealed, table=True):
    __tablename__: ClassVar[Any] = "vault_credential"


class ConsentRow(_Sealed, table=True):
    __tablename__: ClassVar[Any] = "vault_consent"


class PresentationRow(_Sealed, table=True):
    __tablename__: ClassVar[Any] = "vault_presentation"


class CheckpointRow(_Sealed, table=True):
    __tablename__: ClassVar[Any] = "vault_checkpoint"


_tables = SQLModel.metadata.tables
HEADER_TABLE: sa.Table = _tables["vault_header"]
RECORD_TABLES: dict[str, sa.Table] = {
    name: _tables[name]
    for name in (
        "vault_secret",
        "vault_credential",
        "vault_consent",
        "vault_presentation",
        "vault_checkpoint",
    )
}


def make_engine(path: Path, *, create: bool = False) -> Engine:
    """An engine on the vault file `path` (which must exist unless `create`)."""
    uri = f"{path.resolve().as_uri()}?mode={'rwc' if create else 'rw'}"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        for pragma in (
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "journal_mode=DELETE",
            "synchronous=FULL",
            "cell_size_check=ON",
            "trusted_schema=OFF",
        ):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    engine = sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def create_tables(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn, tables=[HEADER_TABLE, *RECORD_TABLES.values()])


def check_file(path: Path) -> None:
    """`VaultCorrupted` if `path` is shorter than its own SQLite header says, or is no
    SQLite file at all. Only meaningful while no rollback journal is pending."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(_SQLITE_HEADER)
    if len(head) < _SQLITE_HEADER:
        raise VaultCorrupted(f"vault file {path} is truncated: {size} bytes, no full header")
    if not head.startswith(_SQLITE_MAGIC):
        raise VaultCorrupted(f"vault file {path} is not a SQLite database")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    # The page count is valid only if the change counter matches "version-valid-for".
    counted = pages != 0 and head[24:28] == head[92:96]
    if page_size < 512 or size % page_size or (counted and size < pages * page_size):
        want = pages * page_size if counted else "whole pages"
        raise VaultCorrupted(f"vault file {path} is truncated: {size} bytes, want {want}")


def quick_check(conn: Connection, path: Path) -> None:
    """SQLite's own structural check of every page (cheap for a wallet-sized file)."""
    rows = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    if rows != ["ok"]:
        raise VaultCorrupted(f"vault file {path} is damaged: {rows[0]}")


@contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Turn SQLite's failures into the wallet's: a lock held past the timeout, or a file
    SQLite cannot read."""
    try:
        yield
    except sa.exc.OperationalError as exc:
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            raise VaultLocked(f"vault file {path} is locked by another process") from exc
        raise VaultCorrupted(f"vault file {path}: {exc.orig}") from exc
    except sa.exc.DatabaseError as exc:
        raise VaultCorrupted(f"vault file {path} is damaged: {exc.orig}") from exc

"""The vault: a directory holding one SQLite file of sealed records and its lock file.

    <dir>/wallet.db     the header row and the sealed records (wallet.db, wallet.header)
    <dir>/wallet.lock   the writers' flock target (wallet.lock)

A new or imported vault is written to a temporary file and renamed into place under the
lock, so a crash leaves either no vault or a whole one. `Vault` is the open, unlocked file:
sealed reads in `reading()` transactions, sealed writes in `writing()` transactions (the
flock, then SQLite's `BEGIN IMMEDIATE`), reentrant within one thread. Unlocking checks
the file (truncation, SQLite's quick_check, the tables) before the header and the key.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import platformdirs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError

from wallet import db
from wallet.crypto import KdfParams, SealedRow, VaultKeys
from wallet.errors import VaultCorrupted, VaultExists, VaultNotFound, VaultReplaced
from wallet.header import Header
from wallet.lock import DEFAULT_LOCK_TIMEOUT, exclusive

__all__ = [
    "DB_NAME",
    "LOCK_NAME",
    "Vault",
    "default_path",
    "install",
    "open_vault",
    "open_with_keys",
]

DB_NAME = "wallet.db"
LOCK_NAME = "wallet.lock"
_SIDECARS = ("-journal", "-wal", "-shm")


def default_path() -> Path:
    """`$CARTERA_HOME/wallet`, or `wallet` under the platform's user data directory."""
    home = os.environ.get("CARTERA_HOME")
    return Path(home or platformdirs.user_data_dir("cartera")) / "wallet"


def _file_id(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_dev, stat.st_ino


class Vault:
    """An unlocked vault file. Not for sharing between processes; safe between threads."""

    def __init__(
        self,
        directory: Path,
        keys: VaultKeys,
        header: Header,
        *,
        engine: Engine,
        file_id: tuple[int, int],
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.directory = directory
        self.db_path = directory / DB_NAME
        self.lock_path = directory / LOCK_NAME
        self.keys = keys
        self.header = header
        self.lock_timeout = lock_timeout
        self._file = file_id
        self._engine = engine
        self._local = threading.local()

    def close(self) -> None:
        self._engine.dispose()

    # -- transactions -----------------------------------------------------------------

    def _check_same_file(self) -> None:
        try:
            same = _file_id(self.db_path) == self._file
        except FileNotFoundError:
            same = False
        if not same:
            raise VaultReplaced(f"{self.db_path} was replaced since it was unlocked")

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read transaction (or the one this thread already has open)."""
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        self._check_same_file()
        with db.translate_errors(self.db_path), self._engine.begin() as conn:
            self._local.conn, self._local.write = conn, False
            try:
                yield conn
            finally:
                self._local.conn = None

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction under the lock; all or nothing of what the block writes."""
        current: Connection | None = getattr(self._local, "conn", None)
        if current is not None:
            if not self._local.write:
                raise RuntimeError("cannot write inside a read transaction")
            yield current
            return
        with exclusive(self.lock_path, timeout=self.lock_timeout):
            self._check_same_file()
            writer = self._engine.execution_options(**{db.WRITE_OPTION: True})
            with db.translate_errors(self.db_path), writer.begin() as conn:
                self._local.conn, self._local.write = conn, True
                try:
                    yield conn
                finally:
                    self._local.conn = None

    # -- sealed records ---------------------------------------------------------------

    def put(self, conn: Connection, table: str, natural_id: str, payload: bytes) -> None:
        """Insert or replace record `natural_id` of `table`."""
        row_id, nonce, ciphertext = self.keys.seal_record(table, natural_id, payload)
        t = db.RECORD_TABLES[table]
        conn.execute(sa.delete(t).where(t.c.id == row_id))
        conn.execute(sa.insert(t).values(id=row_id, nonce=nonce, ciphertext=ciphertext))

    def get(self, conn: Connection, table: str, natural_id: str) -> bytes | None:
        t = db.RECORD_TABLES[table]
        row_id = self.keys.record_id(table, natural_id)
        rows = conn.execute(sa.select(t.c.id, t.c.nonce, t.c.ciphertext).where(t.c.id == row_id))
        row = rows.first()
        return None if row is None else self.keys.open_record(table, row)

    def scan(self, conn: Connection, table: str) -> list[tuple[str, bytes]]:
        """(record id, payload) of every record of `table`; `VaultCorrupted` at the first
        that does not open."""
        return [(row[0], self.keys.open_record(table, row)) for row in self.raw_rows(conn, table)]

    def delete(self, conn: Connection, table: str, natural_id: str) -> bool:
        t = db.RECORD_TABLES[table]
        row_id = self.keys.record_id(table, natural_id)
        return conn.execute(sa.delete(t).where(t.c.id == row_id)).rowcount > 0

    def raw_rows(self, conn: Connection, table: str) -> list[SealedRow]:
        t = db.RECORD_TABLES[table]
        rows = conn.execute(sa.select(t.c.id, t.c.nonce, t.c.ciphertext).order_by(t.c.id))
        return [(str(r[0]), r[1], r[2]) for r in rows]

    def problems(self) -> list[str]:
        """Every record that does not open, one line each (empty when all is well)."""
        found = []
        with self.reading() as conn:
            for table in db.RECORD_TABLES:
                for row in self.raw_rows(conn, table):
                    try:
                        self.keys.open_record(table, row)
                    except VaultCorrupted as exc:
                        found.append(str(exc))
        return found

    # -- the header -------------------------------------------------------------------

    def change_passphrase(self, old: str | bytes, new: str | bytes, kdf: KdfParams) -> None:
        """Re-wrap the data key under `new`; the records are not touched. Runs under the
        lock from start to end so that two changes never interleave."""
        with self.writing() as conn:
            current = _read_header(conn)
            current.unwrap(old)  # WrongPassphrase unless `old` opens the key on disk now
            header = Header.wrap(self.keys, new, kdf)
            conn.execute(sa.update(db.HEADER_TABLE).values(**header.to_row()))
        self.header = header


def _read_header(conn: Connection) -> Header:
    rows = conn.execute(sa.select(db.HEADER_TABLE)).mappings().all()
    return Header.from_rows([dict(row) for row in rows])


def _check_tables(conn: Connection, path: Path) -> None:
    query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    names = {row[0] for row in conn.exec_driver_sql(query)}
    for name in [db.HEADER_TABLE.name, *db.RECORD_TABLES]:
        if name not in names:
            raise VaultCorrupted(f"vault file {path}: table {name} is missing")


def open_vault(
    directory: Path, passphrase: str | bytes, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Vault:
    """Check the file, read the header and unwrap the data key (the Argon2id cost)."""
    return _open(directory, lambda header: header.unwrap(passphrase), lock_timeout)


def open_with_keys(
    directory: Path, keys: VaultKeys, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Vault:
    """Open a vault whose data key the caller holds already (it has just created it)."""
    return _open(directory, lambda header: keys, lock_timeout)


def _open(directory: Path, get_keys: Callable[[Header], VaultKeys], lock_timeout: float) -> Vault:
    path = directory / DB_NAME
    if not path.is_file():
        raise VaultNotFound(f"no wallet at {directory}")
    file_id = _file_id(path)
    if not Path(f"{path}-journal").exists():  # else SQLite first rolls a crashed write back
        db.check_file(path)
    engine = db.make_engine(path)
    try:
        try:
            with db.translate_errors(path), engine.begin() as conn:
                db.quick_check(conn, path)
                _check_tables(conn, path)
                header = _read_header(conn)
        except VaultCorrupted as exc:
            if isinstance(exc.__cause__, DatabaseError):
                db.check_file(path)  # a more precise message if it can tell
            raise
        db.check_file(path)
        keys = get_keys(header)
    except BaseException:
        engine.dispose()
        raise
    return Vault(directory, keys, header, lock_timeout=lock_timeout, engine=engine, file_id=file_id)


def install(
    directory: Path,
    header: Header,
    rows: Mapping[str, Sequence[SealedRow]],
    *,
    replace: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Write a whole vault (header and sealed rows) to a temporary file and rename it to
    `<directory>/wallet.db` under the lock. `VaultExists` unless the place is free or
    `replace`; the old file, if any, is gone only once the new one is complete."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / DB_NAME
    with exclusive(directory / LOCK_NAME, timeout=lock_timeout):
        if path.exists() and not replace:
            raise VaultExists(f"a wallet already exists at {directory}")
        tmp = directory / f".{DB_NAME}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            engine = db.make_engine(tmp, create=True)
            try:
                with engine.begin() as conn:
                    db.create_tables(conn)
                    conn.execute(sa.insert(db.HEADER_TABLE).values(id=1, **header.to_row()))
                    for table, table_rows in rows.items():
                        t = db.RECORD_TABLES[table]
                        for row_id, nonce, ciphertext in table_rows:
                            conn.execute(
                                sa.insert(t).values(id=row_id, nonce=nonce, ciphertext=ciphertext)
                            )
            finally:
                engine.dispose()
            # A journal beside the old file belongs to it: never let it roll into the new one.
            for suffix in _SIDECARS:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            os.replace(tmp, path)
            _fsync_directory(directory)
        finally:
            for leftover in (tmp, Path(f"{tmp}-journal")):
                with suppress(FileNotFoundError):
                    leftover.unlink()


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

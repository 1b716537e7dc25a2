"""Tables of the ledger and the engine factory: SQLite (WAL) by default, PostgreSQL by URL.

Three tables: `ledger_entry` (index, canonical bytes, unique leaf hash, type, time),
`ledger_node` (every perfect subtree hash, RFC 9162 §2.1.1, kept once its leaves all
exist) and `ledger_checkpoint` (signed tree heads). Nothing is ever updated or deleted.

SQLite pragmas, set on every connection:
- `journal_mode=WAL`: readers (proof queries) never block the one writer and vice versa.
- `synchronous=FULL`: in WAL mode FULL syncs the log on every commit, so an acknowledged
  append survives power loss; NORMAL would only sync at checkpoints and could lose the
  last commits (DESIGN.md: "an acknowledged append is durable"). Batching pays for it:
  one fsync per batch, not per entry.
- `foreign_keys=ON`: SQLite leaves them off unless asked; other packages' tables may
  reference ours.
- `busy_timeout=30000`: a second process waits for the write lock instead of failing.

Writers take the write lock at BEGIN (`BEGIN IMMEDIATE` on SQLite, a transaction-scoped
advisory lock on PostgreSQL, see `lock_writers`), so two sequencers on one database never
read the same head and never deadlock upgrading a read lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, SQLModel

BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "ledger_write"
"""Execution option marking a connection that will write: SQLite starts it IMMEDIATE."""

_ADVISORY_LOCK_KEY = 0x4361727465726131  # "Cartera1": the ledger's writer lock on PostgreSQL

_Index = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: a rowid alias


class EntryRow(SQLModel, table=True):
    """One log entry: its position, its canonical bytes and what the validator said."""

    __tablename__: ClassVar[Any] = "ledger_entry"

    idx: int = Field(sa_column=sa.Column("idx", _Index, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False, unique=True))
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    type: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    sequenced_ms: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class NodeRow(SQLModel, table=True):
    """A perfect subtree hash: leaves [idx·2^level, (idx+1)·2^level); level 0 = leaf hash."""

    __tablename__: ClassVar[Any] = "ledger_node"
    __table_args__: ClassVar[Any] = {"sqlite_with_rowid": False}

    level: int = Field(sa_column=sa.Column(sa.SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))


class CheckpointRow(SQLModel, table=True):
    """A signed tree head: the C2SP checkpoint note for one tree size."""

    __tablename__: ClassVar[Any] = "ledger_checkpoint"

    size: int = Field(sa_column=sa.Column(_Index, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=sa.Column(sa.LargeBinary(32), nullable=False))
    note: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_ms: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


ENTRY_TABLE: sa.Table = SQLModel.metadata.tables["ledger_entry"]
NODE_TABLE: sa.Table = SQLModel.metadata.tables["ledger_node"]
CHECKPOINT_TABLE: sa.Table = SQLModel.metadata.tables["ledger_checkpoint"]
TABLES = [ENTRY_TABLE, NODE_TABLE, CHECKPOINT_TABLE]


def _normalise(url: str) -> sa.URL:
    """The engine URL for `url`, or `ValueError` saying why the ledger cannot use it."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise ValueError(
            f"database URL: got driver {parsed.drivername!r}, want sqlite or postgresql"
        )
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ValueError("database URL: the ledger needs a SQLite file, not an in-memory database")
    return parsed


parse_url = _normalise


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN; pysqlite's own is deferred-only.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in (
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for `url` (a `sqlite:///path` file or a `postgresql://` URL), tables created."""
    parsed = _normalise(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"check_same_thread": False})
        _sqlite_hooks(engine)
    else:
        engine = sa.create_engine(parsed, pool_size=10, max_overflow=10)
    if create:
        create_tables(engine)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions taking the write lock when they begin (SQLite)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def lock_writers(conn: Connection) -> None:
    """Serialise writers for the rest of this transaction (SQLite: BEGIN IMMEDIATE did)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})


class Sql:
    """One statement in driver SQL, run on the raw DBAPI cursor of `conn`'s transaction.

    For the statements the sequencer thread runs on every batch: through SQLAlchemy's
    execution machinery each costs ~0.1-0.3 ms of Python (compiling, bind processors),
    more than SQLite's own work. Placeholders are `?`, turned into `%s` for psycopg.
    """

    __slots__ = ("_format", "_qmark")

    def __init__(self, sql: str) -> None:
        self._qmark, self._format = sql, sql.replace("?", "%s")

    def _cursor(self, conn: Connection) -> tuple[Any, str]:
        if not conn.in_transaction():  # begin as SQLAlchemy's own statements would, so that
            conn.begin()  # a read connection's raw and SQLAlchemy reads share one snapshot
        raw = conn.connection.dbapi_connection
        assert raw is not None, "the connection is closed"
        return raw.cursor(), self._qmark if conn.dialect.paramstyle == "qmark" else self._format

    def __call__(self, conn: Connection, *params: object) -> Any:
        """Execute with `params`; the cursor, for `fetchone`/`fetchall`/`rowcount`."""
        cursor, sql = self._cursor(conn)
        with _translated(conn, sql, params):
            cursor.execute(sql, params)
        return cursor

    def many(self, conn: Connection, rows: Sequence[tuple[object, ...]]) -> None:
        """Execute once per row (`executemany`: one pipeline on psycopg)."""
        if rows:
            cursor, sql = self._cursor(conn)
            with _translated(conn, sql, rows):
                cursor.executemany(sql, rows)


@contextmanager
def _translated(conn: Connection, sql: str, params: Sequence[Any]) -> Iterator[None]:
    """Driver errors as SQLAlchemy's (`IntegrityError`, ...), as every other statement's."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as exc:
        raise sa.exc.DBAPIError.instance(
            sql, params, exc, dbapi_error, dialect=conn.dialect
        ) from exc


def create_tables(engine: Engine) -> None:
    """Create the ledger's tables if missing; safe when several processes start at once."""
    with writer(engine).begin() as conn:
        lock_writers(conn)
        SQLModel.metadata.create_all(conn, tables=TABLES)

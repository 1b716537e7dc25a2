"""Where an audit reads the log from: a ledger database directly, or a ledger's HTTP API.

A source yields entries in index order, in pages, and the stored checkpoints in size
order. Nothing it returns is trusted: the replay checks it all. A database source reads
one snapshot (one read transaction; REPEATABLE READ on PostgreSQL) so that a ledger that
keeps appending during the audit is seen as it was when the audit began, and also
returns what the database claims besides the entry bytes (the stored leaf hash and the
stored tree's leaf node), so that tampering with those is named too. An HTTP source sees
what the service shows: the entries and the latest checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.client import LedgerClient, LedgerUnavailable
from ledger.db import CHECKPOINT_TABLE, ENTRY_TABLE, NODE_TABLE, make_engine
from ledger.errors import LedgerError
from ledger.note import VerifierKey
from ledger.storage import tree_size

PAGE = 512


class AuditInputError(LedgerError):
    """What the auditor gave cannot be audited: a path that is no file, a database without
    the ledger's tables, a saved checkpoint the log's key did not sign."""


@dataclass(frozen=True)
class SourceEntry:
    index: int
    data: bytes
    stored_leaf_hash: bytes | None = None
    """The leaf hash the database stored beside the bytes (None over HTTP)."""
    stored_node: bytes | None = None
    """The stored tree's leaf node (level 0) at this index (None over HTTP or if absent)."""
    sequenced: datetime | None = None
    """When the ledger sequenced it, for the clock-skew rule (None over HTTP)."""


@dataclass(frozen=True)
class SourceCheckpoint:
    size: int
    note: str
    stored_root: bytes | None = None
    """The root hash column stored beside the note (None over HTTP)."""


class Source(Protocol):
    """What `replay` reads. `checkpoints(after, upto)`: those with after < size <= upto."""

    name: str
    stores_tree: bool
    """Whether the source holds a tree beside the entries (leaf hashes, leaf nodes)."""
    expected_size: int
    """How many entries the source says it has (for progress; checked, not trusted)."""

    def pages(self) -> Iterator[list[SourceEntry]]: ...

    def checkpoints(self, after: int, upto: int) -> list[SourceCheckpoint]: ...

    def entry(self, index: int) -> SourceEntry | None: ...

    def close(self) -> None: ...


class DatabaseSource:
    """A ledger database (`sqlite:///…` or `postgresql://…`), read in one snapshot."""

    def __init__(self, url: str) -> None:
        self.name = sa.make_url(url).render_as_string(hide_password=True)
        try:
            self._engine: Engine = make_engine(url, create=False)
            conn = self._engine.connect()
        except ValueError as exc:
            raise AuditInputError(f"audit source {self.name}: {exc}") from None
        except sa.exc.OperationalError as exc:
            raise LedgerUnavailable(f"audit source {self.name}: {exc.orig}") from None
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self._conn: Connection = conn
        self._conn.begin()
        if not sa.inspect(self._conn).has_table(ENTRY_TABLE.name):
            self.close()
            raise AuditInputError(f"audit source {self.name}: not a ledger database")
        self.stores_tree = True
        self.expected_size = tree_size(self._conn)

    def pages(self) -> Iterator[list[SourceEntry]]:
        e, n = ENTRY_TABLE.c, NODE_TABLE.c
        query = (
            sa.select(e.idx, e.data, e.leaf_hash, n.hash, e.sequenced_ms)
            .select_from(ENTRY_TABLE.outerjoin(NODE_TABLE, (n.level == 0) & (n.idx == e.idx)))
            .where(e.idx >= sa.bindparam("start"))
            .order_by(e.idx)
            .limit(PAGE)
        )
        start = 0
        while True:
            rows = self._conn.execute(query, {"start": start}).all()
            if not rows:
                return
            yield [
                SourceEntry(
                    int(i),
                    bytes(d),
                    bytes(h),
                    None if node is None else bytes(node),
                    datetime.fromtimestamp(ms / 1000, UTC),
                )
                for i, d, h, node, ms in rows
            ]
            start = int(rows[-1][0]) + 1

    def checkpoints(self, after: int, upto: int) -> list[SourceCheckpoint]:
        rows = self._conn.execute(_CHECKPOINTS, {"after": after, "upto": upto}).all()
        return [SourceCheckpoint(int(s), str(note), bytes(root)) for s, note, root in rows]

    def entry(self, index: int) -> SourceEntry | None:
        row = self._conn.execute(
            sa.select(ENTRY_TABLE.c.data).where(ENTRY_TABLE.c.idx == index)
        ).first()
        return None if row is None else SourceEntry(index, bytes(row[0]))

    def close(self) -> None:
        self._conn.close()
        self._engine.dispose()


def _checkpoints_query() -> sa.Select[Any]:
    c = CHECKPOINT_TABLE.c
    after, upto = sa.bindparam("after", type_=c.size.type), sa.bindparam("upto", type_=c.size.type)
    query = sa.select(c.size, c.note, c.root_hash).where(c.size > after, c.size <= upto)
    return query.order_by(c.size)


_CHECKPOINTS = _checkpoints_query()
"""Built once: a query object built per call is compiled again each time (~0.1 ms)."""


class HttpSource:
    """A ledger service: its latest checkpoint, then the entries that checkpoint covers."""

    def __init__(
        self,
        url: str,
        *,
        log_key: VerifierKey,
        origin: str,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = url
        self._client = LedgerClient(url, log_key=log_key, origin=origin, transport=transport)
        # The checkpoint is read first: the entries read next are the ones it covers.
        note = self._client.checkpoint_note()
        self._latest = SourceCheckpoint(_claimed_size(note), note)
        self.stores_tree = False
        self.expected_size = self._latest.size

    def pages(self) -> Iterator[list[SourceEntry]]:
        for page in self._client.pages(0, self._latest.size, gaps=True):
            yield [SourceEntry(e.index, e.data) for e in page]

    def checkpoints(self, after: int, upto: int) -> list[SourceCheckpoint]:
        return [self._latest] if after < self._latest.size <= upto else []

    def entry(self, index: int) -> SourceEntry | None:
        found = self._client.entries(index, index + 1)
        return SourceEntry(index, found[0].data) if found else None

    def close(self) -> None:
        self._client.close()


def _claimed_size(note: str) -> int:
    """The size a note says (its signature is checked later, with the others)."""
    lines = note.split("\n")
    if len(lines) < 2 or not lines[1].isdigit():
        raise AuditInputError("the ledger's checkpoint has no tree size line")
    return int(lines[1])


def open_source(
    location: str | Path,
    *,
    log_key: VerifierKey,
    origin: str,
    transport: httpx.BaseTransport | None = None,
) -> Source:
    """A ledger URL (`http(s)://`), a database URL, or the path of a SQLite file."""
    text = str(location)
    if text.startswith(("http://", "https://")):
        return HttpSource(text, log_key=log_key, origin=origin, transport=transport)
    if "://" in text:
        return DatabaseSource(text)
    path = Path(text)
    if not path.is_file():
        raise AuditInputError(f"audit source {text}: no such file")
    return DatabaseSource(f"sqlite:///{path.resolve()}")

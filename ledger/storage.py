"""Reading and writing the ledger's rows: entries, tree nodes, checkpoints.

Functions taking a `Connection` run inside the caller's transaction, so the sequencer
composes them into one atomic batch. `LedgerStore` wraps the read side in short read
transactions for the service and the tests. Proofs follow `ledger.merkle.proof`: the plan
says which perfect nodes are needed, one query fetches them (O(log n) rows through the
primary key), and the right-edge subtrees of trees whose size is not a power of two are
folded on the fly.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby, islice

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.db import (
    CHECKPOINT_TABLE,
    ENTRY_TABLE,
    NODE_TABLE,
    Sql,
    lock_writers,
    make_engine,
    writer,
)
from ledger.errors import NotFound
from ledger.merkle import EMPTY_ROOT, NodeID, consistency_plan, hash_plan, inclusion_plan
from ledger.merkle.nodes import fold_nodes, range_nodes
from ledger.merkle.proof import plan_nodes

_CHUNK = 500  # ids per query: far below every backend's bound-parameter limit

_entry, _node, _checkpoint = ENTRY_TABLE, NODE_TABLE, CHECKPOINT_TABLE


@dataclass(frozen=True)
class StoredEntry:
    index: int
    data: bytes
    leaf_hash: bytes
    type: str
    sequenced_ms: int


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root_hash: bytes
    note: str
    created_ms: int


def _chunks(items: Iterable[NodeID], size: int) -> Iterator[list[NodeID]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


# --- inside a transaction -------------------------------------------------------------


# The statements the sequencer runs on every batch are driver SQL on the raw cursor
# (`ledger.db.Sql`: SQLAlchemy's execution path costs more Python than the database's own
# work); the rest are SQLAlchemy statements built once, whose compiled form is cached.
_SIZE = Sql(f"SELECT max(idx) FROM {_entry.name}")
_FIND = f"SELECT leaf_hash, idx FROM {_entry.name} WHERE leaf_hash IN"
_INSERT_ENTRY = Sql(
    f"INSERT INTO {_entry.name} (idx, leaf_hash, data, type, sequenced_ms) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_NODE = Sql(f"INSERT INTO {_node.name} (level, idx, hash) VALUES (?, ?, ?)")
_INSERT_CHECKPOINT = Sql(
    f"INSERT INTO {_checkpoint.name} (size, root_hash, note, created_ms) VALUES (?, ?, ?, ?)"
)
_CHECKPOINT_AT = sa.select(_checkpoint).where(_checkpoint.c.size == sa.bindparam("size"))


def tree_size(conn: Connection) -> int:
    """The number of entries: one past the highest index (the primary key answers)."""
    top = _SIZE(conn).fetchone()[0]
    return 0 if top is None else int(top) + 1


def _nodes_query(conn: Connection, chunk: list[NodeID]) -> tuple[str, tuple[int, ...]]:
    # One OR term per level keeps every lookup on the (level, idx) primary key: SQLite
    # scans the whole table for a row-value IN list. Written as driver SQL because its
    # shape changes with every plan, and building expressions would cost more than the
    # query itself.
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    terms, params = [], []
    for level, group in groupby(chunk, key=lambda n: n.level):
        indexes = [n.index for n in group]
        terms.append(f"(level = {mark} AND idx IN ({', '.join([mark] * len(indexes))}))")
        params += [level, *indexes]
    sql = f"SELECT level, idx, hash FROM {_node.name} WHERE {' OR '.join(terms)}"
    return sql, tuple(params)


def read_nodes(conn: Connection, ids: Collection[NodeID]) -> dict[NodeID, bytes]:
    """The stored hashes of `ids`: one primary-key lookup each, in few queries."""
    found: dict[NodeID, bytes] = {}
    for chunk in _chunks(sorted(set(ids)), _CHUNK):
        rows = conn.exec_driver_sql(*_nodes_query(conn, chunk))
        found.update((NodeID(level, idx), bytes(h)) for level, idx, h in rows)
    return found


def find_leaves(conn: Connection, leaf_hashes: Collection[bytes]) -> dict[bytes, int]:
    """Index of every already-logged leaf hash among `leaf_hashes`."""
    found: dict[bytes, int] = {}
    hashes = list(set(leaf_hashes))
    for start in range(0, len(hashes), _CHUNK):
        chunk = hashes[start : start + _CHUNK]
        rows = Sql(f"{_FIND} ({', '.join('?' * len(chunk))})")(conn, *chunk).fetchall()
        found.update((bytes(h), int(i)) for h, i in rows)
    return found


def checkpoint_at(conn: Connection, size: int) -> StoredCheckpoint | None:
    row = conn.execute(_CHECKPOINT_AT, {"size": size}).first()
    return (
        None
        if row is None
        else StoredCheckpoint(row.size, bytes(row.root_hash), row.note, row.created_ms)
    )


def insert_entries(conn: Connection, entries: Sequence[StoredEntry]) -> None:
    _INSERT_ENTRY.many(
        conn, [(e.index, e.leaf_hash, e.data, e.type, e.sequenced_ms) for e in entries]
    )


def insert_nodes(conn: Connection, nodes: Iterable[tuple[NodeID, bytes]]) -> None:
    _INSERT_NODE.many(conn, [(n.level, n.index, h) for n, h in nodes])


def insert_checkpoint(conn: Connection, checkpoint: StoredCheckpoint) -> None:
    c = checkpoint
    _INSERT_CHECKPOINT(conn, c.size, c.root_hash, c.note, c.created_ms)


def read_entries(conn: Connection, start: int, stop: int) -> list[StoredEntry]:
    """Entries with start <= index < stop, in order."""
    query = (
        sa.select(_entry).where(_entry.c.idx >= start, _entry.c.idx < stop).order_by(_entry.c.idx)
    )
    return [
        StoredEntry(r.idx, bytes(r.data), bytes(r.leaf_hash), r.type, r.sequenced_ms)
        for r in conn.execute(query)
    ]


def _check_size(conn: Connection, size: int) -> None:
    have = tree_size(conn)
    if not 0 <= size <= have:
        raise NotFound(f"tree size {size} does not exist: the log has {have} entries")


def inclusion_proof(conn: Connection, *, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) read from stored nodes."""
    _check_size(conn, size)
    if not 0 <= index < size:
        raise NotFound(f"index {index} is not in a tree of size {size}")
    plan = inclusion_plan(index, size)
    return hash_plan(plan, read_nodes(conn, plan_nodes([plan])))


def consistency_proof(conn: Connection, *, size1: int, size2: int) -> list[bytes]:
    """PROOF(size1, D[0:size2]) read from stored nodes (0 < size1 <= size2)."""
    _check_size(conn, size2)
    if not 0 < size1 <= size2:
        raise NotFound(f"no consistency proof from size {size1} to {size2}")
    plan = consistency_plan(size1, size2)
    return hash_plan(plan, read_nodes(conn, plan_nodes([plan])))


def root_hash(conn: Connection, *, size: int) -> bytes:
    """MTH(D[0:size]) from the O(log size) nodes of the tree's frontier."""
    _check_size(conn, size)
    if size == 0:
        return EMPTY_ROOT
    ids = range_nodes(0, size)
    return fold_nodes(ids, read_nodes(conn, ids))


# --- the read side as a store object --------------------------------------------------


class LedgerStore:
    """The ledger's database: reads in short transactions, writes through `write()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = writer(engine)  # built once: each copy of an engine costs ~0.05 ms

    @classmethod
    def from_url(cls, url: str) -> LedgerStore:
        return cls(make_engine(url))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One consistent snapshot for several reads."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction holding the writers' lock; commits on success, else rolls back."""
        with self._writer.begin() as conn:
            lock_writers(conn)
            yield conn

    def size(self) -> int:
        with self.read() as conn:
            return tree_size(conn)

    def latest_checkpoint(self) -> StoredCheckpoint:
        with self.read() as conn:
            row = conn.execute(
                sa.select(_checkpoint).order_by(_checkpoint.c.size.desc()).limit(1)
            ).first()
        if row is None:
            raise NotFound("the log has no checkpoint yet")
        return StoredCheckpoint(row.size, bytes(row.root_hash), row.note, row.created_ms)

    def checkpoints(self, *, min_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]:
        """Checkpoints of size >= min_size in increasing size, at most `limit` of them."""
        query = (
            sa.select(_checkpoint)
            .where(_checkpoint.c.size >= min_size)
            .order_by(_checkpoint.c.size)
            .limit(limit)
        )
        with self.read() as conn:
            rows = conn.execute(query).all()
        return [StoredCheckpoint(r.size, bytes(r.root_hash), r.note, r.created_ms) for r in rows]

    def checkpoint(self, size: int) -> StoredCheckpoint:
        with self.read() as conn:
            found = checkpoint_at(conn, size)
        if found is None:
            raise NotFound(f"no checkpoint for tree size {size}")
        return found

    def entries(self, start: int, stop: int) -> list[StoredEntry]:
        """Entries with start <= index < stop, in order."""
        with self.read() as conn:
            return read_entries(conn, start, stop)

    def entry(self, index: int) -> StoredEntry:
        found = self.entries(index, index + 1)
        if not found:
            raise NotFound(f"no entry at index {index}")
        return found[0]

    def index_of(self, leaf_hash: bytes) -> int:
        with self.read() as conn:
            found = find_leaves(conn, [leaf_hash])
        if leaf_hash not in found:
            raise NotFound(f"no entry with leaf hash {leaf_hash.hex()}")
        return found[leaf_hash]

    def inclusion_proof(self, *, index: int, size: int) -> list[bytes]:
        with self.read() as conn:
            return inclusion_proof(conn, index=index, size=size)

    def consistency_proof(self, *, size1: int, size2: int) -> list[bytes]:
        with self.read() as conn:
            return consistency_proof(conn, size1=size1, size2=size2)

    def root_hash(self, *, size: int) -> bytes:
        with self.read() as conn:
            return root_hash(conn, size=size)

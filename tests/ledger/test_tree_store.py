"""The stored tree on SQLite and PostgreSQL: proofs equal the reference, O(log n) reads."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ledger.db import make_engine
from ledger.errors import NotFound
from ledger.merkle import Frontier, leaf_hash
from ledger.storage import (
    LedgerStore,
    StoredEntry,
    find_leaves,
    insert_entries,
    insert_nodes,
    tree_size,
)
from tests.ledger import merkle_reference as ref


def _entries(n: int, start: int = 0) -> list[bytes]:
    return [b'{"n":%d}' % i for i in range(start, start + n)]


def fill(store: LedgerStore, data: list[bytes]) -> None:
    """Append entries the way the sequencer does: entries and completed nodes, one txn."""
    with store.write() as conn:
        size = tree_size(conn)
        frontier = Frontier()
        assert size == 0, "fill() starts from an empty log"
        rows = [StoredEntry(i, d, leaf_hash(d), "test", 0) for i, d in enumerate(data)]
        insert_entries(conn, rows)
        insert_nodes(conn, frontier.extend(r.leaf_hash for r in rows))


@pytest.fixture
def store(db_url: str) -> Iterator[LedgerStore]:
    engine = make_engine(db_url)
    yield LedgerStore(engine)
    engine.dispose()


def test_proofs_match_reference_for_every_size(store: LedgerStore) -> None:
    data = _entries(40)
    fill(store, data)
    for size in range(1, len(data) + 1):
        assert store.root_hash(size=size) == ref.mth(data[:size])
        for index in range(size):
            got = store.inclusion_proof(index=index, size=size)
            assert got == ref.path(index, data[:size]), (index, size)
        for size1 in range(1, size + 1):
            got = store.consistency_proof(size1=size1, size2=size)
            assert got == ref.proof(size1, data[:size]), (size1, size)


class QueryCounter:
    """Counts SELECTs and their bound parameters through SQLAlchemy's cursor event."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.selects, self.params = engine, 0, 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.selects += 1
            self.params += len(params) if isinstance(params, tuple | list | dict) else 0

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def test_proofs_read_log_n_nodes(store: LedgerStore) -> None:
    n = 3000
    data = _entries(n)
    fill(store, data)
    rng = random.Random(7)
    bound = 2 * math.ceil(math.log2(n)) + 2  # node ids in one proof plan
    for _ in range(40):
        size = rng.randint(1, n)
        index, size1 = rng.randrange(size), rng.randint(1, size)
        for call in (
            partial(store.inclusion_proof, index=index, size=size),
            partial(store.consistency_proof, size1=size1, size2=size),
            partial(store.root_hash, size=size),
        ):
            counter = QueryCounter(store.engine)
            try:
                call()
            finally:
                counter.close()
            # One query for the tree size, one for the nodes: 2 bound values per node
            # at most (level and index), plus the size check.
            assert counter.selects <= 2
            assert counter.params <= 2 * bound + 1
    # And the answers are right.
    assert store.inclusion_proof(index=1234, size=n) == ref.path(1234, data)
    assert store.consistency_proof(size1=1000, size2=n) == ref.proof(1000, data)


def test_out_of_range_is_not_found(store: LedgerStore) -> None:
    fill(store, _entries(5))
    with pytest.raises(NotFound, match="tree size 6 does not exist: the log has 5 entries"):
        store.inclusion_proof(index=0, size=6)
    with pytest.raises(NotFound, match="index 5 is not in a tree of size 5"):
        store.inclusion_proof(index=5, size=5)
    with pytest.raises(NotFound):
        store.consistency_proof(size1=0, size2=5)
    with pytest.raises(NotFound):
        store.entry(5)
    with pytest.raises(NotFound):
        store.latest_checkpoint()


def test_entries_and_leaf_lookup(store: LedgerStore) -> None:
    data = _entries(10)
    fill(store, data)
    assert [e.data for e in store.entries(3, 6)] == data[3:6]
    assert store.entry(9).leaf_hash == leaf_hash(data[9])
    assert store.index_of(leaf_hash(data[4])) == 4
    assert store.size() == 10


def test_leaf_hash_is_unique(store: LedgerStore) -> None:
    fill(store, _entries(2))
    duplicate = StoredEntry(2, b'{"n":0}', leaf_hash(b'{"n":0}'), "test", 0)
    with pytest.raises(IntegrityError), store.write() as conn:
        insert_entries(conn, [duplicate])
    assert store.size() == 2


def test_sqlite_pragmas(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'l.db'}")
    with engine.connect() as conn:
        pragmas = {
            p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
            for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 30000,
    }
    engine.dispose()


def test_bad_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        make_engine("sqlite://")
    with pytest.raises(ValueError, match="want sqlite or postgresql"):
        make_engine("mysql://x/y")


def test_reads_on_the_raw_cursor_share_the_read_snapshot(store: LedgerStore) -> None:
    """`tree_size` and `find_leaves` run on the driver's cursor, yet begin the read's
    transaction as SQLAlchemy's statements do: on SQLite (WAL) a later append is not seen
    by the read. PostgreSQL's default READ COMMITTED shows each statement the latest
    commit, with SQLAlchemy's statements as with these."""
    fill(store, _entries(2))
    third = b'{"n":2}'
    with store.read() as conn:
        assert tree_size(conn) == 2 and conn.in_transaction()
        with store.write() as other:  # another connection appends and commits
            insert_entries(other, [StoredEntry(2, third, leaf_hash(third), "test", 0)])
        snapshot = conn.dialect.name == "sqlite"
        assert tree_size(conn) == (2 if snapshot else 3)
        assert find_leaves(conn, [leaf_hash(third)]) == ({} if snapshot else {leaf_hash(third): 2})
    assert store.size() == 3

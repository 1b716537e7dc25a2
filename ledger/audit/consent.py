"""A fresh state index that the audit replays the log into, with the ledger's own rules.

The rules (`ledger.rules.record_entry`) and the state index (`ledger.state`, written a
batch at a time through a `StateBatch`) are the ones the sequencer runs on append: the
audit does not have a second copy of them. It gives
them a private scratch database (a SQLite file in a temporary directory, without
durability: it is thrown away) holding the index tables and, in the entry table, every
leaf hash replayed (to find duplicates) and the bytes of registrations and petitions (for
the names and titles the report shows), and asks it at the end what the valid entries
add up to, petitions' tallies included (`ledger.audit.petitions`).
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from ledger import rules
from ledger.audit.petitions import tallies
from ledger.audit.report import ConsentState, Party
from ledger.db import ENTRY_TABLE
from ledger.errors import EntryRejected
from ledger.petitions import PetitionMemo
from ledger.state import ACCESSES, GRANTS, KEYS, STATE_TABLES, VERIFIERS, GrantState
from ledger.state.batch import StateBatch
from ledger.storage import find_leaves
from policies import Entry, IssuerRegister, VerifierRegister, parse_entry, sha256_id


class ReplayState:
    """The state index rebuilt from nothing; `apply` entries in log order."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="cartera-audit-")
        path = Path(self._dir.name) / "state.db"
        self._engine = _scratch_engine(path)
        self._conn: Connection = self._engine.connect()
        with self._conn.begin():
            SQLModel.metadata.create_all(self._conn, tables=[ENTRY_TABLE, *STATE_TABLES])
        self._conn.begin()
        self._batch = StateBatch(self._conn)
        self._petitions = PetitionMemo()

    def close(self) -> None:
        self._conn.close()
        self._engine.dispose()
        self._dir.cleanup()

    def __enter__(self) -> ReplayState:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def add(self, rows: Sequence[tuple[int, bytes, bytes]]) -> dict[int, int]:
        """Store (index, leaf hash, bytes) rows: the leaf hashes find duplicates, the bytes
        (of registrations; b"" will do for the rest) give the report its names. An entry
        whose leaf hash is stored already is a duplicate: not stored again, and returned
        as {its index: the earlier index}."""
        try:
            with self._conn.begin_nested():
                self._conn.exec_driver_sql(_INSERT, [(i, h, d) for i, h, d in rows])
            return {}
        except sa.exc.IntegrityError:
            pass  # a duplicate somewhere in this batch (rare: the log was tampered with)
        duplicates = {}
        for index, leaf, data in rows:
            earlier = find_leaves(self._conn, [leaf]).get(leaf)
            if earlier is None:
                self._conn.exec_driver_sql(_INSERT, (index, leaf, data))
            else:
                duplicates[index] = earlier
        return duplicates

    def prefetch(self, entries: Sequence[Entry]) -> None:
        """Load the grants `entries` name at once, before they are applied in turn."""
        rules.prefetch(self._batch, entries)

    def apply(
        self, index: int, entry: Entry, data: bytes, *, verified: bool = False
    ) -> EntryRejected | None:
        """Run the rules on one entry; the refusal, or None if the entry is valid here.
        What it changes is written at the next `flush`. `verified`: a petition
        signature whose presentation a worker verified already (`ledger.audit.checks`)."""
        entry_id = sha256_id(data)
        if verified:
            self._petitions.mark_verified(entry_id)
        try:
            rules.record_entry(self._batch, index=index, entry=entry, entry_id=entry_id,
                               memo=self._petitions)  # fmt: skip
        except EntryRejected as exc:
            return exc
        return None

    def flush(self) -> None:
        """Write what the batch applied, and start the next batch. The replay is one
        transaction, never committed: the file is thrown away, and a commit per batch
        only wrote its pages out early (~1 µs per entry)."""
        self._batch.flush()
        self._batch = StateBatch(self._conn)

    def summary(self, at: datetime) -> ConsentState:
        """The consent state at `at` (grant status as `ledger.state.GrantState.status`)."""
        self._batch.flush()
        when = rules.epoch(at)
        c = self._conn
        grants: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        # Grants alike in what their status depends on are counted together: one status
        # per group, not one row (and one GrantState) per grant.
        g = GRANTS.c
        alike = (g.verifier, g.purpose, g.not_before, g.not_after, g.max_uses, g.uses, g.revoked_at)
        query = sa.select(*alike, sa.func.count()).group_by(*alike)
        rows = c.execute(query)  # lazily: a large log has many groups
        for verifier, purpose, not_before, not_after, max_uses, uses, revoked_at, n in rows:
            grant = GrantState("", 0, b"", b"", verifier, not_before, not_after, max_uses, uses,
                               None, revoked_at, None)  # fmt: skip
            grants[(verifier, purpose)][grant.status(when).value] += n
        accesses = {
            (verifier, purpose): int(n)
            for verifier, purpose, n in c.execute(
                sa.select(GRANTS.c.verifier, GRANTS.c.purpose, sa.func.count())
                .join(ACCESSES, ACCESSES.c.grant_id == GRANTS.c.id)
                .group_by(GRANTS.c.verifier, GRANTS.c.purpose)
            )
        }
        return ConsentState(
            at, {k: dict(v) for k, v in grants.items()}, accesses, self._issuers(),
            self._verifiers(), tallies(c),
        )  # fmt: skip

    def _document(self, index: int) -> Entry:
        data = self._conn.execute(
            sa.select(ENTRY_TABLE.c.data).where(ENTRY_TABLE.c.idx == index)
        ).scalar_one()
        return parse_entry(bytes(data))

    def _issuers(self) -> tuple[Party, ...]:
        query = sa.select(
            KEYS.c.issuer,
            sa.func.min(KEYS.c.idx),
            sa.func.count(),
            sa.func.count(KEYS.c.revoked_idx),
        ).group_by(KEYS.c.issuer)
        found = []
        for did, first, keys, revoked in self._conn.execute(query):
            doc = self._document(first)
            name = doc.name if isinstance(doc, IssuerRegister) else ""
            found.append(Party(did, name, int(first), keys=int(keys), revoked_keys=int(revoked)))
        return tuple(sorted(found, key=lambda p: p.index))

    def _verifiers(self) -> tuple[Party, ...]:
        found = []
        for did, index in self._conn.execute(sa.select(VERIFIERS.c.did, VERIFIERS.c.idx)):
            doc = self._document(index)
            if isinstance(doc, VerifierRegister):
                purposes = tuple(str(p) for p in doc.purposes)
                found.append(Party(did, doc.name, int(index), purposes=purposes))
        return tuple(sorted(found, key=lambda p: p.index))


_INSERT = (
    f"INSERT INTO {ENTRY_TABLE.name} (idx, leaf_hash, data, type, sequenced_ms)"
    " VALUES (?, ?, ?, '', 0)"
)


def _scratch_engine(path: Path) -> Engine:
    """SQLite without durability (the file is thrown away), with working savepoints."""
    engine = sa.create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's BEGIN below, not pysqlite's
        for pragma in ("journal_mode=MEMORY", "synchronous=OFF", "cache_size=-65536"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine

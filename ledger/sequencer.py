"""The sequencer: one thread turns concurrent appends into batches, one transaction each.

DESIGN.md §Ledger: an acknowledged append is durable, carries its index, a signed
checkpoint and an inclusion proof, and is never lost, duplicated or reordered. So:

1. `submit` runs the stateless `validate` hook in the caller's thread (parsing and
   signature checks run in parallel there) and queues the entry.
2. The sequencer thread takes everything queued (up to `max_batch`) and, in one
   transaction holding the writers' lock, reads the head *from the database* (another
   process may have appended), skips entries already logged (same leaf hash → same
   index), runs the stateful `apply` hook per new entry in order, writes the entries,
   the tree nodes they complete and a newly signed checkpoint, then commits.
3. Only after the commit does each caller's future resolve, with an inclusion proof
   against that checkpoint. A crash before the commit leaves the batch absent; after
   it, whole.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from ledger.checkpoint import Checkpoint
from ledger.errors import EntryRejected, SequencerClosed, StorageCorrupt
from ledger.merkle import Frontier, NodeID, hash_plan, inclusion_plan, leaf_hash, plan_nodes
from ledger.merkle.proof import root_plan
from ledger.note import SignedNote, SignerKey
from ledger.storage import (
    LedgerStore,
    StoredCheckpoint,
    StoredEntry,
    checkpoint_at,
    find_leaves,
    insert_checkpoint,
    insert_entries,
    insert_nodes,
    read_nodes,
    tree_size,
)

MAX_TYPE_LENGTH = 64  # the width of ledger_entry.type

Validator = Callable[[bytes], str]
"""Stateless check of one entry (schema, signature); returns its type or raises
`EntryRejected`. Runs in the caller's thread, before the entry is queued."""

StateRule = Callable[[Connection, int, bytes, str], None]
"""Stateful check and state-index update for a new entry at an index, inside the batch
transaction and in log order; raises `EntryRejected` to refuse it (its writes are undone).
Any other exception aborts the whole batch: nobody in it is acknowledged."""


@dataclass(frozen=True)
class Appended:
    """The answer to an append, given only after commit."""

    index: int
    leaf_hash: bytes
    checkpoint: Checkpoint
    note: str
    proof: tuple[bytes, ...]
    duplicate: bool
    """True when the same entry was already logged: `index` is where it was."""


@dataclass
class _Pending:
    data: bytes
    leaf_hash: bytes
    type: str
    future: Future[Appended]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@contextmanager
def _savepoint(conn: Connection) -> Iterator[None]:
    """A savepoint around one entry's state rule, undone if the rule refuses the entry.
    Issued on the raw DBAPI cursor: SQLAlchemy's `begin_nested` costs ~0.2 ms of Python
    per entry in the one thread every append waits for."""
    raw = conn.connection.dbapi_connection
    assert raw is not None, "the connection is closed"
    cursor = raw.cursor()
    cursor.execute("SAVEPOINT ledger_entry")
    try:
        yield
    except EntryRejected:
        cursor.execute("ROLLBACK TO SAVEPOINT ledger_entry")
        cursor.execute("RELEASE SAVEPOINT ledger_entry")
        raise
    cursor.execute("RELEASE SAVEPOINT ledger_entry")


class Sequencer:
    """Batches appends to one log; start it, `append` from any thread, `close` it."""

    def __init__(
        self,
        store: LedgerStore,
        *,
        signer: SignerKey,
        origin: str,
        validate: Validator,
        apply: StateRule | None = None,
        max_batch: int = 512,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch: got {max_batch}, want >= 1")
        self.store, self.origin = store, origin
        self._signer, self._validate, self._apply = signer, validate, apply
        self._max_batch, self._clock = max_batch, clock
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._lock = threading.Lock()  # orders submit() against close(): no append is stranded
        self._head: tuple[Frontier, Checkpoint, StoredCheckpoint] | None = None

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> Sequencer:
        """Make sure the log has a checkpoint for its current size, then start batching."""
        if self._thread is not None:
            raise RuntimeError("sequencer already started")
        self._commit([])
        self._thread = threading.Thread(target=self._run, name="ledger-sequencer", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Finish everything queued so far, then stop; later appends raise SequencerClosed."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            self._queue.put(None)
        if self._thread is not None:
            self._thread.join()

    @property
    def running(self) -> bool:
        """Started, not closed, and its thread alive: appends can be acknowledged."""
        alive = self._thread is not None and self._thread.is_alive()
        return alive and not self._closed.is_set()

    def __enter__(self) -> Sequencer:
        return self.start() if self._thread is None else self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- appending --------------------------------------------------------------------

    def submit(self, entry: bytes) -> Future[Appended]:
        """Validate `entry` here, queue it, and return a future resolved after commit."""
        entry_type = self._validate(entry)
        if not 0 < len(entry_type) <= MAX_TYPE_LENGTH:  # one bad row must not sink a batch
            raise EntryRejected(f"entry type: got {len(entry_type)} characters, want 1..64")
        pending = _Pending(entry, leaf_hash(entry), entry_type, Future())
        with self._lock:
            if self._closed.is_set() or self._thread is None:
                raise SequencerClosed("the sequencer is not running")
            self._queue.put(pending)
        return pending.future

    def append(self, entry: bytes, *, timeout: float | None = None) -> Appended:
        """Append one entry and wait until it is durable (see the module docstring)."""
        return self.submit(entry).result(timeout)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            try:
                outcomes = self._commit(batch)
            except BaseException as e:  # the transaction rolled back: nobody is acknowledged
                for p in batch:
                    p.future.set_exception(e)
                continue
            for p, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Appended):
                    p.future.set_result(outcome)
                else:
                    p.future.set_exception(outcome)
        # Anything queued after close() was signalled is refused, never silently dropped.
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item.future.set_exception(SequencerClosed("the sequencer was closed"))

    # --- one batch, one transaction ---------------------------------------------------

    def _commit(self, batch: list[_Pending]) -> list[Appended | EntryRejected]:
        with self.store.write() as conn:
            size = tree_size(conn)
            frontier = self._frontier(conn, size)
            known = find_leaves(conn, [p.leaf_hash for p in batch])
            memory: dict[NodeID, bytes] = dict(frontier.nodes)
            placed: list[tuple[int, bool] | EntryRejected] = []
            entries: list[StoredEntry] = []
            nodes: list[tuple[NodeID, bytes]] = []
            now = self._clock()
            for p in batch:
                if p.leaf_hash in known:  # idempotent: the index it already has
                    placed.append((known[p.leaf_hash], True))
                    continue
                index = frontier.size
                if self._apply is not None:
                    try:
                        with _savepoint(conn):
                            self._apply(conn, index, p.data, p.type)
                    except EntryRejected as e:
                        placed.append(e)
                        continue
                completed = frontier.append(p.leaf_hash)
                memory.update(completed)
                nodes.extend(completed)
                entries.append(StoredEntry(index, p.data, p.leaf_hash, p.type, now))
                known[p.leaf_hash] = index
                placed.append((index, False))
            head = None if entries else self._stored_head(conn, size)
            if head is None:  # new entries, or a log that was never checkpointed
                insert_entries(conn, entries)
                insert_nodes(conn, nodes)
                head = self._sign(frontier, now)
                insert_checkpoint(conn, head[1])
            checkpoint, stored = head
            indexes = [x[0] for x in placed if isinstance(x, tuple)]
            proofs = self._proofs(conn, indexes, stored.size, memory)
        self._head = (frontier, checkpoint, stored)  # committed: safe to reuse next batch
        return [
            x if isinstance(x, EntryRejected)
            else Appended(x[0], p.leaf_hash, checkpoint, stored.note, proofs[x[0]], x[1])
            for p, x in zip(batch, placed, strict=True)
        ]  # fmt: skip

    def _sign(self, frontier: Frontier, now: int) -> tuple[Checkpoint, StoredCheckpoint]:
        checkpoint = Checkpoint(self.origin, frontier.size, frontier.root())
        note = checkpoint.sign(self._signer)
        return checkpoint, StoredCheckpoint(checkpoint.size, checkpoint.root_hash, note, now)

    def _stored_head(
        self, conn: Connection, size: int
    ) -> tuple[Checkpoint, StoredCheckpoint] | None:
        """The checkpoint already signed for `size`, if any."""
        if self._head is not None and self._head[2].size == size:
            return self._head[1], self._head[2]
        stored = checkpoint_at(conn, size)
        if stored is None:
            return None
        return Checkpoint.from_text(SignedNote.from_text(stored.note).text), stored

    def _frontier(self, conn: Connection, size: int) -> Frontier:
        """The tree's frontier at `size`: cached from the last batch unless another
        process appended since, else read (O(log size) nodes)."""
        if self._head is not None and self._head[0].size == size:
            return self._head[0].copy()
        if size == 0:
            return Frontier()
        ids = root_plan(size)
        found = read_nodes(conn, ids)
        if len(found) != len(ids):
            raise StorageCorrupt(f"tree of size {size}: frontier nodes are missing")
        return Frontier(size, [found[i] for i in ids])

    def _proofs(
        self, conn: Connection, indexes: list[int], size: int, memory: dict[NodeID, bytes]
    ) -> dict[int, tuple[bytes, ...]]:
        """Inclusion proofs for `indexes`, from the batch's nodes plus one read for the rest."""
        plans = {i: inclusion_plan(i, size) for i in set(indexes)}
        missing = plan_nodes(plans.values()) - memory.keys()
        if missing:
            memory = {**memory, **read_nodes(conn, missing)}
        return {i: tuple(hash_plan(plan, memory)) for i, plan in plans.items()}

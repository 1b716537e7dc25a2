"""The sequencer: one thread turns concurrent appends into batches, one transaction each.

DESIGN.md §Ledger: an acknowledged append is durable, carries its index, a signed
checkpoint and an inclusion proof, and is never lost, duplicated or reordered. So:

1. `submit` runs the stateless `validate` hook in the caller's thread (parsing and
   signature checks run in parallel there) and queues the entry; or, with a
   `validate_later` hook, returns at once and queues the entry when the hook's future
   (worker processes checking it) says it is valid, in submit order. With both, an
   entry that arrives alone is checked by `validate` in the caller's thread.
2. The sequencer thread takes everything queued (up to `max_batch`) and, in one
   transaction holding the writers' lock, reads the head *from the database* (another
   process may have appended), skips entries already logged (same leaf hash → same
   index), runs the stateful hook on the new entries in order (`apply_batch` once for
   them all, or `apply` per entry inside a savepoint), writes the entries, the tree nodes
   they complete and a newly signed checkpoint, then commits.
3. Only after the commit does each caller's future resolve, with an inclusion proof
   against that checkpoint. A crash before the commit leaves the batch absent; after
   it, whole.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from ledger.checkpoint import Checkpoint
from ledger.errors import EntryRejected, SequencerClosed, StorageCorrupt
from ledger.merkle import Frontier, NodeID, hash_plans, inclusion_plan, leaf_hash, plan_nodes
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

DeferredValidator = Callable[[bytes], "Future[str]"]
"""A `Validator` that answers later (from worker processes): the future of the entry's
type or of its refusal. `submit` then returns at once, so the checks of many entries
submitted from one thread overlap, and the entry is queued when its check is done. A
`Validator` given too checks the entries that arrive alone (see `Sequencer.submit`)."""

StateRule = Callable[[Connection, int, bytes, str], None]
"""Stateful check and state-index update for a new entry at an index, inside the batch
transaction and in log order; raises `EntryRejected` to refuse it (its writes are undone).
Any other exception aborts the whole batch: nobody in it is acknowledged."""

BatchRule = Callable[[Connection, int, Sequence[tuple[bytes, str]]], list[EntryRejected | None]]
"""Stateful check and state-index update of new entries `(bytes, type)`, in order, inside
the batch transaction: for each, None (accepted: it takes the next index, counting from
the given first one) or the `EntryRejected` refusing it, which must have written nothing.
Any other exception aborts the whole batch. One call per batch lets the rules read and
write the state index once per batch instead of once per entry."""


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


class _Answer(Future[Appended]):
    """An append's future that counts itself answered before any waiter can see it, so
    that a caller's next `submit` already finds it answered."""

    def __init__(self, answered: Callable[[], None]) -> None:
        super().__init__()
        self._answered = answered

    def set_result(self, result: Appended) -> None:
        if not self.done():  # (a second answer is refused below, and not counted)
            self._answered()
        super().set_result(result)

    def set_exception(self, exception: BaseException | None) -> None:
        if not self.done():
            self._answered()
        super().set_exception(exception)


@dataclass
class _Pending:
    data: bytes
    leaf_hash: bytes
    type: str
    future: Future[Appended]


_Outcomes = list[EntryRejected | None]


_Rule = Callable[[int, list[tuple[bytes, str]]], _Outcomes]
"""A batch's state rule, bound to its transaction: (first index, new entries) → outcomes."""


@dataclass
class _Placement:
    """Where a batch's entries go: already logged ones to their index (duplicates), new
    ones through the state rule to the next indexes of `frontier`."""

    batch: list[_Pending]
    frontier: Frontier
    known: dict[bytes, int]
    now: int
    entries: list[StoredEntry] = field(default_factory=list)
    nodes: list[tuple[NodeID, bytes]] = field(default_factory=list)
    _placed: list[tuple[int, bool] | EntryRejected | None] = field(default_factory=list, init=False)

    def place(self, rule: _Rule) -> list[tuple[int, bool] | EntryRejected]:
        """(index, duplicate) or the refusal, per entry of the batch. New entries go to
        `rule` in runs of distinct entries: a copy of an entry not settled yet starts a
        new run, so that it meets the first copy's fate (a duplicate if it was accepted,
        judged again if it was refused)."""
        self._placed = [None] * len(self.batch)
        run: list[int] = []
        running: set[bytes] = set()
        for i, p in enumerate(self.batch):
            if p.leaf_hash in running:
                self._settle(run, rule)
                run, running = [], set()
            if p.leaf_hash in self.known:  # idempotent: the index it already has
                self._placed[i] = (self.known[p.leaf_hash], True)
                continue
            run.append(i)
            running.add(p.leaf_hash)
        self._settle(run, rule)
        placed = [x for x in self._placed if x is not None]
        assert len(placed) == len(self.batch), "every entry is placed or refused"
        return placed

    def _settle(self, run: list[int], rule: _Rule) -> None:
        items = [(self.batch[i].data, self.batch[i].type) for i in run]
        outcomes = rule(self.frontier.size, items) if items else []
        for i, outcome in zip(run, outcomes, strict=True):
            if outcome is not None:
                self._placed[i] = outcome
                continue
            p, index = self.batch[i], self.frontier.size
            self.nodes.extend(self.frontier.append(p.leaf_hash))
            self.entries.append(StoredEntry(index, p.data, p.leaf_hash, p.type, self.now))
            self.known[p.leaf_hash] = index
            self._placed[i] = (index, False)


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


def _one_by_one(apply: StateRule) -> BatchRule:
    """A `BatchRule` that runs a per-entry `StateRule`, each entry in its own savepoint."""

    def apply_batch(
        conn: Connection, first: int, items: Sequence[tuple[bytes, str]]
    ) -> list[EntryRejected | None]:
        outcomes: list[EntryRejected | None] = []
        for data, entry_type in items:
            try:
                with _savepoint(conn):
                    apply(conn, first, data, entry_type)
            except EntryRejected as e:
                outcomes.append(e)
                continue
            outcomes.append(None)
            first += 1
        return outcomes

    return apply_batch


class Sequencer:
    """Batches appends to one log; start it, `append` from any thread, `close` it."""

    def __init__(
        self,
        store: LedgerStore,
        *,
        signer: SignerKey,
        origin: str,
        validate: Validator | None = None,
        validate_later: DeferredValidator | None = None,
        apply: StateRule | None = None,
        apply_batch: BatchRule | None = None,
        max_batch: int = 512,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch: got {max_batch}, want >= 1")
        if validate is None and validate_later is None:
            raise ValueError("give validate, validate_later or both")
        if apply is not None and apply_batch is not None:
            raise ValueError("give apply or apply_batch, not both")
        self.store, self.origin = store, origin
        self._signer, self._validate, self._validate_later = signer, validate, validate_later
        self._apply = apply_batch if apply is None else _one_by_one(apply)
        self._max_batch, self._clock = max_batch, clock
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._lock = threading.Lock()  # orders submit() against close(): no append is stranded
        self._tickets = itertools.count()  # submit order, for checks that finish out of order
        self._next_ticket = 0
        self._checked: dict[int, _Pending | None] = {}
        self._unanswered = 0  # appends submitted and not answered yet (with validate_later)
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

    @property
    def defers_validation(self) -> bool:
        """Whether `submit` leaves the checks to a `validate_later` hook (and is cheap)."""
        return self._validate_later is not None

    def submit(self, entry: bytes) -> Future[Appended]:
        """Validate `entry`, queue it, and return a future resolved after commit.

        With `validate` alone, the checks run here and a refusal is raised here. With
        `validate_later`, they run elsewhere and a refusal comes through the future;
        given both, an entry submitted while every earlier one is answered is checked by
        `validate` here (alone, it would only wait for the round trip), and the others
        by `validate_later`. Entries are queued in the order `submit` was called."""
        if self._validate_later is None:
            assert self._validate is not None
            pending = self._pending(entry, self._validate(entry), Future())
            with self._lock:
                self._check_open()
                self._queue.put(pending)
            return pending.future
        with self._lock:
            self._check_open()
            ticket = next(self._tickets)
            here = self._validate is not None and self._unanswered == 0
            self._unanswered += 1
        answer = _Answer(self._answered)
        if here:
            assert self._validate is not None
            checked: Future[str] = Future()
            try:
                checked.set_result(self._validate(entry))
            except Exception as exc:
                checked.set_exception(exc)
        else:
            try:
                checked = self._validate_later(entry)
            except BaseException as exc:
                answer.set_exception(exc)
                self._release(ticket, None)
                raise
        checked.add_done_callback(lambda done: self._validated(ticket, entry, done, answer))
        return answer

    def _answered(self) -> None:
        with self._lock:
            self._unanswered -= 1

    def _validated(
        self, ticket: int, entry: bytes, checked: Future[str], answer: Future[Appended]
    ) -> None:
        try:
            pending = self._pending(entry, checked.result(), answer)
        except Exception as exc:  # the refusal
            answer.set_exception(exc)
            self._release(ticket, None)
        else:
            self._release(ticket, pending)

    def _release(self, ticket: int, pending: _Pending | None) -> None:
        """Queue the entries whose checks are done, in ticket order (a later entry whose
        check finished first waits for the earlier ones)."""
        closed: list[_Pending] = []
        with self._lock:
            self._checked[ticket] = pending
            while self._next_ticket in self._checked:
                ready = self._checked.pop(self._next_ticket)
                self._next_ticket += 1
                if ready is None:
                    continue
                if self._closed.is_set():
                    closed.append(ready)
                else:
                    self._queue.put(ready)
        for late in closed:
            late.future.set_exception(SequencerClosed("the sequencer was closed"))

    def _check_open(self) -> None:
        if self._closed.is_set() or self._thread is None:
            raise SequencerClosed("the sequencer is not running")

    @staticmethod
    def _pending(entry: bytes, entry_type: str, answer: Future[Appended]) -> _Pending:
        if not 0 < len(entry_type) <= MAX_TYPE_LENGTH:  # one bad row must not sink a batch
            raise EntryRejected(f"entry type: got {len(entry_type)} characters, want 1..64")
        return _Pending(entry, leaf_hash(entry), entry_type, answer)

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
            now = self._clock()
            placement = _Placement(batch, frontier, known, now)
            placed = placement.place(self._rule(conn))
            memory.update(placement.nodes)
            head = None if placement.entries else self._stored_head(conn, size)
            if head is None:  # new entries, or a log that was never checkpointed
                insert_entries(conn, placement.entries)
                insert_nodes(conn, placement.nodes)
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

    def _rule(self, conn: Connection) -> _Rule:
        """The state rule bound to this batch's transaction (accepts all without one)."""
        rule = self._apply
        if rule is None:
            return lambda _first, items: [None] * len(items)
        return lambda first, items: rule(conn, first, items)

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
        proofs = hash_plans(plans.values(), memory)
        return {i: tuple(proof) for i, proof in zip(plans, proofs, strict=True)}

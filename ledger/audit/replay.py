"""Audit replay: read the whole log, check everything, report the consent state.

Steps (DESIGN.md §Ledger, "audit replay"):

1. Read every entry in index order (a gap is `missing_index`).
2. Recompute each leaf hash from the stored bytes, compare it with the stored leaf hash
   and the stored tree's leaf node, and rebuild the tree with a compact frontier.
3. Check every stored checkpoint: the log key signed it for this origin, its row agrees
   with its note, and its root is the rebuilt root at its size. Successive checkpoints
   that all equal the one rebuilt tree are consistent with each other by construction
   (each is a prefix of it), which is what a consistency proof between them would show.
4. Check every entry's canonical form and signature, and the clock-skew bound at the
   time it was sequenced (the ledger's own stateless checks, in worker processes).
5. Replay every state rule in index order, with the ledger's own rules, over a fresh
   state index; an entry that failed an earlier step is not applied.
6. Compare with a previously saved checkpoint, if given: the rebuilt tree at its size
   must have its root (so the log only grew since it was saved).

Steps 2, 3, 5 and 6 run in this process, in order; step 4, the expensive one, runs on
batches in a process pool while the main process works on earlier batches.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ledger.audit.checks import CheckpointCheck, EntryCheck, check_batch, check_checkpoint
from ledger.audit.consent import ReplayState
from ledger.audit.report import AuditReport, Kind, Violation, rule_violation
from ledger.audit.sources import AuditInputError, Source, SourceCheckpoint, SourceEntry, open_source
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import LedgerError
from ledger.merkle import Frontier, leaf_hash
from ledger.note import VerifierKey
from ledger.rules import DEFAULT_MAX_SKEW, Rejected
from policies import Entry

BATCH = 256
"""Entries per task sent to a worker."""

SKEW_SLACK = timedelta(seconds=60)
"""Added to the skew bound: the ledger checks the bound when an entry arrives, the log
records when its batch was written, a little later."""

Progress = Callable[[int, int], None]
"""`progress(entries_done, entries_expected)`, called after each batch."""

_Task = tuple[
    list[SourceEntry],
    list[SourceCheckpoint],
    "Future[tuple[list[EntryCheck], list[CheckpointCheck]]]",
]


class _Inline(Executor):
    """Runs each task at once in this process (small logs, or `workers=0`)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future: Future[object] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _executor(workers: int) -> Executor:
    if workers <= 0:
        return _Inline()
    # fork() is cheapest (no re-import, pages shared) but unsafe once other threads run
    # (a lock one of them holds stays held in the child): then start from a fork server.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))


def _batches(source: Source) -> Iterator[list[SourceEntry]]:
    for page in source.pages():
        for start in range(0, len(page), BATCH):
            yield page[start : start + BATCH]


class _Replay:
    def __init__(
        self,
        source: Source,
        state: ReplayState,
        pool: Executor,
        workers: int,
        *,
        log_key: VerifierKey,
        origin: str,
        saved: Checkpoint | None,
        max_skew: timedelta | None,
        max_violations: int,
        progress: Progress | None,
    ) -> None:
        self.source, self.state, self.pool, self.workers = source, state, pool, max(workers, 1)
        self.log_key, self.origin, self.saved = log_key, origin, saved
        self.max_skew = None if max_skew is None else max_skew + SKEW_SLACK
        self.max_violations, self.progress = max_violations, progress
        self.frontier = Frontier()
        self.position = 0  # the next index expected
        self.good: tuple[int, str] | None = None  # largest checkpoint matching the tree
        self.signed_size = -1  # largest checkpoint whose signature verified
        self.violations: list[Violation] = []
        self.counts: Counter[str] = Counter()
        self.checked: Counter[str] = Counter()
        self.saved_root: bytes | None = None

    def violation(self, kind: str, index: int | None, detail: str, size: int | None = None) -> None:
        self.counts[kind] += 1
        if len(self.violations) < self.max_violations:
            self.violations.append(Violation(kind, index, detail, size))

    # --- the pipeline ---------------------------------------------------------------------

    def run(self) -> None:
        window: deque[_Task] = deque()
        depth = 2 * self.workers + 1
        after = -1  # checkpoints of size <= after are already queued
        # 1. Every entry in index order, in batches.
        for batch in _batches(self.source):
            upto = batch[-1].index + 1
            checkpoints = self.source.checkpoints(after, upto)
            after = upto
            future = self.pool.submit(
                check_batch,
                [(e.index, e.data, e.sequenced) for e in batch],
                [(c.size, c.note) for c in checkpoints],
                self.log_key.to_text(),
                self.origin,
                self.max_skew,
            )
            window.append((batch, checkpoints, future))
            if len(window) >= depth:
                self._process(*window.popleft())
        while window:
            self._process(*window.popleft())
        self._tail(self.source.checkpoints(after, 2**63 - 1))
        self._finish()

    def _process(
        self,
        batch: list[SourceEntry],
        checkpoints: list[SourceCheckpoint],
        future: Future[tuple[list[EntryCheck], list[CheckpointCheck]]],
    ) -> None:
        checks, checkpoint_checks = future.result()
        pending = deque(zip(checkpoints, checkpoint_checks, strict=True))
        leaves = [leaf_hash(e.data) for e in batch]
        duplicates = self.state.add(
            [(e.index, h, e.data) for e, h in zip(batch, leaves, strict=True)]
        )
        valid: list[tuple[int, Entry, bytes]] = []
        for entry, check, leaf in zip(batch, checks, leaves, strict=True):
            while pending and pending[0][0].size <= entry.index:
                self._checkpoint(*pending.popleft())
            self._reach(entry.index)
            if entry.index > self.position:
                first, last = self.position, entry.index - 1
                gap = f"{first}..{last}" if last > first else str(first)
                self.violation(Kind.MISSING_INDEX, first, f"no entry at index {gap}")
            self.position = entry.index + 1
            # 2. Leaf hash, stored tree, rebuilt tree.
            if entry.stored_leaf_hash is not None and entry.stored_leaf_hash != leaf:
                self.violation(
                    Kind.LEAF_HASH_MISMATCH, entry.index,
                    f"stored leaf hash {entry.stored_leaf_hash.hex()}, "
                    f"bytes hash to {leaf.hex()}",
                )  # fmt: skip
            if self.source.stores_tree and entry.stored_node != leaf:
                stored = "none" if entry.stored_node is None else entry.stored_node.hex()
                self.violation(
                    Kind.STORED_TREE_MISMATCH, entry.index,
                    f"the stored tree's leaf is {stored}, the entry's {leaf.hex()}",
                )  # fmt: skip
            self.frontier.append(leaf)
            # 4. (checked in a worker) canonical form, signature, clock skew.
            if entry.index in duplicates:
                detail = f"the same entry as index {duplicates[entry.index]}"
                self.violation(Kind.DUPLICATE_ENTRY, entry.index, detail)
            elif check.entry is None:
                self.violation(check.kind or Kind.MALFORMED_ENTRY, entry.index, check.detail)
            else:
                valid.append((entry.index, check.entry, entry.data))
        while pending:
            self._checkpoint(*pending.popleft())
        self._reach(self.position)
        # 5. State rules, in order, for the entries that passed steps 2-4.
        for index, parsed, data in valid:
            refused = self.state.apply(index, parsed, data)
            if refused is None:
                self.checked["valid_entries"] += 1
            elif isinstance(refused, Rejected):
                self.violation(rule_violation(refused.reason), index, refused.detail)
            else:
                self.violation(rule_violation("rejected"), index, str(refused))
        self.state.commit()
        self.checked["entries"] += len(batch)
        if self.progress is not None:
            self.progress(self.checked["entries"], max(self.source.expected_size, self.position))

    def _reach(self, size: int) -> None:
        """The rebuilt tree now stands at `size` positions: take the saved root there."""
        if self.saved is not None and self.saved_root is None and self.saved.size <= size:
            self.saved_root = self.frontier.root()

    # --- 3. checkpoints -----------------------------------------------------------------

    def _tail(self, stored: list[SourceCheckpoint]) -> None:
        """Checkpoints not read with a batch: of an empty log, or beyond its last entry
        (then the entries they cover are gone)."""
        largest = None
        for c in stored:
            check = check_checkpoint(c.size, c.note, self.log_key, self.origin)
            beyond = c.size > self.position
            if self._checkpoint(c, check, compare=not beyond) and beyond:
                largest = c.size
        if largest is not None:
            self.violation(
                Kind.MISSING_INDEX, self.position,
                f"a signed checkpoint of size {largest} covers indexes "
                f"{self.position}..{largest - 1}, which the log does not hold",
                largest,
            )  # fmt: skip

    def _checkpoint(
        self, stored: SourceCheckpoint, check: CheckpointCheck, *, compare: bool = True
    ) -> bool:
        """Step 3 for one checkpoint; whether the log key signed it for this size."""
        self.checked["checkpoints"] += 1
        first = 0 if self.good is None else self.good[0]
        if check.checkpoint is None:
            self.violation(
                check.kind or Kind.CHECKPOINT_MALFORMED, first, check.detail, stored.size
            )
            return False
        signed = check.checkpoint
        self.signed_size = max(self.signed_size, signed.size)
        if signed.size != stored.size or stored.stored_root not in (None, signed.root_hash):
            self.violation(
                Kind.CHECKPOINT_ROW_MISMATCH, first,
                f"the row says size {stored.size}, the signed note size {signed.size}"
                + ("" if stored.stored_root in (None, signed.root_hash) else ", and another root"),
                stored.size,
            )  # fmt: skip
            if signed.size != stored.size:
                return False
        if not compare:
            return True
        root = self.frontier.root()
        if root != signed.root_hash:
            self.violation(
                Kind.CHECKPOINT_ROOT_MISMATCH, first,
                f"signed root {signed.root_hash.hex()}, rebuilt root {root.hex()}: "
                f"the entries in [{first}, {signed.size}) differ from what was signed",
                signed.size,
            )  # fmt: skip
        elif self.good is None or signed.size >= self.good[0]:
            self.good = (signed.size, stored.note)
        return True

    # --- the end ------------------------------------------------------------------------

    def _finish(self) -> None:
        if self.signed_size < 0 and self.position > 0:
            self.violation(
                Kind.NO_CHECKPOINT, 0, "no checkpoint signed by the log key covers the log"
            )
        elif self.position > max(self.signed_size, 0) and self.signed_size >= 0:
            self.violation(
                Kind.NOT_IN_CHECKPOINT, self.signed_size,
                f"entries {self.signed_size}..{self.position - 1} are in no signed checkpoint",
            )  # fmt: skip
        # 6. The saved checkpoint: the log must have grown from it.
        self._reach(self.position)
        saved = self.saved
        if saved is not None:
            if saved.size > self.position:
                self.violation(
                    Kind.INCONSISTENT_WITH_SAVED, self.position,
                    f"the saved checkpoint has size {saved.size}, the log only {self.position}",
                    saved.size,
                )  # fmt: skip
            elif self.saved_root != saved.root_hash:
                got = (self.saved_root or b"").hex()
                self.violation(
                    Kind.INCONSISTENT_WITH_SAVED, None,
                    f"the saved checkpoint of size {saved.size} has root "
                    f"{saved.root_hash.hex()}, the log's tree at that size {got}",
                    saved.size,
                )  # fmt: skip


def replay(
    source: str | Path | Source,
    *,
    log_key: VerifierKey | str,
    origin: str,
    saved_checkpoint: str | None = None,
    progress: Progress | None = None,
    at: datetime | None = None,
    workers: int | None = None,
    max_skew: timedelta | None = DEFAULT_MAX_SKEW,
    max_violations: int = 10_000,
    transport: httpx.BaseTransport | None = None,
) -> AuditReport:
    """Audit a whole log (see the module docstring for the steps) and report.

    `source`: a ledger URL, a database URL or a SQLite path. `saved_checkpoint`: a note
    this auditor kept from before (one the log key did not sign is `AuditInputError`).
    `at`: the time the consent state is reported at (default now). `workers`: processes
    for step 4 (default: one per CPU; 0 checks in this process). `max_skew`: the ledger's
    clock-skew bound, checked where the source says when entries were sequenced (None:
    not checked). At most `max_violations` are listed; all are counted.
    """
    started = time.perf_counter()
    key = log_key if isinstance(log_key, VerifierKey) else VerifierKey.from_text(log_key)
    saved = None
    if saved_checkpoint is not None:
        try:
            saved = open_checkpoint(saved_checkpoint, key, origin=origin).checkpoint
        except LedgerError as exc:
            raise AuditInputError(f"saved checkpoint: {exc}") from None
    with ExitStack() as stack:
        if isinstance(source, str | Path):
            source = open_source(source, log_key=key, origin=origin, transport=transport)
        stack.callback(source.close)
        state = stack.enter_context(ReplayState())
        if workers is None:
            workers = 0 if source.expected_size < 4 * BATCH else os.cpu_count() or 1
        pool = stack.enter_context(_executor(workers))
        run = _Replay(
            source, state, pool, workers, log_key=key, origin=origin, saved=saved,
            max_skew=max_skew if source.stores_tree else None,
            max_violations=max_violations, progress=progress,
        )  # fmt: skip
        run.run()
        consent = state.summary(at or datetime.now(UTC))
    return AuditReport(
        source=source.name,
        origin=origin,
        tree_size=run.frontier.size,
        root_hash=run.frontier.root(),
        checkpoint=None if run.good is None else run.good[1],
        checked=dict(run.checked),
        state=consent,
        violations=tuple(run.violations),
        violation_counts=dict(run.counts),
        elapsed=time.perf_counter() - started,
    )

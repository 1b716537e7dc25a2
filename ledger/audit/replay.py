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
   time it was sequenced (the ledger's own stateless checks, in worker processes); and
   each petition signature's presentation, against its petition if an entry so far
   opened it (`ledger.petitions.precheck`, as the ledger's `validate` does).
5. Replay every state rule in index order, with the ledger's own rules, over a fresh
   state index; an entry that failed an earlier step is not applied.
6. Compare with a previously saved checkpoint, if given: the rebuilt tree at its size
   must have its root (so the log only grew since it was saved).

Steps 1-3 and 6 are `ledger.audit.tree`'s; 5 is `ledger.audit.consent`'s. They run in
this process, in order; step 4, the expensive one, runs on batches in a process pool
(`ledger.audit.checks`) while this process works on earlier batches.
"""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from ledger.audit.checks import BatchCheck, check_batch, executor, frozen_heap
from ledger.audit.consent import ReplayState
from ledger.audit.report import AuditReport, Kind, rule_violation
from ledger.audit.sources import AuditInputError, Source, SourceCheckpoint, SourceEntry, open_source
from ledger.audit.tree import Findings, TreeAudit
from ledger.checkpoint import open_checkpoint
from ledger.errors import LedgerError
from ledger.merkle import leaf_hash
from ledger.note import VerifierKey
from ledger.petitions import PetitionTerms, opened_terms, petition_named
from ledger.rules import DEFAULT_MAX_SKEW, Rejected
from policies import Entry, IssuerRegister, PetitionOpen, VerifierRegister

BATCH = 256
"""Entries per task sent to a worker."""

SKEW_SLACK = timedelta(seconds=60)
"""Added to the skew bound: the ledger checks the bound when an entry arrives, the log
records when its batch was written, a little later."""

Progress = Callable[[int, int], None]
"""`progress(entries_done, entries_expected)`, called after each batch."""

_Task = tuple[list[SourceEntry], list[SourceCheckpoint], "Future[BatchCheck]"]


def _named(entry: Entry | None) -> bool:
    """Whether the report will want the entry's bytes (for the name it registers, or a
    petition's title)."""
    return isinstance(entry, IssuerRegister | VerifierRegister | PetitionOpen)


def _batches(source: Source) -> Iterator[list[SourceEntry]]:
    for page in source.pages():
        for start in range(0, len(page), BATCH):
            yield page[start : start + BATCH]


class _Replay:
    """The pipeline: batches to the pool, results back in order, steps 2-6 on each."""

    def __init__(
        self,
        source: Source,
        state: ReplayState,
        pool: Executor,
        workers: int,
        tree: TreeAudit,
        *,
        max_skew: timedelta | None,
        progress: Progress | None,
    ) -> None:
        self.source, self.state, self.pool, self.tree = source, state, pool, tree
        self.depth = 2 * max(workers, 1) + 1  # batches in flight
        self.max_skew = None if max_skew is None else max_skew + SKEW_SLACK
        self.progress = progress
        self.add = tree.findings.add
        self.checked: Counter[str] = Counter()
        self.terms: dict[str, PetitionTerms] = {}

    def run(self) -> None:
        window: deque[_Task] = deque()
        after = -1  # checkpoints of size <= after are already queued
        # 1. Every entry in index order, in batches; 3. the checkpoints up to each batch's end.
        for batch in _batches(self.source):
            upto = batch[-1].index + 1
            checkpoints = self.source.checkpoints(after, upto)
            after = upto
            future = self.pool.submit(
                check_batch,
                [(e.data, e.sequenced) for e in batch],
                [(c.size, c.note) for c in checkpoints],
                self.tree.log_key.to_text(),
                self.tree.origin,
                self.max_skew,
                self._petitions(batch),
            )
            window.append((batch, checkpoints, future))
            if len(window) >= self.depth:
                self._process(*window.popleft())
        while window:
            self._process(*window.popleft())
        self.tree.tail(self.source.checkpoints(after, 2**63 - 1))
        # 6. (and what only the end can tell) the saved checkpoint.
        self.tree.finish()

    def _petitions(self, batch: list[SourceEntry]) -> dict[str, PetitionTerms]:
        """The terms of the petitions the batch's signatures name, opened in this batch or
        an earlier one (kept by id: an id is the hash of the petition's bytes, whether
        the rules will accept it or not)."""
        named = set()
        for e in batch:
            opened = opened_terms(e.data)
            if opened is not None:
                self.terms[opened.id] = opened
            named.add(petition_named(e.data))
        return {pid: self.terms[pid] for pid in named if pid in self.terms}

    def _process(
        self,
        batch: list[SourceEntry],
        checkpoints: list[SourceCheckpoint],
        future: Future[BatchCheck],
    ) -> None:
        checked = future.result()
        pending = deque(zip(checkpoints, checked.checkpoints, strict=True))
        leaves = [leaf_hash(e.data) for e in batch]
        duplicates = self.state.add(
            [(e.index, h, e.data if _named(parsed) else b"")
             for e, h, parsed in zip(batch, leaves, checked.entries, strict=True)]
        )  # fmt: skip
        valid: list[tuple[int, Entry, bytes, bool]] = []
        for position, (entry, parsed, leaf) in enumerate(
            zip(batch, checked.entries, leaves, strict=True)
        ):
            # 3. Checkpoints whose tree is complete before this entry.
            while pending and pending[0][0].size <= entry.index:
                self.tree.checkpoint(*pending.popleft())
            # 1-2. Order, leaf hash, stored tree, rebuilt tree.
            self.tree.entry(entry, leaf)
            # 4. (checked in a worker) canonical form, signature, clock skew.
            if entry.index in duplicates:
                detail = f"the same entry as index {duplicates[entry.index]}"
                self.add(Kind.DUPLICATE_ENTRY, entry.index, detail)
            elif parsed is None:
                why = checked.refused[position]
                self.add(why.kind, entry.index, why.detail)
            else:
                valid.append((entry.index, parsed, entry.data, position in checked.verified))
        while pending:
            self.tree.checkpoint(*pending.popleft())
        # 5. State rules, in order, for the entries that passed steps 2-4.
        self.state.prefetch([parsed for _, parsed, _, _ in valid])
        for index, parsed, data, verified in valid:
            refused = self.state.apply(index, parsed, data, verified=verified)
            if refused is None:
                self.checked["valid_entries"] += 1
            elif isinstance(refused, Rejected):
                self.add(rule_violation(refused.reason), index, refused.detail)
            else:
                self.add(rule_violation("rejected"), index, str(refused))
        self.state.flush()
        self.checked["entries"] += len(batch)
        if self.progress is not None:
            total = max(self.source.expected_size, self.tree.position)
            self.progress(self.checked["entries"], total)


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
        stack.enter_context(frozen_heap())  # left after the pool is shut down
        pool = stack.enter_context(executor(workers))
        findings = Findings(max_violations)
        tree = TreeAudit(findings, log_key=key, origin=origin, saved=saved,
                         stores_tree=source.stores_tree)  # fmt: skip
        run = _Replay(source, state, pool, workers, tree, progress=progress,
                      max_skew=max_skew if source.stores_tree else None)  # fmt: skip
        run.run()
        consent = state.summary(at or datetime.now(UTC))
    return AuditReport(
        source=source.name,
        origin=origin,
        tree_size=tree.frontier.size,
        root_hash=tree.frontier.root(),
        checkpoint=None if tree.good is None else tree.good[1],
        checked={**run.checked, "checkpoints": tree.checkpoints},
        state=consent,
        violations=tuple(findings.violations),
        violation_counts=dict(findings.counts),
        elapsed=time.perf_counter() - started,
    )

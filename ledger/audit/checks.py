"""The checks of one entry and one checkpoint that need no other entry: run in parallel.

These are the expensive steps of an audit (parsing, Ed25519 and Schnorr verification,
petition signatures' presentations), and they depend on nothing but the bytes and the
log's key (and a signature's petition, which `replay` sends along when the log opened it
before), so `replay` sends them in batches to worker processes while it rebuilds the
tree and replays the rules in order.
An entry that passes comes back parsed, ready for the rules; only the failures come back
beside the entries (`BatchCheck`).

Workers are forked when this process runs no other thread (cheapest: nothing is imported
again), else started from a fork server (fork() copies locks other threads may hold).
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from ledger import petitions, rules
from ledger.audit.report import Kind, rule_violation
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import InvalidNoteSignature, LedgerError
from ledger.note import VerifierKey
from ledger.petitions import PetitionTerms
from ledger.rules import Reason
from policies import Entry

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Refused(NamedTuple):
    """Why an entry failed step 4: a violation kind and a detail for people."""

    kind: str
    detail: str


@dataclass(frozen=True)
class CheckpointCheck:
    """A checkpoint whose note the log key signed (`checkpoint`), or why not (`kind`)."""

    size: int
    checkpoint: Checkpoint | None
    kind: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class BatchCheck:
    """What a worker found in one batch, by position in the batch. Compact, since it is
    pickled back to the auditing process: the parsed entries themselves (the rules need
    them) and only the failures beside them, rather than one record per entry.

    `entries[i]`: the i-th entry parsed with its signature verified, or None, and then
    `refused[i]` says why; `verified`: the positions of petition signatures whose
    presentation was verified too; `checkpoints`: the batch's checkpoints, in order."""

    entries: list[Entry | None]
    refused: dict[int, Refused]
    verified: frozenset[int]
    checkpoints: list[CheckpointCheck]


_KINDS = {
    Reason.NOT_JSON: Kind.MALFORMED_ENTRY,
    Reason.MALFORMED: Kind.MALFORMED_ENTRY,
    Reason.NOT_CANONICAL: Kind.NOT_CANONICAL,
    Reason.BAD_SIGNATURE: Kind.BAD_SIGNATURE,
}


def parse_checked(data: bytes) -> Entry | Refused:
    """Steps 1-2 of the ledger's own stateless checks (`ledger.rules.parse_checked`):
    canonical JSON of a known entry type with valid fields."""
    try:
        return rules.parse_checked(data)
    except rules.Rejected as exc:
        return _refused(exc)


def check_entry(
    entry: Entry,
    sequenced: datetime | None,
    max_skew: timedelta | None,
    terms: PetitionTerms | None = None,
) -> Entry | Refused:
    """The rest of the ledger's own stateless checks on a parsed entry
    (`ledger.rules.check_parsed`): signature, and, when the source says when the entry
    was sequenced and `max_skew` is set, the clock-skew bound at that time; and for a
    petition signature, with the `terms` of the petition it names, what the ledger's
    `validate` checks of it (`ledger.petitions.precheck`), named as the rule it breaks."""
    if sequenced is None or max_skew is None:
        sequenced, max_skew = _EPOCH, timedelta.max
    try:
        rules.check_parsed(entry, now=sequenced, max_skew=max_skew)
    except rules.Rejected as exc:
        return _refused(exc)
    try:
        petitions.precheck(entry, terms)
    except rules.Rejected as exc:
        return Refused(rule_violation(exc.reason), exc.detail)
    return entry


def _refused(exc: rules.Rejected) -> Refused:
    return Refused(_KINDS.get(exc.reason, rule_violation(exc.reason)), exc.detail)


def check_checkpoint(size: int, note: str, log_key: VerifierKey, origin: str) -> CheckpointCheck:
    try:
        signed = open_checkpoint(note, log_key, origin=origin)
    except InvalidNoteSignature as exc:
        return CheckpointCheck(size, None, Kind.CHECKPOINT_BAD_SIGNATURE, str(exc))
    except LedgerError as exc:
        return CheckpointCheck(size, None, Kind.CHECKPOINT_MALFORMED, str(exc))
    return CheckpointCheck(size, signed.checkpoint)


def check_batch(
    entries: list[tuple[bytes, datetime | None]],
    checkpoints: list[tuple[int, str]],
    log_key: str,
    origin: str,
    max_skew: timedelta | None,
    terms: dict[str, PetitionTerms] | None = None,
) -> BatchCheck:
    """Check a batch of (bytes, sequencing time) and of (size, note) (in a worker process:
    arguments and result are pickled); `terms`: the petitions the batch's signatures
    name, by id, as far as they are known."""
    key = VerifierKey.from_text(log_key)
    known = terms or {}
    found: list[Entry | None] = []
    refused: dict[int, Refused] = {}
    verified = []
    # The whole batch parsed, then verified: alternating the two costs ~20 µs more per
    # grant (each evicts from the CPU's caches what the other keeps warm).
    parsed = [parse_checked(data) for data, _ in entries]
    for position, ((data, sequenced), first) in enumerate(zip(entries, parsed, strict=True)):
        named = petitions.petition_named(data) if known else None
        petition = None if named is None else known.get(named)
        checked = (
            first
            if isinstance(first, Refused)
            else check_entry(first, sequenced, max_skew, petition)
        )
        if isinstance(checked, Refused):
            found.append(None)
            refused[position] = checked
        else:
            found.append(checked)
            if petitions.covers(checked, petition):
                verified.append(position)
    return BatchCheck(
        found, refused, frozenset(verified),
        [check_checkpoint(size, note, key, origin) for size, note in checkpoints],
    )  # fmt: skip


class _Inline(Executor):
    """Runs each task at once in this process (small logs, or `workers=0`)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future: Future[object] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def executor(workers: int) -> Executor:
    """A pool of `workers` processes for `check_batch`, or this process if 0."""
    if workers <= 0:
        return _Inline()
    # fork() is cheapest (no re-import, pages shared) but unsafe once other threads run
    # (a lock one of them holds stays held in the child): then start from a fork server.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    if "forkserver" not in methods:
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    context = multiprocessing.get_context("forkserver")
    # The server imports the checks once; each worker is then a cheap fork of it (has no
    # effect if this process's fork server is already running).
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(workers, mp_context=context)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Leave the objects that exist now out of garbage collection until the block ends
    (`gc.freeze`), as the `gc` docs advise before a fork: a full collection reads and
    writes every object's header, and once workers are forked each page it writes is
    copied first (one such collection took 76 ms of a 3,002-entry audit in a
    benchmark's process); the workers' collections skip them too. Nothing is done if
    the program froze objects of its own (unfreezing would undo it)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

"""Worker processes for the ledger's CPU-bound checks, so that they use every core.

The stateless checks of an entry (parsing, Ed25519 and the consent Schnorr signature) are
most of an append's cost, and py-arkworks-bls12381 holds the GIL while it computes: in one
process, threads cannot verify consent signatures in parallel. `WorkerPool` runs a
function over items in worker processes instead, for callers in many threads:

- A caller's item waits in a queue; an idle worker takes what is queued (at most
  `max_batch`, and an even share when the queue is short), so under load one message
  carries a batch and the pipe and pickling costs are paid per batch, while a lone caller
  is served at once. Each worker has one batch in flight; its reader thread hands the
  results out and sends the worker the next batch.
- Results travel as values or as the exception the function raised (one that does not
  survive pickling is replaced by a `RuntimeError` naming it), per item: one bad item
  fails only its own caller.
- An optional `prepare` stage runs over the whole batch before `fn` runs over what it
  returned: the ledger parses a batch, then verifies it, which costs ~20 µs less per
  entry than alternating (each evicts from the CPU's caches what the other keeps warm).
- A worker that dies (killed, out of memory, a crash in native code) fails the items of
  its batch with `WorkerFailed`, never a hang, and is replaced. If no replacement starts,
  later calls fail with `WorkerFailed` too.
- Workers are started from the fork server (or spawned) rather than forked: the ledger
  runs threads and holds database connections, which a fork would copy. The fork server
  preloads `PRELOAD`, so each worker is a cheap fork of an interpreter that already
  imported the checks. A worker reads from a pipe only it and this process hold, so when
  this process dies, even by SIGKILL, the worker reads end-of-file and exits.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

from ledger.errors import SequencerClosed, WorkerFailed

A = TypeVar("A")
R = TypeVar("R")

PRELOAD = ["ledger.rules", "ledger.audit.checks"]
"""Modules the fork server imports once, so that workers start without importing them."""

_log = logging.getLogger("ledger.workers")


def worker_context() -> BaseContext:
    """The start method for worker processes: the fork server (preloading `PRELOAD`) where
    the platform has one, else spawn. Never a bare fork (see the module docstring)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # no effect once the fork server runs
    return context


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a `RuntimeError` that names it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _apply(fn: Callable[[Any], Any], staged: list[tuple[bool, Any]]) -> list[tuple[bool, Any]]:
    """`fn` over the values of `staged`, `(ok, value or exception)` each; failures pass."""
    results: list[tuple[bool, Any]] = []
    for ok, item in staged:
        if not ok:
            results.append((False, item))
            continue
        try:
            results.append((True, fn(item)))
        except Exception as exc:
            results.append((False, _portable(exc)))
    return results


def _serve(
    conn: Connection, fn: Callable[[Any], Any], prepare: Callable[[Any], Any] | None = None
) -> None:
    """A worker's loop: a batch in, `[(ok, value or exception), ...]` out, until `None`
    or end-of-file (this pool closed, or its process died)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        staged = [(True, item) for item in batch]
        if prepare is not None:
            staged = _apply(prepare, staged)
        results = _apply(fn, staged)
        try:
            try:
                conn.send(results)
            except pickle.PicklingError as exc:  # raised before anything was written
                conn.send([(False, RuntimeError(f"result does not pickle: {exc}"))] * len(batch))
        except OSError:
            return  # the parent is gone


@dataclass(eq=False)
class _Job(Generic[A, R]):
    item: A
    future: Future[R] = field(default_factory=Future)


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    jobs: list[_Job[Any, Any]] = field(default_factory=list)
    """The batch in flight (empty when idle)."""
    sending: threading.Lock = field(default_factory=threading.Lock)
    """Held while writing to the pipe: `close` may stop a worker that is being fed."""

    def send(self, message: object) -> None:
        with self.sending, suppress(OSError):  # gone: its reader fails what it had
            self.conn.send(message)

    @property
    def pid(self) -> int:
        assert self.process.pid is not None, "started"
        return self.process.pid


class WorkerPool(Generic[A, R]):
    """`submit(item)` computes `fn(item)` in one of `workers` processes, or
    `fn(prepare(item))` with a `prepare` stage (see the module docstring). Both must be
    module-level functions; `close()` stops the workers."""

    def __init__(
        self,
        fn: Callable[[Any], R],
        *,
        workers: int,
        max_batch: int = 64,
        prepare: Callable[[A], Any] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers: got {workers}, want >= 1")
        if max_batch < 1:
            raise ValueError(f"max_batch: got {max_batch}, want >= 1")
        self._fn, self._prepare, self._max_batch = fn, prepare, max_batch
        self._context = worker_context()
        self._lock = threading.Lock()
        self._waiting: list[_Job[A, R]] = []
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._readers: list[threading.Thread] = []
        self._closed = False
        self._broken: str | None = None
        try:
            for _ in range(workers):
                self._add(self._start())
        except BaseException:
            self.close()
            raise

    @property
    def pids(self) -> list[int]:
        """The process ids of the live workers (for operators and tests)."""
        with self._lock:
            return sorted(w.pid for w in self._live)

    def submit(self, item: A) -> Future[R]:
        """`fn(item)`, to be computed in a worker: the future of its value, or of the
        exception it raised; of `WorkerFailed` if the worker died meanwhile. Raises
        `SequencerClosed` after `close()`, `WorkerFailed` if no worker could be started."""
        job: _Job[A, R] = _Job(item)
        with self._lock:
            if self._closed:
                raise SequencerClosed("the validation workers are stopped")
            if self._broken is not None:
                raise WorkerFailed(self._broken)
            self._waiting.append(job)
            worker = self._idle.pop() if self._idle else None
            if worker is not None:
                batch = worker.jobs = self._take()
        if worker is not None:
            self._send(worker, batch)
        return job.future

    def close(self) -> None:
        """Let each worker finish its batch, stop them all; queued items fail with
        `SequencerClosed`. Safe to call twice."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, []
            workers = list(self._live)
        for job in waiting:
            job.future.set_exception(SequencerClosed("the validation workers are stopped"))
        for worker in workers:
            worker.send(None)  # after the batch in flight, if any
        for reader in list(self._readers):
            if reader is not threading.current_thread():
                reader.join(timeout=30)
        for worker in workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()

    def __enter__(self) -> WorkerPool[A, R]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- internals ----------------------------------------------------------------------

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(child, self._fn, self._prepare),
            name="ledger-check-worker",
            daemon=True,
        )
        process.start()
        child.close()  # the worker holds the only other end: our death is its EOF
        return _Worker(process, parent)

    def _add(self, worker: _Worker) -> None:
        """Put a started worker to work (or to rest), with a reader thread of its own."""
        reader = threading.Thread(
            target=self._read, args=(worker,), name="ledger-check-reader", daemon=True
        )
        batch: list[_Job[A, R]] = []
        with self._lock:
            self._live.add(worker)
            self._readers.append(reader)
            closed = self._closed
            if self._waiting and not closed:
                batch = worker.jobs = self._take()
            else:
                self._idle.append(worker)
        reader.start()
        if closed:  # a replacement that arrived after close(): stop it like the others
            worker.send(None)
        elif batch:
            self._send(worker, batch)

    def _take(self) -> list[_Job[A, R]]:
        """The next batch from the queue (call with the lock held): at most `max_batch`,
        and no more than an even share of what waits, so that the last items of a burst
        are spread over the workers instead of left to one while the others rest."""
        share = min(self._max_batch, -(-len(self._waiting) // max(len(self._live), 1)))
        batch = self._waiting[:share]
        del self._waiting[:share]
        return batch

    def _send(self, worker: _Worker, batch: list[_Job[A, R]]) -> None:
        """Send `batch`, just given to `worker` under the lock (only `close` may send it
        anything meanwhile)."""
        worker.send([job.item for job in batch])

    def _read(self, worker: _Worker) -> None:
        """Hand out each batch's results and feed the worker, until it stops."""
        while True:
            try:
                results = worker.conn.recv()
            except Exception:  # EOF, a reset pipe, or a result that does not unpickle
                results = None
            batch: list[_Job[A, R]] = []  # decided under the lock: once idle, a caller
            with self._lock:  # may take the worker and send it work
                jobs, worker.jobs = worker.jobs, []
                if results is None or len(results) != len(jobs):
                    self._live.discard(worker)
                    if worker in self._idle:
                        self._idle.remove(worker)
                    closing = self._closed
                elif self._waiting and not self._closed:
                    batch = worker.jobs = self._take()
                else:
                    self._idle.append(worker)
            if results is None or len(results) != len(jobs):
                self._died(worker, jobs, closing)
                return
            for job, (ok, value) in zip(jobs, results, strict=True):
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)
            if batch:
                self._send(worker, batch)

    def _died(self, worker: _Worker, jobs: list[_Job[A, R]], closing: bool) -> None:
        """Fail the dead worker's batch and, unless closing, start a replacement."""
        worker.process.join(timeout=5)
        if worker.process.is_alive():  # the pipe failed but it runs: it cannot be trusted
            worker.process.kill()
            worker.process.join()
        code = worker.process.exitcode
        if jobs:
            failure = WorkerFailed(f"a validation worker exited (code {code}) while checking")
            for job in jobs:
                job.future.set_exception(failure)
        if closing:
            return
        _log.error("validation worker %s exited (code %s): starting another", worker.pid, code)
        worker.conn.close()
        try:
            replacement = self._start()
        except Exception as exc:
            with self._lock:
                if not self._live:
                    self._broken = f"no validation worker could be started: {exc}"
                    waiting, self._waiting = self._waiting, []
                else:
                    waiting = []
            for job in waiting:
                job.future.set_exception(WorkerFailed(f"no validation worker: {exc}"))
            return
        self._add(replacement)

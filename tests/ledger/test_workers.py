"""`ledger.workers.WorkerPool`: real worker processes, per-item results, a worker killed
in the middle of a batch, shutdown, and workers that outlive a SIGKILLed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ledger.errors import SequencerClosed, WorkerFailed
from ledger.workers import WorkerPool
from tests.ledger.worker_tasks import Item, stage, task, wait_for_file

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pool() -> Iterator[WorkerPool[Item, str]]:
    with WorkerPool(task, workers=1) as one:
        yield one


def _gone(pid: int) -> bool:
    """Whether process `pid` has exited (a zombie nobody reaped counts as exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def _wait_gone(pids: list[int], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(_gone(p) for p in pids):
        assert time.monotonic() < deadline, f"workers {pids} are still running"
        time.sleep(0.05)


def test_a_prepare_stage_runs_first_and_fails_only_its_items() -> None:
    """With `prepare`, each item is `task(stage(item))`, in the worker: a failure in the
    stage fails its item (the task never sees it), the rest of the batch goes on."""
    with WorkerPool(task, prepare=stage, workers=1) as pool:
        futures = [pool.submit(("ok", str(i))) for i in range(20)]
        early = pool.submit(("early", "refused"))
        late = pool.submit(("raise", "after the stage"))
        staged = pool.submit(("pid", ""))
        assert [f.result() for f in futures] == [str(i) for i in range(20)]
        with pytest.raises(ValueError, match="stage: refused"):
            early.result()
        with pytest.raises(ValueError, match="after the stage"):
            late.result()
        assert staged.result() == f"staged in {pool.pids[0]}"


def test_results_and_errors_come_back_per_item() -> None:
    with WorkerPool(task, workers=2) as pool:
        futures = [pool.submit(("ok", str(i))) for i in range(50)]
        bad = pool.submit(("raise", "no good"))
        odd = pool.submit(("odd", "strange"))
        assert [f.result() for f in futures] == [str(i) for i in range(50)]
        with pytest.raises(ValueError, match="no good"):
            bad.result()
        with pytest.raises(RuntimeError, match="TwoArgumentError: strange !"):
            odd.result()  # it does not pickle: replaced by one that names it
        assert pool.submit(("ok", "after")).result() == "after"
        assert len(pool.pids) == 2


def test_a_worker_killed_mid_batch_fails_its_items_and_is_replaced(
    pool: WorkerPool[Item, str], tmp_path: Path
) -> None:
    held = pool.submit(("hold", str(tmp_path)))
    pid = int(wait_for_file(tmp_path / "pid"))
    queued = pool.submit(("ok", "queued"))  # waits: the only worker is busy
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(WorkerFailed, match="exited"):
        held.result(timeout=60)
    assert queued.result(timeout=60) == "queued"  # served by the replacement
    assert pool.submit(("ok", "again")).result() == "again"
    assert pool.pids != [pid]
    _wait_gone([pid])


def test_a_worker_that_exits_fails_only_its_batch(pool: WorkerPool[Item, str]) -> None:
    with pytest.raises(WorkerFailed):
        pool.submit(("exit", "")).result()
    assert pool.submit(("ok", "fine")).result() == "fine"


def test_close_finishes_the_batch_in_flight_and_refuses_the_rest(
    pool: WorkerPool[Item, str], tmp_path: Path
) -> None:
    held = pool.submit(("hold", str(tmp_path)))
    pid = int(wait_for_file(tmp_path / "pid"))
    queued = pool.submit(("ok", "queued"))
    closing = threading.Thread(target=pool.close)
    closing.start()
    with pytest.raises(SequencerClosed):
        queued.result(timeout=60)
    (tmp_path / "release").touch()
    closing.join(timeout=60)
    assert not closing.is_alive()
    assert held.result(timeout=0) == "released"
    with pytest.raises(SequencerClosed):
        pool.submit(("ok", "late"))
    _wait_gone([pid])
    pool.close()  # twice is fine


def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from ledger.workers import WorkerPool
        from tests.ledger.worker_tasks import task
        if __name__ == "__main__":
            pool = WorkerPool(task, workers=2)
            assert pool.submit(("ok", "up")).result() == "up"
            print(" ".join(map(str, pool.pids)), flush=True)
            time.sleep(120)
        """
    )
    (tmp_path / "parent.py").write_text(script)
    parent = subprocess.Popen(
        [sys.executable, str(tmp_path / "parent.py")], cwd=REPO, stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    try:
        assert parent.stdout is not None
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and not any(_gone(p) for p in pids)
        parent.kill()
        parent.wait(timeout=60)
        _wait_gone(pids)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="workers"):
        WorkerPool(task, workers=0)
    with pytest.raises(ValueError, match="max_batch"):
        WorkerPool(task, workers=1, max_batch=0)


def test_many_threads_each_waiting_for_its_answer() -> None:
    """Workers go idle and busy thousands of times, taken by callers and by their own
    readers in turn: every answer is the caller's own, and no batch is sent twice. Threads
    switch as often as the interpreter allows, so that every window between two steps of
    the pool's bookkeeping is visited."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with WorkerPool(task, workers=2) as pool, ThreadPoolExecutor(8) as threads:

            def calls(t: int) -> list[str]:
                return [pool.submit(("ok", f"{t}-{i}")).result() for i in range(300)]

            answers = list(threads.map(calls, range(8)))
    finally:
        sys.setswitchinterval(interval)
    assert answers == [[f"{t}-{i}" for i in range(300)] for t in range(8)]

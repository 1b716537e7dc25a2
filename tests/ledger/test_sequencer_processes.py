"""Several processes on one database: dense, unique indexes; a crash leaves no half batch."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ledger.db import make_engine
from ledger.errors import NotFound
from ledger.merkle import leaf_hash
from ledger.note import SignerKey
from ledger.sequencer import Sequencer
from ledger.storage import LedgerStore
from tests.ledger.ledger_checks import check_log

ORIGIN = "cartera.test/ledger"
WORKER = Path(__file__).with_name("append_worker.py")


def _entry(prefix: str, n: int) -> bytes:
    return b'{"n":%d,"p":"%s"}' % (n, prefix.encode())


def _spawn(
    url: str, signer: SignerKey, prefix: str, count: int, *extra: str, start_at: float = 0
) -> subprocess.Popen[str]:
    args = [url, signer.to_text(), ORIGIN, prefix, str(count), "4", str(start_at), *extra]
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _acks(proc: subprocess.Popen[str]) -> tuple[int, list[dict[str, Any]], str]:
    """Exit code, the acknowledged appends the worker printed, and its stderr."""
    out, err = proc.communicate(timeout=240)
    return proc.returncode, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.mark.slow
def test_two_processes_append_to_one_database(db_url: str) -> None:
    signer, count = SignerKey.generate(ORIGIN), 150
    start_at = time.time() + 3  # both start appending at once, after their imports
    procs = {prefix: _spawn(db_url, signer, prefix, count, start_at=start_at) for prefix in "ab"}
    store = LedgerStore(make_engine(db_url))
    for prefix, proc in procs.items():
        code, acks, err = _acks(proc)
        assert code == 0, err
        assert len(acks) == count
        assert all(a["ok"] for a in acks), "a returned inclusion proof did not verify"
        for a in acks:  # every acknowledged entry sits at the index it was given
            assert store.entry(a["index"]).data == _entry(prefix, a["n"])
    logged = check_log(store, signer.verifier(), ORIGIN)
    assert sorted(logged) == sorted(_entry(p, n) for p in procs for n in range(count))
    switches = sum(1 for x, y in itertools.pairwise(logged) if x[-3:] != y[-3:])
    print(f"the two processes' entries alternate {switches} times in the log")
    store.engine.dispose()


@pytest.mark.slow
def test_crash_inside_a_batch_leaves_it_absent(db_url: str) -> None:
    signer = SignerKey.generate(ORIGIN)
    code, acks, err = _acks(_spawn(db_url, signer, "c", 200, "120"))
    assert code == 17, err  # the state hook killed the process mid-transaction
    store = LedgerStore(make_engine(db_url))
    # Nothing acknowledged is lost; nothing past the last checkpoint was half-written.
    for a in acks:
        assert store.entry(a["index"]).data == _entry("c", a["n"])
    with pytest.raises(NotFound):
        store.index_of(leaf_hash(_entry("c", 120)))
    logged = check_log(store, signer.verifier(), ORIGIN)
    assert len(logged) >= len(acks)
    # A new sequencer picks up the same tree.
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=lambda _e: "test") as seq:
        result = seq.append(_entry("c", 120))
    assert result.index == len(logged) and not result.duplicate
    check_log(store, signer.verifier(), ORIGIN)
    store.engine.dispose()

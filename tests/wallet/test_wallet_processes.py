"""Several real processes on one wallet: serialised writers, no lost update, atomic writes."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

from wallet_helpers import KDF, ORIGIN, PASSPHRASE, grant, worker

from wallet import create, unlock

_TIMEOUT = 120


def _finish(proc: subprocess.Popen[str]) -> None:
    out, err = proc.communicate(timeout=_TIMEOUT)
    assert proc.returncode == 0, err
    assert out.strip().endswith("done"), (out, err)


def test_two_processes_adding_records_lose_nothing(wallet_dir: Path) -> None:
    create(wallet_dir, PASSPHRASE, kdf=KDF).close()
    start_at = str(time.time() + 1.5)  # both have unlocked by then, so the writes overlap
    procs = [worker("add", str(wallet_dir), PASSPHRASE, p, "20", start_at) for p in "ab"]
    for proc in procs:
        _finish(proc)
    with unlock(wallet_dir, PASSPHRASE) as opened:
        made = opened.presentations.all()
    assert len(made) == 40
    assert {p.presentation for p in made} == {f"{p}-{i}".encode() for p in "ab" for i in range(20)}


def test_two_processes_updating_the_same_records_keep_both_updates(wallet_dir: Path) -> None:
    with create(wallet_dir, PASSPHRASE, kdf=KDF) as made:
        for days in range(1, 21):
            made.consents.add(grant(made, days=days))
    start_at = str(time.time() + 1.5)
    procs = [worker(cmd, str(wallet_dir), PASSPHRASE, start_at) for cmd in ("receipts", "revokes")]
    for proc in procs:
        _finish(proc)
    with unlock(wallet_dir, PASSPHRASE) as opened:
        kept = opened.consents.all()
    # Each record was read-modified-written by both: a lost update drops one of the two.
    assert len(kept) == 20
    assert all(c.receipt is not None and c.revocation is not None for c in kept)


def test_two_processes_advancing_one_checkpoint_keep_the_largest(wallet_dir: Path) -> None:
    create(wallet_dir, PASSPHRASE, kdf=KDF).close()
    start_at = str(time.time() + 1.5)
    orders = []
    for seed in (1, 2):  # both offer every size, in different orders
        sizes = list(range(1, 41))
        random.Random(seed).shuffle(sizes)
        orders.append(",".join(map(str, sizes)))
    procs = [worker("advance", str(wallet_dir), PASSPHRASE, s, start_at) for s in orders]
    for proc in procs:
        _finish(proc)
    with unlock(wallet_dir, PASSPHRASE) as opened:
        kept = opened.checkpoints.get(ORIGIN)
    assert kept is not None and kept.size == 40


def test_process_killed_mid_transaction_leaves_the_previous_state(wallet_dir: Path) -> None:
    with create(wallet_dir, PASSPHRASE, kdf=KDF) as made:
        made.presentations.record(
            verifier="did:example:before", credential_id="c", disclosed=[], presentation=b"kept"
        )
    size_before = (wallet_dir / "wallet.db").stat().st_size
    # Enough records (each padded) that SQLite spills pages into the file before commit.
    proc = worker("hang", str(wallet_dir), PASSPHRASE, "400", "16384")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "written"
        assert Path(f"{wallet_dir}/wallet.db-journal").exists()
        assert (wallet_dir / "wallet.db").stat().st_size > size_before  # half-written file
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=_TIMEOUT)
    assert proc.returncode == -signal.SIGKILL
    with unlock(wallet_dir, PASSPHRASE, lock_timeout=2) as opened:
        assert [p.presentation for p in opened.presentations.all()] == [b"kept"]
        opened.verify()
        # The dead writer's lock died with it.
        opened.presentations.record(
            verifier="did:example:after", credential_id="c", disclosed=[], presentation=b"new"
        )
        assert len(opened.presentations.all()) == 2

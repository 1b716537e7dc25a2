"""The sequencer in one process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.checkpoint import open_checkpoint
from ledger.db import make_engine
from ledger.errors import EntryRejected, SequencerClosed
from ledger.merkle import verify_inclusion
from ledger.note import SignerKey
from ledger.sequencer import Appended, Sequencer
from ledger.storage import LedgerStore
from tests.ledger.ledger_checks import check_log

ORIGIN = "cartera.test/ledger"


def accept(entry: bytes) -> str:
    if not entry.startswith(b"{"):
        raise EntryRejected("entry: got non-JSON bytes, want a JSON object")
    return "test"


@pytest.fixture
def store(db_url: str) -> Iterator[LedgerStore]:
    engine = make_engine(db_url)
    yield LedgerStore(engine)
    engine.dispose()


@pytest.fixture
def signer() -> SignerKey:
    return SignerKey.generate(ORIGIN)


def _verified(result: Appended, signer: SignerKey) -> bool:
    signed = open_checkpoint(result.note, signer.verifier(), origin=ORIGIN).checkpoint
    assert signed == result.checkpoint
    return verify_inclusion(
        result.leaf_hash, result.index, signed.size, list(result.proof), signed.root_hash
    )


def test_concurrent_appends(store: LedgerStore, signer: SignerKey) -> None:
    threads, per_thread = 8, 40
    entries = [b'{"t":%d,"i":%d}' % (t, i) for t in range(threads) for i in range(per_thread)]
    with (
        Sequencer(store, signer=signer, origin=ORIGIN, validate=accept) as seq,
        ThreadPoolExecutor(threads) as pool,
    ):
        results = list(pool.map(seq.append, entries))
    # Every acknowledged entry is present exactly once, at the index it was given.
    logged = check_log(store, signer.verifier(), ORIGIN)
    assert sorted(logged) == sorted(entries)
    for entry, result in zip(entries, results, strict=True):
        assert logged[result.index] == entry
        assert not result.duplicate
        assert _verified(result, signer)
    assert len(store.checkpoints(limit=10**6)) > 1  # several batches, each checkpointed
    assert len(store.checkpoints(limit=10**6)) < len(entries)  # ...and batching happened


def test_same_entry_twice_gets_the_same_index(store: LedgerStore, signer: SignerKey) -> None:
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=accept) as seq:
        first = seq.append(b'{"a":1}')
        seq.append(b'{"b":2}')
        again = seq.append(b'{"a":1}')
        # Twice in the same batch, too.
        both = [seq.submit(b'{"c":3}'), seq.submit(b'{"c":3}')]
        c1, c2 = (f.result() for f in both)
    assert (first.index, first.duplicate) == (0, False)
    assert (again.index, again.duplicate) == (0, True)
    assert again.checkpoint.size == 2 and _verified(again, signer)
    assert c1.index == c2.index == 2
    assert check_log(store, signer.verifier(), ORIGIN) == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def test_invalid_entry_is_refused_in_the_caller(store: LedgerStore, signer: SignerKey) -> None:
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=accept) as seq:
        with pytest.raises(EntryRejected, match="got non-JSON bytes"):
            seq.append(b"not json")
        assert seq.append(b'{"ok":1}').index == 0
    assert store.size() == 1


def test_overlong_type_is_refused_before_queueing(store: LedgerStore, signer: SignerKey) -> None:
    long_type = Sequencer(store, signer=signer, origin=ORIGIN, validate=lambda _e: "x" * 65)
    with long_type as seq, pytest.raises(EntryRejected, match=r"got 65 characters, want 1\.\.64"):
        seq.append(b'{"a":1}')
    assert store.size() == 0


def test_state_rule_rejection_undoes_only_that_entry(store: LedgerStore, signer: SignerKey) -> None:
    with store.write() as conn:
        conn.execute(sa.text("CREATE TABLE grants (idx INTEGER PRIMARY KEY, body TEXT)"))

    gate = threading.Event()

    def apply(conn: Connection, index: int, data: bytes, _type: str) -> None:
        if data == b'{"first":1}':
            gate.wait(10)  # hold the sequencer so that the next three share one batch
        conn.execute(
            sa.text("INSERT INTO grants VALUES (:i, :b)"), {"i": index, "b": data.decode()}
        )
        if json.loads(data).get("bad"):
            raise EntryRejected("state: got a bad entry, want a good one")

    with Sequencer(store, signer=signer, origin=ORIGIN, validate=accept, apply=apply) as seq:
        blocker = seq.submit(b'{"first":1}')
        futures = [
            seq.submit(b'{"n":%d,"bad":%s}' % (i, b"true" if i == 1 else b"false"))
            for i in range(3)
        ]
        gate.set()
        blocker.result()
        with pytest.raises(EntryRejected, match="got a bad entry"):
            futures[1].result()
        good = [futures[0].result(), futures[2].result()]
    assert [g.index for g in good] == [1, 2]
    with store.read() as conn:
        rows = conn.execute(sa.text("SELECT idx FROM grants ORDER BY idx")).scalars().all()
    assert rows == [0, 1, 2]
    check_log(store, signer.verifier(), ORIGIN)


def test_restart_continues_the_same_tree(store: LedgerStore, signer: SignerKey) -> None:
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=accept) as seq:
        seq.append(b'{"x":1}')
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=accept) as seq:
        assert seq.append(b'{"x":2}').index == 1
    check_log(store, signer.verifier(), ORIGIN)


def test_empty_log_gets_a_checkpoint(store: LedgerStore, signer: SignerKey) -> None:
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=accept):
        pass
    cp = open_checkpoint(store.latest_checkpoint().note, signer.verifier(), origin=ORIGIN)
    assert cp.checkpoint.size == 0


def test_closed_sequencer_refuses(store: LedgerStore, signer: SignerKey) -> None:
    seq = Sequencer(store, signer=signer, origin=ORIGIN, validate=accept)
    with pytest.raises(SequencerClosed):
        seq.append(b'{"early":1}')
    seq.start()
    seq.close()
    with pytest.raises(SequencerClosed):
        seq.append(b'{"late":1}')

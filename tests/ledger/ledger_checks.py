"""Whole-log checks shared by the sequencer tests: what an auditor would verify."""

from __future__ import annotations

from ledger.checkpoint import open_checkpoint
from ledger.merkle import Frontier, leaf_hash, verify_consistency
from ledger.note import VerifierKey
from ledger.storage import LedgerStore


def check_log(store: LedgerStore, key: VerifierKey, origin: str) -> list[bytes]:
    """Entries dense from 0, every checkpoint signed, matching the entries and consistent
    with the previous one, stored nodes equal to recomputed ones. Returns the entries."""
    entries = store.entries(0, 10**9)
    assert [e.index for e in entries] == list(range(len(entries))), "indexes are not dense"
    assert len({e.leaf_hash for e in entries}) == len(entries), "an entry is logged twice"
    frontier, roots = Frontier(), {0: Frontier().root()}
    for e in entries:
        assert e.leaf_hash == leaf_hash(e.data)
        frontier.append(e.leaf_hash)
        roots[frontier.size] = frontier.root()
    checkpoints = store.checkpoints(limit=10**9)
    assert checkpoints, "no checkpoint"
    assert checkpoints[-1].size == len(entries), "entries beyond the last checkpoint"
    previous = None
    for stored in checkpoints:
        signed = open_checkpoint(stored.note, key, origin=origin).checkpoint
        assert (signed.size, signed.root_hash) == (stored.size, stored.root_hash)
        assert signed.root_hash == roots[signed.size]
        assert store.root_hash(size=signed.size) == signed.root_hash
        if previous is not None and previous.size > 0:
            proof = store.consistency_proof(size1=previous.size, size2=signed.size)
            assert verify_consistency(
                previous.size, signed.size, proof, previous.root_hash, signed.root_hash
            )
        previous = signed
    return [e.data for e in entries]

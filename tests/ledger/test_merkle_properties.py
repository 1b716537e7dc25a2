"""Property tests: node-based proofs equal the textbook recursion and verify; tampering fails."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidProof
from ledger.merkle import (
    Frontier,
    NodeID,
    check_consistency,
    check_inclusion,
    consistency_plan,
    consistency_proof,
    inclusion_plan,
    inclusion_proof,
    leaf_hash,
    memory_source,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger import merkle_reference as ref

MAX_SIZE = 300


def _entries(n: int) -> list[bytes]:
    return [b"entry %d" % i for i in range(n)]


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, size2)), size2


@settings(max_examples=200, deadline=None)
@given(st.integers(0, MAX_SIZE))
def test_root_matches_reference(size: int) -> None:
    entries = _entries(size)
    assert root_hash([leaf_hash(e) for e in entries]) == ref.mth(entries)


@settings(max_examples=300, deadline=None)
@given(size_and_index())
def test_inclusion_matches_reference_and_verifies(case: tuple[int, int]) -> None:
    size, index = case
    entries = _entries(size)
    leaves = [leaf_hash(e) for e in entries]
    root = ref.mth(entries)
    proof = inclusion_proof(index, size, memory_source(leaves))
    assert proof == ref.path(index, entries)
    assert verify_inclusion(leaves[index], index, size, proof, root)
    # Another leaf or index must fail. (Another size may pass when the path has the
    # same shape: the size is bound by the signed checkpoint, not by the proof.)
    assert not verify_inclusion(leaf_hash(b"other"), index, size, proof, root)
    if size > 1:
        assert not verify_inclusion(leaves[index], (index + 1) % size, size, proof, root)
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
        assert not verify_inclusion(leaves[index], index, size, bad, root)


@settings(max_examples=300, deadline=None)
@given(two_sizes())
def test_consistency_matches_reference_and_verifies(case: tuple[int, int]) -> None:
    size1, size2 = case
    entries = _entries(size2)
    leaves = [leaf_hash(e) for e in entries]
    root1, root2 = ref.mth(entries[:size1]), ref.mth(entries)
    proof = consistency_proof(size1, size2, memory_source(leaves))
    assert proof == ref.proof(size1, entries)
    assert verify_consistency(size1, size2, proof, root1, root2)
    if size1 < size2:
        assert not verify_consistency(size1, size2, proof, ref.mth(entries[: size1 + 1]), root2)
        assert not verify_consistency(size1, size2, proof[:-1], root1, root2)
        assert not verify_consistency(size1, size2, [*proof, root1], root1, root2)
        # A forked log: same size2, different last entry.
        forked = ref.mth([*entries[:-1], b"fork"])
        assert not verify_consistency(size1, size2, proof, root1, forked)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 2**62), st.data())
def test_plans_are_logarithmic(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(1, size))
    bound = 2 * size.bit_length() + 2
    assert sum(len(step) for step in inclusion_plan(index, size)) <= bound
    assert sum(len(step) for step in consistency_plan(size1, size)) <= bound


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 200))
def test_frontier_completes_every_perfect_node_once(size: int) -> None:
    frontier = Frontier()
    completed = frontier.extend(leaf_hash(e) for e in _entries(size))
    ids = [node for node, _ in completed]
    assert len(ids) == len(set(ids))
    want = {NodeID(level, i) for level in range(9) for i in range(size >> level)}
    assert set(ids) == want
    # Restarting from the stored frontier continues the same tree.
    resumed = Frontier(size, [h for _, h in frontier.nodes])
    resumed.append(leaf_hash(b"next"))
    assert resumed.root() == ref.mth([*_entries(size), b"next"])


def test_errors_say_got_and_want() -> None:
    leaves = [leaf_hash(e) for e in _entries(5)]
    proof = inclusion_proof(1, 5, memory_source(leaves))
    with pytest.raises(InvalidProof, match=r"got 2 proof hashes, want 3"):
        check_inclusion(leaves[1], 1, 5, proof[:2], root_hash(leaves))
    with pytest.raises(InvalidProof, match=r"got index 5, want 0 <= index < 5"):
        check_inclusion(leaves[1], 5, 5, proof, root_hash(leaves))
    with pytest.raises(InvalidProof, match=r"got root [0-9a-f]{64}, want"):
        check_inclusion(leaves[2], 1, 5, proof, root_hash(leaves))
    with pytest.raises(InvalidProof, match=r"got sizes 0 -> 5"):
        check_consistency(0, 5, [], b"", root_hash(leaves))

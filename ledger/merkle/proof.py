"""Proof computation, RFC 9162 §2.1.3.1 (inclusion) and §2.1.4.1 (consistency).

Two steps kept apart, so that a tree living in a database answers with one read of
O(log n) rows:

1. *which nodes* — `inclusion_plan` and `consistency_plan` are pure functions of the
   index and sizes. A plan lists, per proof hash, the perfect nodes whose fold is it: one
   node for a complete subtree, a few for a right-edge subtree of a tree whose size is
   not a power of two.
2. *fetch and hash them* — `hash_plan` folds each step from node hashes fetched once
   by a `NodeSource` (a callable from node ids to their hashes).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

from ledger.merkle.hashing import EMPTY_ROOT
from ledger.merkle.nodes import NodeID, fold_nodes, range_nodes, split_point

Plan = list[tuple[NodeID, ...]]
"""One entry per proof hash: the perfect nodes, left to right, whose fold is that hash."""

NodeSource = Callable[[Collection[NodeID]], Mapping[NodeID, bytes]]
"""Returns the stored hash of every requested node (it may return more)."""


def inclusion_plan(index: int, size: int) -> Plan:
    """Nodes of PATH(index, D[0:size]), bottom-up as RFC 9162 §2.1.3.1 orders them."""
    if not 0 <= index < size:
        raise ValueError(f"inclusion_plan: got index {index}, want 0 <= index < {size}")
    lo, hi = 0, size
    siblings: list[tuple[int, int]] = []
    # Walk down from the root: at each split the proof needs the half without the leaf.
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            siblings.append((lo + k, hi))
            hi = lo + k
        else:
            siblings.append((lo, lo + k))
            lo += k
    return [range_nodes(a, b) for a, b in reversed(siblings)]


def consistency_plan(size1: int, size2: int) -> Plan:
    """Nodes of PROOF(size1, D[0:size2]), RFC 9162 §2.1.4.1, for 0 < size1 <= size2."""
    if not 0 < size1 <= size2:
        raise ValueError(f"consistency_plan: got sizes {size1}, {size2}, want 0 < size1 <= size2")
    lo, hi, m = 0, size2, size1
    known_root = True  # SUBPROOF's flag b: is MTH(D[lo:hi]) the old root the verifier has?
    steps: list[tuple[int, int]] = []
    while m != hi - lo:
        k = split_point(hi - lo)
        if m <= k:
            steps.append((lo + k, hi))
            hi = lo + k
        else:
            steps.append((lo, lo + k))
            lo, m, known_root = lo + k, m - k, False
    if not known_root:
        steps.append((lo, hi))
    return [range_nodes(a, b) for a, b in reversed(steps)]


def root_plan(size: int) -> tuple[NodeID, ...]:
    """The perfect nodes whose fold is MTH(D[0:size]) (size > 0): the tree's frontier."""
    return range_nodes(0, size)


def plan_nodes(plans: Iterable[Plan]) -> set[NodeID]:
    """Every node the given plans need, so that several proofs share one fetch."""
    return {node for plan in plans for step in plan for node in step}


def hash_plan(plan: Plan, hashes: Mapping[NodeID, bytes]) -> list[bytes]:
    """The proof: one folded hash per plan step."""
    return [fold_nodes(step, hashes) for step in plan]


def hash_plans(plans: Iterable[Plan], hashes: Mapping[NodeID, bytes]) -> list[list[bytes]]:
    """`hash_plan` for several plans, folding each step they share once (the proofs of
    neighbouring leaves share every step near the root)."""
    folded: dict[tuple[NodeID, ...], bytes] = {}
    proofs = []
    for plan in plans:
        proof = []
        for step in plan:
            value = folded.get(step)
            if value is None:
                value = folded[step] = fold_nodes(step, hashes)
            proof.append(value)
        proofs.append(proof)
    return proofs


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[bytes]:
    """PATH(index, D[0:size]) from stored nodes, in one fetch of O(log size) nodes."""
    plan = inclusion_plan(index, size)
    return hash_plan(plan, source(plan_nodes([plan])))


def consistency_proof(size1: int, size2: int, source: NodeSource) -> list[bytes]:
    """PROOF(size1, D[0:size2]) from stored nodes, in one fetch of O(log size2) nodes."""
    plan = consistency_plan(size1, size2)
    return hash_plan(plan, source(plan_nodes([plan])))


def tree_root(size: int, source: NodeSource) -> bytes:
    """MTH(D[0:size]) from stored nodes (O(log size) of them)."""
    if size == 0:
        return EMPTY_ROOT
    ids = root_plan(size)
    return fold_nodes(ids, source(ids))

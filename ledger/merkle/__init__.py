"""RFC 9162 §2.1 Merkle tree: hashing, proofs from stored nodes, proof verification.

    >>> from ledger.merkle import inclusion_proof, leaf_hash, memory_source, root_hash
    >>> from ledger.merkle import verify_inclusion
    >>> leaves = [leaf_hash(e) for e in (b"a", b"b", b"c")]
    >>> proof = inclusion_proof(2, 3, memory_source(leaves))
    >>> verify_inclusion(leaves[2], 2, 3, proof, root_hash(leaves))
    True

Modules: `hashing` (the hash functions, nothing else), `nodes` (node coordinates),
`proof` (which nodes a proof needs, then hash them), `compact` (appending with a frontier),
`verify` (the RFC's verification algorithms).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from ledger.merkle.compact import Frontier, root_hash
from ledger.merkle.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from ledger.merkle.nodes import NodeID, range_nodes
from ledger.merkle.proof import (
    NodeSource,
    Plan,
    consistency_plan,
    consistency_proof,
    hash_plan,
    hash_plans,
    inclusion_plan,
    inclusion_proof,
    plan_nodes,
    root_plan,
    tree_root,
)
from ledger.merkle.verify import (
    check_consistency,
    check_inclusion,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)


def memory_source(leaf_hashes: Sequence[bytes]) -> NodeSource:
    """A `NodeSource` over an in-memory list of leaf hashes (tests, small trees)."""
    frontier = Frontier()
    nodes = dict(frontier.extend(leaf_hashes))

    def fetch(ids: Collection[NodeID]) -> Mapping[NodeID, bytes]:
        return {i: nodes[i] for i in ids if i in nodes}

    return fetch


__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "NodeID",
    "NodeSource",
    "Plan",
    "check_consistency",
    "check_inclusion",
    "consistency_plan",
    "consistency_proof",
    "hash_plan",
    "hash_plans",
    "inclusion_plan",
    "inclusion_proof",
    "leaf_hash",
    "memory_source",
    "node_hash",
    "plan_nodes",
    "range_nodes",
    "root_from_inclusion_proof",
    "root_hash",
    "root_plan",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

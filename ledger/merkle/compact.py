"""Appending to an RFC 9162 tree with O(log n) state: the frontier of perfect subtrees.

The frontier of a tree of size n is `root_plan(n)`: the largest perfect subtrees, left to
right, that cover [0, n). Appending a leaf pushes it and merges equal-sized neighbours;
each merge completes a node that a store keeps forever (a node (level, i) is final once
its 2^level leaves exist). The root is the right-to-left fold of the frontier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.merkle.hashing import EMPTY_ROOT, HASH_SIZE, node_hash
from ledger.merkle.nodes import NodeID, fold, range_nodes


class Frontier:
    """The frontier of a growing tree; `append` reports the nodes each leaf completes."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        ids = range_nodes(0, size) if size else ()
        if len(hashes) != len(ids):
            raise ValueError(f"frontier of size {size}: got {len(hashes)} hashes, want {len(ids)}")
        if any(len(h) != HASH_SIZE for h in hashes):
            raise ValueError(f"frontier hashes must be {HASH_SIZE} bytes")
        self._size = size
        self._nodes: list[tuple[NodeID, bytes]] = list(zip(ids, hashes, strict=True))

    @property
    def size(self) -> int:
        return self._size

    @property
    def nodes(self) -> list[tuple[NodeID, bytes]]:
        return list(self._nodes)

    def copy(self) -> Frontier:
        return Frontier(self._size, [value for _, value in self._nodes])

    def append(self, leaf_hash: bytes) -> list[tuple[NodeID, bytes]]:
        """Add one leaf; return the completed nodes, the leaf itself first."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash: got {len(leaf_hash)} bytes, want {HASH_SIZE}")
        node, value = NodeID(0, self._size), leaf_hash
        completed = [(node, value)]
        # An odd index is a right child: its left sibling is the frontier's last node.
        while node.index & 1:
            _, left = self._nodes.pop()
            node, value = NodeID(node.level + 1, node.index >> 1), node_hash(left, value)
            completed.append((node, value))
        self._nodes.append((node, value))
        self._size += 1
        return completed

    def extend(self, leaf_hashes: Iterable[bytes]) -> list[tuple[NodeID, bytes]]:
        return [pair for h in leaf_hashes for pair in self.append(h)]

    def root(self) -> bytes:
        """MTH(D[0:size])."""
        if not self._nodes:
            return EMPTY_ROOT
        return fold([value for _, value in self._nodes])


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (RFC 9162 §2.1.1); the empty list gives HASH()."""
    frontier = Frontier()
    frontier.extend(leaf_hashes)
    return frontier.root()

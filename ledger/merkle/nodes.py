"""Node coordinates of an RFC 9162 tree, and which perfect subtrees make up a leaf range.

A node `(level, index)` is the perfect subtree over leaves `[index·2^level,
(index+1)·2^level)`; level 0 holds the leaf hashes. Every subtree that RFC 9162 §2.1.1
hashes is either such a node or a *right-edge* range `[lo, size)` of a tree that is not a
power of two; the latter is the fold of a few perfect nodes, which is why a database that
stores only perfect nodes can answer for every tree size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

from ledger.errors import StorageCorrupt
from ledger.merkle.hashing import HASH_SIZE, node_hash


class NodeID(NamedTuple):
    """A perfect subtree: `level` = log2 of its leaf count, `index` = its position.

    A named tuple rather than a dataclass: proofs hash and compare thousands of these per
    batch, and tuple hashing runs in C.
    """

    level: int
    index: int  # type: ignore[assignment]  # shadows tuple.index(), which nothing here uses

    @property
    def first_leaf(self) -> int:
        return self.index << self.level

    @property
    def end_leaf(self) -> int:
        return (self.index + 1) << self.level


def split_point(size: int) -> int:
    """k of RFC 9162 §2.1.1: the largest power of two smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


@lru_cache(maxsize=1 << 14)
def range_nodes(lo: int, hi: int) -> tuple[NodeID, ...]:
    """The perfect subtrees, left to right and largest first, whose fold is MTH(D[lo:hi]).

    Valid for every range the RFC recursion produces: `lo` is a multiple of the smallest
    power of two that is at least `hi - lo`. Cached: the proofs of one batch, and of the
    batches after it, walk mostly the same ranges near the root.
    """
    if not 0 <= lo < hi:
        raise ValueError(f"range_nodes: got [{lo}, {hi}), want 0 <= lo < hi")
    ids = []
    remaining = hi - lo
    for level in range(remaining.bit_length() - 1, -1, -1):
        if remaining >> level & 1:
            if lo % (1 << level):
                raise ValueError(f"range_nodes: [{lo}, {hi}) is not a subtree of any tree")
            ids.append(NodeID(level, lo >> level))
            lo += 1 << level
    return tuple(ids)


def fold(hashes: Sequence[bytes]) -> bytes:
    """Hash perfect subtrees (largest first) into the root of their range, right to left."""
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def fold_nodes(ids: Sequence[NodeID], hashes: Mapping[NodeID, bytes]) -> bytes:
    """`fold` over stored nodes, failing loudly when the store lacks one of them."""
    values = []
    for node in ids:
        value = hashes.get(node)
        if value is None:
            raise StorageCorrupt(f"tree node {node} is missing from the store")
        if len(value) != HASH_SIZE:
            raise StorageCorrupt(f"tree node {node}: got {len(value)} bytes, want {HASH_SIZE}")
        values.append(value)
    return fold(values)

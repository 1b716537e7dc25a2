"""RFC 9162 §2.1.1 hashing: leaf and interior node hashes with SHA-256. Nothing else."""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = HASH(), the root of the empty tree."""


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d(0)}) = HASH(0x00 || d(0))."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right), the parent of two subtrees."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()

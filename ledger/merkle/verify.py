"""Proof verification, RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

`check_*` raise `InvalidProof` saying what differed ("got X, want Y"); `verify_*` are the
boolean forms whose positional signatures the ledger issue fixes. Preconditions come first
(index < size, hash and proof lengths), then the RFC's algorithm, then the comparison.

Edge cases follow the transparency-dev/merkle verifier, which the shared vectors encode:
roots are compared as raw bytes (any length); a leaf hash must be 32 bytes; consistency
from size 0 is refused (there is nothing to be consistent with); equal sizes need an
empty proof and equal roots.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.errors import InvalidProof
from ledger.merkle.hashing import HASH_SIZE, node_hash
from ledger.merkle.proof import consistency_plan


def _check_hashes(what: str, proof: Sequence[bytes], want_len: int) -> None:
    if len(proof) != want_len:
        raise InvalidProof(f"{what}: got {len(proof)} proof hashes, want {want_len}")
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise InvalidProof(f"{what}: proof[{i}] has {len(h)} bytes, want {HASH_SIZE}")


def _inclusion_length(index: int, size: int) -> int:
    # Levels where the paths to `index` and to the last leaf differ each need a sibling;
    # above them, the leaf sits on the right edge and needs one per left subtree.
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that `proof` implies for `leaf_hash` at `index` (RFC 9162 §2.1.3.2)."""
    # Preconditions.
    if not 0 <= index < tree_size:
        raise InvalidProof(f"inclusion: got index {index}, want 0 <= index < {tree_size}")
    if len(leaf_hash) != HASH_SIZE:
        raise InvalidProof(f"inclusion: leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
    _check_hashes("inclusion", proof, _inclusion_length(index, tree_size))
    # Steps 2-4: climb from the leaf, taking each proof hash as a left or right sibling.
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise InvalidProof("inclusion: proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    # Step 5.
    if sn != 0:
        raise InvalidProof("inclusion: proof is shorter than the path to the root")
    return r


def check_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise `InvalidProof` unless `proof` shows `leaf_hash` at `index` under `root`."""
    got = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    if got != root:
        raise InvalidProof(f"inclusion: got root {got.hex()}, want {root.hex()}")


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: list[bytes], root: bytes
) -> bool:
    """True iff `proof` shows `leaf_hash` at `index` in the tree of `tree_size` and `root`."""
    try:
        check_inclusion(leaf_hash, index, tree_size, proof, root)
    except InvalidProof:
        return False
    return True


def check_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise `InvalidProof` unless `proof` shows (size1, root1) is a prefix of (size2, root2)."""
    # Preconditions.
    if not 0 < size1 <= size2:
        raise InvalidProof(f"consistency: got sizes {size1} -> {size2}, want 0 < size1 <= size2")
    if size1 == size2:
        if proof:
            raise InvalidProof(f"consistency: got {len(proof)} proof hashes, want 0 (same size)")
        if root1 != root2:
            raise InvalidProof(
                f"consistency: same size, got root {root2.hex()}, want {root1.hex()}"
            )
        return
    _check_hashes("consistency", proof, len(consistency_plan(size1, size2)))
    # Step 2: when the old tree is a complete subtree, its root is the proof's first node.
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    # Steps 3-4: skip the levels where the old tree's last leaf is a right child.
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # Steps 5-6: rebuild both roots from the same path.
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("consistency: proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # Step 7.
    if sn != 0:
        raise InvalidProof("consistency: proof is shorter than the path to the root")
    if fr != root1:
        raise InvalidProof(f"consistency: got old root {fr.hex()}, want {root1.hex()}")
    if sr != root2:
        raise InvalidProof(f"consistency: got new root {sr.hex()}, want {root2.hex()}")


def verify_consistency(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> bool:
    """True iff `proof` shows the tree (size1, root1) is a prefix of (size2, root2)."""
    try:
        check_consistency(size1, size2, proof, root1, root2)
    except InvalidProof:
        return False
    return True

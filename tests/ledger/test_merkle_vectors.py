"""transparency-dev/merkle's JSON probes and reference tree (../shared/vectors/merkle)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from ledger.merkle import (
    EMPTY_ROOT,
    NodeID,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    memory_source,
    node_hash,
    root_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import VECTORS, load_vector

MERKLE = VECTORS / "merkle"


def _cases(kind: str) -> list[str]:
    return sorted(str(p.relative_to(VECTORS)) for p in (MERKLE / kind).rglob("*.json"))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b64(h) for h in case["proof"] or []]


def test_vector_folder_is_complete() -> None:
    assert len(_cases("inclusion")) == 98
    assert len(_cases("consistency")) == 64


@pytest.mark.parametrize("name", _cases("inclusion"))
def test_inclusion_vector(name: str) -> None:
    case = load_vector(name)
    ok = verify_inclusion(
        _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], _proof(case), _b64(case["root"])
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("name", _cases("consistency"))
def test_consistency_vector(name: str) -> None:
    case = load_vector(name)
    ok = verify_consistency(
        case["size1"], case["size2"], _proof(case), _b64(case["root1"]), _b64(case["root2"])
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.fixture(scope="module")
def reference_tree() -> dict[str, Any]:
    return load_vector("merkle/reference_tree.json")  # type: ignore[no-any-return]


def test_reference_tree_hasher(reference_tree: dict[str, Any]) -> None:
    for case in reference_tree["hasherTests"]:
        if case["function"] == "empty_root":
            got = EMPTY_ROOT
        elif case["function"] == "hash_leaf":
            got = leaf_hash(bytes.fromhex(case["leaf"]))
        else:
            got = node_hash(bytes.fromhex(case["left"]), bytes.fromhex(case["right"]))
        assert got.hex() == case["want"], case["desc"]


def test_reference_tree_roots_and_nodes(reference_tree: dict[str, Any]) -> None:
    leaves = [leaf_hash(bytes.fromhex(x)) for x in reference_tree["leafInputs"]]
    for size, want in enumerate(reference_tree["rootHashes"]):
        assert root_hash(leaves[:size]).hex() == want
        assert tree_root(size, memory_source(leaves)).hex() == want
    source = memory_source(leaves)
    for level, row in enumerate(reference_tree["nodeHashes"]):
        ids = [NodeID(level, i) for i in range(len(row))]
        assert [source(ids)[i].hex() for i in ids] == row


def test_reference_tree_proofs_match_inclusion_vectors(reference_tree: dict[str, Any]) -> None:
    """Our prover reproduces every happy-path inclusion proof of the probes."""
    leaves = [leaf_hash(bytes.fromhex(x)) for x in reference_tree["leafInputs"]]
    for name in _cases("inclusion"):
        if Path(name).name != "happy-path.json":
            continue
        case = load_vector(name)
        got = inclusion_proof(case["leafIdx"], case["treeSize"], memory_source(leaves))
        assert got == _proof(case), name


def test_reference_tree_proofs_match_consistency_vectors(reference_tree: dict[str, Any]) -> None:
    """Our prover reproduces every happy-path consistency proof of the probes."""
    leaves = [leaf_hash(bytes.fromhex(x)) for x in reference_tree["leafInputs"]]
    for name in _cases("consistency"):
        if Path(name).name != "happy-path.json":
            continue
        case = load_vector(name)
        got = consistency_proof(case["size1"], case["size2"], memory_source(leaves))
        assert got == _proof(case), name

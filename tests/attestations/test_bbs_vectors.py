"""Every BBS fixture of ../shared/vectors/bbs (draft-irtf-cfrg-bbs-signatures), both suites.

One case per fixture file, id = suite folder / file name. All run on the native (arkworks)
backend; a representative subset (one signature and one proof per suite) runs again on the
pure-Python py-ecc backend, marked slow.
"""

from __future__ import annotations

from typing import Any

import pytest

from attestations.bbs import (
    SHA256,
    SHAKE256,
    Ciphersuite,
    Signature,
    create_generators,
    hash_to_scalar,
    key_gen,
    messages_to_scalars,
    octets_to_signature,
    proof_challenge_calculate,
    proof_gen,
    proof_init,
    proof_verify,
    seeded_random_scalars,
    sign,
    sk_to_pk,
    verify,
)
from attestations.bbs.proof import undisclosed_indexes
from tests.conftest import load_vector

SUITES = {"bls12-381-sha-256": SHA256, "bls12-381-shake-256": SHAKE256}
SIGNATURES = [f"signature{n:03d}.json" for n in range(1, 11)]
PROOFS = [f"proof{n:03d}.json" for n in range(2, 15, 2)]

SIGNATURE_CASES = [
    pytest.param(folder, name, id=f"{folder}/{name}") for folder in SUITES for name in SIGNATURES
]
PROOF_CASES = [
    pytest.param(folder, name, id=f"{folder}/{name}") for folder in SUITES for name in PROOFS
]
#: The valid proof fixtures (all disclosed, no header); the others mutate verifier inputs.
TRACE_CASES = [
    pytest.param(folder, name, id=f"{folder}/{name}")
    for folder in SUITES
    for name in ("proof002.json", "proof014.json")
]
SUITE_CASES = [pytest.param(folder, id=folder) for folder in SUITES]
SLOW_CASES = [
    pytest.param(folder, f"{kind}/{name}", id=f"{folder}/{name}")
    for folder in SUITES
    for kind, name in (("signature", "signature004.json"), ("proof", "proof014.json"))
]


def _native(folder: str) -> Ciphersuite:
    return SUITES[folder].with_backend("arkworks")


def _load(folder: str, name: str) -> Any:
    return load_vector(f"bbs/{folder}/{name}")


def _hex(value: str) -> bytes:
    return bytes.fromhex(value)


def _mocked_rng(folder: str, suite: Ciphersuite) -> Any:
    rng = _load(folder, "mockedRng.json")
    seed, dst = _hex(rng["seed"]), _hex(rng["dst"])
    return lambda count: seeded_random_scalars(seed, dst, count, suite)


@pytest.mark.parametrize("folder", SUITE_CASES)
def test_keypair(folder: str) -> None:
    suite, vec = _native(folder), _load(folder, "keypair.json")
    assert _hex(vec["keyDst"]) == suite.api_id + b"KEYGEN_DST_"
    sk = key_gen(_hex(vec["keyMaterial"]), _hex(vec["keyInfo"]), _hex(vec["keyDst"]), suite)
    assert sk.hex() == vec["keyPair"]["secretKey"]
    assert sk_to_pk(sk, suite).hex() == vec["keyPair"]["publicKey"]


@pytest.mark.parametrize("folder", SUITE_CASES)
def test_generators(folder: str) -> None:
    suite, vec = _native(folder), _load(folder, "generators.json")
    assert suite.P1.to_bytes().hex() == vec["P1"]
    gens = create_generators(11, suite.api_id, suite)
    assert gens.Q_1.to_bytes().hex() == vec["Q1"]
    assert [h.to_bytes().hex() for h in gens.H] == vec["MsgGenerators"]
    # A prefix of the cached chain is the same as a fresh shorter request.
    assert create_generators(3, suite.api_id, suite).points == gens.points[:3]


@pytest.mark.parametrize("folder", SUITE_CASES)
def test_hash_to_scalar(folder: str) -> None:
    suite, vec = _native(folder), _load(folder, "h2s.json")
    assert _hex(vec["dst"]) == suite.api_id + b"H2S_"
    scalar = hash_to_scalar(_hex(vec["message"]), _hex(vec["dst"]), suite)
    assert scalar.to_bytes(32, "big").hex() == vec["scalar"]


@pytest.mark.parametrize("folder", SUITE_CASES)
def test_map_message_to_scalar_as_hash(folder: str) -> None:
    suite, vec = _native(folder), _load(folder, "MapMessageToScalarAsHash.json")
    assert _hex(vec["dst"]) == suite.api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    messages = [_hex(case["message"]) for case in vec["cases"]]
    scalars = messages_to_scalars(messages, suite.api_id, suite)
    assert [s.to_bytes(32, "big").hex() for s in scalars] == [c["scalar"] for c in vec["cases"]]


@pytest.mark.parametrize("folder", SUITE_CASES)
def test_mocked_random_scalars(folder: str) -> None:
    suite, vec = _native(folder), _load(folder, "mockedRng.json")
    assert _hex(vec["dst"]) == suite.api_id + b"MOCK_RANDOM_SCALARS_DST_"
    scalars = seeded_random_scalars(_hex(vec["seed"]), _hex(vec["dst"]), vec["count"], suite)
    assert [s.to_bytes(32, "big").hex() for s in scalars] == vec["mockedScalars"]


def _check_signature(folder: str, name: str, suite: Ciphersuite) -> None:
    vec = _load(folder, f"signature/{name}")
    pk, signature = _hex(vec["signerKeyPair"]["publicKey"]), _hex(vec["signature"])
    header, messages = _hex(vec["header"]), [_hex(m) for m in vec["messages"]]
    assert verify(pk, signature, header, messages, suite) is vec["result"]["valid"]
    if vec["result"]["valid"]:
        sk = _hex(vec["signerKeyPair"]["secretKey"])
        assert sign(sk, pk, header, messages, suite).hex() == vec["signature"]


@pytest.mark.parametrize(("folder", "name"), SIGNATURE_CASES)
def test_signature(folder: str, name: str) -> None:
    _check_signature(folder, name, _native(folder))


def _check_proof(folder: str, name: str, suite: Ciphersuite) -> None:
    vec = _load(folder, f"proof/{name}")
    pk, proof = _hex(vec["signerPublicKey"]), _hex(vec["proof"])
    header, ph = _hex(vec["header"]), _hex(vec["presentationHeader"])
    messages, indexes = [_hex(m) for m in vec["messages"]], vec["disclosedIndexes"]
    disclosed = [messages[i] for i in indexes]
    assert proof_verify(pk, proof, header, ph, disclosed, indexes, suite) is vec["result"]["valid"]
    if vec["result"]["valid"]:
        signature = _hex(vec["signature"])
        rng = _mocked_rng(folder, suite)
        generated = proof_gen(pk, signature, header, ph, messages, indexes, suite, rng=rng)
        assert generated.hex() == vec["proof"]


@pytest.mark.parametrize(("folder", "name"), PROOF_CASES)
def test_proof(folder: str, name: str) -> None:
    _check_proof(folder, name, _native(folder))


@pytest.mark.parametrize(("folder", "name"), TRACE_CASES)
def test_proof_trace(folder: str, name: str) -> None:
    """The intermediate values of ProofInit / ProofChallengeCalculate match the trace."""
    suite, vec = _native(folder), _load(folder, f"proof/{name}")
    assert vec["result"]["valid"]
    api_id, trace = suite.api_id, vec["trace"]
    pk, header, ph = (
        _hex(vec["signerPublicKey"]),
        _hex(vec["header"]),
        _hex(vec["presentationHeader"]),
    )
    scalars = messages_to_scalars([_hex(m) for m in vec["messages"]], api_id, suite)
    indexes = vec["disclosedIndexes"]
    hidden = undisclosed_indexes(indexes, len(scalars))
    random_scalars = _mocked_rng(folder, suite)(5 + len(hidden))
    names = ("r1", "r2", "e_tilde", "r1_tilde", "r3_tilde")
    expected = [trace["random_scalars"][n] for n in names]
    expected += trace["random_scalars"]["m_tilde_scalars"]
    assert [s.to_bytes(32, "big").hex() for s in random_scalars] == expected
    sig: Signature = octets_to_signature(_hex(vec["signature"]), suite)
    gens = create_generators(len(scalars) + 1, api_id, suite)
    init = proof_init(pk, sig, gens, random_scalars, header, scalars, hidden, api_id, suite=suite)
    for field in ("A_bar", "B_bar", "D", "T1", "T2"):
        assert getattr(init, field.replace("_", "")).to_bytes().hex() == trace[field]
    assert init.domain.to_bytes(32, "big").hex() == trace["domain"]
    challenge = proof_challenge_calculate(
        init, [scalars[i] for i in indexes], indexes, ph, api_id, suite=suite
    )
    assert challenge.to_bytes(32, "big").hex() == trace["challenge"]


@pytest.mark.slow
@pytest.mark.parametrize(("folder", "path"), SLOW_CASES)
def test_reference_backend(folder: str, path: str) -> None:
    suite = SUITES[folder].with_backend("pyecc")
    kind, name = path.split("/")
    if kind == "signature":
        _check_signature(folder, name, suite)
    else:
        _check_proof(folder, name, suite)

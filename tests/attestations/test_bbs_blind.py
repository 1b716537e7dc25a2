"""Blind issuance (attestations.bbs.blind): commitment to the holder secret, proof of
knowledge, blind signing, holder-side verification and proofs afterwards."""

from __future__ import annotations

import secrets

import pytest

from attestations.bbs import (
    SHA256,
    SHAKE256,
    Ciphersuite,
    core_proof_gen,
    core_proof_verify,
    key_gen,
    messages_to_scalars,
    sk_to_pk,
)
from attestations.bbs.blind import (
    blind_api_id,
    blind_generators,
    blind_proof_gen,
    blind_proof_verify,
    blind_sign,
    commit,
    octets_to_commitment_with_proof,
    signature_generators,
    signed_messages,
    verify_blind_sign,
)
from attestations.curve import R
from attestations.errors import DecodeError, InvalidProof

HEADER, PH = b"cartera blind header", b"nonce"


@pytest.fixture(params=[SHA256, SHAKE256], ids=["sha256", "shake256"], scope="module")
def suite(request: pytest.FixtureRequest) -> Ciphersuite:
    chosen: Ciphersuite = request.param
    return chosen.with_backend("arkworks")


def _issuer(suite: Ciphersuite) -> tuple[int, bytes]:
    sk = key_gen(b"blind issuer key material, >= 32 bytes", b"", None, suite)
    return int.from_bytes(sk, "big"), sk_to_pk(sk, suite)


def _attributes(suite: Ciphersuite) -> list[int]:
    strings = messages_to_scalars([b"Ada", b"Lovelace"], blind_api_id(suite), suite)
    return [*strings, 19_000, 1]  # a date (days since 1970) and a boolean stay integers


def _secret() -> int:
    return secrets.randbelow(R - 1) + 1


def test_round_trip(suite: Ciphersuite) -> None:
    api_id, (sk, pk) = blind_api_id(suite), _issuer(suite)
    s, messages = _secret(), _attributes(suite)
    # Holder: commit to s.  Issuer: check the proof and sign.  Holder: verify.
    commitment, prover_blind = commit([s], api_id, suite=suite)
    signature = blind_sign(sk, pk, commitment, HEADER, messages, api_id, suite=suite)
    assert verify_blind_sign(
        pk, signature, HEADER, messages, [s], prover_blind, api_id, suite=suite
    )
    # Proofs afterwards: the blind wrapper and the plain core functions agree.
    proof = blind_proof_gen(
        pk, signature, HEADER, PH, messages, [s], prover_blind, [0, 3], api_id, suite=suite
    )
    shown = [messages[0], messages[3]]
    assert blind_proof_verify(pk, proof, HEADER, PH, 4, 1, shown, [0, 3], api_id, suite=suite)
    gens = signature_generators(len(messages), 1, api_id, suite)
    full = signed_messages(messages, prover_blind, [s])
    assert full[-1] == s  # the holder secret is the last signed message
    core = core_proof_gen(pk, signature, gens, HEADER, PH, full, [1, 2], api_id, suite=suite)
    shown = [messages[1], messages[2]]
    assert core_proof_verify(pk, core, gens, HEADER, PH, shown, [1, 2], api_id, suite=suite)


def test_commitments_to_one_secret_are_unlinkable(suite: Ciphersuite) -> None:
    api_id, s = blind_api_id(suite), _secret()
    first, blind1 = commit([s], api_id, suite=suite)
    second, blind2 = commit([s], api_id, suite=suite)
    assert blind1 != blind2
    c1 = octets_to_commitment_with_proof(first, suite)
    c2 = octets_to_commitment_with_proof(second, suite)
    assert c1.C != c2.C and c1.s_hat != c2.s_hat and c1.m_hats != c2.m_hats
    # The issuer sees neither s nor J_1 * s, the unblinded commitment.
    j_1 = blind_generators(2, api_id, suite).points[1]
    unblinded = j_1 * s
    assert unblinded != c1.C and s.to_bytes(32, "big") not in first


def test_signature_needs_the_committed_secret(suite: Ciphersuite) -> None:
    api_id, (sk, pk) = blind_api_id(suite), _issuer(suite)
    s, messages = _secret(), _attributes(suite)
    commitment, prover_blind = commit([s], api_id, suite=suite)
    signature = blind_sign(sk, pk, commitment, HEADER, messages, api_id, suite=suite)
    other = (s + 1) % R
    assert not verify_blind_sign(
        pk, signature, HEADER, messages, [other], prover_blind, api_id, suite=suite
    )
    assert not verify_blind_sign(pk, signature, HEADER, messages, [s], 0, api_id, suite=suite)
    # A presentation made with a different s does not verify either.
    proof = blind_proof_gen(
        pk, signature, HEADER, PH, messages, [other], prover_blind, [0], api_id, suite=suite
    )
    shown = [messages[0]]
    assert not blind_proof_verify(pk, proof, HEADER, PH, 4, 1, shown, [0], api_id, suite=suite)


def _tamper(octets: bytes, offset: int) -> bytes:
    value = (int.from_bytes(octets[offset : offset + 32], "big") + 1) % R or 1
    return octets[:offset] + value.to_bytes(32, "big") + octets[offset + 32 :]


@pytest.mark.parametrize("offset", [48, 80, 112], ids=["s_hat", "m_hat", "challenge"])
def test_wrong_proof_of_knowledge_is_rejected(suite: Ciphersuite, offset: int) -> None:
    api_id, (sk, pk) = blind_api_id(suite), _issuer(suite)
    commitment, _ = commit([_secret()], api_id, suite=suite)
    with pytest.raises(InvalidProof):
        blind_sign(sk, pk, _tamper(commitment, offset), HEADER, [1, 2], api_id, suite=suite)


def test_commitment_replaced_or_rebound_is_rejected(suite: Ciphersuite) -> None:
    api_id, (sk, pk) = blind_api_id(suite), _issuer(suite)
    commitment, _ = commit([_secret()], api_id, suite=suite)
    other, _ = commit([_secret()], api_id, suite=suite)
    swapped = other[:48] + commitment[48:]  # someone else's C with this proof
    with pytest.raises(InvalidProof):
        blind_sign(sk, pk, swapped, HEADER, [1], api_id, suite=suite)
    # A proof made for the plain BBS interface does not pass for the blind one.
    foreign, _ = commit([_secret()], suite.api_id, suite=suite)
    with pytest.raises(InvalidProof):
        blind_sign(sk, pk, foreign, HEADER, [1], api_id, suite=suite)


@pytest.mark.parametrize(
    "octets",
    [
        pytest.param(b"", id="empty"),
        pytest.param(
            bytes([0xC0]) + bytes(47) + bytes(31) + b"\x01" * 32 + bytes(31) + b"\x01",
            id="identity",
        ),
        pytest.param(b"\x00" * 143, id="short"),
    ],
)
def test_malformed_commitment(suite: Ciphersuite, octets: bytes) -> None:
    api_id, (sk, pk) = blind_api_id(suite), _issuer(suite)
    with pytest.raises(DecodeError):
        blind_sign(sk, pk, octets, HEADER, [1], api_id, suite=suite)


def test_commitment_without_messages_is_refused(suite: Ciphersuite) -> None:
    api_id, (sk, pk) = blind_api_id(suite), _issuer(suite)
    commitment, _ = commit([], api_id, suite=suite)
    with pytest.raises(DecodeError):
        blind_sign(sk, pk, commitment, HEADER, [1], api_id, suite=suite)


def test_prover_blind_is_never_disclosed(suite: Ciphersuite) -> None:
    api_id, (sk, pk) = blind_api_id(suite), _issuer(suite)
    s, messages = _secret(), _attributes(suite)
    commitment, prover_blind = commit([s], api_id, suite=suite)
    signature = blind_sign(sk, pk, commitment, HEADER, messages, api_id, suite=suite)
    with pytest.raises(ValueError):
        blind_proof_gen(
            pk, signature, HEADER, PH, messages, [s], prover_blind, [4], api_id, suite=suite
        )
    gens = signature_generators(len(messages), 1, api_id, suite)
    full = signed_messages(messages, prover_blind, [s])
    proof = core_proof_gen(pk, signature, gens, HEADER, PH, full, [4], api_id, suite=suite)
    assert not blind_proof_verify(
        pk, proof, HEADER, PH, 4, 1, [prover_blind], [4], api_id, suite=suite
    )


def test_api_id_must_match_suite() -> None:
    with pytest.raises(ValueError):
        commit([1], blind_api_id(SHAKE256), suite=SHA256)

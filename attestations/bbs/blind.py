"""Blind issuance: the structure of draft-irtf-cfrg-bbs-blind-signatures (-02 and its
editor's copy; formerly draft-kalos-bbs-blind-signatures), on scalars.

LOW LEVEL (see `attestations.bbs.core`). The holder commits to messages the issuer must not
see (for Cartera exactly one, the holder secret `s`); the issuer checks the commitment's
proof of knowledge and signs its own messages plus the commitment; the holder verifies the
result and can then prove with the ordinary core proof operations.

    holder:  (commitment_with_proof, secret_prover_blind) = commit([s], api_id)
    issuer:  signature = blind_sign(SK, PK, commitment_with_proof, header, messages, api_id)
    holder:  verify_blind_sign(PK, signature, header, messages, [s], secret_prover_blind,
                               api_id)

The signed vector is [m_1, ..., m_L, secret_prover_blind, c_1, ..., c_M] over the generators
(Q_1, H_1, ..., H_L, Q_2, J_1, ..., J_M) = `signature_generators(L, M, api_id)`, where
(Q_2, J_1, ..., J_M) = create_generators(M + 1, "BLIND_" || api_id). With M = 1 the holder
secret is the last signed message, as DESIGN.md requires. `api_id` is the blind Interface's
`ciphersuite_id || "BLIND_H2G_HM2S_"` (`blind_api_id`).

Commit (CoreCommit): C = Q_2 * secret_prover_blind + J_1 * c_1 + ... + J_M * c_M with a
fresh secret_prover_blind each time (two commitments to one `s` are unlinkable, and C
hides `s` perfectly), and a Schnorr proof (s^, m^_1, ..., m^_M, challenge) whose challenge
hashes (M, Q_2, J_1, ..., J_M, C, Cbar) with dst api_id || "H2S_".

Deviations from the draft, all deliberate:
- messages are scalars (the draft's Interface maps octet strings itself);
- a commitment is mandatory (the draft lets BlindSign run without one) and must hold at
  least one committed message;
- FinalizeBlindSign computes `domain` before B (the draft text uses domain in B_calculate
  before defining it) and e = hash_to_scalar(SK || B || domain, api_id || "H2S_");
- no signer_blind, and no committed disclosure in proofs (not needed here).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from attestations.bbs.core import calculate_b, check_api_id, core_verify, sign_b
from attestations.bbs.proof import core_proof_gen, core_proof_verify
from attestations.bbs.serialization import i2osp, os2ip, scalar_octets, signature_to_octets
from attestations.bbs.suites import SHA256, Ciphersuite
from attestations.bbs.utilities import (
    Generators,
    RandomScalars,
    calculate_domain,
    calculate_random_scalars,
    create_generators,
    hash_to_scalar,
)
from attestations.curve import G1, R, check_scalar
from attestations.errors import DecodeError, InvalidProof

__all__ = [
    "CommitmentWithProof",
    "blind_api_id",
    "blind_generators",
    "blind_proof_gen",
    "blind_proof_verify",
    "blind_sign",
    "calculate_blind_challenge",
    "commit",
    "core_commit_verify",
    "octets_to_commitment_with_proof",
    "signature_generators",
    "signed_messages",
    "verify_blind_sign",
]


class CommitmentWithProof(NamedTuple):
    """A decoded commitment C with its proof (s^, (m^_1, ..., m^_M), challenge)."""

    C: G1
    s_hat: int
    m_hats: tuple[int, ...]
    challenge: int

    def to_octets(self) -> bytes:
        return self.C.to_bytes() + scalar_octets(self.s_hat, *self.m_hats, self.challenge)


def blind_api_id(suite: Ciphersuite = SHA256) -> bytes:
    """The blind Interface's api_id: ciphersuite_id || "BLIND_H2G_HM2S_"."""
    return suite.ciphersuite_id + b"BLIND_H2G_HM2S_"


def blind_generators(count: int, api_id: bytes, suite: Ciphersuite = SHA256) -> Generators:
    """(Q_2, J_1, ..., J_{count-1}) = create_generators(count, "BLIND_" || api_id)."""
    return create_generators(count, b"BLIND_" + api_id, suite)


def signature_generators(
    issuer_count: int, committed_count: int, api_id: bytes, suite: Ciphersuite = SHA256
) -> Generators:
    """(Q_1, H_1, ..., H_L, Q_2, J_1, ..., J_M) for L issuer and M committed messages."""
    return _signature_generators(suite.resolved(), bytes(api_id), issuer_count, committed_count)


@lru_cache(maxsize=128)
def _signature_generators(suite: Ciphersuite, api_id: bytes, n: int, m: int) -> Generators:
    return create_generators(n + 1, api_id, suite) + blind_generators(m + 1, api_id, suite)


def signed_messages(
    messages: Sequence[int], secret_prover_blind: int, committed_messages: Sequence[int]
) -> list[int]:
    """The scalar vector a blind signature signs: [m_1..m_L, secret_prover_blind, c_1..c_M]."""
    return [*messages, secret_prover_blind, *committed_messages]


def calculate_blind_challenge(
    c: G1, cbar: G1, generators: Generators, api_id: bytes, *, suite: Ciphersuite = SHA256
) -> int:
    """Blind Challenge Calculation: hash (M, Q_2, J_1, ..., J_M, C, Cbar)."""
    c_octs = i2osp(len(generators) - 1, 8) + generators.octets + c.to_bytes() + cbar.to_bytes()
    return hash_to_scalar(c_octs, api_id + b"H2S_", suite)


def commit(
    committed_messages: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
    rng: RandomScalars = calculate_random_scalars,
) -> tuple[bytes, int]:
    """Commit / CoreCommit: (commitment_with_proof octets, secret_prover_blind)."""
    check_api_id(api_id, suite)
    msgs = [check_scalar(m) for m in committed_messages]
    gens = blind_generators(len(msgs) + 1, api_id, suite)
    prover_blind, s_t, *m_t = (check_scalar(x) for x in rng(len(msgs) + 2))
    if prover_blind == 0:
        raise ValueError("commit: zero secret_prover_blind (bad randomness)")
    g1 = suite.curve.g1_msm
    c = g1(gens.points, [prover_blind, *msgs])
    cbar = g1(gens.points, [s_t, *m_t])
    ch = calculate_blind_challenge(c, cbar, gens, api_id, suite=suite)
    hats = tuple((mt + m * ch) % R for mt, m in zip(m_t, msgs, strict=True))
    proof = CommitmentWithProof(c, (s_t + prover_blind * ch) % R, hats, ch)
    return proof.to_octets(), prover_blind


def octets_to_commitment_with_proof(
    octets: bytes, suite: Ciphersuite = SHA256
) -> CommitmentWithProof:
    """Octets to Commitment with Proof: C (not the identity) then scalars in [1, r)."""
    pl, sl = suite.octet_point_length, suite.octet_scalar_length
    data = bytes(octets)
    if len(data) < pl + 2 * sl or (len(data) - pl) % sl:
        raise DecodeError("commitment: wrong length")
    c = suite.curve.g1_from_bytes(data[:pl])
    if c.is_identity():
        raise DecodeError("commitment: identity point")
    scalars = [os2ip(data[i : i + sl]) for i in range(pl, len(data), sl)]
    if any(not 0 < s < R for s in scalars):
        raise DecodeError("commitment: scalar not in [1, r)")
    return CommitmentWithProof(c, scalars[0], tuple(scalars[1:-1]), scalars[-1])


def core_commit_verify(
    commitment: CommitmentWithProof,
    generators: Generators,
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> bool:
    """CoreCommitVerify: Cbar = Q_2 * s^ + sum J_i * m^_i - C * challenge must rehash to
    the challenge."""
    if len(generators) != len(commitment.m_hats) + 1:
        return False
    cbar = suite.curve.g1_msm(
        [*generators.points, commitment.C],
        [commitment.s_hat, *commitment.m_hats, (-commitment.challenge) % R],
    )
    expected = calculate_blind_challenge(commitment.C, cbar, generators, api_id, suite=suite)
    return expected == commitment.challenge


def blind_sign(
    sk: int,
    pk: bytes,
    commitment_with_proof: bytes,
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> bytes:
    """BlindSign + FinalizeBlindSign. Raises `DecodeError` for a malformed commitment and
    `InvalidProof` when its proof of knowledge does not verify."""
    # 1. Decode the commitment; M committed messages follow from its length.
    check_api_id(api_id, suite)
    if not 0 < sk < R:
        raise ValueError("blind_sign: secret key out of range (0, r)")
    com = octets_to_commitment_with_proof(commitment_with_proof, suite)
    count = len(com.m_hats)
    if count < 1:
        raise DecodeError("commitment: commits to no message")
    # 2. Check the proof of knowledge of the commitment's opening.
    if not core_commit_verify(com, blind_generators(count + 1, api_id, suite), api_id, suite=suite):
        raise InvalidProof("commitment: proof of knowledge does not verify")
    # 3. domain over all generators; B = P1 + Q_1 * domain + sum H_i * m_i + C.
    gens = signature_generators(len(messages), count, api_id, suite)
    domain = calculate_domain(pk, gens, header, api_id, suite)
    issuer_gens = Generators(gens.points[: len(messages) + 1])
    b = calculate_b(issuer_gens, domain, messages, suite) + com.C
    # 4. e = hash_to_scalar(SK || B || domain); A = B * 1 / (SK + e).
    e_octs = scalar_octets(sk) + b.to_bytes() + scalar_octets(domain)
    e = hash_to_scalar(e_octs, api_id + b"H2S_", suite)
    return signature_to_octets(sign_b(sk, b, e))


def verify_blind_sign(
    pk: bytes,
    signature: bytes,
    header: bytes,
    messages: Sequence[int],
    committed_messages: Sequence[int],
    secret_prover_blind: int,
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> bool:
    """Blind Signature Verification: CoreVerify over the full signed vector."""
    gens = signature_generators(len(messages), len(committed_messages), api_id, suite)
    full = signed_messages(messages, secret_prover_blind, committed_messages)
    return core_verify(pk, signature, gens, header, full, api_id, suite=suite)


def blind_proof_gen(
    pk: bytes,
    signature: bytes,
    header: bytes,
    ph: bytes,
    messages: Sequence[int],
    committed_messages: Sequence[int],
    secret_prover_blind: int,
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
    rng: RandomScalars = calculate_random_scalars,
) -> bytes:
    """CoreProofGen over the full signed vector; `disclosed_indexes` index that vector and
    may never name secret_prover_blind (index L)."""
    if len(messages) in disclosed_indexes:
        raise ValueError("blind_proof_gen: secret_prover_blind is never disclosed")
    gens = signature_generators(len(messages), len(committed_messages), api_id, suite)
    full = signed_messages(messages, secret_prover_blind, committed_messages)
    return core_proof_gen(
        pk, signature, gens, header, ph, full, disclosed_indexes, api_id, suite=suite, rng=rng
    )


def blind_proof_verify(
    pk: bytes,
    proof: bytes,
    header: bytes,
    ph: bytes,
    issuer_count: int,
    committed_count: int,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> bool:
    """CoreProofVerify for a blind signature of L = `issuer_count` issuer messages and
    M = `committed_count` committed ones."""
    if issuer_count in disclosed_indexes or min(issuer_count, committed_count) < 0:
        return False
    gens = signature_generators(issuer_count, committed_count, api_id, suite)
    return core_proof_verify(
        pk, proof, gens, header, ph, disclosed_messages, disclosed_indexes, api_id, suite=suite
    )

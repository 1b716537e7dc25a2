"""Core proof operations of draft-irtf-cfrg-bbs-signatures-06/07 §3.6.3-§3.6.4 and §3.7.

LOW LEVEL (see `attestations.bbs.core`). ProofGen is split as the draft splits it, and every
piece is public so that extensions (blind issuance, pseudonyms, predicates) can add their
own terms to the same Fiat-Shamir challenge:

    CoreProofGen   = proof_init -> proof_challenge_calculate -> proof_finalize
    CoreProofVerify = octets_to_proof -> proof_verify_init -> proof_challenge_calculate
                      -> compare challenges -> pairing check

`proof_challenge_calculate` takes, beyond the draft's inputs, `extra_points` (G1 points an
extension appends after `domain`) and `extra_octets` (bytes appended after those points,
length-prefixed), both before the presentation header. With neither it is exactly the
draft's challenge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from attestations.bbs.core import calculate_b, check_api_id
from attestations.bbs.serialization import (
    Proof,
    Signature,
    i2osp,
    octets_to_proof,
    octets_to_pubkey,
    octets_to_signature,
    proof_to_octets,
    scalar_octets,
)
from attestations.bbs.suites import SHA256, Ciphersuite
from attestations.bbs.utilities import (
    Generators,
    RandomScalars,
    calculate_domain,
    calculate_random_scalars,
    hash_to_scalar,
)
from attestations.curve import G1, R, check_scalar
from attestations.errors import AttestationError

__all__ = [
    "ProofInitResult",
    "core_proof_gen",
    "core_proof_verify",
    "proof_challenge_calculate",
    "proof_finalize",
    "proof_init",
    "proof_verify_init",
    "undisclosed_indexes",
]


class ProofInitResult(NamedTuple):
    """init_res of §3.7.1 / §3.7.3: (Abar, Bbar, D, T1, T2, domain)."""

    Abar: G1
    Bbar: G1
    D: G1
    T1: G1
    T2: G1
    domain: int


def undisclosed_indexes(disclosed_indexes: Sequence[int], length: int) -> list[int]:
    """(0, ..., L - 1) minus `disclosed_indexes`, after checking that those are strictly
    ascending and within [0, L - 1] (ValueError otherwise)."""
    previous = -1
    for i in disclosed_indexes:
        if not previous < i < length:
            raise ValueError("disclosed indexes must be strictly ascending, within [0, L - 1]")
        previous = i
    disclosed = set(disclosed_indexes)
    return [j for j in range(length) if j not in disclosed]


def proof_init(
    pk: bytes,
    signature: Signature,
    generators: Generators | Sequence[G1],
    random_scalars: Sequence[int],
    header: bytes,
    messages: Sequence[int],
    undisclosed: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> ProofInitResult:
    """§3.7.1 ProofInit: randomize the signature and commit to the hidden messages."""
    gens = Generators.of(generators)
    if len(random_scalars) != len(undisclosed) + 5:
        raise ValueError("ProofInit: need exactly U + 5 random scalars")
    if any(not 0 <= j < len(messages) for j in undisclosed):
        raise ValueError("ProofInit: undisclosed index out of range")
    r1, r2, e_t, r1_t, r3_t, *m_t = (check_scalar(x) for x in random_scalars)
    a, e = signature
    g1 = suite.curve.g1_msm
    domain = calculate_domain(pk, gens, header, api_id, suite)
    d = calculate_b(gens, domain, messages, suite, scale=r2)  # D = B * r2
    abar = a * (r1 * r2 % R)
    bbar = g1([d, abar], [r1, (-e) % R])
    t1 = g1([abar, d], [e_t, r1_t])
    t2 = g1([d, *(gens.H[j] for j in undisclosed)], [r3_t, *m_t])
    return ProofInitResult(abar, bbar, d, t1, t2, domain)


def proof_challenge_calculate(
    init_res: ProofInitResult,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    ph: bytes,
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
    extra_points: Sequence[G1] = (),
    extra_octets: bytes = b"",
) -> int:
    """§3.7.4 ProofChallengeCalculate, plus an extension's `extra_points` after `domain` and
    then, when not empty, I2OSP(len(extra_octets), 8) || extra_octets."""
    if len(disclosed_messages) != len(disclosed_indexes):
        raise ValueError("ProofChallengeCalculate: one disclosed message per index")
    c_octs = [i2osp(len(disclosed_indexes), 8)]
    for i, msg in zip(disclosed_indexes, disclosed_messages, strict=True):
        c_octs += [i2osp(i, 8), scalar_octets(msg)]
    abar, bbar, d, t1, t2, domain = init_res
    c_octs += [p.to_bytes() for p in (abar, bbar, d, t1, t2)]
    c_octs.append(scalar_octets(domain))
    c_octs += [p.to_bytes() for p in extra_points]
    if extra_octets:
        c_octs += [i2osp(len(extra_octets), 8), bytes(extra_octets)]
    c_octs += [i2osp(len(ph), 8), bytes(ph)]
    return hash_to_scalar(b"".join(c_octs), api_id + b"H2S_", suite)


def proof_finalize(
    init_res: ProofInitResult,
    challenge: int,
    e_value: int,
    random_scalars: Sequence[int],
    undisclosed_messages: Sequence[int],
) -> bytes:
    """§3.7.2 ProofFinalize: the responses, serialized with `proof_to_octets`."""
    if len(random_scalars) != len(undisclosed_messages) + 5:
        raise ValueError("ProofFinalize: need exactly U + 5 random scalars")
    r1, r2, e_t, r1_t, r3_t, *m_t = random_scalars
    r3 = pow(r2, -1, R)
    c = challenge
    hats = tuple((mt + m * c) % R for mt, m in zip(m_t, undisclosed_messages, strict=True))
    proof = Proof(
        init_res.Abar,
        init_res.Bbar,
        init_res.D,
        (e_t + e_value * c) % R,
        (r1_t - r1 * c) % R,
        (r3_t - r3 * c) % R,
        hats,
        c,
    )
    return proof_to_octets(proof)


def proof_verify_init(
    pk: bytes,
    proof: Proof,
    generators: Generators | Sequence[G1],
    header: bytes,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> ProofInitResult:
    """§3.7.3 ProofVerifyInit: recompute T1 and T2 from the responses (ValueError when the
    inputs do not fit together)."""
    gens = Generators.of(generators)
    length = len(proof.commitments) + len(disclosed_indexes)
    hidden = undisclosed_indexes(disclosed_indexes, length)
    if len(disclosed_messages) != len(disclosed_indexes) or len(gens) != length + 1:
        raise ValueError("ProofVerifyInit: messages, indexes and generators do not match")
    c = proof.challenge
    g1 = suite.curve.g1_msm
    domain = calculate_domain(pk, gens, header, api_id, suite)
    t1 = g1([proof.Bbar, proof.Abar, proof.D], [c, proof.e_hat, proof.r1_hat])
    # T2 = Bv * c + D * r3^ + sum H_j * m^_j, with Bv = P1 + Q_1 * domain + sum H_i * msg_i
    # expanded so that T2 is a single multi-scalar product.
    points = [suite.P1, gens.Q_1, proof.D]
    scalars = [c, domain * c % R, proof.r3_hat]
    for i, msg in zip(disclosed_indexes, disclosed_messages, strict=True):
        points.append(gens.H[i])
        scalars.append(check_scalar(msg) * c % R)
    points += (gens.H[j] for j in hidden)
    scalars += proof.commitments
    t2 = g1(points, scalars)
    return ProofInitResult(proof.Abar, proof.Bbar, proof.D, t1, t2, domain)


def core_proof_gen(
    pk: bytes,
    signature: bytes,
    generators: Generators | Sequence[G1],
    header: bytes,
    ph: bytes,
    messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
    rng: RandomScalars = calculate_random_scalars,
) -> bytes:
    """§3.6.3 CoreProofGen. `rng(count)` supplies the random scalars (the draft's
    calculate_random_scalars); tests pass the draft's seeded scalars to replay fixtures."""
    check_api_id(api_id, suite)
    sig = octets_to_signature(signature, suite)
    hidden = undisclosed_indexes(disclosed_indexes, len(messages))
    random_scalars = list(rng(5 + len(hidden)))
    init_res = proof_init(
        pk, sig, generators, random_scalars, header, messages, hidden, api_id, suite=suite
    )
    disclosed = [messages[i] for i in disclosed_indexes]
    challenge = proof_challenge_calculate(
        init_res, disclosed, disclosed_indexes, ph, api_id, suite=suite
    )
    undisclosed = [messages[j] for j in hidden]
    return proof_finalize(init_res, challenge, sig.e, random_scalars, undisclosed)


def core_proof_verify(
    pk: bytes,
    proof: bytes,
    generators: Generators | Sequence[G1],
    header: bytes,
    ph: bytes,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> bool:
    """§3.6.4 CoreProofVerify: True iff `proof` is valid; False for any invalid input."""
    check_api_id(api_id, suite)
    try:
        # Deserialization 1-5: decode the proof and W.
        decoded = octets_to_proof(proof, suite)
        w = octets_to_pubkey(pk, suite)
        # Procedure 1-2: recompute (Abar, Bbar, D, T1, T2, domain).
        init_res = proof_verify_init(
            pk,
            decoded,
            generators,
            header,
            disclosed_messages,
            disclosed_indexes,
            api_id,
            suite=suite,
        )
        # Procedure 3-5: the challenge must match.
        challenge = proof_challenge_calculate(
            init_res, disclosed_messages, disclosed_indexes, ph, api_id, suite=suite
        )
        if challenge != decoded.challenge:
            return False
        # Procedure 6: h(Abar, W) * h(Bbar, -BP2) == Identity_GT.
        return suite.curve.pairing_check([(decoded.Abar, w), (decoded.Bbar, -suite.BP2)])
    except (AttestationError, ValueError):
        return False

"""BBS proofs with a per-verifier pseudonym, modelled on
draft-irtf-cfrg-bbs-per-verifier-linkability (-02; formerly draft-kalos-...), on scalars.

LOW LEVEL (see `attestations.bbs.core`). The prover holds a signature whose message at
`secret_index` is a secret `s` it never discloses. For a verifier's base point B_v (the
caller computes B_v = hash_to_G1(verifier_id, DST); this module only takes the point), the
proof reveals the pseudonym P_v = s * B_v and proves that P_v uses the signed `s`:

- ProofInit runs unchanged, so m~_s, the blinding the BBS proof uses for `s`, is fixed;
- U = B_v * m~_s is a Schnorr commitment for P_v with the SAME m~_s;
- the challenge is the draft's ProofChallengeCalculate with (P_v, B_v, U) appended after
  `domain`, so the pseudonym and its base are bound to the proof;
- the verifier recomputes U = B_v * m^_s - P_v * c from the response m^_s already in the BBS
  proof. A pseudonym with another `s`, or under another base, changes U and the challenge.

Hooks for proofs about other hidden messages (attestations.predicates links a Pedersen
commitment to a hidden message this way): the prover may fix the blinding m~_j of chosen
undisclosed messages (`blindings`) and append its own `extra_points` and `extra_octets`
to the challenge after (P_v, B_v, U); the verifier passes the same extras, recomputed from
the decoded proof's challenge and responses (it may pass that decoded `Proof` instead of
octets so as to decode once).

The proof octets have exactly the BBS proof layout (§4.2.4.4); the pseudonym travels
beside them as a 48-byte compressed point. Deviations from the draft: the base point comes
from the caller (the draft hashes a context id itself), the prover secret is an ordinary
signed message at any undisclosed index (no signer-contributed share in it), the challenge
keeps the base draft's dst, and there is one pseudonym per proof.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from attestations.bbs.core import check_api_id
from attestations.bbs.proof import (
    proof_challenge_calculate,
    proof_finalize,
    proof_init,
    proof_verify_init,
    undisclosed_indexes,
)
from attestations.bbs.serialization import (
    Proof,
    octets_to_proof,
    octets_to_pubkey,
    octets_to_signature,
)
from attestations.bbs.suites import SHA256, Ciphersuite
from attestations.bbs.utilities import (
    Generators,
    RandomScalars,
    calculate_random_scalars,
    create_generators,
)
from attestations.curve import G1, R, check_scalar
from attestations.errors import AttestationError

__all__ = ["calculate_pseudonym", "proof_gen_with_pseudonym", "proof_verify_with_pseudonym"]


def calculate_pseudonym(secret: int, base: G1) -> G1:
    """P_v = s * B_v (ValueError for a zero secret or an identity base)."""
    if check_scalar(secret) == 0 or base.is_identity():
        raise ValueError("pseudonym: secret must be non-zero and base not the identity")
    return base * secret


def proof_gen_with_pseudonym(
    pk: bytes,
    signature: bytes,
    header: bytes,
    presentation_header: bytes,
    messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    *,
    secret_index: int,
    base: G1,
    api_id: bytes,
    generators: Generators | Sequence[G1] | None = None,
    suite: Ciphersuite = SHA256,
    rng: RandomScalars = calculate_random_scalars,
    blindings: Mapping[int, int] | None = None,
    extra_points: Sequence[G1] = (),
    extra_octets: bytes = b"",
) -> tuple[bytes, bytes]:
    """CoreProofGen extended with P_v = messages[secret_index] * base: (proof, pseudonym).

    `generators` defaults to create_generators(L + 1, api_id); a blindly issued signature
    passes `blind.signature_generators(...)` instead. `blindings` maps undisclosed indexes
    to the m~ the proof must use for them (fresh uniform scalars, or the proof is not
    zero-knowledge); `extra_points` and `extra_octets` go into the challenge.
    """
    check_api_id(api_id, suite)
    if generators is None:
        generators = create_generators(len(messages) + 1, api_id, suite)
    sig = octets_to_signature(signature, suite)
    hidden = undisclosed_indexes(disclosed_indexes, len(messages))
    if secret_index not in hidden:
        raise ValueError("proof_gen_with_pseudonym: the secret must be an undisclosed message")
    pseudonym = calculate_pseudonym(messages[secret_index], base)
    random_scalars = list(rng(5 + len(hidden)))
    for j, m_tilde in (blindings or {}).items():
        if j not in hidden:
            raise ValueError("proof_gen_with_pseudonym: a blinding for a disclosed message")
        random_scalars[5 + hidden.index(j)] = check_scalar(m_tilde)
    init_res = proof_init(
        pk, sig, generators, random_scalars, header, messages, hidden, api_id, suite=suite
    )
    u = base * random_scalars[5 + hidden.index(secret_index)]
    challenge = proof_challenge_calculate(
        init_res,
        [messages[i] for i in disclosed_indexes],
        disclosed_indexes,
        presentation_header,
        api_id,
        suite=suite,
        extra_points=(pseudonym, base, u, *extra_points),
        extra_octets=extra_octets,
    )
    undisclosed = [messages[j] for j in hidden]
    proof = proof_finalize(init_res, challenge, sig.e, random_scalars, undisclosed)
    return proof, pseudonym.to_bytes()


def proof_verify_with_pseudonym(
    pk: bytes,
    proof: bytes | Proof,
    pseudonym: bytes,
    header: bytes,
    presentation_header: bytes,
    disclosed_messages: Sequence[int],
    disclosed_indexes: Sequence[int],
    *,
    secret_index: int,
    base: G1,
    api_id: bytes,
    generators: Generators | Sequence[G1] | None = None,
    suite: Ciphersuite = SHA256,
    extra_points: Sequence[G1] = (),
    extra_octets: bytes = b"",
) -> bool:
    """CoreProofVerify extended with the pseudonym check; False for any invalid input.

    `generators` defaults to create_generators(U + R + 1, api_id), U read from the proof.
    `extra_points` and `extra_octets` must be what the prover put into the challenge.
    """
    check_api_id(api_id, suite)
    try:
        # 1. Decode the proof, W and P_v (not the identity); the base must not be either.
        decoded = proof if isinstance(proof, Proof) else octets_to_proof(proof, suite)
        w = octets_to_pubkey(pk, suite)
        p_v = suite.curve.g1_from_bytes(bytes(pseudonym))
        if p_v.is_identity() or base.is_identity():
            return False
        # 2. The secret must be hidden: find its response m^_s among the commitments.
        length = len(decoded.commitments) + len(disclosed_indexes)
        hidden = undisclosed_indexes(disclosed_indexes, length)
        if secret_index not in hidden:
            return False
        m_hat = decoded.commitments[hidden.index(secret_index)]
        if generators is None:
            generators = create_generators(length + 1, api_id, suite)
        # 3. Recompute the BBS init values and U = B_v * m^_s - P_v * c.
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
        u = suite.curve.g1_msm([base, p_v], [m_hat, (-decoded.challenge) % R])
        # 4. The challenge over init values, (P_v, B_v, U) and ph must match.
        challenge = proof_challenge_calculate(
            init_res,
            disclosed_messages,
            disclosed_indexes,
            presentation_header,
            api_id,
            suite=suite,
            extra_points=(p_v, base, u, *extra_points),
            extra_octets=extra_octets,
        )
        if challenge != decoded.challenge:
            return False
        # 5. h(Abar, W) * h(Bbar, -BP2) == Identity_GT.
        return suite.curve.pairing_check([(decoded.Abar, w), (decoded.Bbar, -suite.BP2)])
    except (AttestationError, ValueError):
        return False

"""BBS signatures exactly as draft-irtf-cfrg-bbs-signatures-06/07, with blind issuance and
per-verifier pseudonyms. LOW LEVEL: raw draft operations with every knob; applications use
`attestations.credentials`, which builds safe issue / present / verify recipes on top.

    >>> from attestations.bbs import SHA256, key_gen, sk_to_pk, sign, verify
    >>> from attestations.bbs import proof_gen, proof_verify
    >>> sk = key_gen(b"k" * 32, b"example")
    >>> pk = sk_to_pk(sk)
    >>> msgs = [b"Ada", b"1815-12-10", b"London"]
    >>> sig = sign(sk, pk, b"hdr", msgs)
    >>> verify(pk, sig, b"hdr", msgs)
    True
    >>> proof = proof_gen(pk, sig, b"hdr", b"nonce", msgs, [0, 2])
    >>> proof_verify(pk, proof, b"hdr", b"nonce", [b"Ada", b"London"], [0, 2])
    True

Layout:
- the octet API of §3.3-§3.4: `key_gen`, `sk_to_pk`, `sign`, `verify`, `proof_gen`,
  `proof_verify`, and the ciphersuites `SHA256` (default) and `SHAKE256`;
- the core operations on scalars (§3.6-§3.7): `core_sign`, `core_verify`, `proof_init`,
  `proof_challenge_calculate`, `proof_finalize`, `proof_verify_init`, `core_proof_gen`,
  `core_proof_verify`, with the utilities `create_generators`, `messages_to_scalars`,
  `hash_to_scalar`, `calculate_domain`, `calculate_random_scalars`, `seeded_random_scalars`;
- `attestations.bbs.blind` (blind issuance) and `attestations.bbs.pseudonym` (proofs
  carrying a per-verifier pseudonym).

The curve backend is part of the suite: `SHA256.with_backend("pyecc")` computes the same
ciphersuite on the pure-Python reference backend.
"""

from attestations.bbs.core import core_sign, core_verify
from attestations.bbs.interface import key_gen, proof_gen, proof_verify, sign, sk_to_pk, verify
from attestations.bbs.proof import (
    ProofInitResult,
    core_proof_gen,
    core_proof_verify,
    proof_challenge_calculate,
    proof_finalize,
    proof_init,
    proof_verify_init,
)
from attestations.bbs.serialization import (
    Proof,
    Signature,
    octets_to_proof,
    octets_to_pubkey,
    octets_to_signature,
)
from attestations.bbs.suites import SHA256, SHAKE256, Ciphersuite
from attestations.bbs.utilities import (
    Generators,
    RandomScalars,
    calculate_domain,
    calculate_random_scalars,
    create_generators,
    hash_to_scalar,
    messages_to_scalars,
    seeded_random_scalars,
)

__all__ = [
    "SHA256",
    "SHAKE256",
    "Ciphersuite",
    "Generators",
    "Proof",
    "ProofInitResult",
    "RandomScalars",
    "Signature",
    "calculate_domain",
    "calculate_random_scalars",
    "core_proof_gen",
    "core_proof_verify",
    "core_sign",
    "core_verify",
    "create_generators",
    "hash_to_scalar",
    "key_gen",
    "messages_to_scalars",
    "octets_to_proof",
    "octets_to_pubkey",
    "octets_to_signature",
    "proof_challenge_calculate",
    "proof_finalize",
    "proof_gen",
    "proof_init",
    "proof_verify",
    "proof_verify_init",
    "seeded_random_scalars",
    "sign",
    "sk_to_pk",
    "verify",
]

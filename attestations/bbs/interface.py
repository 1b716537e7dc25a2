"""Key generation (§3.3) and the BBS Signatures Interface (§3.4) of
draft-irtf-cfrg-bbs-signatures-06/07: octet strings in, octet strings out.

Each Interface operation maps the messages to scalars with `messages_to_scalars`, creates
the generators for `suite.api_id` and calls the matching core operation. `verify` and
`proof_verify` return False for any invalid or malformed input and never raise on bad
bytes; the signing side raises `ValueError` on caller mistakes and `DecodeError` on a
malformed signature handed to `proof_gen`.
"""

from __future__ import annotations

from collections.abc import Sequence

from attestations.bbs.core import core_sign, core_verify
from attestations.bbs.proof import core_proof_gen, core_proof_verify
from attestations.bbs.serialization import i2osp, os2ip
from attestations.bbs.suites import SHA256, Ciphersuite
from attestations.bbs.utilities import (
    RandomScalars,
    calculate_random_scalars,
    create_generators,
    hash_to_scalar,
    messages_to_scalars,
)
from attestations.curve import R
from attestations.errors import AttestationError

__all__ = ["key_gen", "proof_gen", "proof_verify", "sign", "sk_to_pk", "verify"]


def key_gen(
    key_material: bytes,
    key_info: bytes = b"",
    key_dst: bytes | None = None,
    suite: Ciphersuite = SHA256,
) -> bytes:
    """§3.3.1 KeyGen: a 32-byte secret key derived from >= 32 bytes of secret key material.

    `key_dst` defaults, as the draft says, to `ciphersuite_id || "KEYGEN_DST_"`. (The draft's
    test vectors pass `api_id || "KEYGEN_DST_"` explicitly.)
    """
    if len(key_material) < 32:
        raise ValueError("key_gen: key_material must be at least 32 bytes")
    if len(key_info) > 65535:
        raise ValueError("key_gen: key_info longer than 65535 bytes")
    if key_dst is None:
        key_dst = suite.ciphersuite_id + b"KEYGEN_DST_"
    derive_input = bytes(key_material) + i2osp(len(key_info), 2) + bytes(key_info)
    sk = hash_to_scalar(derive_input, key_dst, suite)
    if sk == 0:
        raise ValueError("key_gen: derived a zero secret key; use other key material")
    return i2osp(sk, suite.octet_scalar_length)


def _secret_key(sk: bytes, suite: Ciphersuite) -> int:
    value = os2ip(sk)
    if len(sk) != suite.octet_scalar_length or not 0 < value < R:
        raise ValueError("secret key must be 32 bytes encoding an integer in (0, r)")
    return value


def sk_to_pk(sk: bytes, suite: Ciphersuite = SHA256) -> bytes:
    """§3.3.2 SkToPk: W = SK * BP2, 96-byte compressed."""
    return (suite.BP2 * _secret_key(sk, suite)).to_bytes()


def sign(
    sk: bytes,
    pk: bytes,
    header: bytes,
    messages: Sequence[bytes],
    suite: Ciphersuite = SHA256,
) -> bytes:
    """§3.4.1 Sign: a deterministic 80-byte signature over `header` and `messages`."""
    api_id = suite.api_id
    scalars = messages_to_scalars(messages, api_id, suite)
    generators = create_generators(len(scalars) + 1, api_id, suite)
    return core_sign(_secret_key(sk, suite), pk, generators, header, scalars, api_id, suite=suite)


def verify(
    pk: bytes,
    signature: bytes,
    header: bytes,
    messages: Sequence[bytes],
    suite: Ciphersuite = SHA256,
) -> bool:
    """§3.4.2 Verify: True iff `signature` is valid for `header` and `messages` under `pk`."""
    api_id = suite.api_id
    scalars = messages_to_scalars(messages, api_id, suite)
    generators = create_generators(len(scalars) + 1, api_id, suite)
    return core_verify(pk, signature, generators, header, scalars, api_id, suite=suite)


def proof_gen(
    pk: bytes,
    signature: bytes,
    header: bytes,
    presentation_header: bytes,
    messages: Sequence[bytes],
    disclosed_indexes: Sequence[int],
    suite: Ciphersuite = SHA256,
    *,
    rng: RandomScalars = calculate_random_scalars,
) -> bytes:
    """§3.4.3 ProofGen: a zero-knowledge proof of `signature` disclosing only
    `messages[i]` for i in `disclosed_indexes` (0-based, strictly ascending).

    `rng(count)` returns `count` random scalars; the default draws from the OS CSPRNG.
    """
    api_id = suite.api_id
    scalars = messages_to_scalars(messages, api_id, suite)
    generators = create_generators(len(scalars) + 1, api_id, suite)
    return core_proof_gen(
        pk,
        signature,
        generators,
        header,
        presentation_header,
        scalars,
        disclosed_indexes,
        api_id,
        suite=suite,
        rng=rng,
    )


def proof_verify(
    pk: bytes,
    proof: bytes,
    header: bytes,
    presentation_header: bytes,
    disclosed_messages: Sequence[bytes],
    disclosed_indexes: Sequence[int],
    suite: Ciphersuite = SHA256,
) -> bool:
    """§3.4.4 ProofVerify: True iff `proof` shows a valid signature on the disclosed
    messages at `disclosed_indexes`, bound to `header` and `presentation_header`."""
    floor = 3 * suite.octet_point_length + 4 * suite.octet_scalar_length
    extra = len(proof) - floor
    if extra < 0 or extra % suite.octet_scalar_length:
        return False
    count = extra // suite.octet_scalar_length + len(disclosed_indexes)
    api_id = suite.api_id
    try:
        scalars = messages_to_scalars(disclosed_messages, api_id, suite)
        generators = create_generators(count + 1, api_id, suite)
    except (AttestationError, ValueError, TypeError):
        return False
    return core_proof_verify(
        pk,
        proof,
        generators,
        header,
        presentation_header,
        scalars,
        disclosed_indexes,
        api_id,
        suite=suite,
    )

"""Consent signatures: Schnorr signatures by the holder secret `s` on a verifier's base `B_v`.

The public key is the pseudonym `P_v = s·B_v` (see `attestations.pseudonym`), so only the
holder of the credentials behind a pseudonym can grant or revoke consent under it, and the
verifier can tie a grant to a presentation that reveals the same `P_v`.

Signing (Fiat–Shamir over a Σ-protocol for knowledge of `s` with `P_v = s·B_v`):

    k  = nonce in [1, r)            R = k·B_v
    c  = H(B_v ‖ P_v ‖ R ‖ len(m) ‖ m)            (H: see `_challenge`)
    z  = k + c·s mod r              signature = c ‖ z   (2 × 32 bytes, each < r)

Verification recomputes `R' = z·B_v − c·P_v` and accepts iff `H(…R'…) = c`. `z·B_v` comes
from a table of `B_v`'s multiples (`attestations.pseudonym.prepared_base`): a verifier sees
one base for all its grants, and the table makes that half of the check ~5× cheaper.

`H` is expand_message_xmd (RFC 9380 §5.3.1, SHA-256) under a Cartera domain tag, to 48
bytes reduced mod r, so the challenge is uniform in [0, r) and cannot be confused with any
other hash in the system. The nonce is hedged (as BIP-340 does): derived from `s`, the
public key, the message and 32 fresh random bytes, so a broken RNG does not leak `s` and a
fixed RNG gives reproducible test vectors.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from attestations.curve import CurveBackend, R, get_backend
from attestations.curve.base import SCALAR_BYTES
from attestations.curve.hash_to_curve import expand_message_xmd
from attestations.encoding import constant_time_equal
from attestations.errors import DecodeError, InvalidSignature
from attestations.pseudonym import decode_pseudonym, prepared_base, pseudonym_point

__all__ = ["CONSENT_DST", "SIGNATURE_BYTES", "Rng", "sign_consent", "verify_consent"]

#: Domain tag of the Fiat–Shamir challenge.
CONSENT_DST = b"CARTERA-V1-CONSENT-SCHNORR_BLS12381G1_XMD:SHA-256_CHALLENGE_"
_NONCE_DST = b"CARTERA-V1-CONSENT-SCHNORR_BLS12381G1_XMD:SHA-256_NONCE_"
#: Length of an encoded signature: challenge ‖ response.
SIGNATURE_BYTES = 2 * SCALAR_BYTES

#: `rng(n)` returns n random bytes (`os.urandom` unless a test fixes it).
Rng = Callable[[int], bytes]


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def _hash_to_scalar(data: bytes, dst: bytes) -> int:
    return int.from_bytes(expand_message_xmd(data, dst, 48), "big") % R


def _challenge(base: bytes, public: bytes, commitment: bytes, message: bytes) -> int:
    """H over the compressed encodings of B_v, P_v and R, and the message."""
    data = base + public + commitment + _i2osp(len(message), 8) + message
    return _hash_to_scalar(data, CONSENT_DST)


def sign_consent(
    s: int,
    verifier_id: str,
    message: bytes,
    *,
    rng: Rng | None = None,
    backend: CurveBackend | None = None,
) -> bytes:
    """Sign `message` (the canonical bytes of a consent document) under the pseudonym of
    secret `s` at `verifier_id`. `rng(n)` returns n random bytes (default `os.urandom`)."""
    public = pseudonym_point(s, verifier_id, backend=backend).to_bytes()
    base = prepared_base(verifier_id, backend=backend)
    aux = (rng or os.urandom)(32)
    if len(aux) != 32:
        raise ValueError("rng returned the wrong number of bytes")
    seed = _i2osp(s, SCALAR_BYTES) + aux + public + message
    k = int.from_bytes(expand_message_xmd(seed, _NONCE_DST, 48), "big") % (R - 1) + 1
    commitment = base.multiples.times(k).to_bytes()
    c = _challenge(base.encoded, public, commitment, message)
    z = (k + c * s) % R
    return _i2osp(c, SCALAR_BYTES) + _i2osp(z, SCALAR_BYTES)


def _decode_signature(signature: bytes) -> tuple[int, int]:
    if len(signature) != SIGNATURE_BYTES:
        raise DecodeError(f"consent signature: {len(signature)} bytes, want {SIGNATURE_BYTES}")
    c = int.from_bytes(signature[:SCALAR_BYTES], "big")
    z = int.from_bytes(signature[SCALAR_BYTES:], "big")
    if c >= R or z >= R:
        raise DecodeError("consent signature: scalar not below the group order")
    return c, z


def verify_consent(
    pseudonym: bytes,
    verifier_id: str,
    message: bytes,
    signature: bytes,
    *,
    backend: CurveBackend | None = None,
) -> None:
    """Return if `signature` is a consent signature on `message` by the holder of
    `pseudonym` at `verifier_id`; raise `DecodeError` for malformed encodings and
    `InvalidSignature` for anything else."""
    backend = backend or get_backend()
    # 1. Decode: the pseudonym is a non-identity subgroup point (in its one encoding, so
    #    its bytes are what the signer hashed), both scalars are < r.
    public = decode_pseudonym(pseudonym, backend=backend)
    c, z = _decode_signature(signature)
    # 2. Recompute the commitment the signer must have used: R' = z·B_v − c·P_v.
    base = prepared_base(verifier_id, backend=backend)
    commitment = base.multiples.times(z) - public * c
    # 3. The challenge over R' must be the one in the signature.
    expected = _i2osp(
        _challenge(base.encoded, pseudonym, commitment.to_bytes(), message), SCALAR_BYTES
    )
    if not constant_time_equal(expected, signature[:SCALAR_BYTES]):
        raise InvalidSignature("consent signature does not verify")

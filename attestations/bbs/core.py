"""Core signature operations of draft-irtf-cfrg-bbs-signatures-06/07 §3.6.1-§3.6.2, on scalars.

LOW LEVEL. These functions take generators and messages already mapped to scalars, so that
integer and date attributes can stay integers; they are the building blocks of an
Interface (§3.7 "Defining New Interfaces"), not something an application should call
directly. Use `attestations.credentials` (issue / present / verify with schemas) instead.

Conventions of the whole `attestations.bbs` package:

- secret keys and messages are ints in [0, r); out-of-range input to a signing function is
  a caller bug (`ValueError`);
- verification functions return a bool and never raise on malformed bytes;
- `api_id` must start with the suite's ciphersuite id, which catches a suite / api_id mix-up.
"""

from __future__ import annotations

from collections.abc import Sequence

from attestations.bbs.serialization import (
    Signature,
    octets_to_pubkey,
    octets_to_signature,
    scalar_octets,
    signature_to_octets,
)
from attestations.bbs.suites import SHA256, Ciphersuite
from attestations.bbs.utilities import Generators, calculate_domain, hash_to_scalar
from attestations.curve import G1, R, check_scalar
from attestations.errors import AttestationError

__all__ = ["calculate_b", "check_api_id", "core_sign", "core_verify", "sign_b"]


def check_api_id(api_id: bytes, suite: Ciphersuite) -> None:
    """ValueError unless `api_id` belongs to `suite` (starts with its ciphersuite id)."""
    if not bytes(api_id).startswith(suite.ciphersuite_id):
        raise ValueError(f"api_id {bytes(api_id)!r} is not of ciphersuite {suite.ciphersuite_id!r}")


def calculate_b(
    generators: Generators,
    domain: int,
    messages: Sequence[int],
    suite: Ciphersuite,
    *,
    scale: int = 1,
) -> G1:
    """B = P1 + Q_1 * domain + H_1 * msg_1 + ... + H_L * msg_L as one multi-scalar product;
    with `scale`, B * scale in the same product (ProofInit's D = B * r2)."""
    if len(generators) != len(messages) + 1:
        raise ValueError(f"{len(generators)} generators for {len(messages)} messages")
    scalars = [scale, domain * scale % R, *(check_scalar(m) * scale % R for m in messages)]
    return suite.curve.g1_msm([suite.P1, *generators.points], scalars)


def sign_b(sk: int, b: G1, e: int) -> Signature:
    """A = B * (1 / (SK + e)), refusing the (negligible) degenerate cases of §3.6.1's note."""
    if (sk + e) % R == 0 or b.is_identity():
        raise ValueError("CoreSign: degenerate signature (SK + e = 0 or B = Identity_G1)")
    return Signature(b * pow(sk + e, -1, R), e)


def core_sign(
    sk: int,
    pk: bytes,
    generators: Generators | Sequence[G1],
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> bytes:
    """§3.6.1 CoreSign(SK, PK, generators, header, messages, api_id): a deterministic
    signature (A, e) as octets."""
    check_api_id(api_id, suite)
    if not 0 < sk < R:
        raise ValueError("CoreSign: secret key out of range (0, r)")
    gens = Generators.of(generators)
    domain = calculate_domain(pk, gens, header, api_id, suite)
    b = calculate_b(gens, domain, messages, suite)
    e = hash_to_scalar(scalar_octets(sk, *messages, domain), api_id + b"H2S_", suite)
    return signature_to_octets(sign_b(sk, b, e))


def core_verify(
    pk: bytes,
    signature: bytes,
    generators: Generators | Sequence[G1],
    header: bytes,
    messages: Sequence[int],
    api_id: bytes,
    *,
    suite: Ciphersuite = SHA256,
) -> bool:
    """§3.6.2 CoreVerify: True iff `signature` is valid; False for any invalid input."""
    check_api_id(api_id, suite)
    try:
        # Deserialization, steps 1-9: decode (A, e) and W; L + 1 generators.
        a, e = octets_to_signature(signature, suite)
        w = octets_to_pubkey(pk, suite)
        gens = Generators.of(generators)
        if len(gens) != len(messages) + 1:
            return False
        # Procedure 1: domain.
        domain = calculate_domain(pk, gens, header, api_id, suite)
        # Procedure 2-3: h(A, W) * h(A * e - B, BP2) == Identity_GT, with A * e - B as
        # one multi-scalar product over (A, P1, Q_1, H_1, ..., H_L).
        scalars = [e, R - 1, (-domain) % R, *((-check_scalar(m)) % R for m in messages)]
        lhs = suite.curve.g1_msm([a, suite.P1, *gens.points], scalars)
        return suite.curve.pairing_check([(a, w), (lhs, suite.BP2)])
    except (AttestationError, ValueError):
        return False

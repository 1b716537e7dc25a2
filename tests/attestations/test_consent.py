"""Schnorr consent signatures by the holder secret on a verifier's base point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attestations.consent import SIGNATURE_BYTES, sign_consent, verify_consent
from attestations.curve import CurveBackend, R, get_backend
from attestations.errors import DecodeError, InvalidSignature
from attestations.pseudonym import pseudonym

S = 0x5EC12E7_0F_7E57 * 0x1_0000_0001 % R
BIKES = "did:key:z6MkBikes"
LIBRARY = "did:key:z6MkLibrary"
MSG = b'{"purpose":"dpv:ServiceProvision","verifier":"did:key:z6MkBikes"}'


def _fixed(n: int) -> bytes:
    return b"\x07" * n


def test_sign_verify(backend: CurveBackend) -> None:
    sig = sign_consent(S, BIKES, MSG, backend=backend)
    assert len(sig) == SIGNATURE_BYTES
    verify_consent(pseudonym(S, BIKES, backend=backend), BIKES, MSG, sig, backend=backend)


def test_fixed_rng_is_reproducible_and_fresh_rng_is_not() -> None:
    a = sign_consent(S, BIKES, MSG, rng=_fixed)
    assert a == sign_consent(S, BIKES, MSG, rng=_fixed)
    assert sign_consent(S, BIKES, MSG) != sign_consent(S, BIKES, MSG)


def test_backends_agree_on_a_fixed_rng_signature() -> None:
    other = get_backend("pyecc")
    sig = sign_consent(S, BIKES, MSG, rng=_fixed, backend=get_backend("arkworks"))
    assert sig == sign_consent(S, BIKES, MSG, rng=_fixed, backend=other)
    verify_consent(pseudonym(S, BIKES, backend=other), BIKES, MSG, sig, backend=other)


def test_wrong_verifier_message_or_key() -> None:
    sig = sign_consent(S, BIKES, MSG)
    with pytest.raises(InvalidSignature):
        verify_consent(pseudonym(S, LIBRARY), LIBRARY, MSG, sig)
    with pytest.raises(InvalidSignature):
        verify_consent(pseudonym(S, BIKES), LIBRARY, MSG, sig)
    with pytest.raises(InvalidSignature):
        verify_consent(pseudonym(S, BIKES), BIKES, MSG + b" ", sig)
    with pytest.raises(InvalidSignature):
        verify_consent(pseudonym(S + 1, BIKES), BIKES, MSG, sig)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, SIGNATURE_BYTES - 1), st.integers(1, 255))
def test_any_byte_change_fails(index: int, flip: int) -> None:
    sig = bytearray(sign_consent(S, BIKES, MSG, rng=_fixed))
    sig[index] ^= flip
    with pytest.raises((InvalidSignature, DecodeError)):
        verify_consent(pseudonym(S, BIKES), BIKES, MSG, bytes(sig))


def test_non_canonical_scalars_are_decode_errors() -> None:
    sig = sign_consent(S, BIKES, MSG, rng=_fixed)
    c, z = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    public = pseudonym(S, BIKES)
    if c + R < 2**256:
        # The same challenge plus r would verify if scalars were reduced instead of checked.
        with pytest.raises(DecodeError):
            verify_consent(public, BIKES, MSG, (c + R).to_bytes(32, "big") + sig[32:])
    if z + R < 2**256:
        with pytest.raises(DecodeError):
            verify_consent(public, BIKES, MSG, sig[:32] + (z + R).to_bytes(32, "big"))
    for bad in (sig[:32] + R.to_bytes(32, "big"), b"\xff" * 32 + sig[32:]):
        with pytest.raises(DecodeError):
            verify_consent(public, BIKES, MSG, bad)


def test_wrong_lengths_and_identity_key() -> None:
    sig = sign_consent(S, BIKES, MSG)
    public = pseudonym(S, BIKES)
    with pytest.raises(DecodeError):
        verify_consent(public, BIKES, MSG, sig[:-1])
    with pytest.raises(DecodeError):
        verify_consent(public, BIKES, MSG, sig + b"\0")
    with pytest.raises(DecodeError):
        verify_consent(public[:-1], BIKES, MSG, sig)
    with pytest.raises(DecodeError):
        verify_consent(get_backend().g1_identity().to_bytes(), BIKES, MSG, sig)


def test_forgery_without_the_secret_fails() -> None:
    # A signature by another secret under the victim's pseudonym must not verify.
    forged = sign_consent(S ^ 1, BIKES, MSG)
    with pytest.raises(InvalidSignature):
        verify_consent(pseudonym(S, BIKES), BIKES, MSG, forged)


def test_all_zero_signature_fails() -> None:
    with pytest.raises(InvalidSignature):
        verify_consent(pseudonym(S, BIKES), BIKES, MSG, bytes(SIGNATURE_BYTES))


def test_bad_rng_is_a_caller_error() -> None:
    with pytest.raises(ValueError):
        sign_consent(S, BIKES, MSG, rng=lambda n: b"short")

"""Per-verifier pseudonyms: stable at one verifier, different across verifiers, strict decoder."""

from __future__ import annotations

import pytest

from attestations.curve import CurveBackend, R
from attestations.curve.hash_to_curve import hash_to_g1
from attestations.errors import DecodeError
from attestations.pseudonym import (
    PSEUDONYM_BYTES,
    PSEUDONYM_DST,
    decode_pseudonym,
    pseudonym,
    pseudonym_point,
    verifier_base,
)

S = 0x1234_5678_9ABC_DEF0_1234_5678_9ABC_DEF0_1234_5678_9ABC_DEF0_1234_5678 % R
BIKES = "did:key:z6MkBikes"
LIBRARY = "did:key:z6MkLibrary"


def test_base_is_hash_to_curve_of_the_identifier(backend: CurveBackend) -> None:
    base = verifier_base(BIKES, backend=backend)
    assert base == hash_to_g1(BIKES.encode(), PSEUDONYM_DST, backend=backend)
    assert not base.is_identity()
    assert base != backend.g1_generator()


def test_same_verifier_same_pseudonym(backend: CurveBackend) -> None:
    p = pseudonym(S, BIKES, backend=backend)
    assert len(p) == PSEUDONYM_BYTES
    assert p == pseudonym(S, BIKES, backend=backend)
    assert p == (verifier_base(BIKES, backend=backend) * S).to_bytes()


def test_different_verifiers_or_secrets_differ(backend: CurveBackend) -> None:
    assert pseudonym(S, BIKES, backend=backend) != pseudonym(S, LIBRARY, backend=backend)
    assert pseudonym(S, BIKES, backend=backend) != pseudonym(S + 1, BIKES, backend=backend)


def test_backends_agree() -> None:
    from attestations.curve import get_backend

    ark, ref = get_backend("arkworks"), get_backend("pyecc")
    assert pseudonym(S, BIKES, backend=ark) == pseudonym(S, BIKES, backend=ref)


def test_decode_round_trip(backend: CurveBackend) -> None:
    point = pseudonym_point(S, LIBRARY, backend=backend)
    assert decode_pseudonym(point.to_bytes(), backend=backend) == point


def test_zero_or_out_of_range_secret_is_a_caller_error() -> None:
    for bad in (0, R, -1):
        with pytest.raises(ValueError):
            pseudonym(bad, BIKES)
    with pytest.raises(ValueError):
        verifier_base("")


def _off_curve() -> bytes:
    # A small x for which x^3 + 4 is not a square mod p: no point of E has it.
    from attestations.curve import P

    for x in range(1, 100):
        if pow((x**3 + 4) % P, (P - 1) // 2, P) != 1:
            data = bytearray(x.to_bytes(48, "big"))
            data[0] |= 0x80
            return bytes(data)
    raise AssertionError("no off-curve x found")


def _outside_subgroup(backend: CurveBackend) -> bytes:
    # A small x for which x^3 + 4 is a square: a point of E, and (the cofactor being about
    # 2^126) not one of the order-r subgroup.
    from attestations.curve import P

    for x in range(1, 100):
        rhs = (x**3 + 4) % P
        if pow(rhs, (P - 1) // 2, P) == 1:
            data = bytearray(x.to_bytes(48, "big"))
            data[0] |= 0x80
            return bytes(data)
    raise AssertionError("no on-curve x found")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda be: b"", id="empty"),
        pytest.param(lambda be: pseudonym(S, BIKES, backend=be)[:-1], id="truncated"),
        pytest.param(lambda be: pseudonym(S, BIKES, backend=be) + b"\0", id="too-long"),
        pytest.param(lambda be: be.g1_identity().to_bytes(), id="identity"),
        pytest.param(lambda be: _off_curve(), id="off-curve"),
        pytest.param(_outside_subgroup, id="wrong-subgroup"),
        pytest.param(
            lambda be: (
                bytes([pseudonym(S, BIKES, backend=be)[0] & 0x7F])
                + pseudonym(S, BIKES, backend=be)[1:]
            ),
            id="uncompressed-flag",
        ),
        pytest.param(lambda be: b"\xc0" + b"\0" * 46 + b"\x01", id="identity-with-stray-bits"),
    ],
)
def test_decode_rejects(backend: CurveBackend, make: object) -> None:
    data = make(backend)  # type: ignore[operator]
    with pytest.raises(DecodeError):
        decode_pseudonym(data, backend=backend)

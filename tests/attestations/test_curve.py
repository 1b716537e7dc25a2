"""The two curve backends: the same cases on each, byte-for-byte agreement between them,
and a decoder that refuses every non-canonical or unsafe encoding (ZCash compressed format).

py-ecc is about a thousand times slower than arkworks, so properties run many examples on
arkworks and a handful on py-ecc; pairings on py-ecc are marked slow.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from py_ecc.bls.point_compression import compress_G2, modular_squareroot_in_FQ2
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.optimized_bls12_381.optimized_curve import b2, is_inf, multiply

from attestations.curve import GT, CurveBackend, P, R, get_backend
from attestations.errors import DecodeError

ARK = get_backend("arkworks")
REF = get_backend("pyecc")

G1_GENERATOR = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
)
G2_GENERATOR = bytes.fromhex(
    "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e"
    "024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
)
G1_INFINITY = b"\xc0" + bytes(47)
G2_INFINITY = b"\xc0" + bytes(95)

scalars = st.integers(min_value=0, max_value=R - 1)


# --- constants, identities, scalar checks (each backend) -------------------------------


def test_generators_have_the_standard_encodings(backend: CurveBackend) -> None:
    assert backend.g1_generator().to_bytes() == G1_GENERATOR
    assert backend.g2_generator().to_bytes() == G2_GENERATOR
    assert backend.g1_from_bytes(G1_GENERATOR) == backend.g1_generator()
    assert backend.g2_from_bytes(G2_GENERATOR) == backend.g2_generator()


def test_identities(backend: CurveBackend) -> None:
    for gen, ident, enc in (
        (backend.g1_generator(), backend.g1_identity(), G1_INFINITY),
        (backend.g2_generator(), backend.g2_identity(), G2_INFINITY),
    ):
        assert ident.to_bytes() == enc
        assert ident.is_identity() and not gen.is_identity()
        assert (gen * 0).is_identity()
        assert (gen + -gen).is_identity()
        assert gen - gen == ident
        assert gen * (R - 1) == -gen
        assert gen * 1 == gen and gen + ident == gen
    assert backend.g1_from_bytes(G1_INFINITY).is_identity()
    assert backend.g2_from_bytes(G2_INFINITY).is_identity()


def test_equal_points_hash_equal(backend: CurveBackend) -> None:
    g = backend.g1_generator()
    assert g * 2 == g + g and hash(g * 2) == hash(g + g)
    h = backend.g2_generator()
    assert h * 3 == h + h + h and hash(h * 3) == hash(h + h + h)
    assert g != h and g * 2 != g * 3
    e = backend.pairing(g, h)
    assert e == backend.pairing(g, h) and hash(e) == hash(backend.pairing(g, h))


@pytest.mark.parametrize("k", [R, R + 1, -1, 2**256])
def test_mul_rejects_scalar_out_of_range(backend: CurveBackend, k: int) -> None:
    with pytest.raises(ValueError, match="scalar"):
        backend.g1_generator() * k
    with pytest.raises(ValueError, match="scalar"):
        backend.g2_generator() * k


@pytest.mark.parametrize("k", [R, -1])
def test_msm_rejects_scalar_out_of_range(backend: CurveBackend, k: int) -> None:
    g = backend.g1_generator()
    with pytest.raises(ValueError, match="scalar"):
        backend.g1_msm([g, g], [1, k])


def test_mul_rejects_non_int_scalar(backend: CurveBackend) -> None:
    with pytest.raises(TypeError):
        backend.g1_generator() * 2.0  # type: ignore[operator]


@pytest.mark.parametrize(("n_points", "n_scalars"), [(2, 1), (1, 2), (0, 1)])
def test_msm_rejects_length_mismatch(backend: CurveBackend, n_points: int, n_scalars: int) -> None:
    g = backend.g1_generator()
    with pytest.raises(ValueError, match="msm"):
        backend.g1_msm([g] * n_points, [1] * n_scalars)


def test_msm_of_nothing_is_identity(backend: CurveBackend) -> None:
    assert backend.g1_msm([], []).is_identity()


def test_points_of_another_backend_are_refused() -> None:
    with pytest.raises(TypeError):
        ARK.g1_msm([REF.g1_generator()], [1])
    with pytest.raises(TypeError):
        REF.pairing(ARK.g1_generator(), REF.g2_generator())
    assert ARK.g1_generator() != REF.g1_generator()


# --- GT (each backend) ------------------------------------------------------------------


def _gt_pow(x: GT, n: int, one: GT) -> GT:
    """x^n by square-and-multiply with GT's group law `*` only."""
    acc = one
    for bit in bin(n)[2:]:
        acc = acc * acc
        if bit == "1":
            acc = acc * x
    return acc


def test_pairing_is_non_degenerate_and_kills_identities(backend: CurveBackend) -> None:
    g, h = backend.g1_generator(), backend.g2_generator()
    e = backend.pairing(g, h)
    assert not e.is_one()
    assert backend.pairing(backend.g1_identity(), h).is_one()
    assert backend.pairing(g, backend.g2_identity()).is_one()
    assert (e * backend.pairing(-g, h)).is_one()
    assert e * e == backend.pairing(g * 2, h) == backend.pairing(g, h * 2)


def test_pairing_check_of_nothing_is_true(backend: CurveBackend) -> None:
    assert backend.pairing_check([])


def _check_bilinearity(be: CurveBackend, a: int, b: int) -> None:
    g, h = be.g1_generator(), be.g2_generator()
    one = be.pairing(be.g1_identity(), h)
    lhs = be.pairing(g * a, h * b)
    assert lhs == _gt_pow(be.pairing(g, h), a * b % R, one)
    assert lhs == be.pairing(g * (a * b % R), h)


def _check_pairing_check(be: CurveBackend, a: int, b: int) -> None:
    g, h = be.g1_generator(), be.g2_generator()
    ab = a * b % R
    assert be.pairing_check([(g * a, h * b), (-(g * ab), h)])
    assert not be.pairing_check([(g * a, h * b), (-(g * ((ab + 1) % R)), h)])
    assert be.pairing_check([(g * a, h * b), (g * ab, -h), (be.g1_identity(), h)])


@settings(max_examples=25, deadline=None)
@given(a=scalars, b=scalars)
@example(a=0, b=1).via("identity on one side")
@example(a=R - 1, b=R - 1).via("largest scalars")
def test_bilinearity_arkworks(a: int, b: int) -> None:
    _check_bilinearity(ARK, a, b)


@pytest.mark.slow
@settings(max_examples=2, deadline=None)
@given(a=scalars, b=scalars)
def test_bilinearity_pyecc(a: int, b: int) -> None:
    _check_bilinearity(REF, a, b)


@settings(max_examples=25, deadline=None)
@given(a=scalars, b=scalars)
def test_pairing_check_arkworks(a: int, b: int) -> None:
    _check_pairing_check(ARK, a, b)


@pytest.mark.slow
@settings(max_examples=2, deadline=None)
@given(a=st.integers(min_value=1, max_value=R - 1), b=st.integers(min_value=1, max_value=R - 1))
def test_pairing_check_pyecc_agrees_with_arkworks(a: int, b: int) -> None:
    _check_pairing_check(REF, a, b)
    g, h = REF.g1_generator(), REF.g2_generator()
    pairs = [(g * a, h * b), (-(g * b), h * a)]
    product = reduce(lambda x, y: x * y, (REF.pairing(p, q) for p, q in pairs))
    ark_pairs = [
        (ARK.g1_from_bytes(p.to_bytes()), ARK.g2_from_bytes(q.to_bytes())) for p, q in pairs
    ]
    assert REF.pairing_check(pairs) is product.is_one() is ARK.pairing_check(ark_pairs) is True


# --- agreement between the backends ---------------------------------------------------------


def _agree(compute: Callable[[CurveBackend], list[bytes]]) -> list[bytes]:
    ours, ref = compute(ARK), compute(REF)
    assert ours == ref
    return ours


@settings(max_examples=8, deadline=None)
@given(a=scalars, b=scalars)
@example(a=0, b=R - 1)
def test_backends_agree_on_g1_arithmetic(a: int, b: int) -> None:
    def compute(be: CurveBackend) -> list[bytes]:
        g = be.g1_generator()
        x, y = g * a, g * b
        assert x + y == g * ((a + b) % R) and x - y == g * ((a - b) % R)
        return [p.to_bytes() for p in (x, y, x + y, x - y, -x)]

    for enc in _agree(compute):
        assert ARK.g1_from_bytes(enc).to_bytes() == REF.g1_from_bytes(enc).to_bytes() == enc


@settings(max_examples=5, deadline=None)
@given(a=scalars, b=scalars)
def test_backends_agree_on_g2_arithmetic(a: int, b: int) -> None:
    def compute(be: CurveBackend) -> list[bytes]:
        h = be.g2_generator()
        x, y = h * a, h * b
        assert x + y == h * ((a + b) % R)
        return [p.to_bytes() for p in (x, x + y, x - y, -x)]

    for enc in _agree(compute):
        assert ARK.g2_from_bytes(enc).to_bytes() == REF.g2_from_bytes(enc).to_bytes() == enc


@settings(max_examples=6, deadline=None)
@given(data=st.lists(st.tuples(scalars, scalars), max_size=4))
def test_backends_agree_on_msm(data: list[tuple[int, int]]) -> None:
    def compute(be: CurveBackend) -> list[bytes]:
        g = be.g1_generator()
        points = [g * p for p, _ in data]
        result = be.g1_msm(points, [k for _, k in data])
        assert result == g * (sum(p * k for p, k in data) % R)
        return [result.to_bytes()]

    _agree(compute)


@settings(max_examples=100, deadline=None)
@given(data=st.lists(st.tuples(scalars, scalars), min_size=1, max_size=12))
def test_arkworks_msm_equals_sum_of_products(data: list[tuple[int, int]]) -> None:
    g = ARK.g1_generator()
    points = [g * p for p, _ in data]
    expected = reduce(lambda x, y: x + y, (pt * k for pt, (_, k) in zip(points, data, strict=True)))
    assert ARK.g1_msm(points, [k for _, k in data]) == expected


@settings(max_examples=100, deadline=None)
@given(a=scalars)
def test_arkworks_encodings_round_trip(a: int) -> None:
    p, q = ARK.g1_generator() * a, ARK.g2_generator() * a
    assert ARK.g1_from_bytes(p.to_bytes()) == p
    assert ARK.g2_from_bytes(q.to_bytes()) == q


def test_flipping_the_sign_flag_decodes_the_negation(backend: CurveBackend) -> None:
    for point, decode in (
        (backend.g1_generator() * 7, backend.g1_from_bytes),
        (backend.g2_generator() * 7, backend.g2_from_bytes),
    ):
        flipped = bytearray(point.to_bytes())
        flipped[0] ^= 0x20
        assert decode(bytes(flipped)) == -point


# --- the decoder refuses (each backend) ---------------------------------------------------------


def _with_first_byte(data: bytes, byte: int) -> bytes:
    return bytes([byte]) + data[1:]


def _is_square(v: int) -> bool:
    return pow(v, (P - 1) // 2, P) in (0, 1)


def _g1_bytes(x: int, sign: bool) -> bytes:
    raw = bytearray(x.to_bytes(48, "big"))
    raw[0] |= 0x80 | (0x20 if sign else 0)
    return bytes(raw)


def _g1_off_curve() -> bytes:
    x = next(x for x in range(1, 100) if not _is_square(x**3 + 4))
    return _g1_bytes(x, sign=False)


def _g1_outside_subgroup() -> bytes:
    """A point on the curve that was never multiplied by the cofactor."""
    x = next(x for x in range(1, 100) if _is_square(x**3 + 4))
    y = pow(x**3 + 4, (P + 1) // 4, P)
    assert not is_inf(multiply((FQ(x), FQ(y), FQ(1)), R)), "premise: outside the subgroup"
    return _g1_bytes(x, sign=False)


def _g2_x(found: bool) -> tuple[FQ2, FQ2 | None]:
    for k in range(100):
        x = FQ2([k, 1])
        y = modular_squareroot_in_FQ2(x**3 + b2)
        if (y is not None) == found:
            return x, y
    raise AssertionError("no such x below 100")


def _g2_bytes(z1: int, z2: int) -> bytes:
    return z1.to_bytes(48, "big") + z2.to_bytes(48, "big")


def _g2_off_curve() -> bytes:
    x, _ = _g2_x(found=False)
    x_re, x_im = (int(c) for c in x.coeffs)
    return _g2_bytes(x_im | 1 << 383, x_re)


def _g2_outside_subgroup() -> bytes:
    x, y = _g2_x(found=True)
    assert y is not None
    point = (x, y, FQ2.one())
    assert not is_inf(multiply(point, R)), "premise: outside the subgroup"
    z1, z2 = compress_G2(point)
    return _g2_bytes(int(z1), int(z2))


def _small_x_point() -> tuple[int, bytes]:
    """A subgroup point whose x + p still fits in 381 bits, and its encoding."""
    g = ARK.g1_generator()
    for k in range(1, 200):
        enc = (g * k).to_bytes()
        x = int.from_bytes(enc, "big") & ((1 << 381) - 1)
        if x + P < 1 << 381:
            return x, enc
    raise AssertionError("no small x found")


def _g1_x_not_below_p() -> list[bytes]:
    x, enc = _small_x_point()
    plus_p = bytearray((x + P).to_bytes(48, "big"))
    plus_p[0] |= enc[0] & 0xE0
    return [bytes(plus_p), _g1_bytes(P, sign=False)]


G1_REJECTS: dict[str, Callable[[], list[bytes]]] = {
    "wrong_length": lambda: [b"", G1_GENERATOR[:47], G1_GENERATOR + b"\x00", G2_GENERATOR],
    "compression_flag_clear": lambda: [_with_first_byte(G1_GENERATOR, G1_GENERATOR[0] & 0x7F)],
    "infinity_flag_on_a_point": lambda: [_with_first_byte(G1_GENERATOR, G1_GENERATOR[0] | 0x40)],
    "infinity_with_sign_flag": lambda: [b"\xe0" + bytes(47)],
    "infinity_without_compression_flag": lambda: [b"\x40" + bytes(47)],
    "infinity_with_nonzero_bytes": lambda: [
        b"\xc0" + bytes(46) + b"\x01",
        b"\xc1" + bytes(47),
        b"\xc0\x80" + bytes(46),
    ],
    "x_not_below_p": _g1_x_not_below_p,
    "x_not_on_curve": lambda: [_g1_off_curve()],
    "point_outside_subgroup": lambda: [_g1_outside_subgroup()],
}


def _g2_x_not_below_p() -> list[bytes]:
    z1 = int.from_bytes(G2_GENERATOR[:48], "big")
    x_re = int.from_bytes(G2_GENERATOR[48:], "big")
    return [_g2_bytes(z1, x_re + P), _g2_bytes(z1, P)]


def _g2_flags_in_second_half() -> list[bytes]:
    out = []
    for flag in (0x80, 0x40, 0x20):
        raw = bytearray(G2_GENERATOR)
        raw[48] |= flag
        out.append(bytes(raw))
    return out


G2_REJECTS: dict[str, Callable[[], list[bytes]]] = {
    "wrong_length": lambda: [b"", G2_GENERATOR[:95], G2_GENERATOR + b"\x00", G1_GENERATOR],
    "compression_flag_clear": lambda: [_with_first_byte(G2_GENERATOR, G2_GENERATOR[0] & 0x7F)],
    "infinity_flag_on_a_point": lambda: [_with_first_byte(G2_GENERATOR, G2_GENERATOR[0] | 0x40)],
    "infinity_with_sign_flag": lambda: [b"\xe0" + bytes(95)],
    "infinity_with_nonzero_bytes": lambda: [
        b"\xc0" + bytes(94) + b"\x01",
        b"\xc0" + bytes(47) + b"\x80" + bytes(47),
    ],
    "flags_in_second_half": _g2_flags_in_second_half,
    "x_not_below_p": _g2_x_not_below_p,
    "x_not_on_curve": lambda: [_g2_off_curve()],
    "point_outside_subgroup": lambda: [_g2_outside_subgroup()],
}


#: What the reference backend says for each case: proof that each encoding fails for the
#: reason its name gives (arkworks reports them all in one message).
REASONS = {
    "wrong_length": "expected",
    "compression_flag_clear": "compression flag",
    "infinity_flag_on_a_point": "infinity must be",
    "infinity_with_sign_flag": "infinity must be",
    "infinity_without_compression_flag": "compression flag",
    "infinity_with_nonzero_bytes": "infinity must be",
    "flags_in_second_half": "not below p",
    "x_not_below_p": "not below p",
    "x_not_on_curve": "not the abscissa of a curve point",
    "point_outside_subgroup": "not in the prime-order subgroup",
}


def _reason(backend: CurveBackend, group: str, case: str) -> str:
    return f"{group} point: .*{REASONS[case]}" if backend is REF else f"{group} point"


@pytest.mark.parametrize("case", list(G1_REJECTS))
def test_g1_decoder_rejects(backend: CurveBackend, case: str) -> None:
    for data in G1_REJECTS[case]():
        with pytest.raises(DecodeError, match=_reason(backend, "G1", case)):
            backend.g1_from_bytes(data)


@pytest.mark.parametrize("case", list(G2_REJECTS))
def test_g2_decoder_rejects(backend: CurveBackend, case: str) -> None:
    for data in G2_REJECTS[case]():
        with pytest.raises(DecodeError, match=_reason(backend, "G2", case)):
            backend.g2_from_bytes(data)

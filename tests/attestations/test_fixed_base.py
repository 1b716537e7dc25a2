"""`CurveBackend.g1_multiples`: the table of a point's multiples must give exactly `B * k`.

The signed-digit recoding carries into the next window, so the edges are scalars whose
windows are all at or just past the half-way digit, and the top of [0, r).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from attestations.curve import G1, CurveBackend, R, get_backend
from attestations.curve.fixed_base import WINDOW, Multiples

ARK = get_backend("arkworks")
REF = get_backend("pyecc")

HALF = 1 << (WINDOW - 1)
EDGES = [
    0,
    1,
    HALF - 1,
    HALF,  # the first negative digit: -HALF with a carry
    HALF + 1,
    (1 << WINDOW) - 1,
    1 << WINDOW,
    sum(HALF << (WINDOW * i) for i in range(50)),  # every window on the half-way digit
    sum(((1 << WINDOW) - 1) << (WINDOW * i) for i in range(50)) % R,  # carries all the way
    2**254,
    R - 1,
    R - 2,
    R - HALF,
    (R - 1) // 2,
]


@pytest.fixture(scope="module")
def ark_base() -> G1:
    return ARK.g1_generator() * 0xC0FFEE


@pytest.mark.parametrize("k", EDGES)
def test_edge_scalars_match_plain_multiplication(k: int, ark_base: G1) -> None:
    assert ARK.g1_multiples(ark_base).times(k) == ark_base * k


@settings(max_examples=60, deadline=None)
@given(k=st.integers(min_value=0, max_value=R - 1))
@example(k=R - 1)
def test_random_scalars_match_plain_multiplication(k: int) -> None:
    base = ARK.g1_generator() * 7
    assert ARK.g1_multiples(base).times(k) == base * k


@pytest.mark.slow
@pytest.mark.parametrize("k", [0, 1, HALF, R - 1, 0x1234567890ABCDEF << 128])
def test_pyecc_table_agrees_with_arkworks(k: int) -> None:
    ref, ark = REF.g1_generator() * 5, ARK.g1_generator() * 5
    assert REF.g1_multiples(ref).times(k).to_bytes() == ARK.g1_multiples(ark).times(k).to_bytes()
    assert REF.g1_multiples(ref).times(k) == ref * k


@pytest.mark.parametrize("backend", [ARK, REF], ids=["arkworks", "pyecc"])
@pytest.mark.parametrize("k", [R, R + 1, -1, 2**256])
def test_out_of_range_scalars_are_refused(backend: CurveBackend, k: int) -> None:
    table = backend.g1_multiples(backend.g1_generator())
    with pytest.raises(ValueError, match="out of range"):
        table.times(k)


def test_a_point_of_another_backend_is_refused() -> None:
    with pytest.raises(TypeError):
        ARK.g1_multiples(REF.g1_generator())
    with pytest.raises(TypeError):
        REF.g1_multiples(ARK.g1_generator())


@pytest.mark.parametrize("window", [2, 3, 8])
def test_other_windows_give_the_same_multiples(window: int) -> None:
    base = ARK.g1_generator() * 11
    table = Multiples(base, ARK.g1_identity(), window)
    for k in [0, 1, (1 << window) - 1, 1 << (window - 1), R - 1, 0xDEADBEEF << 200]:
        assert table.times(k) == base * k


@pytest.mark.parametrize("window", [1, 17])
def test_window_out_of_range_is_refused(window: int) -> None:
    with pytest.raises(ValueError, match="window"):
        Multiples(ARK.g1_generator(), ARK.g1_identity(), window)

"""RFC 9380 expand_message, hash_to_field and hash_to_g1 against the published vectors.

The G1 suites run on both backends. RFC 9380 has no G1 vector for XOF:SHAKE-256, so that
path is checked against the BBS draft's generators, which are hash_to_g1 outputs of both
suites.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_arkworks_bls12381 import G1Point

from attestations.curve import CurveBackend, P, get_backend
from attestations.curve.hash_to_curve import (
    Expand,
    expand_message,
    expand_message_xmd,
    expand_message_xof,
    hash_to_field_fp,
    hash_to_g1,
)
from tests.conftest import load_vector

EXPANDER_FILES = [
    "expand_message_xmd_SHA256_38.json",
    "expand_message_xmd_SHA256_256.json",
    "expand_message_xmd_SHA512_38.json",
    "expand_message_xof_SHAKE128_36.json",
    "expand_message_xof_SHAKE128_256.json",
    "expand_message_xof_SHAKE256_36.json",
]
RO = "hash_to_curve/BLS12381G1_XMD_SHA-256_SSWU_RO_.json"
NU = "hash_to_curve/BLS12381G1_XMD_SHA-256_SSWU_NU_.json"


def _expander(suite: dict[str, Any]) -> Any:
    """The function and keyword arguments a vector file's header names."""
    name = suite["hash"].lower()
    if suite["name"] == "expand_message_xmd":
        return lambda m, d, n: expand_message_xmd(m, d, n, hash_name=name)
    xof = {"shake128": "shake_128", "shake256": "shake_256"}[name]
    return lambda m, d, n: expand_message_xof(m, d, n, xof_name=xof, k=suite["k"])


@pytest.mark.parametrize("filename", EXPANDER_FILES)
def test_expand_message_vectors(filename: str) -> None:
    suite = load_vector(f"hash_to_curve/{filename}")
    expand = _expander(suite)
    dst = suite["DST"].encode()
    assert len(suite["tests"]) == 10
    for case in suite["tests"]:
        got = expand(case["msg"].encode(), dst, int(case["len_in_bytes"], 16))
        assert got.hex() == case["uniform_bytes"], f"msg={case['msg'][:20]!r}"


def _affine_to_zcash(x: int, y: int) -> bytes:
    """Textbook ZCash compression of an affine G1 point, to compare with the vectors' x, y."""
    assert (y * y - x**3 - 4) % P == 0, "vector point is not on the curve"
    flags = 0x80 | (0x20 if y > (P - 1) // 2 else 0)
    raw = bytearray(x.to_bytes(48, "big"))
    raw[0] |= flags
    return bytes(raw)


def _expected(point: dict[str, str]) -> bytes:
    return _affine_to_zcash(int(point["x"], 16), int(point["y"], 16))


def test_hash_to_field_matches_ro_and_nu_vectors() -> None:
    for path, count in ((RO, 2), (NU, 1)):
        suite = load_vector(path)
        for case in suite["vectors"]:
            got = hash_to_field_fp(case["msg"].encode(), count, suite["dst"].encode(), "xmd")
            assert got == [int(u, 16) for u in case["u"]], f"{path}: msg={case['msg'][:20]!r}"


def test_hash_to_g1_ro_vectors(backend: CurveBackend) -> None:
    suite = load_vector(RO)
    assert len(suite["vectors"]) == 5
    for case in suite["vectors"]:
        point = hash_to_g1(case["msg"].encode(), suite["dst"].encode(), backend=backend)
        assert point.to_bytes() == _expected(case["P"]), f"msg={case['msg'][:20]!r}"
        assert backend.g1_from_bytes(_expected(case["P"])) == point


def test_map_to_g1_nu_vectors(backend: CurveBackend) -> None:
    suite = load_vector(NU)
    assert len(suite["vectors"]) == 5
    for case in suite["vectors"]:
        (u,) = (int(u, 16) for u in case["u"])
        assert backend.map_to_g1(u).to_bytes() == _expected(case["P"]), f"u={u:x}"


def _bbs_generators(api_id: bytes, expand: Expand, backend: CurveBackend) -> list[str]:
    """create_generators(11, api_id) of draft-irtf-cfrg-bbs-signatures §4.1.1."""
    seed_dst = api_id + b"SIG_GENERATOR_SEED_"
    v = expand_message(api_id + b"MESSAGE_GENERATOR_SEED", seed_dst, 48, expand)
    out = []
    for i in range(1, 12):
        v = expand_message(v + i.to_bytes(8, "big"), seed_dst, 48, expand)
        point = hash_to_g1(v, api_id + b"SIG_GENERATOR_DST_", expand=expand, backend=backend)
        out.append(point.to_bytes().hex())
    return out


@pytest.mark.parametrize(
    ("folder", "suite_id", "expand"),
    [
        ("bls12-381-sha-256", b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_", "xmd"),
        ("bls12-381-shake-256", b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_", "xof"),
    ],
)
def test_hash_to_g1_reproduces_bbs_generators(
    backend: CurveBackend, folder: str, suite_id: bytes, expand: Expand
) -> None:
    fixture = load_vector(f"bbs/{folder}/generators.json")
    got = _bbs_generators(suite_id + b"H2G_HM2S_", expand, backend)
    assert got == [fixture["Q1"], *fixture["MsgGenerators"]]


def test_xmd_and_xof_paths_differ(backend: CurveBackend) -> None:
    dst = b"CARTERA-TEST-DST"
    assert hash_to_g1(b"m", dst, expand="xmd", backend=backend) != hash_to_g1(
        b"m", dst, expand="xof", backend=backend
    )


@settings(max_examples=60, deadline=None)
@given(msg=st.binary(max_size=200), dst=st.binary(min_size=1, max_size=300))
def test_generic_xmd_path_equals_native_hash_to_curve(msg: bytes, dst: bytes) -> None:
    """arkworks' own XMD:SHA-256 hash_to_curve is an independent implementation; the
    generic path (RFC 9380 in Python + the backend's map) must agree, long DSTs included."""
    ours = hash_to_g1(msg, dst, backend=get_backend("arkworks"))
    assert ours.to_bytes() == G1Point.hash_to_curve(msg, dst).to_compressed_bytes()


def test_hash_to_g1_uses_the_configured_backend_by_default() -> None:
    dst = b"CARTERA-TEST-DST"
    assert hash_to_g1(b"m", dst) == hash_to_g1(b"m", dst, backend=get_backend())


# --- caller mistakes -------------------------------------------------------------------


def test_expand_message_xmd_rejects_more_than_255_blocks() -> None:
    expand_message_xmd(b"", b"DST", 255 * 32)
    with pytest.raises(ValueError, match="255"):
        expand_message_xmd(b"", b"DST", 255 * 32 + 1)


def test_expand_message_xof_rejects_length_over_65535() -> None:
    assert len(expand_message_xof(b"", b"DST", 65535)) == 65535
    with pytest.raises(ValueError, match="65535"):
        expand_message_xof(b"", b"DST", 65536)


def test_expand_message_rejects_unknown_expander() -> None:
    with pytest.raises(ValueError, match="expander"):
        expand_message(b"", b"DST", 32, "sha3")  # type: ignore[arg-type]


def test_hash_to_field_rejects_non_positive_count() -> None:
    with pytest.raises(ValueError, match="count"):
        hash_to_field_fp(b"", 0, b"DST")


@pytest.mark.parametrize("u", [-1, P, P + 1])
def test_map_to_g1_rejects_field_element_out_of_range(backend: CurveBackend, u: int) -> None:
    with pytest.raises(ValueError, match="field element"):
        backend.map_to_g1(u)

"""Strict base64url and canonical JSON: one accepted encoding per value."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attestations.encoding import (
    MAX_JSON_NESTING,
    b64url_decode,
    b64url_encode,
    canonical_json,
    check_nesting,
    constant_time_equal,
    expect_fields,
    get_b64,
    get_int,
    get_str,
    load_canonical_json,
)
from attestations.errors import DecodeError


@given(st.binary(max_size=200))
def test_b64url_round_trip_matches_stdlib(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert b64url_decode(text) == data


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("AA==", id="padding"),
        pytest.param("AA=", id="partial-padding"),
        pytest.param("A", id="length-1-mod-4"),
        pytest.param("AAAAA", id="length-5"),
        pytest.param("AB", id="trailing-bits-one-byte"),
        pytest.param("AAB", id="trailing-bits-two-bytes"),
        pytest.param("a+b/", id="standard-alphabet"),
        pytest.param("AA AA", id="space"),
        pytest.param("AAAA\n", id="newline"),
        pytest.param("ÁAAA", id="non-ascii"),
    ],
)
def test_b64url_rejects_non_canonical(text: str) -> None:
    with pytest.raises(DecodeError):
        b64url_decode(text)


def test_b64url_rejects_non_string() -> None:
    with pytest.raises(DecodeError):
        b64url_decode(b"AAAA")  # type: ignore[arg-type]


@given(st.binary(min_size=1, max_size=40))
def test_b64url_every_other_last_character_is_rejected(data: bytes) -> None:
    text = b64url_encode(data)
    accepted = 0
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_":
        try:
            b64url_decode(text[:-1] + c)
            accepted += 1
        except DecodeError:
            pass
    # Exactly the encodings of the 2^k values of the last data bits are canonical.
    assert accepted == {0: 64, 2: 4, 3: 16}[len(text) % 4]


def test_canonical_json_sorts_and_compacts() -> None:
    assert (
        canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )


def test_canonical_json_refuses_non_json() -> None:
    with pytest.raises(ValueError):
        canonical_json({"x": object()})
    with pytest.raises(ValueError):
        canonical_json({"x": 2**60})
    with pytest.raises(ValueError, match="cannot canonicalise"):
        canonical_json({"\ud800": 1})


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_load_canonical_json_round_trip(value: object) -> None:
    assert load_canonical_json(canonical_json(value)) == value


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"b":1,"a":2}', id="unsorted-keys"),
        pytest.param(b'{"a": 1}', id="whitespace"),
        pytest.param(b'{"a":1}\n', id="trailing-newline"),
        pytest.param(b'{"a":1,"a":1}', id="duplicate-key"),
        pytest.param(b'{"a":1.0}', id="non-canonical-number"),
        pytest.param(b'{"a":1e2}', id="exponent"),
        pytest.param(b'{"a":NaN}', id="nan"),
        pytest.param(b'{"a":"\\u0041"}', id="escaped-ascii"),
        pytest.param(b'{"a":9007199254740993}', id="integer-beyond-2^53"),
        pytest.param(b'{"a":1', id="truncated"),
        pytest.param(b'\xff{"a":1}', id="not-utf8"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"\\ud800":1}', id="lone-surrogate-in-key"),
        pytest.param(b"[" + b"1" * 5000 + b"]", id="too-many-digits"),
    ],
)
def test_load_canonical_json_rejects(raw: bytes) -> None:
    with pytest.raises(DecodeError):
        load_canonical_json(raw)


def test_expect_fields() -> None:
    obj = {"a": 1, "b": "x"}
    assert expect_fields(obj, ["a"], ["b"]) is obj
    with pytest.raises(DecodeError, match="missing field 'c'"):
        expect_fields(obj, ["a", "b", "c"])
    with pytest.raises(DecodeError, match="unexpected field 'b'"):
        expect_fields(obj, ["a"])
    with pytest.raises(DecodeError, match="expected a JSON object"):
        expect_fields([obj], ["a"])


def test_typed_getters() -> None:
    obj = {"s": "AAE", "i": 3, "t": True}
    assert get_str(obj, "s") == "AAE"
    assert get_int(obj, "i") == 3
    assert get_b64(obj, "s", length=2) == b"\x00\x01"
    with pytest.raises(DecodeError):
        get_int(obj, "t")
    with pytest.raises(DecodeError):
        get_str(obj, "i")
    with pytest.raises(DecodeError, match="want 3"):
        get_b64(obj, "s", length=3)
    with pytest.raises(DecodeError):
        get_b64({"s": "AA=="}, "s")


def test_constant_time_equal() -> None:
    assert constant_time_equal(b"abc", b"abc")
    assert not constant_time_equal(b"abc", b"abd")
    assert not constant_time_equal(b"abc", b"ab")


def test_deep_nesting_is_refused_before_parsing() -> None:
    # 100k levels overflow the C decoder's stack in a worker thread (a segfault, not an
    # exception) unless refused before json.loads sees them.
    with pytest.raises(DecodeError, match="nested more than"):
        load_canonical_json(b"[" * 100_000 + b"]" * 100_000)


def test_nesting_limit_boundary() -> None:
    at_limit = b"[" * MAX_JSON_NESTING + b"]" * MAX_JSON_NESTING
    assert load_canonical_json(at_limit) is not None
    with pytest.raises(DecodeError, match="nested more than"):
        load_canonical_json(b"[" + at_limit + b"]")


def test_brackets_inside_strings_do_not_count() -> None:
    text = '["' + "[" * 200 + '\\"' + "{" * 200 + '"]'
    check_nesting(text)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@given(
    st.recursive(
        st.integers() | st.text(alphabet='[]{}"\\ab'),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(alphabet='[]{}"\\ab'), inner, max_size=3)
        ),
        max_leaves=20,
    ),
    st.integers(0, 8),
)
def test_check_nesting_refuses_exactly_what_nests_too_deep(value: object, limit: int) -> None:
    # Brackets inside strings count towards the quick bound but never towards the depth.
    text = json.dumps(value)
    if _depth(value) > limit:
        with pytest.raises(DecodeError, match="nested more than"):
            check_nesting(text, limit)
    else:
        check_nesting(text, limit)

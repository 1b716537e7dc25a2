"""Canonical JSON's fast path (Python's C encoder) against the `rfc8785` reference, byte for
byte: the writer writes what the reference writes, and the loader accepts exactly the bytes
the reference re-encodes to themselves, refusing the rest with the same error."""

from __future__ import annotations

import json
from collections import OrderedDict
from enum import IntEnum, StrEnum
from typing import Any

import pytest
import rfc8785
from hypothesis import example, given
from hypothesis import strategies as st

from attestations.encoding import (
    _fast_canonical,
    _in_fast_domain,
    canonical_json,
    load_canonical_json,
    parse_json,
)
from attestations.errors import DecodeError

SAFE = 2**53 - 1
# How `rfc8785` refuses: a lone surrogate in a key escapes its UTF-16 sort as the second.
REFUSED = (rfc8785.CanonicalizationError, UnicodeEncodeError)
# What strings may hold, with extra weight on the characters the proof is about: those
# escaped, the ends of the BMP, lone surrogates, and characters beyond U+FFFF (which sort
# before U+E000..U+FFFF in UTF-16 but after them by code point).
SPECIAL = (
    '\x00\x08\x09\x0a\x0c\x0d\x1f\x20"\\/\x7f\x80\u2028'
    "\ud800\udbff\udc00\udfff\ue000\ufb01\uffff\U00010000\U0001f600\U0010ffff"
)
TEXT = st.text(st.characters(codec=None, categories=None) | st.sampled_from(SPECIAL), max_size=6)
INTEGERS = st.integers(-(2**60), 2**60) | st.sampled_from(
    [SAFE, -SAFE, SAFE + 1, -SAFE - 1, 2**53, -(2**53), 0, -1, 10**16, -(10**17)]
)
LEAVES = st.none() | st.booleans() | INTEGERS | st.floats() | TEXT
VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(TEXT, inner, max_size=4)
    ),
    max_leaves=20,
)


def _no_surrogates(value: Any) -> bool:
    """Whether every string (key or value) of `value` encodes to UTF-8."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@given(VALUES)
@example({"\U0001f600": 1, "\ufb01": 2})
@example(["\ud800"])
@example([SAFE, -SAFE, SAFE + 1])
def test_writer_writes_what_rfc8785_writes(value: Any) -> None:
    try:
        want = rfc8785.dumps(value)
    except REFUSED:
        with pytest.raises(ValueError, match="cannot canonicalise"):
            canonical_json(value)
        return
    assert canonical_json(value) == want
    if _in_fast_domain(value):
        fast = _fast_canonical(value)
        # The fast path may only step aside for characters beyond U+FFFF; it never differs.
        assert fast == want or (fast is None and max(want) >= 0xF0)


@given(VALUES)
def test_fast_domain_is_what_it_says(value: Any) -> None:
    leaves = _leaves(value)
    has_float = any(isinstance(leaf, float) for leaf in leaves)
    big = any(type(leaf) is int and abs(leaf) > SAFE for leaf in leaves)
    assert _in_fast_domain(value) == (not has_float and not big)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


class Colour(StrEnum):
    RED = "red"


class Size(IntEnum):
    BIG = 2**53 - 1


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"a": Colour.RED}, id="str-enum"),
        pytest.param([Size.BIG], id="int-enum"),
        pytest.param(OrderedDict([("b", 1), ("a", 2)]), id="dict-subclass"),
        pytest.param({Colour.RED: 1}, id="str-enum-key"),
    ],
)
def test_subclasses_are_left_to_the_reference(value: Any) -> None:
    assert not _in_fast_domain(value)
    assert canonical_json(value) == rfc8785.dumps(value)


def _reference_load(raw: bytes) -> Any:
    """What `load_canonical_json` accepted before the fast path: accept iff the reference
    re-encodes the parsed value to the very same bytes."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("json: not UTF-8") from exc
    value = parse_json(text)
    try:
        canonical = rfc8785.dumps(value)
    except REFUSED as exc:
        raise DecodeError("outside the canonical domain") from exc
    if canonical != raw:
        raise DecodeError("not canonical")
    return value


def _spellings(value: Any) -> list[bytes]:
    """The value's RFC 8785 bytes (when it has them) and other spellings close to them."""
    out = [
        json.dumps(
            value, ensure_ascii=ascii_only, sort_keys=sort_keys, separators=separators
        ).encode("utf-8", "surrogatepass")
        for ascii_only in (False, True)
        for sort_keys in (False, True)
        for separators in ((",", ":"), (", ", ": "))
    ]
    try:
        canonical = rfc8785.dumps(value)
    except REFUSED:
        return out
    out.append(canonical)
    if isinstance(value, dict) and value:
        key, item = next(iter(value.items()))
        member = rfc8785.dumps(key) + b":" + rfc8785.dumps(item)
        out.append(b"{" + member + b"," + canonical[1:])  # one member twice
    return out


@given(VALUES)
@example({"\U0001f600": 1, "\ufb01": 2})
@example({"a": [1, {"b": "\ud83d\ude00"}]})
def test_loader_accepts_and_refuses_what_the_reference_does(value: Any) -> None:
    for raw in _spellings(value):
        try:
            want = _reference_load(raw)
        except DecodeError:
            with pytest.raises(DecodeError):
                load_canonical_json(raw)
            continue
        got = load_canonical_json(raw)
        assert got == want and json.dumps(got) == json.dumps(want)  # same types too


@given(VALUES)
def test_loader_takes_the_fast_path_in_its_domain(value: Any) -> None:
    # Without this the fast path could silently never be taken and the suite stay green.
    if not (_in_fast_domain(value) and _no_surrogates(value)):
        return
    raw = rfc8785.dumps(value)
    if max(raw, default=0) < 0xF0:
        assert _fast_canonical(json.loads(raw)) == raw


def test_every_bmp_character_is_escaped_as_rfc8785_escapes_it() -> None:
    for code in range(0x10000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            assert _fast_canonical(char) is None  # lone surrogates: the reference refuses
            with pytest.raises(ValueError):
                canonical_json(char)
        else:
            assert _fast_canonical(char) == rfc8785.dumps(char), hex(code)


def test_keys_beyond_the_bmp_sort_by_utf16_code_units() -> None:
    # U+1F600 is D83D DE00 in UTF-16, so it sorts before U+FB01; by code point, after.
    value = {"\ufb01": 2, "\U0001f600": 1}
    canonical = '{"\U0001f600":1,"\ufb01":2}'.encode()
    assert canonical_json(value) == canonical
    assert load_canonical_json(canonical) == value
    with pytest.raises(DecodeError, match="not in RFC 8785 canonical form"):
        load_canonical_json('{"\ufb01":2,"\U0001f600":1}'.encode())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b'["\\ud800"]', "outside the canonical domain", id="lone-surrogate"),
        pytest.param(b'["\\ud83d\\ude00"]', "not in RFC 8785", id="escaped-pair"),
        pytest.param(b"[9007199254740992]", "outside the canonical domain", id="2^53"),
        pytest.param(b"[-9007199254740992]", "outside the canonical domain", id="-2^53"),
        pytest.param(b'{"a":1,"a":1}', "duplicate key", id="duplicate-key"),
        pytest.param(b'[1,{"a":1,"a":2},NaN]', "duplicate key", id="duplicate-before-nan"),
        pytest.param(b"[1.0]", "not in RFC 8785", id="float-one"),
        pytest.param(b"[-0]", "not in RFC 8785", id="minus-zero"),
        pytest.param(b'["\\u001F"]', "not in RFC 8785", id="upper-case-escape"),
        pytest.param(b'["\\/"]', "not in RFC 8785", id="escaped-slash"),
    ],
)
def test_refusals_keep_the_reference_message(raw: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        load_canonical_json(raw)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"[9007199254740991,-9007199254740991]", id="safe-integer-bounds"),
        pytest.param(b"[1.5,1e+21]", id="floats-by-the-reference"),
        pytest.param('{"a":"\U0001f600"}'.encode(), id="beyond-bmp-by-the-reference"),
        pytest.param(b'["\\u001f\\b\\t\\n\\f\\r\\"\\\\\x7f"]', id="escapes"),
    ],
)
def test_canonical_inputs_are_accepted(raw: bytes) -> None:
    assert canonical_json(load_canonical_json(raw)) == raw


def test_a_cycle_is_refused_as_before() -> None:
    # The fast encoder keeps no cycle markers; the domain walk meets the cycle first.
    value: list[Any] = []
    value.append(value)
    with pytest.raises(RecursionError):
        canonical_json(value)

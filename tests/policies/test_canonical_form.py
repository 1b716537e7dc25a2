"""RFC 8785 canonical form, Cartera's stricter JSON, and document ids."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st
from policy_builders import grant

from policies import DocumentError, canonical_bytes, loads, sha256_id, signing_bytes
from policies.canonical import MAX_DEPTH, check_id, signing_bytes_of

# RFC 8785 §3.2.3: property sorting by UTF-16 code units, with non-ASCII names.
RFC_SORTING_INPUT = rb"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_SORTING_OUTPUT = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
    '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
    '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
).encode()

# RFC 8785 §3.2.2: the sample with numbers, string escapes and literals.
RFC_SAMPLE = rb"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC_SAMPLE_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
).encode()


def test_property_sorting_follows_utf16_code_units() -> None:
    assert canonical_bytes(loads(RFC_SORTING_INPUT, canonical=False)) == RFC_SORTING_OUTPUT


def test_canonical_sorting_example_is_accepted_as_is() -> None:
    assert canonical_bytes(loads(RFC_SORTING_OUTPUT)) == RFC_SORTING_OUTPUT


def test_string_escaping_follows_rfc8785() -> None:
    text = rb'{"string":"\u20ac$\u000F\u000aA' + rb"'" + rb'\u0042\u0022\u005c\\\"\/"}'
    want = '{"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'.encode()
    assert canonical_bytes(loads(text, canonical=False)) == want


def test_dependency_matches_the_rfc8785_sample() -> None:
    # Floats and null are outside Cartera documents, but the canonicaliser we rely on must
    # still be RFC 8785's: its number and literal output pinned here.
    assert rfc8785.dumps(json.loads(RFC_SAMPLE)) == RFC_SAMPLE_OUTPUT


def test_rfc_sample_is_refused_for_its_floats() -> None:
    with pytest.raises(DocumentError, match="floats are not allowed"):
        loads(RFC_SAMPLE, canonical=False)


def test_null_is_refused() -> None:
    with pytest.raises(DocumentError, match="null is not used"):
        loads(b'{"a":null}')


def test_float_with_integral_value_is_refused() -> None:
    with pytest.raises(DocumentError, match="floats"):
        loads(b'{"a":1.0}', canonical=False)


def test_integers_in_the_safe_range_round_trip() -> None:
    data = b'{"a":[-9007199254740991,0,9007199254740991]}'
    assert canonical_bytes(loads(data)) == data


def test_integer_beyond_2_to_the_53_is_refused() -> None:
    with pytest.raises(DocumentError, match="canonical domain"):
        loads(b'{"a":9007199254740992}')


def test_negative_zero_is_not_canonical() -> None:
    with pytest.raises(DocumentError, match="not in RFC 8785 canonical form"):
        loads(b'{"a":-0}')


@pytest.mark.parametrize(
    "data",
    [
        b'{"b":1,"a":2}',  # key order
        b'{"a": 1}',  # white space
        b'{"a":1}\n',  # trailing newline
        b'{"a":"\\u0041"}',  # needless escape
        b'{"a":"\\u00e9"}',  # non-ASCII must be written raw
    ],
    ids=["key-order", "space", "newline", "escape", "escaped-non-ascii"],
)
def test_non_canonical_bytes_are_refused_where_canonical_is_required(data: bytes) -> None:
    with pytest.raises(DocumentError, match="not in RFC 8785 canonical form"):
        loads(data)
    assert loads(data, canonical=False) == json.loads(data)


@pytest.mark.parametrize("canonical", [True, False])
def test_duplicate_keys_are_refused(canonical: bool) -> None:
    with pytest.raises(DocumentError, match="duplicate key 'a'"):
        loads(b'{"a":1,"a":1}', canonical=canonical)


@pytest.mark.parametrize("canonical", [True, False])
def test_invalid_json_is_refused(canonical: bool) -> None:
    with pytest.raises(DocumentError, match="malformed"):
        loads(b'{"a":1', canonical=canonical)


def test_non_utf8_is_refused() -> None:
    with pytest.raises(DocumentError, match="not UTF-8"):
        loads(b'{"a":"\xff"}')


def test_byte_order_mark_is_refused() -> None:
    with pytest.raises(DocumentError):
        loads(b'\xef\xbb\xbf{"a":1}', canonical=False)


def test_nan_is_refused() -> None:
    with pytest.raises(DocumentError, match="NaN is not JSON"):
        loads(b'{"a":NaN}', canonical=False)


@pytest.mark.parametrize("canonical", [True, False])
@pytest.mark.parametrize("data", [b'{"a":"\\ud800"}', b'{"\\udca5":1}'], ids=["value", "key"])
def test_lone_surrogate_is_refused(data: bytes, canonical: bool) -> None:
    # In a key it used to escape as a UnicodeEncodeError from rfc8785's UTF-16 key sort.
    with pytest.raises(DocumentError, match="canonical domain"):
        loads(data, canonical=canonical)


@pytest.mark.parametrize("canonical", [True, False])
def test_number_with_too_many_digits_is_refused(canonical: bool) -> None:
    # Past int()'s 4300-digit limit json.loads raises a bare ValueError.
    with pytest.raises(DocumentError, match="too many digits"):
        loads(b'{"a":' + b"1" * 5000 + b"}", canonical=canonical)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(DocumentError, match="expected a JSON object"):
        loads(b"[1]")


def test_nesting_is_bounded() -> None:
    deep = b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1)
    with pytest.raises(DocumentError, match="nested more than"):
        loads(deep)


def test_pathological_nesting_fails_cleanly() -> None:
    with pytest.raises(DocumentError):
        loads(b"[" * 100_000 + b"]" * 100_000, canonical=False)


def test_canonical_bytes_refuses_floats_from_callers_as_value_error() -> None:
    with pytest.raises(ValueError, match="floats"):
        canonical_bytes({"a": 0.5})


def test_sha256_id_known_answers() -> None:
    assert sha256_id(b"") == (
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert sha256_id(b"abc") == (
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


@pytest.mark.parametrize(
    "text",
    ["sha256:" + "A" * 64, "sha256:" + "0" * 63, "sha512:" + "0" * 64, "0" * 64, 7],
    ids=["upper-case", "short", "other-hash", "no-prefix", "not-a-string"],
)
def test_malformed_ids_are_refused(text: object) -> None:
    with pytest.raises(DocumentError, match="not a document id"):
        check_id(text)


def test_document_id_hashes_canonical_bytes_with_the_signature() -> None:
    document = grant()
    assert document.id == sha256_id(document.to_json())
    assert b'"sig"' in document.to_json()


def test_signature_covers_everything_but_sig() -> None:
    document = grant()
    obj = document.to_json_dict()
    del obj["sig"]
    assert document.signing_bytes() == canonical_bytes(obj)
    assert signing_bytes(document.to_json_dict()) == document.signing_bytes()


KEYS = st.sampled_from(["sig", "si", "sih", "sig\x00", "sig\u00e9", "s\U0001f600", "\uff61"])
VALUES = st.recursive(
    st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(KEYS | st.text(), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(KEYS | st.text(max_size=3), VALUES, max_size=6))
def test_signing_bytes_cut_out_equal_those_encoded(obj: dict[str, object]) -> None:
    # signing_bytes_of finds the members after `sig` by str comparison with "sig", which
    # must agree with RFC 8785's UTF-16 order for every key, astral characters included.
    data = canonical_bytes(obj)
    assert signing_bytes_of(data, loads(data)) == signing_bytes(obj)

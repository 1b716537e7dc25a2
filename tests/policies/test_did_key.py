"""did:key identities for Ed25519 organisation keys, and the base58btc codec under them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies import (
    DocumentError,
    OrgKey,
    SignatureError,
    did_from_public_key,
    public_key_from_did,
    verify_signature,
)
from policies.identity import b58decode, b58encode

# The did:key method's Ed25519 test vectors (w3c-ccg/did-method-key, test-vectors/
# ed25519-x25519.json): seed → did and the raw key in base58btc.
DID_KEY_VECTORS = [
    (
        "00" * 32,
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        "4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS",
    ),
    (
        "00" * 31 + "01",
        "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
        "6ASf5EcmmEHTgDJ4X4ZT5vT6iHVJBXPg5AN5YoTCpGWt",
    ),
    (
        "00" * 31 + "02",
        "did:key:z6MknGc3ocHs3zdPiJbnaaqDi58NGb4pk1Sp9WxWufuXSdxf",
        "8pM1DN3RiT8vbom5u1sNryaNT1nyL8CTTW3b5PwWXRBH",
    ),
    (
        "00" * 31 + "03",
        "did:key:z6MkvqoYXQfDDJRv8L4wKzxYeuKyVZBfi9Qo6Ro8MiLH3kDQ",
        "HPYVwAQmskwT1qEEeRzhoomyfyupJGASQQtCXSNG8XS2",
    ),
    (
        "00" * 31 + "04",
        "did:key:z6MkwW6aqMnjgrhJXFUko3NnZPGzVpkNzhYK7yEhnsibmLwL",
        "J3qYF7YJMKCqQke47UQwiHizgFUXapHxRxKmxbkar89x",
    ),
]


@pytest.mark.parametrize(("seed", "did", "key_b58"), DID_KEY_VECTORS, ids=lambda v: v[-6:])
def test_did_key_spec_vectors(seed: str, did: str, key_b58: str) -> None:
    key = OrgKey.from_seed(bytes.fromhex(seed))
    assert key.did == did
    assert b58encode(key.public_key) == key_b58
    assert public_key_from_did(did) == b58decode(key_b58)


def test_did_key_spec_document_example_parses() -> None:
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    assert did_from_public_key(public_key_from_did(did)) == did


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
        (b"", ""),
        (b"\0", "1"),
    ],
)
def test_base58_known_answers(data: bytes, text: str) -> None:
    assert b58encode(data) == text
    assert b58decode(text) == data


@given(st.binary(max_size=80))
def test_base58_round_trip(data: bytes) -> None:
    assert b58decode(b58encode(data), max_length=200) == data


@pytest.mark.parametrize("char", ["0", "O", "I", "l", "+", "é"])
def test_base58_refuses_characters_outside_the_alphabet(char: str) -> None:
    with pytest.raises(DocumentError, match="not in the base58btc alphabet"):
        b58decode("2NEpo" + char)


def test_base58_bounds_its_work() -> None:
    with pytest.raises(DocumentError, match="longer than"):
        b58decode("2" * 129)


@given(st.binary(min_size=32, max_size=32))
def test_did_round_trip_for_generated_keys(seed: bytes) -> None:
    key = OrgKey.from_seed(seed)
    assert public_key_from_did(key.did) == key.public_key


def _did_of(raw: bytes) -> str:
    return "did:key:z" + b58encode(raw)


VALID = DID_KEY_VECTORS[0][1]


@pytest.mark.parametrize(
    ("did", "reason"),
    [
        ("did:web:example.org", "method other than did:key"),
        ("key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "is not a DID"),
        ("did:key:" + VALID[9:], "base58btc"),  # the 'z' multibase prefix left out
        ("did:key:m" + VALID[9:], "base58btc"),  # another multibase
        (VALID[:-1] + "0", "alphabet"),
        (VALID + "2" * 60, "longer than"),
        (_did_of(b"\xe7\x01" + b"\x02" * 33), "not an Ed25519 key"),  # secp256k1-pub
        (_did_of(b"\xed\x01" + b"\x05" * 31), "has 31 bytes"),
        (_did_of(b"\xed\x01" + b"\x05" * 33), "has 33 bytes"),
        (_did_of(b"\xed\x01" + bytes(32)), "not a valid Ed25519 public key"),
        (_did_of(b"\xed\x01" + b"\x01" + bytes(31)), "not a valid Ed25519 public key"),
    ],
    ids=[
        "did-web",
        "no-did-scheme",
        "no-multibase",
        "other-multibase",
        "bad-character",
        "too-long",
        "secp256k1",
        "short-key",
        "long-key",
        "small-order-point",
        "identity-point",
    ],
)
def test_malformed_dids_each_have_their_reason(did: str, reason: str) -> None:
    with pytest.raises(DocumentError, match=reason):
        public_key_from_did(did)


def test_non_string_did_is_refused() -> None:
    with pytest.raises(DocumentError, match="expected a string"):
        public_key_from_did(b"did:key:z6Mk")


def test_generated_keys_differ_and_serialise_as_their_seed() -> None:
    a, b = OrgKey.generate(), OrgKey.generate()
    assert a.did != b.did
    assert OrgKey.from_seed(a.to_bytes()).did == a.did


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        OrgKey.from_seed(bytes(31))


def test_repr_shows_the_did_not_the_seed() -> None:
    key = OrgKey.from_seed(b"\x42" * 32)
    assert repr(key) == f"OrgKey({key.did})"
    assert (b"\x42" * 32).hex() not in repr(key)


def test_sign_and_verify() -> None:
    key = OrgKey.from_seed(b"\x42" * 32)
    verify_signature(key.did, b"message", key.sign(b"message"))


def test_rfc8032_test_1_signature() -> None:
    # RFC 8032 §7.1 TEST 1: empty message.
    key = OrgKey.from_seed(
        bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    assert key.public_key.hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    assert key.sign(b"").hex() == (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )


def test_signature_by_another_key_is_refused() -> None:
    key, other = OrgKey.from_seed(b"\x42" * 32), OrgKey.from_seed(b"\x43" * 32)
    with pytest.raises(SignatureError):
        verify_signature(key.did, b"message", other.sign(b"message"))


def test_signature_of_another_message_is_refused() -> None:
    key = OrgKey.from_seed(b"\x42" * 32)
    with pytest.raises(SignatureError):
        verify_signature(key.did, b"message", key.sign(b"massage"))


def test_truncated_signature_is_refused() -> None:
    key = OrgKey.from_seed(b"\x42" * 32)
    with pytest.raises(SignatureError):
        verify_signature(key.did, b"message", key.sign(b"message")[:63])

"""Organisation identities: Ed25519 keys named by `did:key` identifiers.

Issuers, verifiers, the ledger operator and witnesses are each one Ed25519 key (PyNaCl).
The did:key method (W3C CCG) makes the identifier the key itself: `did:key:z` + base58btc
of the multicodec prefix of ed25519-pub (varint 0xed, 0x01) followed by the 32-byte public
key. Nothing needs resolving, so checking a signature never needs I/O.

Decoding is strict: only `did:key`, only Ed25519, only the canonical spelling, and only a
public key that is a valid curve point of large order (libsodium's check), so a key that
could never verify anything is refused when it is parsed rather than when it is used.

Base58btc is written here rather than pulled in: it is twenty lines, and decoding must be
strict (only the alphabet; leading zero bytes are leading `1`s, so each text has one value).
"""

from __future__ import annotations

from functools import lru_cache

import nacl.bindings
import nacl.exceptions
import nacl.signing

from policies.errors import DocumentError, SignatureError

__all__ = [
    "PUBLIC_KEY_BYTES",
    "SEED_BYTES",
    "SIGNATURE_BYTES",
    "OrgKey",
    "b58decode",
    "b58encode",
    "did_from_public_key",
    "public_key_from_did",
    "verify_signature",
]

PUBLIC_KEY_BYTES = 32
SEED_BYTES = 32
SIGNATURE_BYTES = 64
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: value for value, char in enumerate(_B58)}


def b58encode(data: bytes) -> str:
    """Base58btc text of `data`."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, digit = divmod(number, 58)
        digits.append(_B58[digit])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str, *, max_length: int = 128) -> bytes:
    """Bytes of base58btc `text`; `DocumentError` for a character outside the alphabet.
    `max_length` bounds the work an attacker can ask for (decoding is quadratic)."""
    if len(text) > max_length:
        raise DocumentError(f"base58: longer than {max_length} characters")
    number = 0
    for char in text:
        value = _B58_INDEX.get(char)
        if value is None:
            raise DocumentError(f"base58: {char!r} is not in the base58btc alphabet")
        number = number * 58 + value
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


_DID_PREFIX = "did:key:z"
_ED25519_PUB = b"\xed\x01"  # multicodec 0xed as an unsigned varint


def did_from_public_key(public_key: bytes) -> str:
    """The `did:key` of a 32-byte Ed25519 public key."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError(f"an Ed25519 public key has {PUBLIC_KEY_BYTES} bytes")
    return _DID_PREFIX + b58encode(_ED25519_PUB + public_key)


def public_key_from_did(did: object) -> bytes:
    """The Ed25519 public key a `did:key` names; `DocumentError` saying why otherwise."""
    if not isinstance(did, str):
        raise DocumentError("did: expected a string")
    return _public_key_from_did(did)


@lru_cache(maxsize=4096)
def _public_key_from_did(did: str) -> bytes:
    # Cached: a ledger sees the same few organisations over and over, and decoding base58
    # and checking the point cost more than the signature check they come with.
    if not did.startswith("did:"):
        raise DocumentError(f"did: {did[:40]!r} is not a DID")
    if not did.startswith("did:key:"):
        raise DocumentError(f"did: {did[:40]!r} uses a method other than did:key")
    if not did.startswith(_DID_PREFIX):
        raise DocumentError("did: did:key must be multibase base58btc (prefix 'z')")
    raw = b58decode(did[len(_DID_PREFIX) :], max_length=64)
    if raw[:2] != _ED25519_PUB:
        raise DocumentError("did: not an Ed25519 key (multicodec ed25519-pub 0xed01)")
    key = raw[2:]
    if len(key) != PUBLIC_KEY_BYTES:
        raise DocumentError(f"did: Ed25519 key has {len(key)} bytes, want {PUBLIC_KEY_BYTES}")
    if did_from_public_key(key) != did:
        raise DocumentError("did: not in canonical form")
    if not nacl.bindings.crypto_core_ed25519_is_valid_point(key):
        raise DocumentError("did: not a valid Ed25519 public key (off-curve or small order)")
    return key


def verify_signature(did: str, message: bytes, signature: bytes) -> None:
    """Return if `signature` is `did`'s Ed25519 signature on `message`; raise otherwise
    (`DocumentError` for a malformed did, `SignatureError` for everything else)."""
    key = public_key_from_did(did)
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError("signature does not verify")
    try:
        nacl.signing.VerifyKey(key).verify(message, signature)
    except nacl.exceptions.BadSignatureError:
        raise SignatureError("signature does not verify") from None


class OrgKey:
    """An organisation's Ed25519 signing key. Serialised as its 32-byte seed (`to_bytes`),
    which the holder stores encrypted; the public side is `did` / `public_key`."""

    __slots__ = ("_key",)

    def __init__(self, key: nacl.signing.SigningKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> OrgKey:
        """A fresh key from the operating system's CSPRNG."""
        return cls(nacl.signing.SigningKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> OrgKey:
        """The key of a 32-byte RFC 8032 seed (what `to_bytes` returns)."""
        if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
            raise ValueError(f"an Ed25519 seed has {SEED_BYTES} bytes")
        return cls(nacl.signing.SigningKey(seed))

    def to_bytes(self) -> bytes:
        """The 32-byte seed. Secret: store it sealed."""
        return bytes(self._key)

    @property
    def public_key(self) -> bytes:
        return self._key.verify_key.encode()

    @property
    def did(self) -> str:
        return did_from_public_key(self.public_key)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `message`."""
        return self._key.sign(message).signature

    def __repr__(self) -> str:
        return f"OrgKey({self.did})"

"""Issuer key pairs and the holder secret, as objects with named constructors.

`IssuerKey` is a BBS secret key (draft §3.3: a scalar SK in (0, r)) and `IssuerPublicKey`
its W = SK·BP2. `HolderSecret` is the citizen's `s`: signed blindly into every credential,
the discrete log of each pseudonym, the key of each consent signature. Secrets never show in
`repr` and have no `==` (compare `to_bytes()` with `constant_time_equal` if you must).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from attestations import consent
from attestations.bbs import key_gen, octets_to_pubkey, sk_to_pk
from attestations.credentials._common import SUITE, open_document
from attestations.curve import R
from attestations.encoding import b64url_encode, canonical_json, get_b64, load_canonical_json
from attestations.errors import DecodeError
from attestations.pseudonym import pseudonym

__all__ = ["HolderSecret", "IssuerKey", "IssuerPublicKey"]

#: `rng(n)` returns n random bytes; `os.urandom` unless a test fixes it.
Rng = Callable[[int], bytes]

_SUITE_ID = SUITE.ciphersuite_id.decode("ascii")


def _secret_scalar(data: bytes, what: str) -> int:
    value = int.from_bytes(data, "big")
    if len(data) != 32 or not 0 < value < R:
        raise DecodeError(f"{what}: want 32 bytes encoding a scalar in [1, r)")
    return value


class IssuerPublicKey:
    """An issuer's BBS public key (96-byte compressed G2 point, checked as it is built)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        octets_to_pubkey(bytes(data), SUITE)  # DecodeError: length, curve, subgroup, identity
        self._data = bytes(data)

    @classmethod
    def from_bytes(cls, data: bytes) -> IssuerPublicKey:
        return cls(data)

    def to_bytes(self) -> bytes:
        return self._data

    def to_json(self) -> bytes:
        doc = {"key": b64url_encode(self._data), "suite": _SUITE_ID, "type": "issuer-public-key"}
        return canonical_json(doc)

    @classmethod
    def from_json(cls, data: bytes | str) -> IssuerPublicKey:
        return cls.from_document(load_canonical_json(data))

    @classmethod
    def from_document(cls, obj: Any) -> IssuerPublicKey:
        doc = open_document(obj, "issuer-public-key", ["key", "suite"])
        if doc["suite"] != _SUITE_ID:
            raise DecodeError(f"issuer-public-key: unsupported suite {doc['suite']!r}")
        return cls(get_b64(doc, "key", length=96, what="issuer-public-key"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IssuerPublicKey) and self._data == other._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"IssuerPublicKey({b64url_encode(self._data)[:16]}…)"


class IssuerKey:
    """An issuer's BBS secret key."""

    __slots__ = ("_public", "_sk")

    def __init__(self, sk: int) -> None:
        if not 0 < sk < R:
            raise ValueError("issuer secret key out of range (0, r)")
        self._sk = sk
        self._public = IssuerPublicKey(sk_to_pk(sk.to_bytes(32, "big"), SUITE))

    @classmethod
    def generate(cls, *, rng: Rng | None = None) -> IssuerKey:
        """A fresh key from 32 bytes of `rng` (default `os.urandom`) through KeyGen (§3.3.1)."""
        material = (rng or os.urandom)(32)
        return cls(int.from_bytes(key_gen(material, b"cartera-issuer", suite=SUITE), "big"))

    @classmethod
    def from_bytes(cls, data: bytes) -> IssuerKey:
        return cls(_secret_scalar(data, "issuer key"))

    def to_bytes(self) -> bytes:
        return self._sk.to_bytes(32, "big")

    def public_key(self) -> IssuerPublicKey:
        return self._public

    def to_json(self) -> bytes:
        doc = {"key": b64url_encode(self.to_bytes()), "suite": _SUITE_ID, "type": "issuer-key"}
        return canonical_json(doc)

    @classmethod
    def from_json(cls, data: bytes | str) -> IssuerKey:
        doc = open_document(load_canonical_json(data), "issuer-key", ["key", "suite"])
        if doc["suite"] != _SUITE_ID:
            raise DecodeError(f"issuer-key: unsupported suite {doc['suite']!r}")
        return cls.from_bytes(get_b64(doc, "key", length=32, what="issuer-key"))

    def __repr__(self) -> str:
        return f"IssuerKey(public={self._public!r})"


class HolderSecret:
    """The holder secret `s`: one per citizen, in all their credentials."""

    __slots__ = ("_s",)

    def __init__(self, s: int) -> None:
        if not 0 < s < R:
            raise ValueError("holder secret out of range (0, r)")
        self._s = s

    @classmethod
    def generate(cls, *, rng: Rng | None = None) -> HolderSecret:
        """Uniform in [1, r): 48 bytes of `rng` (default `os.urandom`) reduced mod r."""
        value = int.from_bytes((rng or os.urandom)(48), "big") % R
        if value == 0:
            raise ValueError("rng produced a zero holder secret")
        return cls(value)

    @classmethod
    def from_bytes(cls, data: bytes) -> HolderSecret:
        return cls(_secret_scalar(data, "holder secret"))

    def to_bytes(self) -> bytes:
        return self._s.to_bytes(32, "big")

    def pseudonym(self, verifier_id: str) -> bytes:
        """The 48-byte pseudonym P_v = s·B_v at `verifier_id`."""
        return pseudonym(self._s, verifier_id, backend=SUITE.curve)

    def sign_consent(self, verifier_id: str, message: bytes, *, rng: Rng | None = None) -> bytes:
        """A Schnorr signature on `message` under this holder's pseudonym at `verifier_id`."""
        return consent.sign_consent(self._s, verifier_id, message, rng=rng, backend=SUITE.curve)

    def to_json(self) -> bytes:
        return canonical_json({"secret": b64url_encode(self.to_bytes()), "type": "holder-secret"})

    @classmethod
    def from_json(cls, data: bytes | str) -> HolderSecret:
        doc = open_document(load_canonical_json(data), "holder-secret", ["secret"])
        return cls.from_bytes(get_b64(doc, "secret", length=32, what="holder-secret"))

    def __repr__(self) -> str:
        return "HolderSecret(…)"

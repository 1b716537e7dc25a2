"""The vault's cryptography: Argon2id key derivation, XChaCha20-Poly1305 sealing, record ids.

- A passphrase (NFC-normalised UTF-8, as RFC 8265's OpaqueString asks, so the same words
  typed on two keyboards give the same key) goes through Argon2id (libsodium's `argon2id13`)
  with a random 16-byte salt to a 32-byte key-encryption key (KEK).
- The KEK wraps a random 32-byte data key. Two subkeys come out of the data key by keyed
  BLAKE2b with distinct personalisations: one seals records, one names them.
- Every seal is XChaCha20-Poly1305 (IETF) with a fresh random 24-byte nonce: random nonces
  of that length never repeat in practice, so no counter has to survive crashes.
- A record is sealed with (table, record id) as associated data, so a row copied to
  another id or table no longer opens.
- A record's id in the database is a keyed BLAKE2b of its natural id (a credential digest,
  a grant id that is public on the ledger…), so the file at rest does not show which
  ledger entries are this wallet's.

Nothing here touches files; `VaultKeys` never shows its bytes in `repr`.
"""

from __future__ import annotations

import hashlib
import os
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import nacl.bindings as sodium
import nacl.exceptions
from nacl.pwhash import argon2id

from wallet.errors import VaultCorrupted

__all__ = [
    "KDF_NAME",
    "KEY_BYTES",
    "NONCE_BYTES",
    "SALT_BYTES",
    "TAG_BYTES",
    "BadTag",
    "KdfParams",
    "SealedRow",
    "VaultKeys",
    "derive_kek",
    "encode_fields",
    "open_sealed",
    "passphrase_bytes",
    "seal",
]

KDF_NAME = "argon2id13"
KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES
SALT_BYTES = argon2id.SALTBYTES
#: A header may ask for at most this much memory (libsodium's SENSITIVE): a tampered header
#: must not make unlocking allocate the machine's whole memory.
MAX_MEMLIMIT = argon2id.MEMLIMIT_SENSITIVE
MAX_OPSLIMIT = 64


#: (record id, nonce, ciphertext) as stored.
SealedRow = tuple[str, bytes, bytes]


class BadTag(Exception):
    """An authentication tag did not verify (internal: callers say what it means)."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id limits. `MODERATE` is the default for people; `INTERACTIVE` is for tests
    and slow devices. The header records them, so a vault opens with the limits it was
    made with whatever today's default is."""

    opslimit: int
    memlimit: int

    MODERATE: ClassVar[KdfParams]
    INTERACTIVE: ClassVar[KdfParams]
    SENSITIVE: ClassVar[KdfParams]

    def __post_init__(self) -> None:
        if not argon2id.OPSLIMIT_MIN <= self.opslimit <= MAX_OPSLIMIT:
            raise ValueError(f"opslimit {self.opslimit} outside [1, {MAX_OPSLIMIT}]")
        if not argon2id.MEMLIMIT_MIN <= self.memlimit <= MAX_MEMLIMIT:
            raise ValueError(
                f"memlimit {self.memlimit} outside [{argon2id.MEMLIMIT_MIN}, {MAX_MEMLIMIT}]"
            )


KdfParams.MODERATE = KdfParams(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE)
KdfParams.INTERACTIVE = KdfParams(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE)
KdfParams.SENSITIVE = KdfParams(argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE)


def passphrase_bytes(passphrase: str | bytes) -> bytes:
    """The bytes a passphrase stands for: NFC UTF-8 for text, bytes as given."""
    if isinstance(passphrase, str):
        passphrase = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    if not isinstance(passphrase, bytes):
        raise TypeError("a passphrase is str or bytes")
    if not passphrase:
        raise ValueError("the passphrase is empty")
    return passphrase


def derive_kek(passphrase: str | bytes, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id(passphrase, salt) under `params`: the key-encryption key."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes")
    return bytes(
        argon2id.kdf(
            KEY_BYTES,
            passphrase_bytes(passphrase),
            salt,
            opslimit=params.opslimit,
            memlimit=params.memlimit,
        )
    )


def seal(
    key: bytes, plaintext: bytes, aad: bytes, *, nonce: bytes | None = None
) -> tuple[bytes, bytes]:
    """(nonce, ciphertext‖tag) of `plaintext` under `key`, authenticating `aad` too. The
    nonce is fresh and random unless the caller must name it in `aad` first."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"a nonce has {NONCE_BYTES} bytes")
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)
    return nonce, bytes(sealed)


def open_sealed(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    """The plaintext of a `seal`; `BadTag` if anything (key, nonce, bytes, aad) differs."""
    if len(nonce) != NONCE_BYTES or len(ciphertext) < TAG_BYTES:
        raise BadTag("wrong nonce or ciphertext length")
    try:
        return bytes(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key))
    except nacl.exceptions.CryptoError:
        raise BadTag("authentication failed") from None


def encode_fields(label: bytes, *fields: bytes | str | int) -> bytes:
    """An unambiguous byte string of `fields` under `label`: each field length-prefixed
    (integers as 8-byte big-endian), so no two field lists encode alike. Used for AAD."""
    out = [label]
    for item in fields:
        if isinstance(item, int):
            data = item.to_bytes(8, "big")
        else:
            data = item.encode("utf-8") if isinstance(item, str) else item
        out.append(struct.pack(">I", len(data)) + data)
    return b"".join(out)


class VaultKeys:
    """The subkeys of one data key: `seal_key` for records and `id_key` for their ids."""

    __slots__ = ("_data_key", "id_key", "seal_key")

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != KEY_BYTES:
            raise ValueError(f"a data key has {KEY_BYTES} bytes")
        self._data_key = data_key
        self.seal_key = _subkey(data_key, b"cartera-seal-v1")
        self.id_key = _subkey(data_key, b"cartera-rid-v1")

    @classmethod
    def generate(cls) -> VaultKeys:
        return cls(os.urandom(KEY_BYTES))

    @property
    def data_key(self) -> bytes:
        return self._data_key

    def record_id(self, table: str, natural_id: str) -> str:
        """The database id of record `natural_id` in `table`: 128-bit keyed BLAKE2b, hex."""
        message = encode_fields(b"record-id", table, natural_id)
        return hashlib.blake2b(message, key=self.id_key, digest_size=16).hexdigest()

    def seal_record(self, table: str, natural_id: str, payload: bytes) -> SealedRow:
        """The row that stores `payload` as record `natural_id` of `table`, sealed with
        (table, record id) as associated data."""
        row_id = self.record_id(table, natural_id)
        nonce, ciphertext = seal(self.seal_key, payload, _record_aad(table, row_id))
        return row_id, nonce, ciphertext

    def open_record(self, table: str, row: Sequence[Any]) -> bytes:
        """The payload of a stored row; `VaultCorrupted` naming it if it does not open."""
        row_id, nonce, ciphertext = row
        if not (isinstance(nonce, bytes) and isinstance(ciphertext, bytes)):
            raise VaultCorrupted(f"{table} record {row_id}: columns are not bytes")
        try:
            return open_sealed(self.seal_key, nonce, ciphertext, _record_aad(table, str(row_id)))
        except BadTag:
            raise VaultCorrupted(
                f"{table} record {row_id}: bad tag (tampered, moved or damaged)"
            ) from None

    def __repr__(self) -> str:
        return "VaultKeys(…)"


def _record_aad(table: str, row_id: str) -> bytes:
    return encode_fields(b"cartera-vault-record-v1", table, row_id)


def _subkey(data_key: bytes, person: bytes) -> bytes:
    return hashlib.blake2b(b"", key=data_key, person=person, digest_size=KEY_BYTES).digest()

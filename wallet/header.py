"""The vault header: format version, KDF, its limits and salt, and the wrapped data key.

The data key is sealed (XChaCha20-Poly1305) under the Argon2id key of the passphrase with
associated data = every other header field, length-prefixed:

    "cartera-vault-header-v1" ‖ format_version ‖ kdf ‖ opslimit ‖ memlimit ‖ salt

so any change to the header makes unwrapping fail. Unwrapping failures are opaque
(`WrongPassphrase`), since a wrong passphrase and a flipped bit look alike. What can be
judged without the passphrase is named: a missing or doubled header row, a field of the
wrong type or length, limits outside what this version accepts, a newer format.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attestations.encoding import b64url_encode, get_b64, get_int, get_str
from attestations.errors import DecodeError
from wallet.crypto import (
    KDF_NAME,
    KEY_BYTES,
    NONCE_BYTES,
    SALT_BYTES,
    TAG_BYTES,
    BadTag,
    KdfParams,
    VaultKeys,
    derive_kek,
    encode_fields,
    open_sealed,
    seal,
)
from wallet.errors import UnsupportedFormat, VaultCorrupted, WrongPassphrase

__all__ = ["FORMAT_VERSION", "Header"]

FORMAT_VERSION = 1
_FIELDS = ("format_version", "kdf", "opslimit", "memlimit", "salt", "key_nonce", "wrapped_key")
_LENGTHS = {"salt": SALT_BYTES, "key_nonce": NONCE_BYTES, "wrapped_key": KEY_BYTES + TAG_BYTES}


@dataclass(frozen=True)
class Header:
    """A parsed, well-formed header. Build with `wrap`, `from_rows` or `from_json_dict`."""

    format_version: int
    kdf: str
    params: KdfParams
    salt: bytes
    key_nonce: bytes
    wrapped_key: bytes

    def aad(self) -> bytes:
        return encode_fields(
            b"cartera-vault-header-v1",
            self.format_version,
            self.kdf,
            self.params.opslimit,
            self.params.memlimit,
            self.salt,
        )

    @classmethod
    def wrap(cls, keys: VaultKeys, passphrase: str | bytes, params: KdfParams) -> Header:
        """A fresh header (new salt) sealing `keys`' data key under `passphrase`."""
        salt = os.urandom(SALT_BYTES)
        kek = derive_kek(passphrase, salt, params)
        draft = cls(FORMAT_VERSION, KDF_NAME, params, salt, bytes(NONCE_BYTES), b"")
        nonce, wrapped = seal(kek, keys.data_key, draft.aad())
        return cls(FORMAT_VERSION, KDF_NAME, params, salt, nonce, wrapped)

    def unwrap(self, passphrase: str | bytes) -> VaultKeys:
        """The data key's subkeys; `WrongPassphrase` (and nothing more) on any failure."""
        kek = derive_kek(passphrase, self.salt, self.params)
        try:
            return VaultKeys(open_sealed(kek, self.key_nonce, self.wrapped_key, self.aad()))
        except BadTag:
            raise WrongPassphrase() from None

    # -- database row -----------------------------------------------------------------

    def to_row(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "kdf": self.kdf,
            "opslimit": self.params.opslimit,
            "memlimit": self.params.memlimit,
            "salt": self.salt,
            "key_nonce": self.key_nonce,
            "wrapped_key": self.wrapped_key,
        }

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> Header:
        """The header of a vault's `vault_header` rows (there must be exactly one)."""
        if len(rows) != 1:
            what = "missing" if not rows else f"{len(rows)} rows, want 1"
            raise VaultCorrupted(f"header: {what}")
        row = rows[0]
        if row.get("id") != 1:
            raise VaultCorrupted(f"header: row id is {row.get('id')!r}, want 1")
        for name in ("format_version", "opslimit", "memlimit"):
            if not isinstance(row[name], int):
                raise VaultCorrupted(f"header: {name} is not an integer")
        if not isinstance(row["kdf"], str):
            raise VaultCorrupted("header: kdf is not text")
        for name in _LENGTHS:
            if not isinstance(row[name], bytes):
                raise VaultCorrupted(f"header: {name} is not bytes")
        return cls._checked({name: row[name] for name in _FIELDS}, "header")

    # -- backup JSON ------------------------------------------------------------------

    def to_json_dict(self) -> dict[str, Any]:
        row = self.to_row()
        return {k: b64url_encode(v) if isinstance(v, bytes) else v for k, v in row.items()}

    @classmethod
    def from_json_dict(cls, obj: Mapping[str, Any]) -> Header:
        what = "backup: header"
        try:
            fields: dict[str, Any] = {
                "format_version": get_int(obj, "format_version", what=what),
                "kdf": get_str(obj, "kdf", what=what),
                "opslimit": get_int(obj, "opslimit", what=what),
                "memlimit": get_int(obj, "memlimit", what=what),
            }
            for name in _LENGTHS:
                fields[name] = get_b64(obj, name, what=what)
        except DecodeError as exc:
            raise VaultCorrupted(str(exc)) from None
        return cls._checked(fields, what)

    @classmethod
    def _checked(cls, fields: Mapping[str, Any], what: str) -> Header:
        # 1. A version and KDF this code knows (a newer file is not a damaged one).
        if fields["format_version"] != FORMAT_VERSION:
            raise UnsupportedFormat(
                f"{what}: format version {fields['format_version']}, want {FORMAT_VERSION}"
            )
        if fields["kdf"] != KDF_NAME:
            raise UnsupportedFormat(f"{what}: KDF {fields['kdf']!r}, want {KDF_NAME!r}")
        # 2. Limits within bounds, so a tampered header cannot ask for unbounded work.
        try:
            params = KdfParams(fields["opslimit"], fields["memlimit"])
        except ValueError as exc:
            raise VaultCorrupted(f"{what}: {exc}") from None
        # 3. Byte fields of their exact lengths.
        for name, length in _LENGTHS.items():
            if len(fields[name]) != length:
                got = len(fields[name])
                raise VaultCorrupted(f"{what}: {name} has {got} bytes, want {length}")
        return cls(
            FORMAT_VERSION,
            KDF_NAME,
            params,
            fields["salt"],
            fields["key_nonce"],
            fields["wrapped_key"],
        )

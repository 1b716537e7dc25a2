"""C2SP signed-note with Ed25519 keys (c2sp.org/signed-note).

A note is text ending in a newline, a blank line, then one or more lines
`— <key name> base64(key ID || signature)`. A key is named by (name, key ID) where
key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]. Opening a note checks every
signature from a trusted key (one failure rejects the note), ignores but reports
signatures from unknown keys, and requires at least one verified signature.

Key text formats (the golang.org/x/mod/sumdb/note ones the C2SP ecosystem shares):
verifier `<name>+<hex key ID>+<base64(0x01 || public key)>`, signer
`PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import nacl.exceptions
import nacl.signing

from ledger.errors import InvalidNoteSignature, MalformedNote

ED25519 = 0x01
"""The signature type byte of plain Ed25519 note signatures."""

MAX_SIGNATURES = 100
"""The spec asks verifiers to cap signatures and accept at least 16; Go's cap is 100."""

_DASH = "— "  # U+2014 EM DASH, then a space


def _b64decode(value: str, what: str) -> bytes:
    """Strict standard base64: alphabet, padding and unused bits all canonical."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise MalformedNote(f"{what}: invalid base64") from e
    if base64.b64encode(raw).decode() != value:
        raise MalformedNote(f"{what}: non-canonical base64")
    return raw


def valid_name(name: str) -> bool:
    """Key names are non-empty and hold no Unicode space and no '+'."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, public_key: bytes, sig_type: int = ED25519) -> int:
    """SHA-256(name || 0x0A || type || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _check_text(text: str) -> None:
    """The note-text rules shared by signing and opening (spec §Format)."""
    if not text.endswith("\n"):
        raise MalformedNote("malformed note: text does not end in a newline")
    for i, c in enumerate(text):
        if c < " " and c != "\n":
            raise MalformedNote(f"malformed note: control character U+{ord(c):04X} at {i}")


def _parse_key(text: str, *, prefix: str) -> tuple[str, int, bytes]:
    if not text.startswith(prefix):
        raise MalformedNote(f"malformed key: does not start with {prefix!r}")
    # Names and key IDs hold no '+'; the base64 key may.
    parts = text[len(prefix) :].split("+", 2)
    if len(parts) != 3:
        raise MalformedNote("malformed key: want <name>+<key ID>+<base64 key>")
    name, hex_id, b64 = parts
    if not valid_name(name):
        raise MalformedNote(f"malformed key: invalid key name {name!r}")
    if len(hex_id) != 8 or hex_id != hex_id.lower():
        raise MalformedNote(f"malformed key: key ID {hex_id!r} is not 8 lowercase hex digits")
    try:
        kid = int(hex_id, 16)
    except ValueError:
        raise MalformedNote(f"malformed key: key ID {hex_id!r} is not hex") from None
    raw = _b64decode(b64, "malformed key")
    if not raw or raw[0] != ED25519:
        raise MalformedNote(f"malformed key: got algorithm {raw[:1].hex() or 'none'}, want 01")
    if len(raw) != 33:
        raise MalformedNote(f"malformed key: got {len(raw) - 1} key bytes, want 32")
    return name, kid, raw[1:]


@dataclass(frozen=True)
class VerifierKey:
    """A trusted Ed25519 note key."""

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def from_text(cls, vkey: str) -> VerifierKey:
        name, kid, public = _parse_key(vkey, prefix="")
        if kid != key_id(name, public):
            raise MalformedNote(
                f"malformed key: got key ID {kid:08x}, want {key_id(name, public):08x}"
            )
        return cls(name, kid, public)

    def to_text(self) -> str:
        b64 = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{b64}"

    @property
    def label(self) -> str:
        return f"{self.name}+{self.key_id:08x}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            nacl.signing.VerifyKey(self.public_key).verify(text, signature)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            return False
        return True


@dataclass(frozen=True)
class SignerKey:
    """An Ed25519 note signing key; its seed never appears in `repr`."""

    name: str
    key_id: int
    seed: bytes = field(repr=False)

    @classmethod
    def generate(cls, name: str) -> SignerKey:
        return cls.from_seed(name, bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> SignerKey:
        if not valid_name(name):
            raise ValueError(f"invalid key name {name!r}")
        if len(seed) != 32:
            raise ValueError(f"seed: got {len(seed)} bytes, want 32")
        public = bytes(nacl.signing.SigningKey(seed).verify_key)
        return cls(name, key_id(name, public), seed)

    @classmethod
    def from_text(cls, skey: str) -> SignerKey:
        name, kid, seed = _parse_key(skey, prefix="PRIVATE+KEY+")
        key = cls.from_seed(name, seed)
        if kid != key.key_id:
            raise MalformedNote(f"malformed key: got key ID {kid:08x}, want {key.key_id:08x}")
        return key

    def to_text(self) -> str:
        b64 = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{b64}"

    @cached_property
    def _signing_key(self) -> nacl.signing.SigningKey:
        return nacl.signing.SigningKey(self.seed)

    def verifier(self) -> VerifierKey:
        return VerifierKey(self.name, self.key_id, bytes(self._signing_key.verify_key))

    def sign(self, text: bytes) -> bytes:
        return self._signing_key.sign(text).signature


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the algorithm's signature bytes."""

    name: str
    key_id: int
    signature: bytes

    @property
    def base64(self) -> str:
        return base64.b64encode(self.key_id.to_bytes(4, "big") + self.signature).decode()

    def line(self) -> str:
        return f"{_DASH}{self.name} {self.base64}\n"


def _parse_signature(line: str) -> NoteSignature:
    if not line.startswith(_DASH):
        raise MalformedNote(f"malformed note: signature line {line!r} does not start with '— '")
    name, sep, b64 = line[len(_DASH) :].partition(" ")
    if not sep or not valid_name(name):
        raise MalformedNote(f"malformed note: invalid key name in signature line {line!r}")
    raw = _b64decode(b64, f"malformed note: signature of {name}")
    if len(raw) < 5:
        raise MalformedNote(f"malformed note: signature of {name} has {len(raw)} bytes, want > 4")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True)
class VerifiedNote:
    """An opened note: its text and which signatures were checked or ignored."""

    text: str
    verified: tuple[NoteSignature, ...]
    unverified: tuple[NoteSignature, ...]


@dataclass(frozen=True)
class SignedNote:
    """A syntactically valid note. Its text means nothing until `verify` succeeds."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        _check_text(self.text)
        if not self.signatures:
            raise MalformedNote("malformed note: no signature lines")

    @classmethod
    def from_text(cls, note: str | bytes) -> SignedNote:
        if isinstance(note, bytes):
            try:
                note = note.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedNote("malformed note: not valid UTF-8") from None
        _check_text(note)
        split = note.rfind("\n\n")
        if split < 0:
            raise MalformedNote("malformed note: no blank line before the signatures")
        text, block = note[: split + 1], note[split + 2 :]
        if not block:
            raise MalformedNote("malformed note: no signature lines")
        lines = block.removesuffix("\n").split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise MalformedNote(
                f"malformed note: got {len(lines)} signatures, want <= {MAX_SIGNATURES}"
            )
        unique = dict.fromkeys(_parse_signature(line) for line in lines)
        return cls(text, tuple(unique))

    def to_text(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    def verify(self, keys: Iterable[VerifierKey]) -> VerifiedNote:
        """Check every signature from a trusted key; ignore (but report) the others."""
        by_id: dict[tuple[str, int], list[VerifierKey]] = {}
        for key in keys:
            by_id.setdefault((key.name, key.key_id), []).append(key)
        message = self.text.encode()
        verified, unverified = [], []
        for sig in self.signatures:
            candidates = by_id.get((sig.name, sig.key_id), [])
            if not candidates:
                unverified.append(sig)
                continue
            if len(candidates) > 1:
                raise InvalidNoteSignature(f"ambiguous key {candidates[0].label}")
            if not candidates[0].verify(message, sig.signature):
                raise InvalidNoteSignature(f"invalid signature for key {candidates[0].label}")
            verified.append(sig)
        if not verified:
            raise InvalidNoteSignature(
                "note has no verifiable signatures", unverified=tuple(unverified)
            )
        return VerifiedNote(self.text, tuple(verified), tuple(unverified))


def sign(text: str, signers: Sequence[SignerKey]) -> str:
    """The signed note for `text`, one line per signer (Ed25519 is deterministic)."""
    _check_text(text)
    if not signers:
        raise ValueError("sign: at least one signer is needed")
    message = text.encode()
    sigs = [NoteSignature(s.name, s.key_id, s.sign(message)) for s in signers]
    return SignedNote(text, tuple(sigs)).to_text()


def open_note(note: str | bytes, keys: Iterable[VerifierKey]) -> VerifiedNote:
    """Parse `note` and verify it against the trusted `keys` (see `SignedNote.verify`)."""
    return SignedNote.from_text(note).verify(keys)

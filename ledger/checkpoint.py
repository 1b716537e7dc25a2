"""C2SP tlog-checkpoint bodies (c2sp.org/tlog-checkpoint) inside signed notes.

The note text is at least three non-empty lines: the log's origin, the tree size in ASCII
decimal without leading zeroes, the base64 RFC 9162 root hash; then optional non-empty
extension lines. A checkpoint is trusted only when the log's own key signed it and its
origin is the one the caller expects; other valid signatures (witness cosignatures) are
reported, unknown ones ignored.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.errors import InvalidNoteSignature, MalformedCheckpoint
from ledger.merkle import HASH_SIZE
from ledger.note import SignedNote, SignerKey, VerifiedNote, VerifierKey, sign

MAX_SIZE = 2**64 - 1
"""Tree sizes are uint64 in every tlog implementation; refuse anything larger."""


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, size and root hash (plus opaque extension lines)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise MalformedCheckpoint(f"checkpoint: invalid origin {self.origin!r}")
        if not 0 <= self.size <= MAX_SIZE:
            raise MalformedCheckpoint(f"checkpoint: got size {self.size}, want 0..2^64-1")
        if len(self.root_hash) != HASH_SIZE:
            raise MalformedCheckpoint(
                f"checkpoint: got {len(self.root_hash)}-byte root hash, want {HASH_SIZE}"
            )
        for line in self.extensions:
            if not line or "\n" in line:
                raise MalformedCheckpoint(f"checkpoint: invalid extension line {line!r}")

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a note text; every malformed case has its own message."""
        if not text.endswith("\n"):
            raise MalformedCheckpoint("checkpoint: text does not end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedCheckpoint(f"checkpoint: got {len(lines)} lines, want at least 3")
        origin, size_line, root_line, *extensions = lines
        if not origin:
            raise MalformedCheckpoint("checkpoint: empty origin line")
        if not (size_line.isascii() and size_line.isdigit()) or len(size_line) > 20:
            raise MalformedCheckpoint(f"checkpoint: size {size_line!r} is not decimal")
        if size_line != str(int(size_line)):
            raise MalformedCheckpoint(f"checkpoint: size {size_line!r} has leading zeroes")
        try:
            root = base64.b64decode(root_line, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedCheckpoint(
                f"checkpoint: root hash {root_line!r} is not base64"
            ) from None
        if base64.b64encode(root).decode() != root_line:
            raise MalformedCheckpoint(f"checkpoint: root hash {root_line!r} is not canonical")
        if any(not line for line in extensions):
            raise MalformedCheckpoint("checkpoint: empty extension line")
        return cls(origin, int(size_line), root, tuple(extensions))

    def to_text(self) -> str:
        root = base64.b64encode(self.root_hash).decode()
        return "".join(f"{line}\n" for line in (self.origin, self.size, root, *self.extensions))

    def sign(self, signer: SignerKey) -> str:
        """The signed note of this checkpoint (the log's key should be named as the origin)."""
        return sign(self.to_text(), [signer])


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose note the log's key verified, with the note it came from."""

    checkpoint: Checkpoint
    note: str
    signatures: VerifiedNote


def open_checkpoint(
    note: str | bytes,
    log_key: VerifierKey,
    *,
    origin: str,
    witness_keys: Iterable[VerifierKey] = (),
) -> SignedCheckpoint:
    """Verify a checkpoint note from the log `log_key` whose origin must be `origin`."""
    # 1. The note parses and every signature from a known key (log or witness) verifies.
    parsed = SignedNote.from_text(note)
    opened = parsed.verify([log_key, *witness_keys])
    # 2. The log itself signed it: witnesses alone do not make a checkpoint.
    if not any((s.name, s.key_id) == (log_key.name, log_key.key_id) for s in opened.verified):
        raise InvalidNoteSignature(f"checkpoint: no signature from log key {log_key.label}")
    # 3. The body is a checkpoint of the expected log.
    checkpoint = Checkpoint.from_text(opened.text)
    if checkpoint.origin != origin:
        raise MalformedCheckpoint(f"checkpoint: got origin {checkpoint.origin!r}, want {origin!r}")
    text = note if isinstance(note, str) else note.decode()
    return SignedCheckpoint(checkpoint, text, opened)

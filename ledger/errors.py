"""The exception family of `ledger`.

Caller mistakes (a wrong type, a negative batch size) stay `TypeError`/`ValueError`.
Everything that arrives from outside — a proof, a note, a checkpoint, an entry, a row read
back from the database — fails with a `LedgerError`, whose message names what was wrong as
"got X, want Y" where that helps. Front ends (HTTP, CLI) map this family exactly once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.note import NoteSignature


class LedgerError(Exception):
    """Base class of every error raised by the ledger."""


class InvalidProof(LedgerError):
    """An inclusion or consistency proof does not verify (RFC 9162 §2.1.3.2, §2.1.4.2)."""


class MalformedNote(LedgerError):
    """A signed note, verifier key or signer key breaks the C2SP signed-note syntax."""


class InvalidNoteSignature(LedgerError):
    """A note cannot be trusted: a known key's signature fails, or no known key signed it."""

    def __init__(self, message: str, *, unverified: tuple[NoteSignature, ...] = ()) -> None:
        super().__init__(message)
        # Signatures from unknown keys, for callers that want to report who did sign.
        self.unverified = unverified


class MalformedCheckpoint(LedgerError):
    """A note text is not a C2SP tlog-checkpoint body, or names another origin."""


class EntryRejected(LedgerError):
    """The entry validator or a state rule refused an entry; nothing was written."""


class NotFound(LedgerError):
    """An entry, checkpoint or tree size the caller asked for does not exist (yet)."""


class StorageCorrupt(LedgerError):
    """Stored rows contradict each other (a missing node, a hash of the wrong length)."""


class SequencerClosed(LedgerError):
    """An append arrived after the sequencer was closed, or the sequencer stopped."""


class WorkerFailed(LedgerError):
    """A worker process checking entries died (or none could be started) before it
    answered: the entry was not appended, and sending it again is safe."""

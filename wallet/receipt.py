"""Ledger receipts: what the ledger answers to an append, as the wallet keeps it.

A receipt is the entry's index, the signed checkpoint note the ledger returned with it and
the RFC 9162 inclusion proof of the entry in that checkpoint's tree. The wallet keeps
receipts for the consents it signed, so that it can later show (to the citizen, to an
auditor, in a dispute) that the ledger acknowledged each grant and revocation.

Parsing checks the note's syntax and that the proof leads from the entry to the
checkpoint's root. It does not check the operator's signature: that needs the ledger's key
and belongs to the ledger client, which keeps the wallet's last checkpoint consistent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from attestations.encoding import b64url_decode, b64url_encode, get_int, get_str
from attestations.errors import DecodeError
from ledger.checkpoint import Checkpoint
from ledger.errors import LedgerError
from ledger.merkle import check_inclusion, leaf_hash
from ledger.note import SignedNote
from wallet.errors import WalletError

__all__ = ["InvalidReceipt", "LedgerReceipt", "parse_checkpoint_note"]


class InvalidReceipt(WalletError):
    """A receipt is malformed or does not prove its entry into its checkpoint."""


def parse_checkpoint_note(note: str) -> Checkpoint:
    """The checkpoint body of a signed note (syntax only; no key is checked here)."""
    try:
        return Checkpoint.from_text(SignedNote.from_text(note).text)
    except LedgerError as exc:
        raise InvalidReceipt(f"checkpoint note: {exc}") from None


@dataclass(frozen=True)
class LedgerReceipt:
    """An entry's `index`, the signed `checkpoint` note and the `proof` of inclusion."""

    index: int
    checkpoint: str
    proof: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise InvalidReceipt(f"receipt: index {self.index!r} is not a non-negative integer")
        size = self.tree.size
        if self.index >= size:
            raise InvalidReceipt(f"receipt: index {self.index} beyond tree size {size}")

    @property
    def tree(self) -> Checkpoint:
        return parse_checkpoint_note(self.checkpoint)

    @property
    def origin(self) -> str:
        return self.tree.origin

    def verify_inclusion(self, entry: bytes) -> None:
        """Return if the proof shows `entry` (canonical bytes) at `index` under the
        checkpoint's root; `InvalidReceipt` otherwise."""
        tree = self.tree
        try:
            check_inclusion(leaf_hash(entry), self.index, tree.size, self.proof, tree.root_hash)
        except LedgerError as exc:
            raise InvalidReceipt(f"receipt for index {self.index}: {exc}") from None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint,
            "index": self.index,
            "proof": [b64url_encode(h) for h in self.proof],
        }

    @classmethod
    def from_json_dict(cls, obj: Mapping[str, Any]) -> LedgerReceipt:
        try:
            raw = obj.get("proof")
            if not isinstance(raw, list):
                raise DecodeError("receipt: field 'proof' must be a list")
            proof = tuple(b64url_decode(h) for h in raw)
            index = get_int(obj, "index", what="receipt")
            note = get_str(obj, "checkpoint", what="receipt")
        except DecodeError as exc:
            raise InvalidReceipt(str(exc)) from None
        return cls(index, note, proof)

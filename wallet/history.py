"""The wallet's history: the presentations it made and the ledger checkpoints it saw.

Presentations are kept under the digest of their bytes, the digest a verifier's
`access.record` names, so the access history read from the ledger later matches what the
wallet showed. The last checkpoint per ledger origin only moves forward; the compare and
the set happen in one locked transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from policies import Predicate
from wallet.contents import Table, now_seconds
from wallet.errors import CheckpointConflict, NotFound
from wallet.receipt import parse_checkpoint_note
from wallet.records import PresentationRecord, StoredCheckpoint

__all__ = ["Checkpoints", "Presentations"]


class Presentations(Table):
    """Presentations this wallet made: who got what, when, under which grant."""

    table = "vault_presentation"

    def record(
        self,
        *,
        verifier: str,
        credential_id: str,
        disclosed: Iterable[str],
        presentation: bytes,
        predicates: Iterable[Predicate] = (),
        purpose: str | None = None,
        grant_id: str | None = None,
        now: datetime.datetime | None = None,
    ) -> PresentationRecord:
        entry = PresentationRecord(
            verifier=verifier,
            credential_id=credential_id,
            disclosed=tuple(disclosed),
            presented_at=now_seconds(now),
            presentation=bytes(presentation),
            predicates=tuple(predicates),
            purpose=purpose,
            grant_id=grant_id,
        )
        with self._vault.writing() as conn:
            self._vault.put(conn, self.table, entry.id, entry.payload())
        return entry

    def get(self, presentation_id: str) -> PresentationRecord:
        found = self._get(presentation_id, PresentationRecord.from_payload)
        if found is None:
            raise NotFound(f"no presentation {presentation_id!r} in this wallet")
        return found

    def all(self, *, verifier: str | None = None) -> list[PresentationRecord]:
        """Every presentation (to `verifier` only, if given), oldest first."""
        found = self._all(PresentationRecord.from_payload)
        mine = [p for p in found if verifier is None or p.verifier == verifier]
        return sorted(mine, key=lambda p: (p.presented_at, p.id))


class Checkpoints(Table):
    """The last checkpoint seen from each ledger: it only moves forward."""

    table = "vault_checkpoint"

    def get(self, origin: str) -> StoredCheckpoint | None:
        return self._get(origin, StoredCheckpoint.from_payload)

    def all(self) -> list[StoredCheckpoint]:
        return sorted(self._all(StoredCheckpoint.from_payload), key=lambda c: c.origin)

    def advance(self, note: str, *, now: datetime.datetime | None = None) -> StoredCheckpoint:
        """Keep `note` as its ledger's last checkpoint unless a larger one is kept already;
        returns what is kept. The caller checked `note`'s signature and its consistency
        with `get(origin)`; this only makes the compare-and-set atomic across processes.
        `CheckpointConflict` if a kept note of the same size has another root."""
        body = parse_checkpoint_note(note)
        with self._vault.writing() as conn:
            kept = self.get(body.origin)
            if kept is not None:
                old = kept.checkpoint
                if old.size > body.size:
                    return kept
                if old.size == body.size:
                    if old.root_hash != body.root_hash:
                        raise CheckpointConflict(
                            f"ledger {body.origin!r} showed two trees of size {body.size}"
                        )
                    return kept
            stored = StoredCheckpoint(note, now_seconds(now))
            self._vault.put(conn, self.table, body.origin, stored.payload())
        return stored

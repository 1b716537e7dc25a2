"""The petitions an audit finds: each valid petition with the signatures the replay counted.

The replay applies every `petition.sign` with the ledger's own rules (`ledger.petitions`)
and no memory of the ledger's: every presentation is verified again, against the
petition and the issuer keys as the replayed log has them, and a signature that breaks
a rule is a violation at its index (a second signature of one pseudonym is
`rule_violation:already_signed`, a tampered one most often `rule_violation:bad_signature`
besides its `leaf_hash_mismatch`). The tally reported here is a count of the signature
rows the replay wrote, not a counter kept on the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.db import ENTRY_TABLE
from ledger.state.petitions import PETITIONS, SIGNATURES
from policies import PetitionOpen, format_time

__all__ = ["PetitionTally", "tallies"]


@dataclass(frozen=True)
class PetitionTally:
    """A valid petition and how many valid signatures it has."""

    id: str
    index: int
    title: str
    organiser: str
    closes_at: datetime
    signatures: int

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "index": self.index, "title": self.title,
            "organiser": self.organiser, "closes_at": format_time(self.closes_at),
            "signatures": self.signatures,
        }  # fmt: skip


def tallies(conn: Connection) -> tuple[PetitionTally, ...]:
    """The petitions in a replayed state index (whose entry table holds their bytes), in
    log order, each with its signatures counted."""
    counted = (
        sa.select(SIGNATURES.c.petition, sa.func.count().label("n"))
        .group_by(SIGNATURES.c.petition)
        .subquery()
    )
    query = (
        sa.select(PETITIONS.c.id, PETITIONS.c.idx, ENTRY_TABLE.c.data, counted.c.n)
        .join(ENTRY_TABLE, ENTRY_TABLE.c.idx == PETITIONS.c.idx)
        .outerjoin(counted, counted.c.petition == PETITIONS.c.id)
        .order_by(PETITIONS.c.idx)
    )
    found = []
    for petition_id, index, data, n in conn.execute(query):
        opened = PetitionOpen.from_json(bytes(data))
        found.append(
            PetitionTally(
                petition_id, int(index), opened.title, opened.organiser,
                opened.closes_at.astimezone(UTC), int(n or 0),
            )
        )  # fmt: skip
    return tuple(found)

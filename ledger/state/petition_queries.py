"""What the service asks of the petitions' index: a petition and a range of its signatures.

Both join `ledger_entry` for the entries' bytes, like `ledger.state.queries`, and each is
one indexed lookup: the petition by primary key, its signatures by the unique index on
(petition, number). Unknown ids raise `NotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.db import ENTRY_TABLE
from ledger.errors import NotFound
from ledger.state.petitions import PETITIONS, SIGNATURES
from ledger.state.tables import Logged

__all__ = ["PetitionState", "petition", "petition_signatures"]

_E, _P, _S = ENTRY_TABLE, PETITIONS.c, SIGNATURES.c


@dataclass(frozen=True)
class PetitionState(Logged):
    """A petition's `petition.open` entry, its tally and its window (epoch seconds)."""

    id: str
    signatures: int
    created_at: int
    closes_at: int


def petition(conn: Connection, *, petition_id: str) -> PetitionState:
    query = (
        sa.select(_P.idx, _E.c.data, _P.signatures, _P.created_at, _P.closes_at)
        .join(_E, _E.c.idx == _P.idx)
        .where(_P.id == petition_id)
    )
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no petition {petition_id}")
    return PetitionState(
        row.idx, bytes(row.data), petition_id, row.signatures, row.created_at, row.closes_at
    )


def petition_signatures(
    conn: Connection, *, petition_id: str, start: int, stop: int
) -> list[Logged]:
    """The petition's signatures numbered `start <= number < stop`, in log order
    (`NotFound` if there is no such petition)."""
    found = conn.execute(sa.select(_P.idx).where(_P.id == petition_id)).first()
    if found is None:
        raise NotFound(f"no petition {petition_id}")
    query = (
        sa.select(_S.idx, _E.c.data)
        .join(_E, _E.c.idx == _S.idx)
        .where(_S.petition == petition_id, _S.number >= start, _S.number < stop)
        .order_by(_S.number)
    )
    return [Logged(r.idx, bytes(r.data)) for r in conn.execute(query)]

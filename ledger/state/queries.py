"""What the service asks the state index: keyword-only reads, each one indexed lookup.

They join `ledger_entry` for the entries' bytes, so an answer carries the exact signed
document next to what the index derived from it. Unknown ids raise `NotFound`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ledger.db import ENTRY_TABLE
from ledger.errors import NotFound
from ledger.state.tables import (
    ACCESSES,
    GRANTS,
    HEAD,
    KEYS,
    VERIFIERS,
    AccessState,
    GrantState,
    IssuerKeyState,
    Logged,
)

_E = ENTRY_TABLE
_REVOKE = ENTRY_TABLE.alias("revocation")
_GRANT = sa.select(GRANTS, _E.c.data).join(_E, _E.c.idx == GRANTS.c.idx)


def _grant(row: Row[Any]) -> GrantState:
    return GrantState(
        row.id, row.idx, bytes(row.data), bytes(row.pseudonym), row.verifier, row.not_before,
        row.not_after, row.max_uses, row.uses, row.last_use, row.revoked_at, row.revoked_idx,
    )  # fmt: skip


def applied(conn: Connection) -> int:
    """How many log entries the index reflects."""
    found = conn.execute(sa.select(HEAD.c.applied).where(HEAD.c.id == 1)).scalar()
    return 0 if found is None else int(found)


def grant(conn: Connection, *, grant_id: str) -> GrantState:
    row = conn.execute(_GRANT.where(GRANTS.c.id == grant_id)).first()
    if row is None:
        raise NotFound(f"no grant {grant_id}")
    return _grant(row)


def grants_for(conn: Connection, *, pseudonym: bytes, verifier: str) -> list[GrantState]:
    """Every grant of `pseudonym` at `verifier`, in log order."""
    query = _GRANT.where(GRANTS.c.pseudonym == pseudonym, GRANTS.c.verifier == verifier)
    return [_grant(r) for r in conn.execute(query.order_by(GRANTS.c.idx))]


def live_grants(conn: Connection, *, pseudonym: bytes, verifier: str, at: int) -> list[GrantState]:
    """The grants of `pseudonym` at `verifier` whose status at `at` is live (index search)."""
    g = GRANTS.c
    query = _GRANT.where(
        g.pseudonym == pseudonym, g.verifier == verifier, g.not_after > at, g.not_before <= at,
        sa.or_(g.revoked_at.is_(None), g.revoked_at > at),
        sa.or_(g.max_uses.is_(None), g.uses < g.max_uses),
    )  # fmt: skip
    return [_grant(r) for r in conn.execute(query.order_by(g.idx))]


def grant_accesses(conn: Connection, *, grant_id: str) -> list[int]:
    """Log indexes of the accesses recorded under `grant_id`."""
    query = sa.select(ACCESSES.c.idx).where(ACCESSES.c.grant_id == grant_id)
    return list(conn.execute(query.order_by(ACCESSES.c.idx)).scalars())


def accesses_for(conn: Connection, *, pseudonym: bytes) -> list[AccessState]:
    """Every access recorded under a grant of `pseudonym` (a citizen's history)."""
    a = ACCESSES.c
    query = (
        sa.select(a.idx, _E.c.data, a.grant_id, a.at)
        .join(GRANTS, GRANTS.c.id == a.grant_id)
        .join(_E, _E.c.idx == a.idx)
        .where(GRANTS.c.pseudonym == pseudonym)
        .order_by(a.idx)
    )
    return [AccessState(r.idx, bytes(r.data), r.grant_id, r.at) for r in conn.execute(query)]


def issuer_keys(conn: Connection, *, issuer: str) -> list[IssuerKeyState]:
    """The keys `issuer` registered, in log order (`NotFound` if none)."""
    query = (
        sa.select(KEYS.c.public_key, KEYS.c.idx, _E.c.data, KEYS.c.revoked_idx,
                  _REVOKE.c.data.label("revocation"))
        .join(_E, _E.c.idx == KEYS.c.idx)
        .outerjoin(_REVOKE, _REVOKE.c.idx == KEYS.c.revoked_idx)
        .where(KEYS.c.issuer == issuer)
        .order_by(KEYS.c.idx)
    )  # fmt: skip
    keys = [
        IssuerKeyState(r.idx, bytes(r.data), bytes(r.public_key),
                       None if r.revoked_idx is None else Logged(r.revoked_idx, r.revocation))
        for r in conn.execute(query)
    ]  # fmt: skip
    if not keys:
        raise NotFound(f"no issuer {issuer}")
    return keys


def verifier(conn: Connection, *, did: str) -> Logged:
    """A verifier's registration entry."""
    query = (
        sa.select(VERIFIERS.c.idx, _E.c.data)
        .join(_E, _E.c.idx == VERIFIERS.c.idx)
        .where(VERIFIERS.c.did == did)
    )
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no verifier {did}")
    return Logged(row.idx, bytes(row.data))

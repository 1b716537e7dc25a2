"""The state index: what the log's entries add up to, kept beside the log.

`ledger.rules` writes these rows from inside each batch transaction, in log order, so the
index always describes exactly the entries `[0, applied)` and commits or rolls back with
them. It is derived data: the log is the authority, and an auditor rebuilds the same
state by replaying it (DESIGN.md §Ledger).

Times are integer seconds since the epoch (UTC), comparable and indexable alike on SQLite
and PostgreSQL. `ix_ledger_grant_lookup (pseudonym, verifier, not_after)` answers "which
grants of pseudonym X at verifier Y are live at T" with one index range search (equality
on the first two columns, `not_after > T` on the third); the remaining conditions filter
only that citizen's grants at that service. Entry bytes are joined from `ledger_entry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlmodel import Field, SQLModel

from ledger.db import ENTRY_TABLE, lock_writers, writer
from ledger.errors import NotFound

_Int = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DID, _ID = sa.String(128), sa.String(71)  # did:key Ed25519 is 56 characters; sha256:<64 hex>


def _col(kind: Any, *, key: bool = False, null: bool = False, **kw: Any) -> Any:
    return Field(sa_column=sa.Column(kind, primary_key=key, nullable=null, **kw))


class IssuerKeyRow(SQLModel, table=True):
    """A registered BBS key (`issuer.register`) and its revocation, if any."""

    __tablename__: ClassVar[Any] = "ledger_issuer_key"
    public_key: bytes = _col(sa.LargeBinary(96), key=True)
    issuer: str = _col(_DID, index=True)
    idx: int = _col(_Int)
    revoked_idx: int | None = _col(_Int, null=True)


class IssuerSchemaRow(SQLModel, table=True):
    """A schema some registered key signs under (for `unknown_schema`)."""

    __tablename__: ClassVar[Any] = "ledger_issuer_schema"
    schema_id: str = _col(_ID, key=True)
    public_key: bytes = _col(sa.LargeBinary(96), key=True)


class VerifierRow(SQLModel, table=True):
    """A registered verifier (`verifier.register`, once per did)."""

    __tablename__: ClassVar[Any] = "ledger_verifier"
    did: str = _col(_DID, key=True)
    idx: int = _col(_Int, unique=True)


class GrantRow(SQLModel, table=True):
    """A consent grant, its use count and its revocation."""

    __tablename__: ClassVar[Any] = "ledger_grant"
    __table_args__: ClassVar[Any] = (
        sa.Index("ix_ledger_grant_lookup", "pseudonym", "verifier", "not_after"),
    )
    id: str = _col(_ID, key=True)
    idx: int = _col(_Int, unique=True)
    pseudonym: bytes = _col(sa.LargeBinary(48))
    verifier: str = _col(_DID)
    schema_id: str = _col(_ID)
    purpose: str = _col(sa.String(64))
    not_before: int = _col(sa.BigInteger)
    not_after: int = _col(sa.BigInteger)
    max_uses: int | None = _col(sa.BigInteger, null=True)
    uses: int = _col(sa.BigInteger)
    last_use: int | None = _col(sa.BigInteger, null=True)
    revoked_at: int | None = _col(sa.BigInteger, null=True)
    revoked_idx: int | None = _col(_Int, null=True)


class AccessRow(SQLModel, table=True):
    """One `access.record`: which grant, when."""

    __tablename__: ClassVar[Any] = "ledger_access"
    idx: int = _col(_Int, key=True, autoincrement=False)
    grant_id: str = _col(_ID, index=True)
    at: int = _col(sa.BigInteger)


class StateHeadRow(SQLModel, table=True):
    """How many log entries the index reflects (one row)."""

    __tablename__: ClassVar[Any] = "ledger_state"
    id: int = _col(sa.Integer, key=True, autoincrement=False)
    applied: int = _col(sa.BigInteger)


_meta = SQLModel.metadata.tables
KEYS, SCHEMAS, VERIFIERS = (
    _meta["ledger_issuer_key"], _meta["ledger_issuer_schema"], _meta["ledger_verifier"],
)  # fmt: skip
GRANTS, ACCESSES, HEAD = _meta["ledger_grant"], _meta["ledger_access"], _meta["ledger_state"]
STATE_TABLES = [KEYS, SCHEMAS, VERIFIERS, GRANTS, ACCESSES, HEAD]


def create_tables(engine: Engine) -> None:
    """Create the index's tables if missing (under the writers' lock, like `ledger.db`)."""
    with writer(engine).begin() as conn:
        lock_writers(conn)
        SQLModel.metadata.create_all(conn, tables=STATE_TABLES)


class GrantStatus(StrEnum):
    LIVE = "live"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class GrantState:
    """A grant as the index knows it, with the bytes of its entry."""

    id: str
    index: int
    entry: bytes
    pseudonym: bytes
    verifier: str
    not_before: int
    not_after: int
    max_uses: int | None
    uses: int
    last_use: int | None
    revoked_at: int | None
    revoked_index: int | None

    def status(self, at: int) -> GrantStatus:
        """Its status at `at` (epoch seconds); the use count is the one recorded so far."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return GrantStatus.REVOKED
        if at >= self.not_after:
            return GrantStatus.EXPIRED
        if at < self.not_before:
            return GrantStatus.NOT_YET_VALID
        if self.max_uses is not None and self.uses >= self.max_uses:
            return GrantStatus.EXHAUSTED
        return GrantStatus.LIVE


@dataclass(frozen=True)
class Logged:
    """An entry the index points to: its log index and bytes."""

    index: int
    entry: bytes


@dataclass(frozen=True)
class AccessState(Logged):
    grant_id: str
    at: int


@dataclass(frozen=True)
class IssuerKeyState(Logged):
    """A key's registration, and its revocation entry if it has one."""

    public_key: bytes
    revocation: Logged | None


_E = ENTRY_TABLE
_REVOKE = ENTRY_TABLE.alias("revocation")
_GRANT = sa.select(GRANTS, _E.c.data).join(_E, _E.c.idx == GRANTS.c.idx)


def _grant(row: Row[Any]) -> GrantState:
    return GrantState(
        row.id, row.idx, bytes(row.data), bytes(row.pseudonym), row.verifier, row.not_before,
        row.not_after, row.max_uses, row.uses, row.last_use, row.revoked_at, row.revoked_idx,
    )  # fmt: skip


# --- reads ----------------------------------------------------------------------------


def applied(conn: Connection) -> int:
    """How many log entries the index reflects."""
    found = conn.execute(sa.select(HEAD.c.applied).where(HEAD.c.id == 1)).scalar()
    return 0 if found is None else int(found)


def find_grant(conn: Connection, grant_id: str) -> GrantState | None:
    row = conn.execute(_GRANT.where(GRANTS.c.id == grant_id)).first()
    return None if row is None else _grant(row)


def grant(conn: Connection, *, grant_id: str) -> GrantState:
    found = find_grant(conn, grant_id)
    if found is None:
        raise NotFound(f"no grant {grant_id}")
    return found


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


def find_issuer_key(conn: Connection, public_key: bytes) -> tuple[str, int | None] | None:
    """(issuer, revocation index) of a registered key, or None."""
    query = sa.select(KEYS.c.issuer, KEYS.c.revoked_idx).where(KEYS.c.public_key == public_key)
    row = conn.execute(query).first()
    return None if row is None else (row.issuer, row.revoked_idx)


def schema_registered(conn: Connection, schema_id: str) -> bool:
    query = sa.select(SCHEMAS.c.schema_id).where(SCHEMAS.c.schema_id == schema_id).limit(1)
    return conn.execute(query).first() is not None


def find_verifier(conn: Connection, did: str) -> Logged | None:
    query = (
        sa.select(VERIFIERS.c.idx, _E.c.data)
        .join(_E, _E.c.idx == VERIFIERS.c.idx)
        .where(VERIFIERS.c.did == did)
    )
    row = conn.execute(query).first()
    return None if row is None else Logged(row.idx, bytes(row.data))


def verifier(conn: Connection, *, did: str) -> Logged:
    found = find_verifier(conn, did)
    if found is None:
        raise NotFound(f"no verifier {did}")
    return found


# --- writes (by `ledger.rules.apply`, inside the batch transaction) -------------------


def set_applied(conn: Connection, size: int) -> None:
    if conn.execute(sa.update(HEAD).where(HEAD.c.id == 1), {"applied": size}).rowcount == 0:
        conn.execute(sa.insert(HEAD), {"id": 1, "applied": size})


def add_issuer_key(
    conn: Connection, *, index: int, issuer: str, public_key: bytes, schemas: list[str]
) -> None:
    conn.execute(sa.insert(KEYS), {"public_key": public_key, "issuer": issuer, "idx": index})
    rows = [{"schema_id": s, "public_key": public_key} for s in schemas]
    conn.execute(sa.insert(SCHEMAS), rows)


def revoke_issuer_key(conn: Connection, *, index: int, public_key: bytes) -> None:
    query = sa.update(KEYS).where(KEYS.c.public_key == public_key)
    conn.execute(query, {"revoked_idx": index})


def add_verifier(conn: Connection, *, index: int, did: str) -> None:
    conn.execute(sa.insert(VERIFIERS), {"did": did, "idx": index})


_ADD_GRANT = sa.insert(GRANTS)


def add_grant(conn: Connection, *, index: int, grant_id: str, **fields: Any) -> None:
    """Insert a grant: `fields` are the `GrantRow` columns besides id, idx and counters."""
    conn.execute(_ADD_GRANT, {"id": grant_id, "idx": index, "uses": 0, **fields})


def revoke_grant(conn: Connection, *, index: int, grant_id: str, at: int) -> None:
    query = sa.update(GRANTS).where(GRANTS.c.id == grant_id)
    conn.execute(query, {"revoked_at": at, "revoked_idx": index})


_ADD_ACCESS = sa.insert(ACCESSES)
_USE = (
    sa.update(GRANTS)
    .where(GRANTS.c.id == sa.bindparam("grant"))
    .values(uses=GRANTS.c.uses + 1, last_use=sa.bindparam("last_use"))
)


def add_access(conn: Connection, *, index: int, grant_id: str, at: int, last_use: int) -> None:
    """Record an access and count it against its grant (`last_use`: the latest access time)."""
    conn.execute(_ADD_ACCESS, {"idx": index, "grant_id": grant_id, "at": at})
    conn.execute(_USE, {"grant": grant_id, "last_use": last_use})

"""The state index's tables and the values read from them.

Times are integer seconds since the epoch (UTC), comparable and indexable alike on SQLite
and PostgreSQL. `ix_ledger_grant_lookup (pseudonym, verifier, not_after)` answers "which
grants of pseudonym X at verifier Y are live at T" with one index range search (equality
on the first two columns, `not_after > T` on the third); the remaining conditions filter
only that citizen's grants at that service.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from ledger.db import lock_writers, writer
from ledger.state.columns import DID, ID, INDEX, col
from ledger.state.petitions import PETITION_TABLES

_Int, _DID, _ID, _col = INDEX, DID, ID, col


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
STATE_TABLES = [KEYS, SCHEMAS, VERIFIERS, GRANTS, ACCESSES, HEAD, *PETITION_TABLES]


def create_tables(engine: Engine) -> None:
    """Create the index's tables if missing (under the writers' lock, like `ledger.db`)."""
    with writer(engine).begin() as conn:
        lock_writers(conn)
        SQLModel.metadata.create_all(conn, tables=STATE_TABLES)


class GrantStatus(StrEnum):
    """A grant's status at a moment; `GrantState.status` is its one definition."""

    LIVE = "live"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class GrantState:
    """A grant as the index knows it, with the bytes of its entry (empty when the reader
    did not ask for them, as the rules do not)."""

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

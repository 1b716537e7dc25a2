"""What a session service keeps: admin API keys (hashed), offers and requests.

SQLModel tables on the ledger's engine factory (`ledger.db.make_engine`: SQLite in WAL
mode with its pragmas, or PostgreSQL by URL). Times are whole seconds since the epoch, so
that comparisons mean the same on both databases.

Single use is decided by the database, not by the process: an offer is used and a
request answered by one conditional `UPDATE ... WHERE used_at IS NULL AND expires_at > now`
whose row count says whether this caller won. Two processes sharing a database, or two
threads of one, can never both use one offer or both answer one request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from ledger.db import make_engine

__all__ = [
    "ApiKeyRow",
    "OfferRow",
    "Outcome",
    "RequestRow",
    "add_api_key",
    "add_offer",
    "add_request",
    "answer_request",
    "api_key_known",
    "api_keys",
    "finish_request",
    "get_offer",
    "get_request",
    "open_store",
    "remove_api_key",
    "use_offer",
]

_Id = sa.String(64)
_Epoch = sa.BigInteger


class ApiKeyRow(SQLModel, table=True):
    """An admin API key, known only by its SHA-256 (hex)."""

    __tablename__: ClassVar[Any] = "session_api_key"

    key_hash: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    label: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    created_at: int = Field(sa_column=sa.Column(_Epoch, nullable=False))


class OfferRow(SQLModel, table=True):
    """An issuer's offer. `id` is the base64url SHA-256 of the URL's token: the token
    itself is never stored, so the database cannot hand out working offer URLs."""

    __tablename__: ClassVar[Any] = "session_offer"

    id: str = Field(sa_column=sa.Column(_Id, primary_key=True))
    schema_id: str = Field(sa_column=sa.Column(sa.String(71), nullable=False))
    attributes: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: int = Field(sa_column=sa.Column(_Epoch, nullable=False))
    expires_at: int = Field(sa_column=sa.Column(_Epoch, nullable=False))
    used_at: int | None = Field(default=None, sa_column=sa.Column(_Epoch, nullable=True))


class RequestRow(SQLModel, table=True):
    """A verifier's signed request and, once answered, the outcome of its checks."""

    __tablename__: ClassVar[Any] = "session_request"

    id: str = Field(sa_column=sa.Column(_Id, primary_key=True))
    request: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    nonce: str = Field(sa_column=sa.Column(sa.String(88), nullable=False, unique=True))
    created_at: int = Field(sa_column=sa.Column(_Epoch, nullable=False))
    expires_at: int = Field(sa_column=sa.Column(_Epoch, nullable=False))
    answered_at: int | None = Field(default=None, sa_column=sa.Column(_Epoch, nullable=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    check: str | None = Field(default=None, sa_column=sa.Column(sa.String(16), nullable=True))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))
    detail: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    disclosed: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    grant: str | None = Field(default=None, sa_column=sa.Column(sa.String(71), nullable=True))
    access_index: int | None = Field(default=None, sa_column=sa.Column(_Epoch, nullable=True))
    access_tree_size: int | None = Field(default=None, sa_column=sa.Column(_Epoch, nullable=True))


TABLES = [SQLModel.metadata.tables[name] for name in
          ("session_api_key", "session_offer", "session_request")]  # fmt: skip


def open_store(url: str) -> Engine:
    """An engine for `url` with the session tables created (safe from several processes)."""
    engine = make_engine(url, create=False)
    try:
        with engine.begin() as conn:
            SQLModel.metadata.create_all(conn, tables=TABLES)
    except BaseException:
        engine.dispose()
        raise
    return engine


# -- API keys ---------------------------------------------------------------------------


def add_api_key(engine: Engine, *, key_hash: str, label: str, now: int) -> None:
    with Session(engine) as session:
        session.add(ApiKeyRow(key_hash=key_hash, label=label, created_at=now))
        session.commit()


def api_key_known(engine: Engine, *, key_hash: str) -> bool:
    with Session(engine) as session:
        return session.get(ApiKeyRow, key_hash) is not None


def api_keys(engine: Engine) -> list[ApiKeyRow]:
    """Every admin key (by hash), oldest first."""
    with Session(engine) as session:
        statement = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_hash)  # type: ignore[arg-type]
        return list(session.exec(statement))


def remove_api_key(engine: Engine, *, key_hash: str) -> bool:
    """Forget a key: the service refuses it from its next request. False if unknown."""
    with Session(engine) as session:
        row = session.get(ApiKeyRow, key_hash)
        if row is None:
            return False
        session.delete(row)
        session.commit()
        return True


# -- offers -----------------------------------------------------------------------------


def add_offer(engine: Engine, *, offer: OfferRow) -> None:
    with Session(engine, expire_on_commit=False) as session:
        session.add(offer)
        session.commit()


def get_offer(engine: Engine, *, offer_id: str) -> OfferRow | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(OfferRow, offer_id)


def use_offer(engine: Engine, *, offer_id: str, now: int) -> bool:
    """Mark the offer used if it is unused and live at `now`; whether this call did."""
    table = OfferRow.__table__  # type: ignore[attr-defined]
    statement = (
        sa.update(table)
        .where(table.c.id == offer_id, table.c.used_at.is_(None), table.c.expires_at > now)
        .values(used_at=now)
    )
    with engine.begin() as conn:
        return conn.execute(statement).rowcount == 1


# -- requests ---------------------------------------------------------------------------


def add_request(engine: Engine, *, request: RequestRow) -> None:
    with Session(engine, expire_on_commit=False) as session:
        session.add(request)
        session.commit()


def get_request(engine: Engine, *, request_id: str) -> RequestRow | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(RequestRow, request_id)


def answer_request(engine: Engine, *, request_id: str, now: int) -> bool:
    """Claim the one answer of a request that is unanswered and live at `now` (its status
    becomes `checking`); whether this call did."""
    table = RequestRow.__table__  # type: ignore[attr-defined]
    statement = (
        sa.update(table)
        .where(table.c.id == request_id, table.c.answered_at.is_(None), table.c.expires_at > now)
        .values(answered_at=now, status="checking")
    )
    with engine.begin() as conn:
        return conn.execute(statement).rowcount == 1


@dataclass(frozen=True)
class Outcome:
    """How the checks of an answer ended: accepted (disclosed values, grant, access
    record's position) or refused (check, reason, detail)."""

    status: str
    check: str | None = None
    reason: str | None = None
    detail: str | None = None
    disclosed: str | None = None
    grant: str | None = None
    access_index: int | None = None
    access_tree_size: int | None = None


def finish_request(engine: Engine, *, request_id: str, outcome: Outcome) -> None:
    """Record the outcome of the answer this process claimed."""
    table = RequestRow.__table__  # type: ignore[attr-defined]
    statement = sa.update(table).where(table.c.id == request_id).values(**asdict(outcome))
    with engine.begin() as conn:
        conn.execute(statement)

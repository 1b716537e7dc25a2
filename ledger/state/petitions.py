"""The state index of petitions (docs/petitions.md): petitions, their signatures, and
what a signature needs to know of the issuer keys.

Three tables, written by `ledger.petitions` inside the sequencer's batch transaction:

- `ledger_petition`: one row per logged `petition.open`, with its window, its eligibility
  (canonical JSON: what every signature is checked against) and its tally.
- `ledger_petition_signature`: one row per logged `petition.sign`, numbered in the
  petition's order. UNIQUE (petition, pseudonym) is the database's own guarantee that a
  citizen signs a petition once: a second row with the same pseudonym cannot be
  committed, whatever process or batch tries. UNIQUE (petition, number) makes a range
  of a petition's signatures one index range search.
- `ledger_issuer_key_terms`: one row per (BBS key, schema) of an `issuer.register`, with
  the issuer and the registration's validity window, so a signature's key is judged
  without reading the registration entry (which, in the batch that logs it, is not
  written until the batch commits).

Statements run on the connection's raw cursor (`ledger.db.Sql`), as the other rules'
lookups do; each is one primary-key or unique-index access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from ledger.db import Sql
from ledger.state.columns import DID, ID, INDEX, col

__all__ = [
    "KEY_TERMS",
    "PETITIONS",
    "PETITION_TABLES",
    "SIGNATURES",
    "KeyTerms",
    "PetitionRecord",
    "add_key_terms",
    "add_petition",
    "add_signature",
    "find_petition",
    "issuer_registered",
    "issuer_signs_schema",
    "key_terms",
    "signed_at",
]


class PetitionRow(SQLModel, table=True):
    """A logged petition: its window, what signers must show and prove, its tally."""

    __tablename__: ClassVar[Any] = "ledger_petition"
    id: str = col(ID, key=True)
    idx: int = col(INDEX, unique=True)
    created_at: int = col(sa.BigInteger)
    closes_at: int = col(sa.BigInteger)
    eligibility: bytes = col(sa.LargeBinary)
    signatures: int = col(sa.BigInteger)


class SignatureRow(SQLModel, table=True):
    """A logged signature: its petition, its number there (0, 1, ...), its pseudonym."""

    __tablename__: ClassVar[Any] = "ledger_petition_signature"
    __table_args__: ClassVar[Any] = (
        sa.UniqueConstraint("petition", "pseudonym", name="uq_ledger_petition_signer"),
        sa.UniqueConstraint("petition", "number", name="uq_ledger_petition_number"),
    )
    idx: int = col(INDEX, key=True, autoincrement=False)
    petition: str = col(ID)
    number: int = col(sa.BigInteger)
    pseudonym: bytes = col(sa.LargeBinary(48))


class KeyTermsRow(SQLModel, table=True):
    """A schema a registered BBS key signs, its issuer and the registration's window."""

    __tablename__: ClassVar[Any] = "ledger_issuer_key_terms"
    __table_args__: ClassVar[Any] = (
        sa.Index("ix_ledger_issuer_key_terms_issuer", "issuer", "schema_id"),
    )
    public_key: bytes = col(sa.LargeBinary(96), key=True)
    schema_id: str = col(ID, key=True)
    issuer: str = col(DID)
    valid_from: int = col(sa.BigInteger)
    valid_until: int = col(sa.BigInteger)


_meta = SQLModel.metadata.tables
PETITIONS, SIGNATURES = _meta["ledger_petition"], _meta["ledger_petition_signature"]
KEY_TERMS = _meta["ledger_issuer_key_terms"]
PETITION_TABLES = [PETITIONS, SIGNATURES, KEY_TERMS]

_P, _S, _K = PETITIONS.name, SIGNATURES.name, KEY_TERMS.name
_ADD_TERMS = Sql(
    f"INSERT INTO {_K} (public_key, schema_id, issuer, valid_from, valid_until)"
    " VALUES (?, ?, ?, ?, ?)"
)
_KEY_TERMS = Sql(
    f"SELECT issuer, valid_from, valid_until FROM {_K} WHERE public_key = ? AND schema_id = ?"
)
_ISSUER_SCHEMA = Sql(f"SELECT 1 FROM {_K} WHERE issuer = ? AND schema_id = ? LIMIT 1")
_ISSUER = Sql(f"SELECT 1 FROM {_K} WHERE issuer = ? LIMIT 1")
_ADD_PETITION = Sql(
    f"INSERT INTO {_P} (id, idx, created_at, closes_at, eligibility, signatures)"
    " VALUES (?, ?, ?, ?, ?, 0)"
)
_FIND_PETITION = Sql(
    f"SELECT idx, created_at, closes_at, eligibility, signatures FROM {_P} WHERE id = ?"
)
_SIGNED = Sql(f"SELECT idx FROM {_S} WHERE petition = ? AND pseudonym = ?")
_ADD_SIGNATURE = Sql(f"INSERT INTO {_S} (idx, petition, number, pseudonym) VALUES (?, ?, ?, ?)")
_COUNT = Sql(f"UPDATE {_P} SET signatures = ? WHERE id = ?")


@dataclass(frozen=True)
class KeyTerms:
    """A key's registration as a signature needs it (times in epoch seconds)."""

    issuer: str
    valid_from: int
    valid_until: int


@dataclass(frozen=True)
class PetitionRecord:
    """A logged petition as the rules read it: `eligibility` is its canonical JSON."""

    id: str
    index: int
    created_at: int
    closes_at: int
    eligibility: bytes
    signatures: int


# --- issuer keys ----------------------------------------------------------------------


def add_key_terms(
    conn: Connection, *, public_key: bytes, issuer: str, schemas: list[str],
    valid_from: int, valid_until: int,
) -> None:  # fmt: skip
    """Record the schemas a newly registered key signs, with its issuer and window."""
    _ADD_TERMS.many(
        conn, [(public_key, schema, issuer, valid_from, valid_until) for schema in schemas]
    )


def key_terms(conn: Connection, *, public_key: bytes, schema_id: str) -> KeyTerms | None:
    """The registration of `public_key` for `schema_id`, or None if it has none."""
    row = _KEY_TERMS(conn, public_key, schema_id).fetchone()
    return None if row is None else KeyTerms(row[0], int(row[1]), int(row[2]))


def issuer_signs_schema(conn: Connection, *, issuer: str, schema_id: str) -> bool:
    """Whether some key registered by `issuer` lists `schema_id`."""
    return _ISSUER_SCHEMA(conn, issuer, schema_id).fetchone() is not None


def issuer_registered(conn: Connection, *, issuer: str) -> bool:
    """Whether `issuer` registered any key (every registration lists a schema)."""
    return _ISSUER(conn, issuer).fetchone() is not None


# --- petitions and signatures ---------------------------------------------------------


def add_petition(
    conn: Connection, *, petition_id: str, index: int, created_at: int, closes_at: int,
    eligibility: bytes,
) -> None:  # fmt: skip
    _ADD_PETITION(conn, petition_id, index, created_at, closes_at, eligibility)


def find_petition(conn: Connection, petition_id: str) -> PetitionRecord | None:
    row = _FIND_PETITION(conn, petition_id).fetchone()
    if row is None:
        return None
    idx, created_at, closes_at, eligibility, signatures = row
    return PetitionRecord(
        petition_id, int(idx), int(created_at), int(closes_at), bytes(eligibility),
        int(signatures),
    )  # fmt: skip


def signed_at(conn: Connection, *, petition_id: str, pseudonym: bytes) -> int | None:
    """The index of the signature of `pseudonym` on the petition, or None."""
    row = _SIGNED(conn, petition_id, pseudonym).fetchone()
    return None if row is None else int(row[0])


def add_signature(
    conn: Connection, *, index: int, petition: PetitionRecord, pseudonym: bytes
) -> None:
    """Log a signature as the petition's next and count it (`petition` as read just
    before, in the same transaction)."""
    _ADD_SIGNATURE(conn, index, petition.id, petition.signatures, pseudonym)
    _COUNT(conn, petition.signatures + 1, petition.id)

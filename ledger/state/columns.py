"""Column helpers shared by the state index's tables (`tables`, `petitions`).

Integers that are log indexes are BIGINT on PostgreSQL and INTEGER on SQLite (whose
INTEGER is 64-bit already, and whose INTEGER PRIMARY KEY is the row id); dids and
document ids have fixed widths; every column is NOT NULL unless asked otherwise.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

__all__ = ["DID", "ID", "INDEX", "col"]

INDEX = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DID, ID = sa.String(128), sa.String(71)  # did:key Ed25519 is 56 characters; sha256:<64 hex>


def col(kind: Any, *, key: bool = False, null: bool = False, **kw: Any) -> Any:
    """A SQLModel field on one column of type `kind` (primary key if `key`)."""
    return Field(sa_column=sa.Column(kind, primary_key=key, nullable=null, **kw))

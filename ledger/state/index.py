"""The rules' side of the state index: the lookups and writes `ledger.rules` makes,
inside the sequencer's batch transaction.

They run in the one sequencer thread that every append waits for, so they are written as
driver SQL on the connection's raw DBAPI cursor: through SQLAlchemy's execution machinery
each statement costs ~0.1 ms of Python, several times SQLite's own work. Placeholders are
`?`, turned into `%s` for psycopg. The single-row functions below are the index's plain
API; `ledger.state.batch` runs the same statements once per batch (`many`, `find_grants`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from ledger.db import Sql
from ledger.state.tables import ACCESSES, GRANTS, HEAD, KEYS, SCHEMAS, VERIFIERS, GrantState

_G = GRANTS.name
_GRANT_COLUMNS = (
    "SELECT id, idx, pseudonym, verifier, not_before, not_after, max_uses, uses, last_use,"
    f" revoked_at, revoked_idx FROM {_G} WHERE id"
)
_FIND_GRANT = Sql(f"{_GRANT_COLUMNS} = ?")
_CHUNK = 500  # ids per IN list: far below every backend's bound-parameter limit
_FIND_KEY = Sql(f"SELECT issuer, revoked_idx FROM {KEYS.name} WHERE public_key = ?")
_FIND_SCHEMA = Sql(f"SELECT 1 FROM {SCHEMAS.name} WHERE schema_id = ? LIMIT 1")
_FIND_VERIFIER = Sql(f"SELECT idx FROM {VERIFIERS.name} WHERE did = ?")
_SET_APPLIED = Sql(f"UPDATE {HEAD.name} SET applied = ? WHERE id = 1")
_INSERT_APPLIED = Sql(f"INSERT INTO {HEAD.name} (id, applied) VALUES (1, ?)")
_ADD_KEY = Sql(f"INSERT INTO {KEYS.name} (public_key, issuer, idx) VALUES (?, ?, ?)")
_ADD_SCHEMA = Sql(f"INSERT INTO {SCHEMAS.name} (schema_id, public_key) VALUES (?, ?)")
_REVOKE_KEY = Sql(f"UPDATE {KEYS.name} SET revoked_idx = ? WHERE public_key = ?")
_ADD_VERIFIER = Sql(f"INSERT INTO {VERIFIERS.name} (did, idx) VALUES (?, ?)")
_ADD_GRANT = Sql(
    f"INSERT INTO {_G} (id, idx, pseudonym, verifier, schema_id, purpose, not_before,"
    " not_after, max_uses, uses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
)
_REVOKE_GRANT = Sql(f"UPDATE {_G} SET revoked_at = ?, revoked_idx = ? WHERE id = ?")
_ADD_ACCESS = Sql(f"INSERT INTO {ACCESSES.name} (idx, grant_id, at) VALUES (?, ?, ?)")
_USE = Sql(f"UPDATE {_G} SET uses = uses + 1, last_use = ? WHERE id = ?")
_SET_GRANT = Sql(
    f"UPDATE {_G} SET uses = ?, last_use = ?, revoked_at = ?, revoked_idx = ? WHERE id = ?"
)


# --- lookups --------------------------------------------------------------------------


def _grant(row: tuple[Any, ...]) -> GrantState:
    gid, idx, pseudonym, verifier, *rest = row
    return GrantState(gid, idx, b"", bytes(pseudonym), verifier, *rest)


def find_grant(conn: Connection, grant_id: str) -> GrantState | None:
    """The grant's terms and counters (without its entry bytes), or None."""
    row = _FIND_GRANT(conn, grant_id).fetchone()
    return None if row is None else _grant(row)


def find_grants(conn: Connection, grant_ids: list[str]) -> dict[str, GrantState]:
    """`find_grant` for many ids at once (unknown ids are left out): few queries."""
    found: dict[str, GrantState] = {}
    for start in range(0, len(grant_ids), _CHUNK):
        chunk = grant_ids[start : start + _CHUNK]
        query = Sql(f"{_GRANT_COLUMNS} IN ({', '.join('?' * len(chunk))})")
        found.update((row[0], _grant(row)) for row in query(conn, *chunk).fetchall())
    return found


def find_issuer_key(conn: Connection, public_key: bytes) -> tuple[str, int | None] | None:
    """(issuer, revocation index) of a registered key, or None."""
    row = _FIND_KEY(conn, public_key).fetchone()
    return None if row is None else (row[0], row[1])


def schema_registered(conn: Connection, schema_id: str) -> bool:
    return _FIND_SCHEMA(conn, schema_id).fetchone() is not None


def verifier_index(conn: Connection, did: str) -> int | None:
    """The index of the verifier's registration, or None."""
    row = _FIND_VERIFIER(conn, did).fetchone()
    return None if row is None else int(row[0])


# --- writes ---------------------------------------------------------------------------


def set_applied(conn: Connection, size: int) -> None:
    if _SET_APPLIED(conn, size).rowcount == 0:
        _INSERT_APPLIED(conn, size)


def add_issuer_key(
    conn: Connection, *, index: int, issuer: str, public_key: bytes, schemas: list[str]
) -> None:
    _ADD_KEY(conn, public_key, issuer, index)
    _ADD_SCHEMA.many(conn, [(schema, public_key) for schema in schemas])


def revoke_issuer_key(conn: Connection, *, index: int, public_key: bytes) -> None:
    _REVOKE_KEY(conn, index, public_key)


def add_verifier(conn: Connection, *, index: int, did: str) -> None:
    _ADD_VERIFIER(conn, did, index)


def add_grant(
    conn: Connection, *, index: int, grant_id: str, pseudonym: bytes, verifier: str,
    schema_id: str, purpose: str, not_before: int, not_after: int, max_uses: int | None,
) -> None:  # fmt: skip
    _ADD_GRANT(
        conn, grant_id, index, pseudonym, verifier, schema_id, purpose, not_before, not_after,
        max_uses,
    )  # fmt: skip


def revoke_grant(conn: Connection, *, index: int, grant_id: str, at: int) -> None:
    _REVOKE_GRANT(conn, at, index, grant_id)


def add_access(conn: Connection, *, index: int, grant_id: str, at: int, last_use: int) -> None:
    """Record an access and count it against its grant (`last_use`: the latest access time)."""
    _ADD_ACCESS(conn, index, grant_id, at)
    _USE(conn, last_use, grant_id)

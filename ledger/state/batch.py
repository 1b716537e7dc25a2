"""The state index as one batch of entries sees it: read once, written once.

The rules look up a verifier, a schema, a key or a grant for each entry and write a row
or two. Done one statement at a time that is five or six statements per entry (a round
trip each on PostgreSQL) in the sequencer thread every append waits for. A `StateBatch`
instead reads each key through to the database once (`prefetch_grants` fetches the
grants a whole batch names in one query), keeps what the batch's entries change in
memory, where the next entry of the same batch sees it, and `flush` writes it all with one
`executemany` per statement (the statements of `ledger.state.index`).

It relies on what the rules guarantee: an entry is refused before it changes anything,
so a refused entry leaves the batch as it was and needs no savepoint. It lives inside
one transaction that holds the writers' lock, so what it read cannot change under it;
if that transaction rolls back, the batch is simply dropped with it.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.engine import Connection

from ledger.state import index as sql
from ledger.state.tables import GrantState

_Row = tuple[object, ...]


class StateBatch:
    """Reads through to `conn` once per key; writes wait for `flush` (module docstring)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._keys: dict[bytes, tuple[str, int | None] | None] = {}
        self._schemas: dict[str, bool] = {}
        self._verifiers: dict[str, int | None] = {}
        self._grants: dict[str, GrantState | None] = {}
        self._changed: set[str] = set()  # grants whose counters or revocation changed
        self._new_keys: list[_Row] = []
        self._new_schemas: list[_Row] = []
        self._revoked_keys: list[_Row] = []
        self._new_verifiers: list[_Row] = []
        self._new_grants: list[_Row] = []
        self._new_accesses: list[_Row] = []
        self._applied: int | None = None

    # --- lookups --------------------------------------------------------------------------

    def prefetch_grants(self, grant_ids: list[str]) -> None:
        """Load the grants among `grant_ids` not seen yet, in as few queries as possible."""
        missing = sorted({g for g in grant_ids if g not in self._grants})
        if missing:
            found = sql.find_grants(self.conn, missing)
            self._grants.update((g, found.get(g)) for g in missing)

    def find_grant(self, grant_id: str) -> GrantState | None:
        if grant_id not in self._grants:
            self._grants[grant_id] = sql.find_grant(self.conn, grant_id)
        return self._grants[grant_id]

    def find_issuer_key(self, public_key: bytes) -> tuple[str, int | None] | None:
        if public_key not in self._keys:
            self._keys[public_key] = sql.find_issuer_key(self.conn, public_key)
        return self._keys[public_key]

    def schema_registered(self, schema_id: str) -> bool:
        if schema_id not in self._schemas:
            self._schemas[schema_id] = sql.schema_registered(self.conn, schema_id)
        return self._schemas[schema_id]

    def verifier_index(self, did: str) -> int | None:
        if did not in self._verifiers:
            self._verifiers[did] = sql.verifier_index(self.conn, did)
        return self._verifiers[did]

    # --- changes (kept until flush) -------------------------------------------------------

    def set_applied(self, size: int) -> None:
        self._applied = size

    def add_issuer_key(
        self, *, index: int, issuer: str, public_key: bytes, schemas: list[str]
    ) -> None:
        self._keys[public_key] = (issuer, None)
        self._new_keys.append((public_key, issuer, index))
        for schema in schemas:
            self._schemas[schema] = True
            self._new_schemas.append((schema, public_key))

    def revoke_issuer_key(self, *, index: int, public_key: bytes) -> None:
        found = self.find_issuer_key(public_key)
        assert found is not None, "the rules revoke only registered keys"
        self._keys[public_key] = (found[0], index)
        self._revoked_keys.append((index, public_key))

    def add_verifier(self, *, index: int, did: str) -> None:
        self._verifiers[did] = index
        self._new_verifiers.append((did, index))

    def add_grant(
        self, *, index: int, grant_id: str, pseudonym: bytes, verifier: str, schema_id: str,
        purpose: str, not_before: int, not_after: int, max_uses: int | None,
    ) -> None:  # fmt: skip
        self._grants[grant_id] = GrantState(
            grant_id, index, b"", pseudonym, verifier, not_before, not_after, max_uses,
            uses=0, last_use=None, revoked_at=None, revoked_index=None,
        )  # fmt: skip
        self._new_grants.append(
            (grant_id, index, pseudonym, verifier, schema_id, purpose, not_before, not_after,
             max_uses)
        )  # fmt: skip

    def revoke_grant(self, *, index: int, grant_id: str, at: int) -> None:
        grant = self._known(grant_id)
        self._grants[grant_id] = replace(grant, revoked_at=at, revoked_index=index)
        self._changed.add(grant_id)

    def add_access(self, *, index: int, grant_id: str, at: int, last_use: int) -> None:
        """Record an access and count it against its grant (`last_use`: the latest access time)."""
        grant = self._known(grant_id)
        self._grants[grant_id] = replace(grant, uses=grant.uses + 1, last_use=last_use)
        self._changed.add(grant_id)
        self._new_accesses.append((index, grant_id, at))

    def _known(self, grant_id: str) -> GrantState:
        grant = self._grants.get(grant_id)
        assert grant is not None, "the rules change only grants they found"
        return grant

    # --- writing --------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what the batch changed (inserts before the updates that may concern them)."""
        conn = self.conn
        sql._ADD_KEY.many(conn, self._new_keys)
        sql._ADD_SCHEMA.many(conn, self._new_schemas)
        sql._REVOKE_KEY.many(conn, self._revoked_keys)
        sql._ADD_VERIFIER.many(conn, self._new_verifiers)
        sql._ADD_GRANT.many(conn, self._new_grants)
        updates: list[_Row] = []
        for grant_id in sorted(self._changed):
            g = self._grants[grant_id]
            assert g is not None
            updates.append((g.uses, g.last_use, g.revoked_at, g.revoked_index, grant_id))
        sql._SET_GRANT.many(conn, updates)
        sql._ADD_ACCESS.many(conn, self._new_accesses)
        if self._applied is not None:
            sql.set_applied(conn, self._applied)
        for rows in (self._new_keys, self._new_schemas, self._revoked_keys, self._new_verifiers,
                     self._new_grants, self._new_accesses):  # fmt: skip
            rows.clear()
        self._changed.clear()
        self._applied = None

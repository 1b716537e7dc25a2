"""The state index: what the log's entries add up to, kept beside the log.

`ledger.rules` writes these rows from inside each batch transaction, in log order, so the
index always describes exactly the entries `[0, applied)` and commits or rolls back with
them. It is derived data: the log is the authority, and an auditor rebuilds the same
state by replaying it (DESIGN.md §Ledger).

Modules: `tables` (the SQLModel tables, `GrantStatus` and the values read back),
`index` (the rules' lookups and writes, on the hot path of every append), `batch` (the
same, read once and written once per batch: how the sequencer and the audit use them)
and `queries` (what the service asks: keyword-only reads that join the entries' bytes).
Petitions have their own two: `petitions` (their tables, and the rules' lookups and
writes, made on the batch's connection at once) and `petition_queries`; `columns` holds
the column helpers every table uses.
"""

from ledger.state.index import (
    add_access,
    add_grant,
    add_issuer_key,
    add_verifier,
    find_grant,
    find_issuer_key,
    revoke_grant,
    revoke_issuer_key,
    schema_registered,
    set_applied,
    verifier_index,
)
from ledger.state.queries import (
    accesses_for,
    applied,
    grant,
    grant_accesses,
    grants_for,
    issuer_keys,
    live_grants,
    verifier,
)
from ledger.state.tables import (
    ACCESSES,
    GRANTS,
    HEAD,
    KEYS,
    SCHEMAS,
    STATE_TABLES,
    VERIFIERS,
    AccessRow,
    AccessState,
    GrantRow,
    GrantState,
    GrantStatus,
    IssuerKeyRow,
    IssuerKeyState,
    IssuerSchemaRow,
    Logged,
    StateHeadRow,
    VerifierRow,
    create_tables,
)

__all__ = [
    "ACCESSES", "GRANTS", "HEAD", "KEYS", "SCHEMAS", "STATE_TABLES", "VERIFIERS",
    "AccessRow", "AccessState", "GrantRow", "GrantState", "GrantStatus", "IssuerKeyRow",
    "IssuerKeyState", "IssuerSchemaRow", "Logged", "StateHeadRow", "VerifierRow",
    "accesses_for", "add_access", "add_grant", "add_issuer_key", "add_verifier", "applied",
    "create_tables", "find_grant", "find_issuer_key", "grant", "grant_accesses",
    "grants_for", "issuer_keys", "live_grants", "revoke_grant", "revoke_issuer_key",
    "schema_registered", "set_applied", "verifier", "verifier_index",
]  # fmt: skip

"""Audit replay: rebuild a ledger from its entries and check every proof and rule.

    >>> from ledger.audit import replay
    >>> report = replay("sqlite:///ledger.db", log_key=vkey, origin=origin)  # doctest: +SKIP
    >>> report.clean, report.tree_size, report.state.grants_by_status        # doctest: +SKIP
    (True, 1204, {'live': 311, 'revoked': 40, 'expired': 90, ...})

`replay` reads a ledger database directly or a ledger service over HTTP, and returns an
`AuditReport`: the rebuilt tree, the consent state the valid entries add up to, and each
`Violation` with the index it concerns (docs/audit.md lists the kinds). A violation is a
finding, not an exception: exceptions mean the audit itself could not run (an unreachable
source is `LedgerUnavailable`, a path that is not a ledger `AuditInputError`).
"""

from ledger.audit.replay import replay
from ledger.audit.report import AuditReport, ConsentState, Kind, Party, Violation
from ledger.audit.sources import AuditInputError, DatabaseSource, HttpSource, Source

__all__ = [
    "AuditInputError",
    "AuditReport",
    "ConsentState",
    "DatabaseSource",
    "HttpSource",
    "Kind",
    "Party",
    "Source",
    "Violation",
    "replay",
]

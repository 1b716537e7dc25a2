"""A client of the ledger's HTTP API (docs/ledger-api.md) that verifies what it is told.

    >>> from ledger.client import LedgerClient
    >>> client = LedgerClient("http://127.0.0.1:8700", log_key=vkey, origin=origin,
    ...                       state_path=home / "ledger-checkpoint")    # doctest: +SKIP
    >>> receipt = client.append(grant.to_json())                        # doctest: +SKIP
    >>> receipt.index, receipt.checkpoint.size                          # doctest: +SKIP
    (41, 42)

Trust moves forward only (RFC 9162 §8.1.2; DESIGN.md: "a ledger that shows two views is
caught"): the client keeps the last checkpoint it trusted in `state_path` and trusts a
different one only after a consistency proof between the two verifies. A same-size
checkpoint with another root, or a consistency proof that fails, raises `LedgerForked`
and leaves the saved state as it was. The first checkpoint ever seen is trusted on its
signature alone (there is nothing yet to be consistent with): put a known checkpoint in
`state_path` beforehand to close that window. The state file is written in the
background (`flush` waits for it, `close` flushes): an older saved checkpoint is still a
sound anchor, and a client that catches a fork saves what it trusted before it raises.

Reads that return entries are proven in one round trip (docs/ledger-api.md, "Proven
reads"): the answer's checkpoint, a consistency proof to it, and each entry's inclusion
proof come with it.

Every error is a `LedgerError`: transport failures, timeouts and 5xx answers are
`LedgerUnavailable`; refused appends `EntryRejected` (with the problem document's
`reason`); proofs that fail `InvalidProof`; unknown indexes or ids `NotFound`. httpx's
exceptions never leave this package.
"""

from ledger.client._client import (
    DEFAULT_TIMEOUT,
    PAGE_SIZE,
    LedgerClient,
    LogInfo,
    announced_log,
)
from ledger.client._petitions import PetitionView
from ledger.client._queries import AccessView, GrantView, IssuerKeyView, Logged
from ledger.client._state import save_state as save_checkpoint
from ledger.client._wire import LedgerForked, LedgerUnavailable, LoggedEntry, Receipt

__all__ = [
    "DEFAULT_TIMEOUT",
    "PAGE_SIZE",
    "AccessView",
    "GrantView",
    "IssuerKeyView",
    "LedgerClient",
    "LedgerForked",
    "LedgerUnavailable",
    "LogInfo",
    "Logged",
    "LoggedEntry",
    "PetitionView",
    "Receipt",
    "announced_log",
    "save_checkpoint",
]

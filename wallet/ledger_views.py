"""What the ledger says of this wallet's consents, matched to what the wallet kept.

The ledger knows each grant's status and uses; the wallet knows which grants it signed
and which presentations it made. A `ConsentState` joins the two for one grant (the
ledger may hold grants under our pseudonyms that the wallet lost in a crash, and the
wallet may hold a receipt for a grant the ledger no longer shows); an `Access` joins an
`access.record` with the presentation it names. `wallet.ledger` builds both.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from ledger.client import AccessView, GrantView
from policies import ConsentGrant
from wallet.records import PresentationRecord, StoredConsent

__all__ = ["Access", "ConsentState", "consent_states"]

MISSING = "missing from the ledger"


@dataclass(frozen=True)
class ConsentState:
    """One consent: the grant, the wallet's record of it (None for a grant found only on
    the ledger), what the ledger says of it (None if not asked), and its status: the
    ledger's, else `MISSING` for a receipt the ledger does not back, else the wallet's."""

    grant: ConsentGrant
    kept: StoredConsent | None
    view: GrantView | None
    status: str

    @property
    def revoked_at(self) -> datetime.datetime | None:
        if self.view is not None:
            return self.view.revoked_at
        kept = self.kept
        return kept.revocation.created_at if kept and kept.revocation else None

    @property
    def index(self) -> int | None:
        """The grant's ledger index, from the ledger or the wallet's receipt."""
        if self.view is not None:
            return self.view.logged.index
        return self.kept.receipt.index if self.kept and self.kept.receipt else None


def consent_states(
    kept: list[StoredConsent], views: dict[str, GrantView] | None, now: datetime.datetime
) -> list[ConsentState]:
    """Every kept consent with the ledger's status (or the wallet's own, when `views` is
    None: the ledger was not reached), then the grants the ledger holds under our
    pseudonyms that the wallet does not."""
    if views is None:
        return [ConsentState(c.grant, c, None, str(c.status(now))) for c in kept]
    rest = dict(views)
    states = []
    for stored in kept:
        view = rest.pop(stored.id, None)
        if view is not None:
            status = view.status
        elif stored.receipt is not None:
            status = MISSING
        else:
            status = str(stored.status(now))
        states.append(ConsentState(stored.grant, stored, view, status))
    states += [ConsentState(v.logged.document, None, v, v.status) for v in rest.values()]
    return states


@dataclass(frozen=True)
class Access:
    """An `access.record` under one of our pseudonyms, with what the wallet knows of it:
    the verifier's registered name, our grant, and the presentation we made (None if the
    record names one this wallet never made)."""

    view: AccessView
    verifier: str
    name: str | None
    kept: StoredConsent | None
    shown: PresentationRecord | None

    @property
    def purpose(self) -> str | None:
        return self.kept.grant.purpose.value if self.kept else None

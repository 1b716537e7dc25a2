"""The petition queries (docs/ledger-api.md), each answer checked before it is believed.

As for the consent queries (`_queries`): every entry is the document asked about (the
`petition.open` whose id was asked, signatures naming that petition, in log order), its id
is the hash of its bytes, and, unless `prove=False`, an inclusion proof shows it is in
the log under the trusted checkpoint. The tally and the status are the ledger's word;
`cartera audit replay` recounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ledger.client._queries import Answer, Logged, _time
from ledger.client._wire import int_field, list_field, str_field
from ledger.errors import LedgerError
from policies import PetitionOpen, PetitionSign, sha256_id

if TYPE_CHECKING:
    from ledger.client._client import LedgerClient

PAGE = 1000
"""The most signatures the ledger returns per call."""


@dataclass(frozen=True)
class PetitionView:
    """A petition, its tally and its status as the ledger reports them."""

    id: str
    logged: Logged[PetitionOpen]
    signatures: int
    closes_at: datetime
    status: str

    @property
    def document(self) -> PetitionOpen:
        return self.logged.document


def petition(client: LedgerClient, petition_id: str, *, prove: bool) -> PetitionView:
    what = f"ledger {client.base_url}: petition {petition_id}"
    body = client.get_json(f"/v1/petitions/{petition_id}")
    logged = Answer(body, client, prove=prove).logged(body, PetitionOpen, what)
    if str_field(body, "id", what) != petition_id or sha256_id(logged.data) != petition_id:
        raise LedgerError(f"{what}: the answer is another petition")
    closes_at = _time(body, "closes_at", what)
    if closes_at != logged.document.closes_at:
        raise LedgerError(f"{what}: closes_at {closes_at} is not the petition's")
    status = str_field(body, "status", what)
    if status not in ("open", "closed"):
        raise LedgerError(f"{what}: status {status!r}, want 'open' or 'closed'")
    return PetitionView(petition_id, logged, int_field(body, "signatures", what),
                        logged.document.closes_at, status)  # fmt: skip


def signatures(
    client: LedgerClient, petition_id: str, start: int, end: int, *, prove: bool
) -> list[Logged[PetitionSign]]:
    """Signatures numbered `start <= n < end`, fewer if the tally is smaller."""
    if not 0 <= start <= end:
        raise ValueError(f"signatures: got range [{start}, {end})")
    what = f"ledger {client.base_url}: signatures of petition {petition_id}"
    found: list[Logged[PetitionSign]] = []
    at = start
    while at < end:
        stop = min(end, at + PAGE)
        body: dict[str, Any] = client.get_json(
            f"/v1/petitions/{petition_id}/signatures", start=at, end=stop
        )
        answer = Answer(body, client, prove=prove)
        page = [answer.logged(row, PetitionSign, what)
                for row in list_field(body, "signatures", what)]  # fmt: skip
        if len(page) > stop - at:
            raise LedgerError(f"{what}: {len(page)} signatures for {stop - at} numbers")
        for logged in page:
            if logged.document.petition != petition_id:
                raise LedgerError(f"{what}: entry {logged.index} signs another petition")
            if found and logged.index <= found[-1].index:
                raise LedgerError(f"{what}: entry {logged.index} is out of log order")
            found.append(logged)
        if len(page) < stop - at:
            break
        at = stop
    return found

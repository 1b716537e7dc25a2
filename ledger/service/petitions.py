"""The petition routes of docs/ledger-api.md: a petition with its tally, and its signatures.

    GET /v1/petitions/{id}                       {"id", "index", "entry", "signatures",
                                                  "closes_at", "status": "open"|"closed"}
    GET /v1/petitions/{id}/signatures?start=&end= {"signatures": [{"index", "entry"}…]}

Signatures are counted in log order from 0: `start` and `end` select numbers
`start <= n < end` of the petition's own count (at most 1000 per call), so a client that
read the tally `n` can fetch every signature and recount. The status is the server's
clock against `closes_at`; the rules judge each signature by its own `created_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from attestations.encoding import b64url_encode
from ledger.rules import epoch
from ledger.service.deps import StoreDep
from ledger.service.models import LoggedEntry
from ledger.service.problems import InvalidRequest, responses
from ledger.service.reads import MAX_ENTRIES, OUT_OF_RANGE
from ledger.state import petition_queries as queries
from policies import DocumentError, format_time
from policies.canonical import check_id

__all__ = ["Petition", "PetitionSignatures", "router"]

router = APIRouter()

PetitionId = Annotated[str, Path(description="the petition's id: sha256: and 64 hex digits")]
Number = Annotated[int, Query(ge=0, le=1 << 62, description="a signature's number (from 0)")]


class Petition(BaseModel):
    """A logged petition, its tally and whether it takes signatures now."""

    id: str
    index: int
    entry: str = Field(description="the petition.open entry's canonical bytes, base64url")
    signatures: int = Field(description="how many signatures are logged")
    closes_at: str = Field(description="RFC 3339 UTC: no signature is taken from then on")
    status: Literal["open", "closed"] = Field(description="by the ledger's clock")


class PetitionSignatures(BaseModel):
    signatures: list[LoggedEntry]


def _petition_id(text: str) -> str:
    try:
        return check_id(text)
    except DocumentError as exc:
        raise InvalidRequest(f"petition id: {exc}") from None


@router.get("/petitions/{petition_id}", response_model=Petition, responses=responses(400, 404))
def get_petition(store: StoreDep, petition_id: PetitionId) -> Petition:
    """A petition's entry, its tally, its closing time and status now."""
    wanted = _petition_id(petition_id)
    with store.read() as conn:
        found = queries.petition(conn, petition_id=wanted)
    now = epoch(datetime.now(UTC))
    return Petition(
        id=found.id, index=found.index, entry=b64url_encode(found.entry),
        signatures=found.signatures,
        closes_at=format_time(datetime.fromtimestamp(found.closes_at, UTC)),
        status="open" if now < found.closes_at else "closed",
    )  # fmt: skip


@router.get(
    "/petitions/{petition_id}/signatures",
    response_model=PetitionSignatures,
    responses=responses(400, 404),
)
def get_petition_signatures(
    store: StoreDep, petition_id: PetitionId, start: Number = 0, end: Number | None = None
) -> PetitionSignatures:
    """Signatures numbered `start <= n < end` (at most 1000; `end` defaults to
    `start + 1000`; fewer past the tally), in log order."""
    wanted = _petition_id(petition_id)
    stop = start + MAX_ENTRIES if end is None else end
    if stop < start:
        raise InvalidRequest(f"range: end {stop} is before start {start}", reason=OUT_OF_RANGE)
    with store.read() as conn:
        rows = queries.petition_signatures(
            conn, petition_id=wanted, start=start, stop=min(stop, start + MAX_ENTRIES)
        )
    return PetitionSignatures(
        signatures=[LoggedEntry(index=r.index, entry=b64url_encode(r.entry)) for r in rows]
    )

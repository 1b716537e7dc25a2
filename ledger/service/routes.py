"""The `/v1` routes of docs/ledger-api.md: each takes its typed dependencies and
parameters, calls one keyword-only function, and returns a model."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from attestations.encoding import b64url_encode
from ledger.errors import SequencerClosed
from ledger.rules import Reason, Rejected
from ledger.sequencer import Sequencer
from ledger.service import models, reads
from ledger.service.deps import EntryBody, SequencerDep, SettingsDep, SignerDep, StoreDep
from ledger.service.problems import responses
from ledger.storage import LedgerStore

router = APIRouter()

MAX_INDEX = 1 << 62  # far below SQL BIGINT, so index + page size cannot overflow it

Index = Annotated[int, Path(ge=0, le=MAX_INDEX)]
Size = Annotated[int, Query(ge=0, le=MAX_INDEX)]
AtTime = Annotated[str | None, Query(description="RFC 3339 UTC time; default now")]
PseudonymQuery = Annotated[str, Query(description="P_v, unpadded base64url (48 bytes)")]
TrustedSize = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_INDEX,
        description="the size of the checkpoint the client trusts (0: none): the answer then "
        "carries `proof` (the checkpoint it was read at and a consistency proof from this "
        "size) and each entry its `inclusion_proof`; 400 out_of_range beyond the log's size",
    ),
]
AppendTrustedSize = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_INDEX,
        description="the size of the checkpoint the client trusts: the answer then carries "
        "`consistency_proof` from it (when it is no larger than `tree_size`)",
    ),
]
# Proven reads leave their proof fields out unless asked (`TrustedSize`).
_PROVEN: dict[str, Any] = {"response_model_exclude_unset": True}

_ENTRY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the entry's RFC 8785 canonical JSON bytes, at most 64 KiB by default",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
_NOTE = {
    "description": "a C2SP signed note",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}


@router.post(
    "/entries",
    response_model=models.Appended,
    responses=responses(400, 413, 415, 422, 503),
    openapi_extra=_ENTRY_BODY,
    **_PROVEN,
)
async def append_entry(
    body: EntryBody,
    sequencer: SequencerDep,
    store: StoreDep,
    trusted_size: AppendTrustedSize = None,
) -> models.Appended:
    """Validate and append an entry; answer after its batch is committed. The same entry
    again gets its first index back with `duplicate: true`, even once its `created_at`
    is beyond the clock-skew bound."""
    answer = await _append(body, sequencer, store)
    if trusted_size is not None:
        await run_in_threadpool(reads.consistency_from, store, trusted_size, answer)
    return answer


async def _append(body: bytes, sequencer: Sequencer, store: LedgerStore) -> models.Appended:
    try:
        if sequencer.defers_validation:  # checked in worker processes: submit is cheap
            future = sequencer.submit(body)
        else:  # parse + signature here: CPU, off the event loop
            future = await run_in_threadpool(sequencer.submit, body)
        done = await asyncio.wrap_future(future)
    except Rejected as refused:
        if refused.reason is not Reason.CLOCK_SKEW:
            raise
        logged = await run_in_threadpool(partial(reads.logged_before, store, entry=body))
        if logged is None:
            raise
        return logged
    return models.Appended(
        index=done.index,
        leaf_hash=b64url_encode(done.leaf_hash),
        tree_size=done.checkpoint.size,
        checkpoint=done.note,
        inclusion_proof=[b64url_encode(h) for h in done.proof],
        duplicate=done.duplicate,
    )


@router.get("/entries", response_model=models.EntryRange, responses=responses(400))
def get_entries(store: StoreDep, start: Size, end: Size | None = None) -> models.EntryRange:
    """Entries with `start <= index < end`, at most 1000 per call (fewer past the end)."""
    return reads.entries(store, start=start, end=end)


@router.get(
    "/entries/{index}",
    response_model=models.EntryWithHash,
    responses=responses(400, 404),
    **_PROVEN,
)
def get_entry(
    store: StoreDep, index: Index, trusted_size: TrustedSize = None
) -> models.EntryWithHash:
    return reads.entry(store, index=index, trusted_size=trusted_size)


@router.get("/checkpoint", response_class=PlainTextResponse, responses={200: _NOTE})
def get_checkpoint(store: StoreDep) -> PlainTextResponse:
    """The latest signed checkpoint."""
    return PlainTextResponse(store.latest_checkpoint().note)


@router.get(
    "/checkpoint/{size}",
    response_class=PlainTextResponse,
    responses={200: _NOTE, **responses(400, 404)},
)
def get_checkpoint_at(store: StoreDep, size: Index) -> PlainTextResponse:
    """The signed checkpoint stored for tree size `size`."""
    return PlainTextResponse(store.checkpoint(size).note)


@router.get(
    "/proofs/inclusion", response_model=models.InclusionProof, responses=responses(400, 404)
)
def get_inclusion_proof(
    store: StoreDep,
    index: Annotated[int | None, Query(ge=0, le=MAX_INDEX)] = None,
    leaf_hash: Annotated[str | None, Query(description="unpadded base64url")] = None,
    tree_size: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="default: the log's size")
    ] = None,
) -> models.InclusionProof:
    """RFC 9162 inclusion proof of one entry, by index or by leaf hash."""
    return reads.inclusion(store, index=index, leaf_hash=leaf_hash, tree_size_=tree_size)


@router.get("/proofs/consistency", response_model=models.ConsistencyProof, responses=responses(400))
def get_consistency_proof(store: StoreDep, first: Size, second: Size) -> models.ConsistencyProof:
    """RFC 9162 consistency proof between tree sizes `first` and `second`."""
    return reads.consistency(store, first=first, second=second)


@router.get("/consent/grants", response_model=models.Grants, responses=responses(400), **_PROVEN)
def get_grants(
    store: StoreDep,
    pseudonym: PseudonymQuery,
    verifier: str,
    at: AtTime = None,
    trusted_size: TrustedSize = None,
) -> models.Grants:
    """The grants of a pseudonym at a verifier, with their status at `at`."""
    return reads.grants(
        store, pseudonym=pseudonym, verifier=verifier, at=at, trusted_size=trusted_size
    )


@router.get(
    "/consent/grants/{grant_id}",
    response_model=models.GrantDetail,
    responses=responses(400, 404),
    **_PROVEN,
)
def get_grant(
    store: StoreDep, grant_id: str, at: AtTime = None, trusted_size: TrustedSize = None
) -> models.GrantDetail:
    """One grant: status at `at`, uses, its revocation and its accesses."""
    return reads.grant(store, grant_id=grant_id, at=at, trusted_size=trusted_size)


@router.get(
    "/consent/accesses", response_model=models.Accesses, responses=responses(400), **_PROVEN
)
def get_accesses(
    store: StoreDep, pseudonym: PseudonymQuery, trusted_size: TrustedSize = None
) -> models.Accesses:
    """Every access.record under a grant of this pseudonym (a citizen's history)."""
    return reads.accesses(store, pseudonym=pseudonym, trusted_size=trusted_size)


@router.get(
    "/issuers/{did}", response_model=models.Issuer, responses=responses(400, 404), **_PROVEN
)
def get_issuer(store: StoreDep, did: str, trusted_size: TrustedSize = None) -> models.Issuer:
    """An issuer's keys: each registration and its revocation, if any."""
    return reads.issuer(store, did=did, trusted_size=trusted_size)


@router.get(
    "/verifiers/{did}", response_model=models.Verifier, responses=responses(400, 404), **_PROVEN
)
def get_verifier(store: StoreDep, did: str, trusted_size: TrustedSize = None) -> models.Verifier:
    return reads.verifier(store, did=did, trusted_size=trusted_size)


@router.get("/log", response_model=models.LogInfo)
def get_log(store: StoreDep, settings: SettingsDep, signer: SignerDep) -> models.LogInfo:
    """Who this log is: its origin and the key that signs its checkpoints."""
    vkey = signer.verifier().to_text()
    return models.LogInfo(origin=settings.origin, verifier_key=vkey, tree_size=store.size())


@router.get("/health", response_model=models.Health, responses=responses(503))
def get_health(store: StoreDep, sequencer: SequencerDep) -> models.Health:
    """Ok when the database answers and the sequencer can acknowledge appends."""
    if not sequencer.running:
        raise SequencerClosed("the sequencer is not running")
    return models.Health(status="ok", tree_size=store.size())

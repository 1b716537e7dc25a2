"""What the service's GET routes answer: keyword-only functions over the store.

Each checks its parameters first (out of range is the caller's mistake: `InvalidRequest`,
400), then reads in one snapshot (`LedgerStore.read`), so a tree size and the proof
computed for it always belong together; ids that do not exist are `NotFound` (404).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from attestations.encoding import b64url_decode, b64url_encode
from attestations.errors import DecodeError
from ledger import state
from ledger.errors import NotFound
from ledger.merkle import HASH_SIZE, leaf_hash
from ledger.rules import epoch
from ledger.service import models
from ledger.service.problems import InvalidRequest
from ledger.storage import (
    LedgerStore,
    consistency_proof,
    find_leaves,
    inclusion_proof,
    read_entries,
    tree_size,
)
from policies import DocumentError, format_time, parse_time, public_key_from_did
from policies.canonical import check_id

MAX_ENTRIES = 1000
PSEUDONYM_BYTES = 48
OUT_OF_RANGE = "out_of_range"


def _b64(text: str, *, length: int, what: str) -> bytes:
    try:
        data = b64url_decode(text)
    except DecodeError as exc:
        raise InvalidRequest(f"{what}: {exc}") from None
    if len(data) != length:
        raise InvalidRequest(f"{what}: got {len(data)} bytes, want {length}")
    return data


def _checked(check: Callable[[str], object], text: str, what: str) -> str:
    try:
        check(text)
    except DocumentError as exc:
        raise InvalidRequest(f"{what}: {exc}") from None
    return text


def _hashes(hashes: list[bytes]) -> list[str]:
    return [b64url_encode(h) for h in hashes]


def entries(store: LedgerStore, *, start: int, end: int | None) -> models.EntryRange:
    """Entries `start <= index < end`, at most `MAX_ENTRIES`, fewer past the log's end."""
    end = start + MAX_ENTRIES if end is None else end
    if end < start:
        raise InvalidRequest(f"range: end {end} is before start {start}", reason=OUT_OF_RANGE)
    with store.read() as conn:
        rows = read_entries(conn, start, min(end, start + MAX_ENTRIES))
    return models.EntryRange(
        entries=[models.LoggedEntry(index=e.index, entry=b64url_encode(e.data)) for e in rows]
    )


def entry(store: LedgerStore, *, index: int) -> models.EntryWithHash:
    found = store.entry(index)
    return models.EntryWithHash(
        index=index, entry=b64url_encode(found.data), leaf_hash=b64url_encode(found.leaf_hash)
    )


def logged_before(store: LedgerStore, *, entry: bytes) -> models.Appended | None:
    """The append answer for an entry the log already holds (`duplicate`), or None."""
    leaf = leaf_hash(entry)
    with store.read() as conn:
        index = find_leaves(conn, [leaf]).get(leaf)
    if index is None:
        return None
    head = store.latest_checkpoint()  # nodes never change: a proof for it can come later
    with store.read() as conn:
        proof = inclusion_proof(conn, index=index, size=head.size)
    return models.Appended(
        index=index, leaf_hash=b64url_encode(leaf), tree_size=head.size, checkpoint=head.note,
        inclusion_proof=_hashes(proof), duplicate=True,
    )  # fmt: skip


def inclusion(
    store: LedgerStore, *, index: int | None, leaf_hash: str | None, tree_size_: int | None
) -> models.InclusionProof:
    """PATH(index, D[0:tree_size]) by index or by leaf hash (default: the whole tree)."""
    if (index is None) == (leaf_hash is None):
        raise InvalidRequest("give exactly one of index and leaf_hash")
    with store.read() as conn:
        size = tree_size(conn)
        wanted = size if tree_size_ is None else tree_size_
        if wanted > size:
            raise InvalidRequest(
                f"tree_size {wanted} is beyond the log's {size} entries", reason=OUT_OF_RANGE
            )
        if leaf_hash is not None:
            leaf = _b64(leaf_hash, length=HASH_SIZE, what="leaf_hash")
            found = find_leaves(conn, [leaf])
            if leaf not in found:
                raise NotFound(f"no entry with leaf hash {leaf_hash}")
            index = found[leaf]
        assert index is not None
        if index >= wanted:
            raise InvalidRequest(
                f"index {index} is not in a tree of size {wanted}", reason=OUT_OF_RANGE
            )
        proof = inclusion_proof(conn, index=index, size=wanted)
    return models.InclusionProof(index=index, tree_size=wanted, proof=_hashes(proof))


def consistency(store: LedgerStore, *, first: int, second: int) -> models.ConsistencyProof:
    """PROOF(first, D[0:second]) for 0 < first <= second <= the tree size."""
    if first < 1:
        raise InvalidRequest(
            f"first {first}: a consistency proof starts from a size >= 1", reason=OUT_OF_RANGE
        )
    if first > second:
        raise InvalidRequest(f"first {first} is larger than second {second}", reason=OUT_OF_RANGE)
    with store.read() as conn:
        size = tree_size(conn)
        if second > size:
            raise InvalidRequest(
                f"second {second} is beyond the log's {size} entries", reason=OUT_OF_RANGE
            )
        proof = consistency_proof(conn, size1=first, size2=second)
    return models.ConsistencyProof(first=first, second=second, proof=_hashes(proof))


def _time(at: str | None) -> int:
    if at is None:
        return epoch(datetime.now(UTC))
    try:
        return epoch(parse_time(at))
    except DocumentError as exc:
        raise InvalidRequest(f"at: {exc}") from None


def _rfc3339(seconds: int) -> str:
    return format_time(datetime.fromtimestamp(seconds, UTC))


def _grant(found: state.GrantState, at: int) -> dict[str, object]:
    revoked = found.revoked_at
    return {
        "id": found.id, "index": found.index, "entry": b64url_encode(found.entry),
        "status": found.status(at), "uses": found.uses,
        "revoked_at": None if revoked is None else _rfc3339(revoked),
    }  # fmt: skip


def grants(store: LedgerStore, *, pseudonym: str, verifier: str, at: str | None) -> models.Grants:
    """Every grant of `pseudonym` at `verifier`, with its status at `at` (default now)."""
    raw = _b64(pseudonym, length=PSEUDONYM_BYTES, what="pseudonym")
    _checked(public_key_from_did, verifier, "verifier")
    moment = _time(at)
    with store.read() as conn:
        found = state.grants_for(conn, pseudonym=raw, verifier=verifier)
    return models.Grants(grants=[models.Grant.model_validate(_grant(g, moment)) for g in found])


def grant(store: LedgerStore, *, grant_id: str, at: str | None) -> models.GrantDetail:
    _checked(check_id, grant_id, "grant id")
    moment = _time(at)
    with store.read() as conn:
        found = state.grant(conn, grant_id=grant_id)
        accesses = state.grant_accesses(conn, grant_id=grant_id)
    fields = {**_grant(found, moment), "revoked_index": found.revoked_index, "accesses": accesses}
    return models.GrantDetail.model_validate(fields)


def accesses(store: LedgerStore, *, pseudonym: str) -> models.Accesses:
    raw = _b64(pseudonym, length=PSEUDONYM_BYTES, what="pseudonym")
    with store.read() as conn:
        found = state.accesses_for(conn, pseudonym=raw)
    return models.Accesses(
        accesses=[
            models.Access(index=a.index, entry=b64url_encode(a.entry), grant=a.grant_id,
                          at=_rfc3339(a.at))
            for a in found
        ]
    )  # fmt: skip


def _logged(found: state.Logged) -> models.LoggedEntry:
    return models.LoggedEntry(index=found.index, entry=b64url_encode(found.entry))


def issuer(store: LedgerStore, *, did: str) -> models.Issuer:
    _checked(public_key_from_did, did, "issuer")
    with store.read() as conn:
        keys = state.issuer_keys(conn, issuer=did)
    return models.Issuer(
        did=did,
        keys=[
            models.IssuerKey(index=k.index, entry=b64url_encode(k.entry),
                             public_key=b64url_encode(k.public_key),
                             revocation=None if k.revocation is None else _logged(k.revocation))
            for k in keys
        ],
    )  # fmt: skip


def verifier(store: LedgerStore, *, did: str) -> models.Verifier:
    _checked(public_key_from_did, did, "verifier")
    with store.read() as conn:
        found = state.verifier(conn, did=did)
    return models.Verifier(did=did, index=found.index, entry=b64url_encode(found.entry))

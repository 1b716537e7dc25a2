"""What the service's GET routes answer: keyword-only functions over the store.

Each checks its parameters first (out of range is the caller's mistake: `InvalidRequest`,
400), then reads in one snapshot (`LedgerStore.read`), so a tree size and the proof
computed for it always belong together; ids that do not exist are `NotFound` (404).

Proven reads: given `trusted_size` (the size of the checkpoint the client trusts), the
entry and query reads also answer the checkpoint of the tree they were read from, a
consistency proof from `trusted_size` to it, and each entry's inclusion proof against it
(`_Proofs`), so that a client checks an answer in one round trip instead of three or
more. The tree is sized after the state is read: entries, state rows and the batch's
checkpoint commit together and the log only grows, so that tree holds every entry read,
even where the database's snapshot is per statement (PostgreSQL's read committed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from attestations.encoding import b64url_decode, b64url_encode
from attestations.errors import DecodeError
from ledger import state
from ledger.errors import LedgerError, NotFound
from ledger.merkle import HASH_SIZE, leaf_hash
from ledger.rules import epoch
from ledger.service import models
from ledger.service.problems import InvalidRequest
from ledger.storage import (
    LedgerStore,
    checkpoint_at,
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


def _consistency_from(conn: Connection, trusted_size: int, size: int) -> list[bytes]:
    """PROOF(trusted_size, D[0:size]) for a client that trusts `trusted_size` (nothing to
    prove from the empty tree or to the same one)."""
    if 0 < trusted_size < size:
        return consistency_proof(conn, size1=trusted_size, size2=size)
    return []


class _Proofs:
    """The proofs of one answer, or nothing when the client did not ask (`trusted_size`
    None): `fields()` for the answer's top level, `path(index)` for each entry. Made in
    the answer's read, after its entries were read."""

    def __init__(self, conn: Connection, trusted_size: int | None) -> None:
        self._conn, self.size = conn, 0
        self._fields: dict[str, Any] = {}
        if trusted_size is None:
            return
        self.size = size = tree_size(conn)
        if trusted_size > size:
            raise InvalidRequest(
                f"trusted_size {trusted_size} is beyond the log's {size} entries",
                reason=OUT_OF_RANGE,
            )
        head = checkpoint_at(conn, size)
        if head is None:  # the sequencer signs one with every batch, and one at its start
            raise LedgerError(f"no checkpoint for the log's size {size}")
        self._fields = {"proof": models.AnswerProof(
            checkpoint=head.note, tree_size=size,
            consistency=_hashes(_consistency_from(conn, trusted_size, size)),
        )}  # fmt: skip

    def fields(self) -> dict[str, Any]:
        return self._fields

    def path(self, index: int) -> dict[str, Any]:
        if not self._fields:
            return {}
        path = inclusion_proof(self._conn, index=index, size=self.size)
        return {"inclusion_proof": _hashes(path)}


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


def entry(store: LedgerStore, *, index: int, trusted_size: int | None) -> models.EntryWithHash:
    with store.read() as conn:
        found = read_entries(conn, index, index + 1)
        if not found:
            raise NotFound(f"no entry at index {index}")
        proofs = _Proofs(conn, trusted_size)
        return models.EntryWithHash(
            index=index, entry=b64url_encode(found[0].data),
            leaf_hash=b64url_encode(found[0].leaf_hash), **proofs.path(index), **proofs.fields(),
        )  # fmt: skip


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


def consistency_from(store: LedgerStore, trusted_size: int, answer: models.Appended) -> None:
    """Add to an append's `answer` the consistency proof from the client's `trusted_size`,
    when that tree is no larger than the answer's (its nodes are final: read any time)."""
    if trusted_size > answer.tree_size:
        return
    with store.read() as conn:
        answer.consistency_proof = _hashes(_consistency_from(conn, trusted_size, answer.tree_size))


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


def _grant(found: state.GrantState, at: int, proofs: _Proofs) -> dict[str, object]:
    revoked = found.revoked_at
    return {
        "id": found.id, "index": found.index, "entry": b64url_encode(found.entry),
        "status": found.status(at), "uses": found.uses,
        "revoked_at": None if revoked is None else _rfc3339(revoked), **proofs.path(found.index),
    }  # fmt: skip


def grants(
    store: LedgerStore, *, pseudonym: str, verifier: str, at: str | None, trusted_size: int | None
) -> models.Grants:
    """Every grant of `pseudonym` at `verifier`, with its status at `at` (default now)."""
    raw = _b64(pseudonym, length=PSEUDONYM_BYTES, what="pseudonym")
    _checked(public_key_from_did, verifier, "verifier")
    moment = _time(at)
    with store.read() as conn:
        found = state.grants_for(conn, pseudonym=raw, verifier=verifier)
        proofs = _Proofs(conn, trusted_size)
        listed = [models.Grant.model_validate(_grant(g, moment, proofs)) for g in found]
    return models.Grants(grants=listed, **proofs.fields())


def grant(
    store: LedgerStore, *, grant_id: str, at: str | None, trusted_size: int | None
) -> models.GrantDetail:
    _checked(check_id, grant_id, "grant id")
    moment = _time(at)
    with store.read() as conn:
        found = state.grant(conn, grant_id=grant_id)
        accesses = state.grant_accesses(conn, grant_id=grant_id)
        proofs = _Proofs(conn, trusted_size)
        fields = {**_grant(found, moment, proofs), "revoked_index": found.revoked_index,
                  "accesses": accesses, **proofs.fields()}  # fmt: skip
    return models.GrantDetail.model_validate(fields)


def accesses(store: LedgerStore, *, pseudonym: str, trusted_size: int | None) -> models.Accesses:
    raw = _b64(pseudonym, length=PSEUDONYM_BYTES, what="pseudonym")
    with store.read() as conn:
        found = state.accesses_for(conn, pseudonym=raw)
        proofs = _Proofs(conn, trusted_size)
        listed = [
            models.Access(index=a.index, entry=b64url_encode(a.entry), grant=a.grant_id,
                          at=_rfc3339(a.at), **proofs.path(a.index))
            for a in found
        ]  # fmt: skip
    return models.Accesses(accesses=listed, **proofs.fields())


def _logged(found: state.Logged, proofs: _Proofs) -> models.ProvenEntry:
    return models.ProvenEntry(
        index=found.index, entry=b64url_encode(found.entry), **proofs.path(found.index)
    )


def issuer(store: LedgerStore, *, did: str, trusted_size: int | None) -> models.Issuer:
    _checked(public_key_from_did, did, "issuer")
    with store.read() as conn:
        keys = state.issuer_keys(conn, issuer=did)
        proofs = _Proofs(conn, trusted_size)
        listed = [
            models.IssuerKey(index=k.index, entry=b64url_encode(k.entry),
                             public_key=b64url_encode(k.public_key), **proofs.path(k.index),
                             revocation=None if k.revocation is None
                             else _logged(k.revocation, proofs))
            for k in keys
        ]  # fmt: skip
    return models.Issuer(did=did, keys=listed, **proofs.fields())


def verifier(store: LedgerStore, *, did: str, trusted_size: int | None) -> models.Verifier:
    _checked(public_key_from_did, did, "verifier")
    with store.read() as conn:
        found = state.verifier(conn, did=did)
        proofs = _Proofs(conn, trusted_size)
        return models.Verifier(
            did=did, index=found.index, entry=b64url_encode(found.entry),
            **proofs.path(found.index), **proofs.fields(),
        )  # fmt: skip

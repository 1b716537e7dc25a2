"""The consent-state and registry queries, each answer checked before it is believed.

The ledger computes a grant's status and use count from its state index; the client cannot
recompute those without replaying the log (that is `cartera audit replay`). What it can
check, it does: every entry in an answer is the document the query asked about (the grant
of this pseudonym at this verifier, the access under this grant, the registration of this
did), its id is the hash of its bytes, and, unless `prove=False`, an inclusion proof shows
it is in the log under the trusted checkpoint (`Answer`: the proof came with the answer,
or, from a ledger without proven reads, is fetched for it).

Entries are immutable and trust only moves forward: an entry proven once at an index is in
every checkpoint trusted later. So the client keeps the entries it proved (`Memo`), and
the same bytes at the same index again are neither parsed nor proven again: an issuer's
registration, read on every verification to see whether a revocation followed it, costs
its bytes on the wire and one comparison. What can change (a grant's status and uses, an
issuer key's revocation) is the ledger's answer of the moment, never kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attestations.encoding import b64url_encode
from ledger.checkpoint import Checkpoint
from ledger.client._wire import b64_field, hashes_field, int_field, list_field, str_field
from ledger.errors import InvalidProof, LedgerError
from ledger.merkle import check_inclusion, leaf_hash
from policies import (
    AccessRecord,
    ConsentGrant,
    DocumentError,
    Entry,
    IssuerRegister,
    IssuerRevokeKey,
    VerifierRegister,
    format_time,
    parse_entry,
    parse_time,
    sha256_id,
    utc_seconds,
)

if TYPE_CHECKING:
    from ledger.client._client import LedgerClient

E = TypeVar("E", bound=Entry)


@dataclass(frozen=True)
class Logged(Generic[E]):
    """A logged entry: its index, its canonical bytes and the document they parse into."""

    index: int
    data: bytes
    document: E


@dataclass(frozen=True)
class GrantView:
    """A grant, and what the ledger says of it at the time asked about."""

    id: str
    logged: Logged[ConsentGrant]
    status: str
    uses: int
    revoked_at: datetime | None
    revoked_index: int | None = None
    accesses: tuple[int, ...] = ()


@dataclass(frozen=True)
class AccessView:
    logged: Logged[AccessRecord]
    grant: str
    at: datetime


@dataclass(frozen=True)
class IssuerKeyView:
    public_key: bytes
    registration: Logged[IssuerRegister]
    revocation: Logged[IssuerRevokeKey] | None


MEMO_ENTRIES = 4096
"""The most proven entries a client keeps (`Memo`); past it, the memo starts afresh."""


class Memo:
    """Entries this client proved, by index: their bytes and the document they parse into."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proven: dict[int, tuple[bytes, Entry]] = {}

    def get(self, index: int, data: bytes) -> Entry | None:
        """The document of entry `index` if these very bytes were proven there."""
        with self._lock:
            found = self._proven.get(index)
        return found[1] if found is not None and found[0] == data else None

    def keep(self, index: int, data: bytes, document: Entry) -> None:
        with self._lock:
            if len(self._proven) >= MEMO_ENTRIES:
                self._proven.clear()
            self._proven[index] = (data, document)


class Answer:
    """A read's JSON body, and how its entries are proven (`LedgerClient.read`): against
    `tree`, the checkpoint the answer was read at (trusted by then), with the inclusion
    proof each entry carries; without `tree` (a ledger from before proven reads), with a
    proof fetched per entry; with `prove=False`, not at all."""

    def __init__(
        self,
        body: dict[str, Any],
        client: LedgerClient,
        *,
        prove: bool,
        tree: Checkpoint | None = None,
    ) -> None:
        self.body, self.client, self.prove, self.tree = body, client, prove, tree

    def prove_entry(self, index: int, data: bytes, obj: dict[str, Any], what: str) -> None:
        """Check that `data` is entry `index`; `obj` is the answer's object for it."""
        if not self.prove:
            return
        if self.tree is None:
            self.client.prove(index, data)
            return
        path = hashes_field(obj, "inclusion_proof", f"{what}: entry {index}")
        try:
            check_inclusion(leaf_hash(data), index, self.tree.size, path, self.tree.root_hash)
        except InvalidProof as exc:
            raise InvalidProof(f"{what}: entry {index}: {exc}") from None

    def logged(self, obj: object, kind: type[E], what: str) -> Logged[E]:
        """Parse {"index", "entry"} of `obj`, check the entry is a `kind`, and prove it
        (or find it among the entries proven before: `Memo`)."""
        if not isinstance(obj, dict):
            raise LedgerError(f"{what}: not a JSON object")
        index = int_field(obj, "index", what)
        data = b64_field(obj.get("entry"), f"{what}: entry {index}")
        memo = self.client.memo
        document = memo.get(index, data)
        fresh = document is None
        if document is None:
            try:
                document = parse_entry(data)
            except DocumentError as exc:
                raise LedgerError(f"{what}: entry {index}: {exc}") from None
        if not isinstance(document, kind):
            raise LedgerError(f"{what}: entry {index} is a {document.TYPE}, want {kind.TYPE}")
        if fresh:
            self.prove_entry(index, data, obj, what)
            if self.prove:
                memo.keep(index, data, document)
        return Logged(index, data, document)


def _time(obj: dict[str, Any], key: str, what: str) -> datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    try:
        return parse_time(str_field(obj, key, what))
    except DocumentError as exc:
        raise LedgerError(f"{what}: field {key!r}: {exc}") from None


def _grant(answer: Answer, obj: object, what: str) -> GrantView:
    logged = answer.logged(obj, ConsentGrant, what)
    assert isinstance(obj, dict)
    grant_id = str_field(obj, "id", what)
    if grant_id != sha256_id(logged.data):
        raise LedgerError(f"{what}: grant id {grant_id} is not the hash of its entry")
    revoked_index = obj.get("revoked_index")
    accesses = obj.get("accesses", [])
    return GrantView(
        grant_id, logged, str_field(obj, "status", what), int_field(obj, "uses", what),
        _time(obj, "revoked_at", what),
        None if revoked_index is None else int_field(obj, "revoked_index", what),
        tuple(int_field({"i": i}, "i", f"{what}: accesses") for i in accesses),
    )  # fmt: skip


def _at(at: datetime | None) -> dict[str, str]:
    return {} if at is None else {"at": format_time(utc_seconds(at))}


def grants(
    client: LedgerClient, pseudonym: bytes, verifier: str, at: datetime | None, *, prove: bool
) -> list[GrantView]:
    what = f"ledger {client.base_url}: grants"
    answer = client.read("/v1/consent/grants", prove=prove, pseudonym=b64url_encode(pseudonym),
                         verifier=verifier, **_at(at))  # fmt: skip
    found = [_grant(answer, g, what) for g in list_field(answer.body, "grants", what)]
    for g in found:
        doc = g.logged.document
        if (doc.pseudonym, doc.verifier) != (pseudonym, verifier):
            raise LedgerError(f"{what}: grant {g.id} is of another pseudonym or verifier")
    return found


def grant(client: LedgerClient, grant_id: str, at: datetime | None, *, prove: bool) -> GrantView:
    what = f"ledger {client.base_url}: grant {grant_id}"
    answer = client.read(f"/v1/consent/grants/{grant_id}", prove=prove, **_at(at))
    found = _grant(answer, answer.body, what)
    if found.id != grant_id:
        raise LedgerError(f"{what}: the answer is grant {found.id}")
    return found


def accesses(client: LedgerClient, pseudonym: bytes, *, prove: bool) -> list[AccessView]:
    what = f"ledger {client.base_url}: accesses"
    answer = client.read("/v1/consent/accesses", prove=prove, pseudonym=b64url_encode(pseudonym))
    found = []
    for obj in list_field(answer.body, "accesses", what):
        logged = answer.logged(obj, AccessRecord, what)
        if logged.document.grant != str_field(obj, "grant", what):
            raise LedgerError(f"{what}: entry {logged.index} names another grant")
        at = _time(obj, "at", what)
        found.append(AccessView(logged, logged.document.grant, at or logged.document.created_at))
    return found


def issuer(client: LedgerClient, did: str, *, prove: bool) -> list[IssuerKeyView]:
    what = f"ledger {client.base_url}: issuer {did}"
    answer = client.read(f"/v1/issuers/{did}", prove=prove)
    keys = []
    for obj in list_field(answer.body, "keys", what):
        registration = answer.logged(obj, IssuerRegister, what)
        revocation = obj.get("revocation")
        revoked = None if revocation is None else answer.logged(revocation, IssuerRevokeKey, what)
        key = registration.document.public_key
        for doc in (registration.document, revoked and revoked.document):
            if doc and (doc.issuer, doc.public_key) != (did, key):
                raise LedgerError(f"{what}: an entry is of another issuer or key")
        keys.append(IssuerKeyView(key, registration, revoked))
    return keys


def verifier(client: LedgerClient, did: str, *, prove: bool) -> Logged[VerifierRegister]:
    what = f"ledger {client.base_url}: verifier {did}"
    answer = client.read(f"/v1/verifiers/{did}", prove=prove)
    found = answer.logged(answer.body, VerifierRegister, what)
    if found.document.verifier != did:
        raise LedgerError(f"{what}: the answer is the registration of another verifier")
    return found

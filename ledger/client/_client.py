"""`LedgerClient`: the HTTP calls, each answer checked before it is believed.

Reads that return entries are proven reads (docs/ledger-api.md): the client sends the
size of the checkpoint it trusts, and the one answer carries the checkpoint it was read
at, a consistency proof from the trusted one and each entry's inclusion proof. So one
round trip moves trust forward and proves the entries, where it took three or more. A
ledger that answers without them (one from before proven reads) is read the old way:
its latest checkpoint over a consistency proof, then one inclusion proof per entry.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from ledger.checkpoint import Checkpoint, SignedCheckpoint, open_checkpoint
from ledger.client import _petitions, _queries
from ledger.client._petitions import PetitionView
from ledger.client._queries import AccessView, Answer, GrantView, IssuerKeyView, Logged
from ledger.client._state import StateFile
from ledger.client._wire import (
    LedgerForked,
    LedgerUnavailable,
    LoggedEntry,
    Receipt,
    b64_field,
    hashes_field,
    int_field,
    list_field,
    problem,
    str_field,
)
from ledger.errors import InvalidProof, LedgerError, NotFound
from ledger.merkle import check_consistency, check_inclusion, leaf_hash
from ledger.note import VerifierKey
from policies import PetitionSign, VerifierRegister

PAGE_SIZE = 1000
"""The most entries `GET /v1/entries` returns per call (docs/ledger-api.md)."""

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class LedgerClient:
    """Talks to one ledger at `base_url`, whose log key and origin the caller knows."""

    def __init__(
        self,
        base_url: str,
        *,
        log_key: VerifierKey | str,
        origin: str,
        state_path: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.log_key = (
            log_key if isinstance(log_key, VerifierKey) else VerifierKey.from_text(log_key)
        )
        self.origin = origin
        self.state_path = state_path
        self._state = None if state_path is None else StateFile(state_path)
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)
        self._lock = threading.Lock()
        self._trusted: SignedCheckpoint | None = None
        self.memo = _queries.Memo()  # the entries proven so far: not parsed or proven again

    def close(self) -> None:
        """Close the connections, once the newest trusted checkpoint is saved."""
        try:
            if self._state is not None:
                self._state.close()
        finally:
            self._http.close()

    def flush(self) -> None:
        """Wait until the newest trusted checkpoint is in `state_path` (saves are made in
        the background: `ledger.client._state`)."""
        if self._state is not None:
            self._state.flush()

    def __enter__(self) -> LedgerClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- HTTP: httpx's exceptions are translated here and nowhere else -------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        where = f"ledger {self.base_url}: {method} {path}"
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise LedgerUnavailable(f"{where}: timed out") from exc
        except httpx.HTTPError as exc:
            raise LedgerUnavailable(f"{where}: {exc or type(exc).__name__}") from exc
        if not response.is_success:
            raise problem(where, method, response)
        return response

    def get_json(self, path: str, **params: Any) -> dict[str, Any]:
        """GET `path` and return its JSON object (no proof is checked here)."""
        return self._json("GET", path, params=params)

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._request(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise LedgerError(f"ledger {self.base_url}: {path}: answer is not a JSON object")
        return body

    # --- checkpoints: trust only moves forward -------------------------------------------

    @property
    def trusted(self) -> SignedCheckpoint | None:
        """The last checkpoint this client trusted (read from `state_path` at first use)."""
        with self._lock:
            return self._load()

    def _load(self) -> SignedCheckpoint | None:
        if self._trusted is None and self._state is not None:
            self._trusted = self._state.load(self.log_key, origin=self.origin)
        return self._trusted

    def open(self, note: str) -> SignedCheckpoint:
        """Verify a checkpoint note of this ledger (log key and origin); trusts nothing."""
        try:
            return open_checkpoint(note, self.log_key, origin=self.origin)
        except LedgerError as exc:
            raise type(exc)(f"ledger {self.base_url}: {exc}") from None

    def checkpoint(self) -> Checkpoint:
        """Fetch the latest checkpoint, check it against the trusted one, and trust it."""
        return self.advance(self.open(self.checkpoint_note())).checkpoint

    def checkpoint_note(self) -> str:
        """The latest checkpoint's note text as served: not verified, not trusted."""
        return self._request("GET", "/v1/checkpoint").text

    def advance(
        self, new: SignedCheckpoint, *, proof: tuple[SignedCheckpoint, list[bytes]] | None = None
    ) -> SignedCheckpoint:
        """Trust `new` if it is consistent with the trusted checkpoint (`LedgerForked` if
        not); returns the checkpoint trusted afterwards, the larger of the two. `proof`:
        a consistency proof from a checkpoint to `new`, as a proven read carries it; it is
        used if that checkpoint is still the trusted one (else one is fetched)."""
        while True:
            with self._lock:
                old = self._load()
            if old is not None:  # the proof is fetched without holding the lock
                given = proof[1] if proof is not None and proof[0] is old else None
                try:
                    self._check_consistent(old.checkpoint, new.checkpoint, given)
                except LedgerForked:
                    self.flush()  # what was trusted is on disk: a restart refuses the fork
                    raise
            with self._lock:
                if self._trusted is not old:
                    continue  # another thread moved trust meanwhile: check against that
                if old is not None and new.checkpoint.size <= old.checkpoint.size:
                    return old
                if self._state is not None:
                    self._state.save_later(new.note)
                self._trusted = new
                return new

    def _check_consistent(
        self, old: Checkpoint, new: Checkpoint, proof: list[bytes] | None = None
    ) -> None:
        """Raise `LedgerForked` unless one of the two trees is a prefix of the other;
        `proof` goes from `old` to `new` (fetched when not given, or when `new` is the
        smaller tree)."""
        small, large = (old, new) if old.size <= new.size else (new, old)
        try:
            if proof is None or small is new:
                proof = []
                if 0 < small.size < large.size:
                    answer = self.get_json(
                        "/v1/proofs/consistency", first=small.size, second=large.size
                    )
                    proof = hashes_field(answer, "proof", "consistency proof")
            if small.size > 0:  # the empty tree is a prefix of every tree
                check_consistency(small.size, large.size, proof, small.root_hash, large.root_hash)
        except (InvalidProof, NotFound) as exc:
            raise LedgerForked(
                f"ledger shows two views: size {new.size} root {new.root_hash.hex()}, "
                f"earlier size {old.size} root {old.root_hash.hex()} ({exc})"
            ) from None

    def read(self, path: str, *, prove: bool = True, **params: Any) -> Answer:
        """GET a read that returns entries. With `prove`, a proven read (module docstring):
        trust moves to the checkpoint the answer was read at, and `Answer.prove_entry`
        checks each entry's inclusion proof against it. An absence (`NotFound`) carries no
        proof: the ledger's latest checkpoint is checked before it is believed, so that a
        forked ledger cannot hide behind a 404."""
        if not prove:
            return Answer(self.get_json(path, **params), self, prove=False)
        old = self.trusted
        try:
            body = self.get_json(path, trusted_size=old.checkpoint.size if old else 0, **params)
        except NotFound:
            self.checkpoint()
            raise
        if "proof" not in body:  # a ledger from before proven reads
            self.checkpoint()
            return Answer(body, self, prove=True)
        what = f"ledger {self.base_url}: {path}: proof"
        proof = body["proof"]
        if not isinstance(proof, dict):
            raise LedgerError(f"{what}: not a JSON object")
        signed = self.open(str_field(proof, "checkpoint", what))
        tree = signed.checkpoint
        if int_field(proof, "tree_size", what) != tree.size:
            raise LedgerError(f"{what}: tree_size {proof['tree_size']}, checkpoint {tree.size}")
        consistency = hashes_field(proof, "consistency", what)
        self.advance(signed, proof=None if old is None else (old, consistency))
        return Answer(body, self, prove=True, tree=tree)

    # --- appending ---------------------------------------------------------------------

    def append(self, entry: bytes) -> Receipt:
        """Append `entry` (its canonical bytes) and verify the answer before returning it.
        The answer carries a consistency proof from the trusted checkpoint, so trust moves
        without a second round trip (a ledger that sends none is asked for one)."""
        old = self.trusted
        body = self._json(
            "POST", "/v1/entries", content=entry, headers={"content-type": "application/json"},
            params={"trusted_size": old.checkpoint.size if old else 0},
        )  # fmt: skip
        what = f"ledger {self.base_url}: append"
        # 1. The checkpoint is the log's, signed by its key, for the tree size it states.
        note = body.get("checkpoint")
        if not isinstance(note, str):
            raise LedgerError(f"{what}: field 'checkpoint' is not a signed note")
        signed = self.open(note)
        tree = signed.checkpoint
        if int_field(body, "tree_size", what) != tree.size:
            raise LedgerError(f"{what}: tree_size {body['tree_size']}, checkpoint {tree.size}")
        # 2. The leaf is this entry's, recomputed here rather than taken from the answer.
        leaf = leaf_hash(entry)
        if b64_field(body.get("leaf_hash"), f"{what}: leaf_hash") != leaf:
            raise InvalidProof(f"{what}: the ledger's leaf hash is not this entry's")
        # 3. The inclusion proof leads from that leaf to the checkpoint's root.
        index = int_field(body, "index", what)
        proof = hashes_field(body, "inclusion_proof", what)
        try:
            check_inclusion(leaf, index, tree.size, proof, tree.root_hash)
        except InvalidProof as exc:
            raise InvalidProof(f"{what}: entry {index}: {exc}") from None
        # 4. The checkpoint is consistent with the last one trusted.
        given = None
        if old is not None and body.get("consistency_proof") is not None:
            given = (old, hashes_field(body, "consistency_proof", what))
        self.advance(signed, proof=given)
        return Receipt(index, leaf, tree, signed.note, tuple(proof), body.get("duplicate") is True)

    # --- reading entries -----------------------------------------------------------------

    def entries(self, start: int, end: int, *, gaps: bool = False) -> list[LoggedEntry]:
        """Entries with `start <= index < end` (see `pages`). Their bytes are not proven
        here (no proof comes with a range): audit replay rebuilds the tree from them."""
        return [entry for page in self.pages(start, end, gaps=gaps) for entry in page]

    def pages(
        self, start: int, end: int, *, page_size: int = PAGE_SIZE, gaps: bool = False
    ) -> Iterator[list[LoggedEntry]]:
        """Entries covering [start, end) in index order, one list per call to the ledger.
        A missing index is `NotFound`; with `gaps=True` it is skipped instead (an auditor
        names it), and the pages end where the ledger stops answering."""
        if not 0 <= start <= end or page_size < 1:
            raise ValueError(f"entries: got range [{start}, {end}) by {page_size}")
        at = start
        while at < end:
            stop = min(end, at + page_size)
            rows = list_field(self.get_json("/v1/entries", start=at, end=stop), "entries", "")
            page = []
            for row in rows:
                what = f"ledger {self.base_url}: entries from {at}"
                index = int_field(row, "index", what) if isinstance(row, dict) else -1
                if not (index == at or (gaps and at < index < stop)):
                    raise LedgerError(f"{what}: got index {index}, out of order or unasked for")
                page.append(LoggedEntry(index, b64_field(row.get("entry"), f"{what}: {index}")))
                at = index + 1
            if not page:
                if gaps:
                    return
                raise NotFound(f"ledger {self.base_url}: no entry at index {at}")
            yield page

    def entry(self, index: int) -> LoggedEntry:
        """Entry `index`, proven included in the trusted checkpoint (a proven read)."""
        what = f"ledger {self.base_url}: entry {index}"
        answer = self.read(f"/v1/entries/{index}")
        body = answer.body
        if int_field(body, "index", what) != index:
            raise LedgerError(f"{what}: the answer is for index {body['index']}")
        data = b64_field(body.get("entry"), what)
        answer.prove_entry(index, data, body, what)
        return LoggedEntry(index, data)

    def prove(self, index: int, data: bytes) -> Checkpoint:
        """Check that `data` is entry `index`, against the trusted checkpoint (refreshed
        first if it does not cover `index`), with an inclusion proof fetched for it;
        returns the checkpoint it was proven in."""
        what = f"ledger {self.base_url}: entry {index}"
        trusted = self.trusted
        tree = trusted.checkpoint if trusted is not None else None
        if tree is None or index >= tree.size:
            tree = self.checkpoint()
        if index >= tree.size:
            raise NotFound(f"{what}: beyond the tree size {tree.size}")
        body = self.get_json("/v1/proofs/inclusion", index=index, tree_size=tree.size)
        proof = hashes_field(body, "proof", f"{what}: inclusion proof")
        try:
            check_inclusion(leaf_hash(data), index, tree.size, proof, tree.root_hash)
        except InvalidProof as exc:
            raise InvalidProof(f"{what}: {exc}") from None
        return tree

    # --- consent state and registries (docs/ledger-api.md), entries proven -------------

    def grants(
        self, pseudonym: bytes, verifier: str, at: datetime | None = None, *, prove: bool = True
    ) -> list[GrantView]:
        """The grants of `pseudonym` at `verifier`, with their status at `at` (default now)."""
        return _queries.grants(self, pseudonym, verifier, at, prove=prove)

    def grant(self, grant_id: str, at: datetime | None = None, *, prove: bool = True) -> GrantView:
        """One grant with its status at `at`, its revocation index and its accesses."""
        return _queries.grant(self, grant_id, at, prove=prove)

    def accesses(self, pseudonym: bytes, *, prove: bool = True) -> list[AccessView]:
        """Every access recorded under a grant of `pseudonym` (a citizen's history)."""
        return _queries.accesses(self, pseudonym, prove=prove)

    def issuer(self, did: str, *, prove: bool = True) -> list[IssuerKeyView]:
        """The BBS keys issuer `did` registered, each with its revocation if any."""
        return _queries.issuer(self, did, prove=prove)

    def verifier(self, did: str, *, prove: bool = True) -> Logged[VerifierRegister]:
        """The registration of verifier `did`."""
        return _queries.verifier(self, did, prove=prove)

    # --- petitions (docs/petitions.md), entries proven --------------------------------

    def petition(self, petition_id: str, *, prove: bool = True) -> PetitionView:
        """A petition's `petition.open`, its tally and its status now."""
        return _petitions.petition(self, petition_id, prove=prove)

    def petition_signatures(
        self, petition_id: str, start: int = 0, end: int = 2**62, *, prove: bool = True
    ) -> list[Logged[PetitionSign]]:
        """The petition's signatures numbered `start <= n < end` (from 0, in log order)."""
        return _petitions.signatures(self, petition_id, start, end, prove=prove)


@dataclass(frozen=True)
class LogInfo:
    """What a ledger says about itself at `/v1/log`: nothing in it is verified."""

    origin: str
    verifier_key: VerifierKey
    tree_size: int


def announced_log(
    base_url: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
) -> LogInfo:
    """The origin and key a ledger announces. Trusting them is trusting the ledger: use
    them only when no key was distributed out of band, and say so to the user."""
    placeholder = VerifierKey("unknown", 0, bytes(32))
    with LedgerClient(
        base_url, log_key=placeholder, origin="unknown", transport=transport, timeout=timeout
    ) as client:
        body = client.get_json("/v1/log")
    what = f"ledger {base_url}: /v1/log"
    key = VerifierKey.from_text(str_field(body, "verifier_key", what))
    return LogInfo(str_field(body, "origin", what), key, int_field(body, "tree_size", what))

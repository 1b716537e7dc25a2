"""Which entries the ledger accepts: the sequencer's `validate` and `apply` hooks.

DESIGN.md §Ledger, "validation on append". `validate` runs before the entry is queued
(in the caller's thread, or in worker processes: see `Rules`) and needs nothing but the
bytes and the server clock:

1. the bytes are JSON, in RFC 8785 canonical form (`not_json`, `not_canonical`);
2. they parse as one of the eight entry types (`malformed`: `policies.parse_entry`);
3. the signature verifies: Ed25519 of the did the entry names, or the holder's Schnorr
   signature under `P_v` (`bad_signature`: `policies.verify_entry_signature`);
4. `created_at` lies within `max_skew` of the server clock (`clock_skew`).

`apply` (one entry) or `apply_batch` (a batch's new entries at once, through a
`ledger.state.batch.StateBatch`) runs in the sequencer's batch transaction, in log order,
checks each entry against the state index (`ledger.state`) and updates it. Every rule
refuses an entry before it changes anything, so a refused entry needs no savepoint:

- `issuer.register`: its BBS key is already registered, by anyone (`already_registered`);
- `issuer.revoke_key`: the issuer registered no such key (`unknown_key`), or it is
  already revoked (`already_revoked`);
- `verifier.register`: the did is already registered (`already_registered`);
- `consent.grant`: the verifier is not registered (`unknown_verifier`), no registered
  issuer key signs its schema (`unknown_schema`);
- `consent.revoke`: no such grant (`grant_not_found`), a grant of another pseudonym or
  verifier (`not_grant_holder`), already revoked (`grant_revoked`), effective before an
  access already recorded, which would make that access a violation after the fact
  (`revoke_backdated`);
- `access.record`: no such grant (`grant_not_found`), another verifier's grant
  (`wrong_verifier`), a grant revoked, expired or not yet valid at the record's
  `created_at` (`grant_revoked`, `grant_expired`, `grant_not_yet_valid`), or already used
  `max_uses` times (`max_uses_reached`).
- `petition.open` and `petition.sign`: `ledger.petitions` (`unknown_issuer`,
  `unknown_schema`; `petition_not_found`, `petition_closed`, `ineligible`,
  `bad_signature`, `already_signed`). A signature's presentation is verified by
  `validate` when the petition is known already, else by `apply`.

The same entry twice never reaches `apply`: the sequencer answers it with its first index.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.engine import Connection

from ledger import petitions, state
from ledger.errors import EntryRejected, StorageCorrupt
from ledger.state import GrantStatus
from ledger.state.batch import StateBatch
from ledger.storage import LedgerStore, read_entries, tree_size
from ledger.workers import WorkerPool
from policies import (
    AccessRecord,
    ConsentGrant,
    ConsentRevoke,
    DocumentError,
    Entry,
    IssuerRegister,
    IssuerRevokeKey,
    PetitionOpen,
    PetitionSign,
    SignatureError,
    VerifierRegister,
    canonical_bytes,
    format_time,
    loads,
    parse_entry,
    sha256_id,
    verify_entry_signature,
)

DEFAULT_MAX_SKEW = timedelta(seconds=300)


class Reason(StrEnum):
    """Stable, machine-readable codes for refused entries (the API's `reason`)."""

    NOT_JSON = "not_json"
    NOT_CANONICAL = "not_canonical"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    CLOCK_SKEW = "clock_skew"
    ALREADY_REGISTERED = "already_registered"
    UNKNOWN_KEY = "unknown_key"
    ALREADY_REVOKED = "already_revoked"
    UNKNOWN_VERIFIER = "unknown_verifier"
    UNKNOWN_SCHEMA = "unknown_schema"
    GRANT_NOT_FOUND = "grant_not_found"
    NOT_GRANT_HOLDER = "not_grant_holder"
    GRANT_REVOKED = "grant_revoked"
    REVOKE_BACKDATED = "revoke_backdated"
    WRONG_VERIFIER = "wrong_verifier"
    GRANT_EXPIRED = "grant_expired"
    GRANT_NOT_YET_VALID = "grant_not_yet_valid"
    MAX_USES_REACHED = "max_uses_reached"
    UNKNOWN_ISSUER = "unknown_issuer"
    PETITION_NOT_FOUND = "petition_not_found"
    PETITION_CLOSED = "petition_closed"
    INELIGIBLE = "ineligible"
    ALREADY_SIGNED = "already_signed"


#: Reasons that say the bytes are not an entry at all, as opposed to a refused one.
MALFORMED_REASONS = frozenset({Reason.NOT_JSON, Reason.NOT_CANONICAL, Reason.MALFORMED})


class Rejected(EntryRejected):
    """An entry refused by a rule: a stable `reason` and a `detail` for people."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail

    def __reduce__(self) -> tuple[type[Rejected], tuple[Reason, str]]:
        # Pickled by its own arguments: refusals come back from worker processes.
        return Rejected, (self.reason, self.detail)


def epoch(moment: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC: the state index's time scale."""
    return int(moment.timestamp())


# --- stateless ------------------------------------------------------------------------


def check_entry(data: bytes, *, now: datetime, max_skew: timedelta = DEFAULT_MAX_SKEW) -> Entry:
    """Steps 1-4 of the module docstring at server time `now`; the parsed entry or `Rejected`."""
    entry = parse_checked(data)
    check_parsed(entry, now=now, max_skew=max_skew)
    return entry


def parse_checked(data: bytes) -> Entry:
    """Steps 1-2: canonical JSON of a known entry type with valid fields, or `Rejected`.
    With `check_parsed`, what `check_entry` does, for a caller that checks many entries:
    parsing them all, then verifying them all, costs ~20 µs less per consent.grant than
    alternating (parsing evicts what the verification keeps warm in the CPU's caches)."""
    try:
        return parse_entry(data)
    except DocumentError as exc:
        raise _unparsable(data, exc) from None


def check_parsed(entry: Entry, *, now: datetime, max_skew: timedelta = DEFAULT_MAX_SKEW) -> None:
    """Steps 3-4 on an entry `parse_checked` returned: signature and clock skew, or `Rejected`."""
    # 3. Signature.
    try:
        verify_entry_signature(entry)
    except SignatureError:
        raise Rejected(Reason.BAD_SIGNATURE, f"{entry.TYPE}: signature does not verify") from None
    except DocumentError as exc:
        raise Rejected(Reason.MALFORMED, str(exc)) from None
    # 4. Clock skew.
    skew = entry.created_at - now
    if abs(skew) > max_skew:
        side = "ahead of" if skew > timedelta(0) else "behind"
        raise Rejected(
            Reason.CLOCK_SKEW,
            f"created_at {format_time(entry.created_at)} is {abs(int(skew.total_seconds()))} s"
            f" {side} the ledger's clock (bound {int(max_skew.total_seconds())} s)",
        )


def _parse_in_worker(
    item: tuple[bytes, datetime, timedelta, petitions.PetitionTerms | None],
) -> tuple[Entry, datetime, timedelta, petitions.PetitionTerms | None]:
    """`check_entry`'s first half for a `ledger.workers.WorkerPool`, as its `prepare`
    stage: (bytes, now, max_skew, the terms of the petition a signature names, if known)
    in; a whole batch is parsed before any of it is verified."""
    data, now, max_skew, terms = item
    return parse_checked(data), now, max_skew, terms


def _check_in_worker(
    parsed: tuple[Entry, datetime, timedelta, petitions.PetitionTerms | None],
) -> Entry:
    """`check_entry`'s second half on what `_parse_in_worker` returned, and
    `petitions.precheck` with the petition's terms."""
    entry, now, max_skew, terms = parsed
    check_parsed(entry, now=now, max_skew=max_skew)
    petitions.precheck(entry, terms)
    return entry


def _unparsable(data: bytes, error: DocumentError) -> Rejected:
    """Tell bytes that are not JSON, JSON in another spelling, and malformed entries apart."""
    try:
        json.loads(data)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return Rejected(Reason.NOT_JSON, f"the body is not JSON ({error})")
    try:
        canonical = canonical_bytes(loads(data, canonical=False))
    except (DocumentError, ValueError):
        canonical = data
    if canonical != data:
        return Rejected(
            Reason.NOT_CANONICAL,
            "the JSON is not in RFC 8785 canonical form (send the exact bytes that were signed)",
        )
    return Rejected(Reason.MALFORMED, str(error))


# --- stateful -------------------------------------------------------------------------


def apply_entry(
    conn: Connection,
    *,
    index: int,
    entry: Entry,
    entry_id: str,
    memo: petitions.PetitionMemo | None = None,
) -> None:
    """Check `entry` (logged at `index`, id `entry_id`) against the state index and
    record it there, or raise `Rejected` having written nothing (a batch of one)."""
    batch = StateBatch(conn)
    record_entry(batch, index=index, entry=entry, entry_id=entry_id, memo=memo)
    batch.flush()


def prefetch(batch: StateBatch, entries: Sequence[Entry]) -> None:
    """Load the grants that `entries` name into `batch` at once (one query, not one each)."""
    batch.prefetch_grants([e.grant for e in entries if isinstance(e, ConsentRevoke | AccessRecord)])


def record_entry(
    batch: StateBatch,
    *,
    index: int,
    entry: Entry,
    entry_id: str,
    memo: petitions.PetitionMemo | None = None,
) -> None:
    """`apply_entry` inside a `StateBatch`: the change is written when the batch flushes,
    and the batch's later entries see it at once. A refused entry changes nothing.
    `memo`: the petitions and signatures a `Rules.validate` checked already."""
    if isinstance(entry, IssuerRegister):
        _issuer_register(batch, index, entry)
        petitions.record_registration(batch, entry)
    elif isinstance(entry, PetitionOpen | PetitionSign):
        petitions.record_petition(batch, index=index, entry=entry, entry_id=entry_id, memo=memo)
    elif isinstance(entry, IssuerRevokeKey):
        _issuer_revoke_key(batch, index, entry)
    elif isinstance(entry, VerifierRegister):
        _verifier_register(batch, index, entry)
    elif isinstance(entry, ConsentGrant):
        _consent_grant(batch, index, entry, entry_id)
    elif isinstance(entry, ConsentRevoke):
        _consent_revoke(batch, index, entry)
    else:
        _access_record(batch, index, entry)
    batch.set_applied(index + 1)


def _key(public_key: bytes) -> str:
    return public_key.hex()[:16] + "…"


def _issuer_register(state: StateBatch, index: int, e: IssuerRegister) -> None:
    found = state.find_issuer_key(e.public_key)
    if found is not None:
        raise Rejected(
            Reason.ALREADY_REGISTERED, f"BBS key {_key(e.public_key)} is already registered"
        )
    schemas = [s.id for s in e.schemas]
    state.add_issuer_key(index=index, issuer=e.issuer, public_key=e.public_key, schemas=schemas)


def _issuer_revoke_key(state: StateBatch, index: int, e: IssuerRevokeKey) -> None:
    found = state.find_issuer_key(e.public_key)
    if found is None or found[0] != e.issuer:
        detail = f"issuer {e.issuer} registered no BBS key {_key(e.public_key)}"
        raise Rejected(Reason.UNKNOWN_KEY, detail)
    if found[1] is not None:
        detail = f"BBS key {_key(e.public_key)} was already revoked at index {found[1]}"
        raise Rejected(Reason.ALREADY_REVOKED, detail)
    state.revoke_issuer_key(index=index, public_key=e.public_key)


def _verifier_register(state: StateBatch, index: int, e: VerifierRegister) -> None:
    found = state.verifier_index(e.verifier)
    if found is not None:
        detail = f"verifier {e.verifier} is already registered at index {found}"
        raise Rejected(Reason.ALREADY_REGISTERED, detail)
    state.add_verifier(index=index, did=e.verifier)


def _consent_grant(state: StateBatch, index: int, e: ConsentGrant, grant_id: str) -> None:
    if state.verifier_index(e.verifier) is None:
        raise Rejected(Reason.UNKNOWN_VERIFIER, f"verifier {e.verifier} is not registered")
    if not state.schema_registered(e.schema_id):
        raise Rejected(Reason.UNKNOWN_SCHEMA, f"no registered issuer key signs {e.schema_id}")
    state.add_grant(
        index=index, grant_id=grant_id, pseudonym=e.pseudonym, verifier=e.verifier,
        schema_id=e.schema_id, purpose=str(e.purpose), not_before=epoch(e.not_before),
        not_after=epoch(e.not_after), max_uses=e.max_uses,
    )  # fmt: skip


def _consent_revoke(state: StateBatch, index: int, e: ConsentRevoke) -> None:
    grant = state.find_grant(e.grant)
    if grant is None:
        raise Rejected(Reason.GRANT_NOT_FOUND, f"no grant {e.grant}")
    if grant.pseudonym != e.pseudonym or grant.verifier != e.verifier:
        detail = f"grant {e.grant} was given under another pseudonym or verifier"
        raise Rejected(Reason.NOT_GRANT_HOLDER, detail)
    if grant.revoked_index is not None:
        detail = f"grant {e.grant} was already revoked at index {grant.revoked_index}"
        raise Rejected(Reason.GRANT_REVOKED, detail)
    at = epoch(e.created_at)
    if grant.last_use is not None and at < grant.last_use:
        detail = f"effective {format_time(e.created_at)}, before an access already recorded"
        raise Rejected(Reason.REVOKE_BACKDATED, detail)
    state.revoke_grant(index=index, grant_id=e.grant, at=at)


_ACCESS_REFUSALS = {
    GrantStatus.REVOKED: Reason.GRANT_REVOKED,
    GrantStatus.EXPIRED: Reason.GRANT_EXPIRED,
    GrantStatus.NOT_YET_VALID: Reason.GRANT_NOT_YET_VALID,
    GrantStatus.EXHAUSTED: Reason.MAX_USES_REACHED,
}


def _access_record(state: StateBatch, index: int, e: AccessRecord) -> None:
    grant = state.find_grant(e.grant)
    if grant is None:
        raise Rejected(Reason.GRANT_NOT_FOUND, f"no grant {e.grant}")
    if grant.verifier != e.verifier:
        raise Rejected(Reason.WRONG_VERIFIER, f"grant {e.grant} is for another verifier")
    at = epoch(e.created_at)
    status = grant.status(at)
    if status is not GrantStatus.LIVE:
        detail = (
            f"grant {e.grant} is {status.value.replace('_', ' ')} at {format_time(e.created_at)}"
        )
        raise Rejected(_ACCESS_REFUSALS[status], detail)
    last_use = at if grant.last_use is None else max(at, grant.last_use)
    state.add_access(index=index, grant_id=e.grant, at=at, last_use=last_use)


# --- the sequencer's hooks ------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Rules:
    """The `validate` and `apply` hooks of a `Sequencer`, over one clock and skew bound.

    `validate` runs the stateless checks in the caller's thread. With `workers` > 0,
    `validate_later` runs them in that many worker processes (`ledger.workers.WorkerPool`):
    the consent signature holds the GIL, so threads alone never verify two at once. The
    clock is still read in the caller's thread. A worker that dies fails its callers'
    appends with `WorkerFailed`; `close()` stops the workers.

    `validate` keeps what it parsed for `apply`, so the sequencer thread, which runs
    every batch serially, does not parse each entry a second time (a grant costs ~0.2 ms).
    """

    _KEEP = 8192  # parsed entries waiting for apply; beyond that the oldest are dropped

    def __init__(
        self,
        *,
        max_skew: timedelta = DEFAULT_MAX_SKEW,
        clock: Callable[[], datetime] = _utc_now,
        workers: int = 0,
    ) -> None:
        if workers < 0:
            raise ValueError(f"workers: got {workers}, want >= 0")
        self.max_skew, self._clock = max_skew, clock
        self._parsed: dict[bytes, Entry] = {}
        self._lock = threading.Lock()
        self._pool = (
            WorkerPool(_check_in_worker, prepare=_parse_in_worker, workers=workers)
            if workers
            else None
        )
        self.petitions = petitions.PetitionMemo()

    def close(self) -> None:
        """Stop the worker processes, if any (after the sequencer using these rules)."""
        if self._pool is not None:
            self._pool.close()

    def __enter__(self) -> Rules:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def validate(self, data: bytes) -> str:
        """The stateless checks, in this thread; the entry's type (`Validator` of
        `ledger.sequencer`)."""
        terms = self.petitions.terms_for(data)
        entry = check_entry(data, now=self._clock(), max_skew=self.max_skew)
        petitions.precheck(entry, terms)
        return self._keep(data, entry, terms)

    def validate_later(self, data: bytes) -> Future[str]:
        """`validate` in the worker processes, answered when they are done: the future of
        the entry's type or of its refusal (`DeferredValidator` of `ledger.sequencer`).
        Without workers it is computed here, and the future is done when it returns."""
        answer: Future[str] = Future()
        if self._pool is None:
            try:
                answer.set_result(self.validate(data))
            except Exception as exc:
                answer.set_exception(exc)
            return answer
        terms = self.petitions.terms_for(data)
        checked = self._pool.submit((data, self._clock(), self.max_skew, terms))
        checked.add_done_callback(lambda done: self._checked(data, done, answer, terms))
        return answer

    def _checked(
        self,
        data: bytes,
        checked: Future[Entry],
        answer: Future[str],
        terms: petitions.PetitionTerms | None,
    ) -> None:
        try:
            entry = checked.result()
        except Exception as exc:
            answer.set_exception(exc)
            return
        answer.set_result(self._keep(data, entry, terms))

    def _keep(self, data: bytes, entry: Entry, terms: petitions.PetitionTerms | None) -> str:
        """Remember what `data` parsed to, for `apply`, and a signature that `precheck`
        verified against `terms`; the entry's type."""
        if petitions.covers(entry, terms):
            self.petitions.mark_verified(entry.id)
        with self._lock:
            self._parsed[data] = entry
            if len(self._parsed) > self._KEEP:
                del self._parsed[next(iter(self._parsed))]
        return entry.TYPE

    def _entry(self, data: bytes) -> Entry:
        """What `validate` parsed from `data` (parsed again if it was dropped meanwhile)."""
        with self._lock:
            entry = self._parsed.pop(data, None)
        return parse_entry(data) if entry is None else entry

    def apply(self, conn: Connection, index: int, data: bytes, _type: str) -> None:
        """The stateful checks and index update of one entry (`StateRule` of
        `ledger.sequencer`)."""
        apply_entry(conn, index=index, entry=self._entry(data), entry_id=sha256_id(data),
                    memo=self.petitions)  # fmt: skip

    def apply_batch(
        self, conn: Connection, first: int, items: Sequence[tuple[bytes, str]]
    ) -> list[EntryRejected | None]:
        """The stateful checks and index update of a batch's new entries, in order, in one
        `StateBatch` (`BatchRule` of `ledger.sequencer`): accepted entries take the
        indexes from `first` on; each refusal is returned in its entry's place."""
        entries = [self._entry(data) for data, _type in items]
        batch = StateBatch(conn)
        prefetch(batch, entries)
        outcomes: list[EntryRejected | None] = []
        index = first
        for (data, _type), entry in zip(items, entries, strict=True):
            try:
                record_entry(batch, index=index, entry=entry, entry_id=sha256_id(data),
                             memo=self.petitions)  # fmt: skip
            except Rejected as refused:
                outcomes.append(refused)
                continue
            outcomes.append(None)
            index += 1
        batch.flush()
        return outcomes


def catch_up(store: LedgerStore, *, chunk: int = 1000) -> int:
    """Bring the state index up to the log (tables just created, or entries written by a
    sequencer without `apply`): replay the missing entries' state rules in one
    transaction. Returns how many were replayed. An entry that breaks a rule cannot be
    indexed: `StorageCorrupt` naming it (the log needs an audit, not a silent skip)."""
    with store.write() as conn:
        start, size = state.applied(conn), tree_size(conn)
        for first in range(start, size, chunk):
            batch = StateBatch(conn)
            for stored in read_entries(conn, first, min(first + chunk, size)):
                try:
                    record_entry(batch, index=stored.index, entry=parse_entry(stored.data),
                                 entry_id=sha256_id(stored.data))  # fmt: skip
                except (DocumentError, EntryRejected) as exc:
                    raise StorageCorrupt(f"entry {stored.index} cannot be indexed: {exc}") from None
            batch.flush()
    return size - start

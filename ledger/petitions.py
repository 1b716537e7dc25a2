"""The ledger's rules for petitions (docs/petitions.md, "Rules"), as `ledger.rules` runs them.

A `petition.open` is refused unless every eligible issuer is registered
(`unknown_issuer`) with a key listing the petition's schema (`unknown_schema`); its
signature and its fields were checked before (`bad_signature`, `malformed`).

A `petition.sign` is refused unless, in this order:

1. the petition is logged (`petition_not_found`) and the signature's `created_at` lies in
   [`open.created_at`, `closes_at`) (`petition_closed`);
2. its issuer is an eligible one, and the presentation's BBS key is registered by that
   issuer for the petition's schema, valid at `created_at` and never revoked
   (`ineligible`);
3. the presentation is for the petition's schema, with a 32-byte nonce, discloses exactly
   the eligible attributes, proves exactly the eligible predicates and `expiry >=` the UTC
   day of `created_at` (`Eligibility.signature_predicates`: a credential not expired then,
   without its expiry date), and verifies (`bad_signature`);
4. no earlier signature of the petition has its pseudonym (`already_signed`).

Step 3 costs 5-12 ms of pairings and depends on nothing but the two documents (both
immutable once logged, and named by the hash of their bytes). So the ledger's `validate`
hook runs it, with steps 1-2's document checks, before the entry is queued, whenever it
already knows the petition (`PetitionMemo.terms`): in the caller's thread, or in the
worker processes with the petition sent along (`precheck`). `apply` then skips it for the
entries the memo marks verified, and runs it itself for the others (a petition opened in
the same batch, or not seen yet by this process). The audit marks none: it verifies
every signature again.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from attestations.credentials import verify_presentation
from attestations.errors import AttestationError
from attestations.predicates import Predicate as ZkPredicate
from ledger import rules
from ledger.state import petitions as sql
from ledger.state.batch import StateBatch
from policies import DocumentError, Entry, IssuerRegister, canonical_bytes, format_time
from policies.petitions import Eligibility, PetitionOpen, PetitionSign
from policies.predicates import proof_statements

__all__ = [
    "NONCE_BYTES",
    "PetitionMemo",
    "PetitionTerms",
    "check_presentation",
    "check_window_and_issuer",
    "covers",
    "opened_terms",
    "petition_named",
    "precheck",
    "record_petition",
    "record_registration",
    "signature_statements",
]

V = TypeVar("V")

NONCE_BYTES = 32
"""The nonce of every signature's presentation: the signer's own random bytes, one
length for all (signatures stay alike)."""

# "type" sorts last among both entries' keys, so their canonical bytes end with it.
_SIGN_SUFFIX, _OPEN_SUFFIX = b',"type":"petition.sign"}', b',"type":"petition.open"}'


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def signature_statements(eligibility: Eligibility, created_at: datetime) -> tuple[ZkPredicate, ...]:
    """What a signature made at `created_at` proves (`Eligibility.signature_predicates`),
    as `attestations.predicates` statements sorted as a presentation lists them (the
    document checked that they fit its schema)."""
    return proof_statements(
        eligibility.signature_predicates(created_at), eligibility.credential_schema
    )


@dataclass(frozen=True)
class PetitionTerms:
    """What a signature is judged against: the petition's id, window (epoch seconds) and
    eligibility."""

    id: str
    created_at: int
    closes_at: int
    eligibility: Eligibility

    @classmethod
    def of(cls, petition: PetitionOpen) -> PetitionTerms:
        return cls(petition.id, _epoch(petition.created_at), _epoch(petition.closes_at),
                   petition.eligibility)  # fmt: skip

    @classmethod
    def of_record(cls, record: sql.PetitionRecord) -> PetitionTerms:
        eligibility = Eligibility.model_validate_json(record.eligibility)
        return cls(record.id, record.created_at, record.closes_at, eligibility)


# --- the checks that need only the two documents ------------------------------------------


def check_window_and_issuer(sign: PetitionSign, terms: PetitionTerms) -> None:
    """Rule 1's window and rule 2's list of issuers."""
    at = _epoch(sign.created_at)
    if not terms.created_at <= at < terms.closes_at:
        raise rules.Rejected(
            rules.Reason.PETITION_CLOSED,
            f"petition {terms.id} takes signatures from {_time(terms.created_at)} until "
            f"{_time(terms.closes_at)}, not at {format_time(sign.created_at)}",
        )
    if sign.issuer not in terms.eligibility.issuers:
        raise rules.Rejected(
            rules.Reason.INELIGIBLE, f"petition {terms.id} does not count issuer {sign.issuer}"
        )


def check_presentation(sign: PetitionSign, terms: PetitionTerms) -> None:
    """Rule 3: the presentation shows and proves exactly what the petition asks, and
    verifies under its own issuer key (rule 2 checks that key's registration)."""
    shown, eligibility = sign.presentation, terms.eligibility
    schema = eligibility.credential_schema

    def refuse(detail: str) -> rules.Rejected:
        return rules.Rejected(rules.Reason.BAD_SIGNATURE, f"petition.sign: {detail}")

    if shown.schema_id != schema.schema_id:
        raise refuse("the presentation is of another schema than the petition's")
    if len(shown.nonce) != NONCE_BYTES:
        raise refuse(f"the presentation's nonce is {len(shown.nonce)} bytes, want {NONCE_BYTES}")
    wanted = set(eligibility.attributes)
    if set(shown.disclosed) != wanted:
        raise refuse(
            f"the presentation discloses {', '.join(sorted(shown.disclosed)) or 'nothing'};"
            f" the petition asks for exactly {', '.join(sorted(wanted)) or 'nothing'}"
        )
    try:
        verify_presentation(
            shown, shown.issuer, schema, verifier_id=terms.id, nonce=shown.nonce,
            now=sign.created_at, predicates=signature_statements(eligibility, sign.created_at),
        )  # fmt: skip
    except AttestationError as exc:
        raise refuse(str(exc)) from None


def covers(entry: Entry, terms: PetitionTerms | None) -> bool:
    """Whether `entry` is a signature of the petition `terms` describes."""
    return terms is not None and isinstance(entry, PetitionSign) and entry.petition == terms.id


def precheck(entry: Entry, terms: PetitionTerms | None) -> None:
    """What `validate` adds for a signature that `terms` `covers`: the checks that need
    only the two documents, raising `Rejected`. Nothing for any other entry."""
    if covers(entry, terms):
        assert isinstance(entry, PetitionSign) and terms is not None
        check_window_and_issuer(entry, terms)
        check_presentation(entry, terms)


def petition_named(data: bytes) -> str | None:
    """The petition id that `data` names if it looks like a `petition.sign`, cheaply:
    only such bytes are parsed, as plain JSON. A hint for `precheck`, which checks the
    entry it parsed properly against the terms of that id."""
    if not data.endswith(_SIGN_SUFFIX):
        return None
    try:
        named = json.loads(data).get("petition")
    except (ValueError, AttributeError, RecursionError):
        return None
    return named if isinstance(named, str) else None


def opened_terms(data: bytes) -> PetitionTerms | None:
    """The terms of the petition `data` opens, if it is a well-formed `petition.open`
    (signature unchecked: terms are only ever used under the id they hash to)."""
    if not data.endswith(_OPEN_SUFFIX):
        return None
    try:
        return PetitionTerms.of(PetitionOpen.from_json(data))
    except DocumentError:
        return None


def _time(seconds: int) -> str:
    return format_time(datetime.fromtimestamp(seconds, UTC))


# --- what a ledger's rules remember between validate and apply ---------------------------


class PetitionMemo:
    """The petitions a `Rules` knows (by id: an id is the hash of the petition's bytes, so
    whatever is kept under it is that petition, logged or not) and the signatures its
    `validate` checked (by entry id), both bounded. Thread-safe."""

    def __init__(self, *, petitions: int = 1024, verified: int = 8192) -> None:
        self._limits = petitions, verified
        self._terms: OrderedDict[str, PetitionTerms] = OrderedDict()
        self._verified: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def terms(self, petition_id: str) -> PetitionTerms | None:
        with self._lock:
            found = self._terms.get(petition_id)
            if found is not None:
                self._terms.move_to_end(petition_id)
            return found

    def terms_for(self, data: bytes) -> PetitionTerms | None:
        """The terms of the petition that `data`, if a `petition.sign`, names."""
        named = petition_named(data)
        return None if named is None else self.terms(named)

    def remember(self, terms: PetitionTerms) -> None:
        self._put(self._terms, terms.id, terms, self._limits[0])

    def mark_verified(self, entry_id: str) -> None:
        self._put(self._verified, entry_id, None, self._limits[1])

    def verified(self, entry_id: str) -> bool:
        with self._lock:
            return entry_id in self._verified

    def _put(self, kept: OrderedDict[str, V], key: str, value: V, limit: int) -> None:
        with self._lock:
            kept[key] = value
            kept.move_to_end(key)
            while len(kept) > limit:
                kept.popitem(last=False)


# --- the state rules ----------------------------------------------------------------------


def record_registration(batch: StateBatch, e: IssuerRegister) -> None:
    """After an `issuer.register` is accepted: the terms its key signs petitions under."""
    sql.add_key_terms(
        batch.conn, public_key=e.public_key, issuer=e.issuer, schemas=[s.id for s in e.schemas],
        valid_from=_epoch(e.valid_from), valid_until=_epoch(e.valid_until),
    )  # fmt: skip


def record_petition(
    batch: StateBatch,
    *,
    index: int,
    entry: PetitionOpen | PetitionSign,
    entry_id: str,
    memo: PetitionMemo | None = None,
) -> None:
    """Check a petition entry (logged at `index`) against the state and record it, or
    raise `Rejected` having written nothing. `memo`: what this ledger's `validate`
    checked already (None: nothing, as for an audit)."""
    memo = memo or PetitionMemo(petitions=16, verified=0)
    if isinstance(entry, PetitionOpen):
        _open(batch, index, entry, entry_id, memo)
    else:
        _sign(batch, index, entry, entry_id, memo)


def _open(
    batch: StateBatch, index: int, e: PetitionOpen, entry_id: str, memo: PetitionMemo
) -> None:
    eligibility = e.eligibility
    schema_id = eligibility.credential_schema.schema_id
    for issuer in eligibility.issuers:
        if not sql.issuer_signs_schema(batch.conn, issuer=issuer, schema_id=schema_id):
            if not sql.issuer_registered(batch.conn, issuer=issuer):
                raise rules.Rejected(
                    rules.Reason.UNKNOWN_ISSUER, f"issuer {issuer} is not registered"
                )
            detail = f"no key of issuer {issuer} is registered for schema {schema_id}"
            raise rules.Rejected(rules.Reason.UNKNOWN_SCHEMA, detail)
    terms = PetitionTerms.of(e)
    sql.add_petition(
        batch.conn, petition_id=entry_id, index=index, created_at=terms.created_at,
        closes_at=terms.closes_at, eligibility=canonical_bytes(eligibility.to_json_dict()),
    )  # fmt: skip
    memo.remember(terms)


def _sign(
    batch: StateBatch, index: int, e: PetitionSign, entry_id: str, memo: PetitionMemo
) -> None:
    # 1. The petition, and its window.
    record = sql.find_petition(batch.conn, e.petition)
    if record is None:
        raise rules.Rejected(rules.Reason.PETITION_NOT_FOUND, f"no petition {e.petition}")
    terms = memo.terms(record.id)
    if terms is None:
        terms = PetitionTerms.of_record(record)
        memo.remember(terms)
    check_window_and_issuer(e, terms)
    # 2. The presentation's key: registered by that issuer for the schema, valid, live.
    key = e.presentation.issuer.to_bytes()
    schema_id = terms.eligibility.credential_schema.schema_id
    found = sql.key_terms(batch.conn, public_key=key, schema_id=schema_id)
    if found is None or found.issuer != e.issuer:
        detail = f"issuer {e.issuer} registered no such key for schema {schema_id}"
        raise rules.Rejected(rules.Reason.INELIGIBLE, detail)
    owner = batch.find_issuer_key(key)
    if owner is not None and owner[1] is not None:
        detail = f"issuer {e.issuer} revoked the presentation's key at index {owner[1]}"
        raise rules.Rejected(rules.Reason.INELIGIBLE, detail)
    at = _epoch(e.created_at)
    if not found.valid_from <= at < found.valid_until:
        detail = (f"the registration of the presentation's key is valid from "
                  f"{_time(found.valid_from)} to {_time(found.valid_until)}")  # fmt: skip
        raise rules.Rejected(rules.Reason.INELIGIBLE, detail)
    # 3. The presentation (unless validate checked it).
    if not memo.verified(entry_id):
        check_presentation(e, terms)
    # 4. Once per pseudonym.
    earlier = sql.signed_at(batch.conn, petition_id=record.id, pseudonym=e.pseudonym)
    if earlier is not None:
        detail = f"this pseudonym signed petition {record.id} already, at index {earlier}"
        raise rules.Rejected(rules.Reason.ALREADY_SIGNED, detail)
    sql.add_signature(batch.conn, index=index, petition=record, pseudonym=e.pseudonym)

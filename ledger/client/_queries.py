"""The consent-state and registry queries, each answer checked before it is believed.

The ledger computes a grant's status and use count from its state index; the client cannot
recompute those without replaying the log (that is `cartera audit replay`). What it can
check, it does: every entry in an answer is the document the query asked about (the grant
of this pseudonym at this verifier, the access under this grant, the registration of this
did), its id is the hash of its bytes, and, unless `prove=False`, an inclusion proof shows
it is in the log under the trusted checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attestations.encoding import b64url_encode
from ledger.client._wire import b64_field, int_field, list_field, str_field
from ledger.errors import LedgerError
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


def _time(obj: dict[str, Any], key: str, what: str) -> datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    try:
        return parse_time(str_field(obj, key, what))
    except DocumentError as exc:
        raise LedgerError(f"{what}: field {key!r}: {exc}") from None


def _logged(
    client: LedgerClient, obj: object, kind: type[E], what: str, *, prove: bool
) -> Logged[E]:
    """Parse {"index", "entry"}, check the entry is a `kind`, and prove it is logged."""
    if not isinstance(obj, dict):
        raise LedgerError(f"{what}: not a JSON object")
    index = int_field(obj, "index", what)
    data = b64_field(obj.get("entry"), f"{what}: entry {index}")
    try:
        document = parse_entry(data)
    except DocumentError as exc:
        raise LedgerError(f"{what}: entry {index}: {exc}") from None
    if not isinstance(document, kind):
        raise LedgerError(f"{what}: entry {index} is a {document.TYPE}, want {kind.TYPE}")
    if prove:
        client.prove(index, data)
    return Logged(index, data, document)


def _grant(client: LedgerClient, obj: object, what: str, *, prove: bool) -> GrantView:
    logged = _logged(client, obj, ConsentGrant, what, prove=prove)
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
    body = client.get_json(
        "/v1/consent/grants", pseudonym=b64url_encode(pseudonym), verifier=verifier, **_at(at)
    )
    found = [_grant(client, g, what, prove=prove) for g in list_field(body, "grants", what)]
    for g in found:
        doc = g.logged.document
        if (doc.pseudonym, doc.verifier) != (pseudonym, verifier):
            raise LedgerError(f"{what}: grant {g.id} is of another pseudonym or verifier")
    return found


def grant(client: LedgerClient, grant_id: str, at: datetime | None, *, prove: bool) -> GrantView:
    what = f"ledger {client.base_url}: grant {grant_id}"
    found = _grant(client, client.get_json(f"/v1/consent/grants/{grant_id}", **_at(at)), what,
                   prove=prove)  # fmt: skip
    if found.id != grant_id:
        raise LedgerError(f"{what}: the answer is grant {found.id}")
    return found


def accesses(client: LedgerClient, pseudonym: bytes, *, prove: bool) -> list[AccessView]:
    what = f"ledger {client.base_url}: accesses"
    body = client.get_json("/v1/consent/accesses", pseudonym=b64url_encode(pseudonym))
    found = []
    for obj in list_field(body, "accesses", what):
        logged = _logged(client, obj, AccessRecord, what, prove=prove)
        if logged.document.grant != str_field(obj, "grant", what):
            raise LedgerError(f"{what}: entry {logged.index} names another grant")
        at = _time(obj, "at", what)
        found.append(AccessView(logged, logged.document.grant, at or logged.document.created_at))
    return found


def issuer(client: LedgerClient, did: str, *, prove: bool) -> list[IssuerKeyView]:
    what = f"ledger {client.base_url}: issuer {did}"
    body = client.get_json(f"/v1/issuers/{did}")
    keys = []
    for obj in list_field(body, "keys", what):
        registration = _logged(client, obj, IssuerRegister, what, prove=prove)
        revocation = obj.get("revocation")
        revoked = (
            None if revocation is None
            else _logged(client, revocation, IssuerRevokeKey, what, prove=prove)
        )  # fmt: skip
        key = registration.document.public_key
        for doc in (registration.document, revoked and revoked.document):
            if doc and (doc.issuer, doc.public_key) != (did, key):
                raise LedgerError(f"{what}: an entry is of another issuer or key")
        keys.append(IssuerKeyView(key, registration, revoked))
    return keys


def verifier(client: LedgerClient, did: str, *, prove: bool) -> Logged[VerifierRegister]:
    what = f"ledger {client.base_url}: verifier {did}"
    found = _logged(client, client.get_json(f"/v1/verifiers/{did}"), VerifierRegister, what,
                    prove=prove)  # fmt: skip
    if found.document.verifier != did:
        raise LedgerError(f"{what}: the answer is the registration of another verifier")
    return found

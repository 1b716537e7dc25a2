"""Issuance sessions (docs/sessions-api.md, "Issuance"): offers, and the blind signature.

    admin  POST /v1/issuer/offers        create_offer   → id, url, QR codes
    admin  GET  /v1/issuer/offers/{id}   offer_status
    wallet GET  /v1/offers/{token}       offer_document → the signed issuance.offer
    wallet POST /v1/offers/{token}       answer_offer   → the blind signature

An offer's URL carries a 32-byte random token; the database knows the offer by the token's
SHA-256 (its `id`), so the admin can follow it but nobody reading the database can take
it. The offer document is signed when fetched (Ed25519 is deterministic: the same bytes
every time). An answer is used up only once its commitment proof verified: a bad proof
(400 `invalid-commitment`) leaves the offer usable, and of two good answers racing, the
database's conditional update lets exactly one through.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from attestations.credentials import IssuanceRequest, issue
from attestations.encoding import b64url_encode, canonical_json
from attestations.errors import AttestationError
from attestations.schemas import EXPIRY, Schema, Value
from mobile_api import models
from mobile_api.home import IssuerIdentity
from mobile_api.problems import Refused
from mobile_api.qr import qr_codes
from mobile_api.settings import SessionSettings
from mobile_api.store import OfferRow, add_offer, get_offer, use_offer
from policies import IssuanceOffer, format_time, sign_offer

__all__ = ["answer_offer", "create_offer", "offer_document", "offer_status"]

DEFAULT_VALIDITY = timedelta(days=365)


def _id(token: str) -> str:
    return b64url_encode(hashlib.sha256(token.encode("utf-8")).digest())


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _time(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def create_offer(
    engine: Engine,
    identity: IssuerIdentity,
    settings: SessionSettings,
    body: models.OfferCreate,
    *,
    now: datetime,
) -> models.OfferCreated:
    """Store an offer of `body`'s values (checked against the schema now)."""
    schema = identity.schema(body.schema_ref)
    if schema is None:
        known = ", ".join(s.name for s in identity.schemas)
        raise Refused(
            400, "unknown-schema", f"this issuer has no schema {body.schema_ref!r} ({known})"
        )
    values = _values(schema, body.attributes, body.expiry or (now + DEFAULT_VALIDITY).date(), now)
    token = b64url_encode(os.urandom(32))
    ttl = body.ttl_seconds or settings.offer_ttl_seconds
    stored = canonical_json({n: schema.value_to_json(n, v) for n, v in values.items()})
    row = OfferRow(
        id=_id(token), schema_id=schema.schema_id, attributes=stored.decode(),
        created_at=_epoch(now), expires_at=_epoch(now) + ttl,
    )  # fmt: skip
    add_offer(engine, offer=row)
    url = f"{settings.base_url}/v1/offers/{token}"
    svg, text = qr_codes(url)
    expires = format_time(now + timedelta(seconds=ttl))
    return models.OfferCreated(id=row.id, url=url, expires_at=expires, qr_svg=svg, qr_text=text)


def _values(schema: Schema, raw: dict[str, Any], expiry: date, now: datetime) -> dict[str, Value]:
    """Every attribute's value, typed by the schema; 400 `invalid-attributes` naming the
    first problem otherwise."""
    wanted = [n for n in schema.names if n != EXPIRY]
    missing, extra = set(wanted) - set(raw), set(raw) - set(wanted)
    if missing or extra:
        detail = f"schema {schema.name!r} wants {wanted}: missing {sorted(missing)}, "
        detail += f"unexpected {sorted(extra)}"
        raise Refused(400, "invalid-attributes", detail)
    if expiry < now.date():
        raise Refused(400, "invalid-attributes", f"expiry {expiry} is in the past")
    values: dict[str, Value] = {EXPIRY: expiry}
    for name in wanted:
        try:
            values[name] = schema.value_from_json(name, raw[name])
        except AttestationError as exc:
            raise Refused(400, "invalid-attributes", str(exc)) from None
    return schema.check_values(values)


def _live_offer(engine: Engine, token: str, now: datetime) -> OfferRow:
    """The offer of `token` if it can still be taken: 404, 409 or 410 otherwise."""
    row = get_offer(engine, offer_id=_id(token))
    if row is None:
        raise Refused(404, "unknown-offer", "no such offer")
    if row.used_at is not None:
        raise Refused(
            409, "offer-used", f"the offer was taken at {format_time(_time(row.used_at))}"
        )
    if row.expires_at <= _epoch(now):
        raise Refused(
            410, "offer-expired", f"the offer expired at {format_time(_time(row.expires_at))}"
        )
    return row


def _stored(identity: IssuerIdentity, row: OfferRow) -> tuple[Schema, dict[str, Value]]:
    """The offer's schema and typed values, as stored when it was made."""
    schema = identity.schema(row.schema_id)
    if schema is None:  # the home lost a schema the offer was made for
        raise Refused(410, "offer-expired", "this issuer no longer issues the offer's schema")
    raw = json.loads(row.attributes)
    return schema, {n: schema.value_from_json(n, raw[n]) for n in schema.names}


def offer_document(
    engine: Engine,
    identity: IssuerIdentity,
    settings: SessionSettings,
    token: str,
    *,
    now: datetime,
) -> IssuanceOffer:
    """The signed offer behind `token`, while it can be taken."""
    row = _live_offer(engine, token, now)
    schema, values = _stored(identity, row)
    return sign_offer(
        identity.key, issuer_name=identity.name, public_key=identity.bbs.public_key(),
        schema=schema, attributes=values, created_at=_time(row.created_at),
        expires_at=_time(row.expires_at), response_uri=f"{settings.base_url}/v1/offers/{token}",
    )  # fmt: skip


def answer_offer(
    engine: Engine,
    identity: IssuerIdentity,
    token: str,
    body: bytes,
    *,
    now: datetime,
) -> bytes:
    """The issuance response (canonical JSON) to the wallet's `IssuanceRequest` in `body`:
    1. the offer is live; 2. the commitment's proof verifies and the blind signature is
    made; 3. the offer is used up, by this answer and no other."""
    # 1. Live.
    row = _live_offer(engine, token, now)
    schema, values = _stored(identity, row)
    # 2. The commitment (the issuer never learns the holder secret) and the signature.
    try:
        request = IssuanceRequest.from_json(body)
        response = issue(identity.bbs, schema, values, request, now=now)
    except AttestationError as exc:
        raise Refused(400, "invalid-commitment", str(exc)) from None
    except ValueError as exc:  # the credential's expiry passed while the offer waited
        raise Refused(410, "offer-expired", str(exc)) from None
    # 3. Single use, decided by the database.
    if not use_offer(engine, offer_id=row.id, now=_epoch(now)):
        _live_offer(engine, token, now)  # says why: used or expired meanwhile
        raise Refused(409, "offer-used", "the offer was taken meanwhile")
    return response.to_json()


def offer_status(engine: Engine, offer_id: str, *, now: datetime) -> models.OfferStatus:
    row = get_offer(engine, offer_id=offer_id)
    if row is None:
        raise Refused(404, "unknown-offer", "no such offer")
    status = "pending"
    if row.used_at is not None:
        status = "used"
    elif row.expires_at <= _epoch(now):
        status = "expired"
    used = None if row.used_at is None else format_time(_time(row.used_at))
    return models.OfferStatus(
        id=row.id, status=status, expires_at=format_time(_time(row.expires_at)), used_at=used
    )

"""The JSON bodies of the session API (docs/sessions-api.md), one model per purpose.

Create models (`OfferCreate`, `RequestCreate`) are what admins send: closed (unknown
fields are refused) and bounded. Public models are what the service answers. Signed
documents (`issuance.offer`, `presentation.request`) are not re-modelled here: the routes
send their canonical bytes, and the OpenAPI schema points at the `policies` models.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError

from policies import Predicate, Purpose
from policies.fields import Day

__all__ = [
    "Accepted",
    "AccessRef",
    "Health",
    "OfferCreate",
    "OfferCreated",
    "OfferStatus",
    "RequestCreate",
    "RequestCreated",
    "RequestResult",
]

MAX_TTL_SECONDS = 30 * 86_400
Time = Field(description="RFC 3339 UTC, whole seconds, with Z")
Url = Field(description="what the QR code encodes: where the wallet fetches the document")


_PREDICATE: TypeAdapter[Predicate] = TypeAdapter(Predicate)


def _predicate(value: Any) -> Any:
    """A predicate of a body read as JSON, the form it came in: the strict policies
    models take the arrays of `between` and `in` as JSON arrays, not as Python lists."""
    try:
        return _PREDICATE.validate_json(json.dumps(value))
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from None


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OfferCreate(_Closed):
    """An admin's offer: the values of every attribute of `schema` but `expiry`."""

    schema_ref: str = Field(alias="schema", max_length=80, description="schema name or id")
    attributes: dict[str, str | int | bool] = Field(max_length=64)
    expiry: Day | None = Field(None, description="YYYY-MM-DD; default one year from today")
    ttl_seconds: int | None = Field(None, ge=1, le=MAX_TTL_SECONDS)


class _Link(BaseModel):
    id: str
    url: str = Url
    expires_at: str = Time
    qr_svg: str = Field(description="the URL as a QR code, an SVG document")
    qr_text: str = Field(description="the URL as a QR code, for a terminal (Unicode blocks)")


class OfferCreated(_Link):
    """A new offer: share `url` (or its QR code) with the citizen, once."""


class OfferStatus(BaseModel):
    id: str
    status: Literal["pending", "used", "expired"]
    expires_at: str = Time
    used_at: str | None = Time


class RequestCreate(_Closed):
    """An admin's presentation request."""

    schema_ref: str = Field(alias="schema", max_length=80, description="schema name or id")
    attributes: list[str] = Field(max_length=64)
    predicates: list[Annotated[Predicate, BeforeValidator(_predicate)]] = Field(
        default_factory=list, max_length=32, description="proven in zero knowledge"
    )
    purpose: Purpose
    trusted_issuers: list[str] | None = Field(
        None, max_length=32, description="issuer dids; default the verifier's configured list"
    )
    ttl_seconds: int | None = Field(None, ge=1, le=86_400)
    prove_expiry: bool = Field(
        False,
        description="ask the wallet to prove `expiry >=` the day the request expires instead "
        "of showing its credential's expiry date (which could link the holder across "
        "verifiers)",
    )


class RequestCreated(_Link):
    """A new request: show `url` (or its QR code) to the citizen's wallet."""

    request: dict[str, Any] = Field(description="the signed presentation.request")


class AccessRef(BaseModel):
    """Where the `access.record` landed on the ledger."""

    index: int
    tree_size: int


class Accepted(BaseModel):
    """A presentation that passed every check."""

    status: Literal["accepted"]
    request: str
    disclosed: dict[str, Any]
    grant: str
    access: AccessRef


class RequestResult(BaseModel):
    """A request as its admin sees it; the fields that do not apply are null."""

    id: str
    status: Literal["pending", "checking", "accepted", "refused", "expired"]
    expires_at: str = Time
    answered_at: str | None = Time
    check: str | None
    reason: str | None
    detail: str | None
    disclosed: dict[str, Any] | None
    proven: list[Predicate] | None = Field(
        description="the predicates the accepted answer proved (the request's): what the "
        "verifier learned beside `disclosed`"
    )
    grant: str | None
    access: AccessRef | None


class Health(BaseModel):
    status: Literal["ok"]
    role: Literal["issuer", "verifier"]
    did: str

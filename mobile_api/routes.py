"""The `/v1` routes of docs/sessions-api.md: typed dependencies in, one library call, a
model or the document's canonical bytes out.

Routes are plain `def`: FastAPI runs them in its thread pool, so the blocking parts (the
database, the ledger's HTTP, pairings) never stall the event loop. Admin routes depend on
`Admin` (a known Bearer key), public ones on `Public` (the rate limit).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from mobile_api import issuer, models, verifier
from mobile_api.deps import (
    Admin,
    EngineDep,
    IdentityDep,
    IssuerDep,
    JsonBody,
    LedgerDep,
    NowDep,
    Public,
    SettingsDep,
    VerifierDep,
)
from mobile_api.problems import responses

__all__ = ["common_router", "issuer_router", "verifier_router"]

_JSON = "application/json"
Token = Annotated[str, Path(max_length=64, description="43 base64url characters")]


def _document(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _body(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, **_document(description, schema)}}


common_router = APIRouter()


@common_router.get("/health", response_model=models.Health)
async def get_health(settings: SettingsDep, identity: IdentityDep) -> models.Health:
    """Who this service is; answered once it has started (registered on the ledger)."""
    return models.Health(status="ok", role=settings.role.value, did=identity.key.did)


# -- issuer -----------------------------------------------------------------------------

issuer_router = APIRouter()
_ISSUANCE_REQUEST = {
    "type": "object",
    "required": ["commitment", "schema", "type"],
    "properties": {
        "type": {"const": "issuance-request"},
        "schema": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        "commitment": {"type": "string", "contentEncoding": "base64url"},
    },
}
_ISSUANCE_RESPONSE = {
    "type": "object",
    "required": ["attributes", "issuer", "schema", "signature", "type"],
    "properties": {
        "type": {"const": "issuance-response"},
        "attributes": {"type": "object"},
        "issuer": {"type": "string", "contentEncoding": "base64url"},
        "schema": {"type": "string"},
        "signature": {"type": "string", "contentEncoding": "base64url"},
    },
}


@issuer_router.post(
    "/issuer/offers", status_code=201, response_model=models.OfferCreated,
    dependencies=[Admin], responses=responses(400, 401, 413),
)  # fmt: skip
def post_offer(
    body: models.OfferCreate, engine: EngineDep, identity: IssuerDep, settings: SettingsDep,
    now: NowDep,
) -> models.OfferCreated:  # fmt: skip
    """Create a single-use offer of a credential; share its URL or QR code, once."""
    return issuer.create_offer(engine, identity, settings, body, now=now)


@issuer_router.get(
    "/issuer/offers/{offer_id}", response_model=models.OfferStatus,
    dependencies=[Admin], responses=responses(400, 401, 404),
)  # fmt: skip
def get_offer_status(engine: EngineDep, now: NowDep, offer_id: Token) -> models.OfferStatus:
    """Whether an offer is pending, used or expired."""
    return issuer.offer_status(engine, offer_id, now=now)


@issuer_router.get(
    "/offers/{token}", dependencies=[Public], response_class=Response,
    responses={200: _document("the signed issuance.offer",
                              {"$ref": "#/components/schemas/IssuanceOffer"}),
               **responses(400, 404, 409, 410, 429)},
)  # fmt: skip
def get_offer(
    engine: EngineDep, identity: IssuerDep, settings: SettingsDep, now: NowDep, token: Token
) -> Response:
    """The signed offer (canonical JSON): who offers which values under which key."""
    offer = issuer.offer_document(engine, identity, settings, token, now=now)
    return Response(offer.to_json(), media_type=_JSON)


@issuer_router.post(
    "/offers/{token}", dependencies=[Public], response_class=Response,
    openapi_extra=_body("the wallet's IssuanceRequest", _ISSUANCE_REQUEST),
    responses={200: _document("the blind signature (IssuanceResponse)", _ISSUANCE_RESPONSE),
               **responses(400, 404, 409, 410, 413, 415, 429)},
)  # fmt: skip
def post_offer_answer(
    body: JsonBody, engine: EngineDep, identity: IssuerDep, now: NowDep, token: Token
) -> Response:
    """Answer an offer with a commitment to the holder secret; get the blind signature."""
    answer = issuer.answer_offer(engine, identity, token, body, now=now)
    return Response(answer, media_type=_JSON)


# -- verifier ---------------------------------------------------------------------------

verifier_router = APIRouter()


@verifier_router.post(
    "/verifier/requests", status_code=201, response_model=models.RequestCreated,
    dependencies=[Admin], responses=responses(400, 401, 413, 502, 503),
)  # fmt: skip
def post_request(
    body: models.RequestCreate, engine: EngineDep, identity: VerifierDep, ledger: LedgerDep,
    settings: SettingsDep, now: NowDep,
) -> models.RequestCreated:  # fmt: skip
    """Create and sign a presentation request; show its URL or QR code to the wallet."""
    return verifier.create_request(engine, identity, ledger, settings, body, now=now)


@verifier_router.get(
    "/verifier/requests/{request_id}", response_model=models.RequestResult,
    dependencies=[Admin], responses=responses(400, 401, 404),
)  # fmt: skip
def get_request_result(engine: EngineDep, now: NowDep, request_id: Token) -> models.RequestResult:
    """A request's status and, once answered, the outcome of its checks."""
    return verifier.request_result(engine, request_id, now=now)


@verifier_router.get(
    "/requests/{request_id}", dependencies=[Public], response_class=Response,
    responses={200: _document("the signed presentation.request",
                              {"$ref": "#/components/schemas/PresentationRequest"}),
               **responses(400, 404, 409, 410, 429)},
)  # fmt: skip
def get_request(engine: EngineDep, now: NowDep, request_id: Token) -> Response:
    """The signed request (canonical JSON): who asks for what, why, whose credentials count."""
    return Response(verifier.request_document(engine, request_id, now=now), media_type=_JSON)


@verifier_router.post(
    "/requests/{request_id}/response", dependencies=[Public], response_model=models.Accepted,
    openapi_extra=_body("a presentation.response",
                        {"$ref": "#/components/schemas/PresentationResponse"}),
    responses=responses(400, 403, 404, 409, 410, 413, 415, 429, 502, 503),
)  # fmt: skip
def post_response(
    body: JsonBody, engine: EngineDep, identity: VerifierDep, ledger: LedgerDep, now: NowDep,
    request_id: Token, response: Response,
) -> models.Accepted:  # fmt: skip
    """Answer a request with a presentation; the checks run in the contract's order. An
    acceptance carries a `Server-Timing` header (W3C Server Timing) with the milliseconds
    of each check: `issuer`, `presentation`, `consent`, `access`."""
    accepted, timings = verifier.answer_request(engine, identity, ledger, request_id, body, now=now)
    response.headers["Server-Timing"] = ", ".join(f"{k};dur={v:.2f}" for k, v in timings.items())
    return accepted

"""Shared helpers of the session tests: the stage's parties' keys, offers and requests made
through their real admin APIs, and a transport that lies like a network attacker."""

from __future__ import annotations

from typing import Any

import httpx

from cli.stage import World
from mobile_api import IssuerIdentity, Role, VerifierIdentity, load, read_identity
from mobile_api.models import OfferCreated, RequestCreated, RequestResult
from policies import Purpose
from tests.ledger.test_client_fixtures import Editor, Tamper

RESIDENT_VALUES: dict[str, Any] = {
    "given_name": "Núria",
    "family_name": "Puig i Ferrer",
    "birthdate": "1990-03-14",
    "district": "Gràcia",
    "postcode": 8012,
}
RESIDENCE = ["district", "postcode"]
PURPOSE = Purpose.SERVICE_PROVISION.value


def issuer_identity(world: World) -> IssuerIdentity:
    found = read_identity(load(role=Role.ISSUER, home=world.directory))
    assert isinstance(found, IssuerIdentity)
    return found


def verifier_identity(world: World) -> VerifierIdentity:
    found = read_identity(load(role=Role.VERIFIER, home=world.directory))
    assert isinstance(found, VerifierIdentity)
    return found


def new_offer(world: World, **options: Any) -> OfferCreated:
    """A fresh offer of a resident credential, through the issuer's admin API."""
    with world.issuer.admin() as admin:
        return admin.create_offer("resident", RESIDENT_VALUES, **options)


def offer_status(world: World, offer: OfferCreated) -> str:
    with world.issuer.admin() as admin:
        return admin.offer_status(offer.id).status


def new_request(
    world: World, attributes: list[str] | None = None, **options: Any
) -> RequestCreated:
    """A fresh request for the residence attributes, through the verifier's admin API."""
    with world.verifier.admin() as admin:
        return admin.create_request("resident", attributes or RESIDENCE, purpose=PURPOSE, **options)


def request_result(world: World, request: RequestCreated) -> RequestResult:
    with world.verifier.admin() as admin:
        return admin.request_result(request.id)


def tree_size(world: World) -> int:
    return int(httpx.get(f"{world.ledger_url}/v1/log", timeout=30).json()["tree_size"])


def lying(edit: Editor) -> Tamper:
    """A real HTTP transport whose answers `edit` may change."""
    tamper = Tamper(httpx.HTTPTransport())
    tamper.edit = edit
    return tamper

"""Issuance over real HTTP: an admin creates an offer, a real wallet fetches it, checks it
against the issuer's registration on the ledger, answers with its commitment and keeps the
credential; offers that are expired, used, unknown or answered badly are refused."""

from __future__ import annotations

import datetime
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from attestations.credentials import HolderSecret, IssuerPublicKey, begin_issuance
from attestations.encoding import b64url_encode
from attestations.schemas import Schema
from ledger.client import LedgerClient
from mobile_api import ServiceRefused
from mobile_api.catalog import RESIDENT
from tests.ledger.http_helpers import JSON
from tests.mobile_api.session_helpers import (
    AINA,
    Ledger,
    Party,
    fetch_offer,
    new_wallet,
    now,
    receive,
    running,
)
from wallet import Wallet


def offer(issuer: Party, **options: Any) -> Any:
    with issuer.admin() as admin:
        return admin.create_offer("resident", AINA, **options)


def status(issuer: Party, offer_id: str) -> str:
    with issuer.admin() as admin:
        return admin.offer_status(offer_id).status


def commitment(offer_url: str, schema: Schema = RESIDENT) -> bytes:
    """A fresh holder's IssuanceRequest for the offer at `offer_url`."""
    key = fetch_offer(offer_url).issuer_public_key()
    return begin_issuance(HolderSecret.generate(), key, schema)[0].to_json()


def problem(answer: httpx.Response, status_code: int, reason: str) -> None:
    assert answer.status_code == status_code, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["reason"] == reason


def test_a_credential_is_issued_over_http(
    tmp_path: Path, ledger: Ledger, db_url: str, wallet: Wallet
) -> None:
    with running("issuer", tmp_path / "issuer", ledger.url, database_url=db_url) as issuer:
        created = offer(issuer, expiry=datetime.date(2030, 1, 31))
        assert created.url.startswith(f"{issuer.url}/v1/offers/")
        assert created.qr_svg.startswith("<svg") and "█" in created.qr_text
        assert status(issuer, created.id) == "pending"
        document = fetch_offer(created.url)
        # What the wallet checks before it answers: the ledger registered this key for
        # this schema, under the offer's issuer.
        with LedgerClient(ledger.url, log_key=ledger.key, origin=ledger.settings.origin) as c:
            keys = c.issuer(document.issuer)
        assert [k.public_key for k in keys] == [document.public_key]
        assert [s.id for s in keys[0].registration.document.schemas] == [RESIDENT.schema_id]
        assert document.issuer == issuer.did and document.issuer_name == "Padró de Barcelona"
        assert document.credential_schema == RESIDENT
        assert document.response_uri == created.url

        stored = wallet.credentials.get(receive(wallet, created.url))

        assert stored.credential.values == {
            "expiry": datetime.date(2030, 1, 31),
            "given_name": "Aina",
            "family_name": "Puig",
            "birthdate": datetime.date(1990, 5, 17),
            "district": "Gràcia",
            "postcode": 8012,
        }
        assert stored.credential.issuer == IssuerPublicKey(document.public_key)
        assert status(issuer, created.id) == "used"


def test_expiry_defaults_to_a_year(issuer: Party, wallet: Wallet) -> None:
    credential = wallet.credentials.get(receive(wallet, offer(issuer).url)).credential
    assert credential.expiry == now().date() + datetime.timedelta(days=365)


def test_used_offer_is_refused(issuer: Party, wallet: Wallet) -> None:
    created = offer(issuer)
    receive(wallet, created.url)
    problem(httpx.get(created.url), 409, "offer-used")
    problem(
        httpx.post(created.url, content=commitment_for(issuer), headers=JSON), 409, "offer-used"
    )


def commitment_for(issuer: Party) -> bytes:
    """A commitment made for a fresh, live offer of `issuer` (its shape is all that counts
    once the offer it is sent to is refused)."""
    return commitment(offer(issuer).url)


def test_expired_offer_is_refused(issuer: Party) -> None:
    created = offer(issuer, ttl_seconds=60)
    answer = commitment(created.url)
    issuer.clock.advance(61)
    problem(httpx.get(created.url), 410, "offer-expired")
    problem(httpx.post(created.url, content=answer, headers=JSON), 410, "offer-expired")
    assert status(issuer, created.id) == "expired"


def test_unknown_offer_is_refused(issuer: Party) -> None:
    url = f"{issuer.url}/v1/offers/{b64url_encode(os.urandom(32))}"
    problem(httpx.get(url), 404, "unknown-offer")
    problem(httpx.post(url, content=commitment_for(issuer), headers=JSON), 404, "unknown-offer")
    with issuer.admin() as admin, pytest.raises(ServiceRefused, match="unknown-offer"):
        admin.offer_status(b64url_encode(os.urandom(32)))


def _tampered(data: bytes) -> bytes:
    # The commitment's last character carries proof bytes: flip them, keep the encoding.
    text = data.decode()
    at = text.index('"commitment":"') + len('"commitment":"') + 70
    return (text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]).encode()


@pytest.mark.parametrize(
    "make",
    [
        lambda url: b"not json",
        lambda url: b'{"type":"issuance-request"}',
        lambda url: _tampered(commitment(url)),
        lambda url: commitment(url, Schema.create("resident", [("district", "string")])),
    ],
    ids=["not-json", "incomplete", "proof-does-not-verify", "other-schema"],
)
def test_invalid_commitment_is_refused_and_leaves_the_offer_usable(
    issuer: Party, wallet: Wallet, make: Any
) -> None:
    created = offer(issuer)
    problem(
        httpx.post(created.url, content=make(created.url), headers=JSON), 400, "invalid-commitment"
    )
    assert status(issuer, created.id) == "pending"
    receive(wallet, created.url)
    assert status(issuer, created.id) == "used"


def test_only_one_of_racing_answers_gets_the_credential(issuer: Party) -> None:
    created = offer(issuer)
    answers = [commitment(created.url) for _ in range(6)]
    with ThreadPoolExecutor(len(answers)) as pool:
        codes = list(
            pool.map(
                lambda body: httpx.post(created.url, content=body, headers=JSON).status_code,
                answers,
            )
        )
    assert sorted(codes) == [200] + [409] * 5


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"schema": "library_card"}, "unknown-schema"),
        ({"attributes": {k: v for k, v in AINA.items() if k != "postcode"}}, "invalid-attributes"),
        ({"attributes": {**AINA, "colour": "red"}}, "invalid-attributes"),
        ({"attributes": {**AINA, "postcode": "08012"}}, "invalid-attributes"),
        ({"attributes": {**AINA, "birthdate": "17/05/1990"}}, "invalid-attributes"),
        ({"attributes": {**AINA, "expiry": "2030-01-01"}}, "invalid-attributes"),
        ({"expiry": "2001-01-01"}, "invalid-attributes"),
        ({"expiry": "tomorrow"}, "invalid-request"),
        ({"ttl_seconds": 0}, "invalid-request"),
        ({"colour": "red"}, "invalid-request"),
    ],
)
def test_bad_offers_are_refused_when_created(
    issuer: Party, change: dict[str, Any], reason: str
) -> None:
    body = {"schema": "resident", "attributes": AINA, **change}
    answer = httpx.post(
        f"{issuer.url}/v1/issuer/offers",
        json=body,
        headers={"authorization": f"Bearer {issuer.api_key}"},
    )
    problem(answer, 400, reason)


def test_offer_by_schema_id(issuer: Party, tmp_path: Path) -> None:
    with issuer.admin() as admin:
        created = admin.create_offer(RESIDENT.schema_id, AINA)
    with new_wallet(tmp_path / "w") as wallet:
        receive(wallet, created.url)

"""Verification over real HTTP: a registered verifier asks, a real wallet answers under a
grant on a real ledger, and every refusal of docs/sessions-api.md's table comes back with
its `check` and `reason` (and is what the admin then reads as the result)."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from attestations.credentials import present as bbs_present
from attestations.encoding import b64url_encode
from attestations.predicates import minimum_age
from ledger.client import LedgerClient
from mobile_api.catalog import RESIDENT
from policies import (
    AtLeast,
    AtMost,
    Purpose,
    build_response,
    sign_consent_revoke,
    sign_issuer_revoke_key,
)
from tests.ledger.http_helpers import JSON
from tests.mobile_api.session_helpers import (
    AINA,
    Ledger,
    Party,
    fetch_request,
    grant,
    new_wallet,
    now,
    present,
    receive,
    running,
    secret_int,
)
from wallet import Wallet

SERVICE = Purpose.SERVICE_PROVISION
ASKED = ["district", "postcode"]


def ask(verifier: Party, attributes: list[str] | None = None, **options: Any) -> Any:
    """A request created by the verifier's admin, as the wallet fetches it."""
    options.setdefault("purpose", SERVICE)
    with verifier.admin() as admin:
        created = admin.create_request("resident", attributes or ASKED, **options)
    return created, fetch_request(created.url)


def refused(answer: httpx.Response, status: int, check: str, reason: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert (body["check"], body["reason"], body["status"]) == (check, reason, status), body
    assert body["type"] == f"urn:cartera:sessions:{reason}"
    return body


def result(verifier: Party, request_id: str) -> Any:
    with verifier.admin() as admin:
        return admin.request_result(request_id)


def test_accepted_answer_is_recorded_on_the_ledger_and_reported(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    created, request = ask(verifier)
    assert result(verifier, created.id).status == "pending"
    assert request.verifier == verifier.did and request.trusted_issuers == (issuer.did,)
    assert request.response_uri == f"{verifier.url}/v1/requests/{created.id}/response"
    assert created.request == request.to_json_dict()
    assert created.qr_svg.startswith("<svg") and "█" in created.qr_text
    consent = grant(wallet, request, ledger)

    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "accepted" and body["request"] == created.id
    assert body["disclosed"] == {
        "expiry": body["disclosed"]["expiry"],
        "district": "Gràcia",
        "postcode": 8012,
    }
    assert body["grant"] == consent.id
    timings = dict(part.split(";dur=") for part in answer.headers["server-timing"].split(", "))
    assert list(timings) == ["issuer", "presentation", "consent", "access"]
    assert all(float(ms) > 0 for ms in timings.values())
    # The access record is on the ledger, under this grant, naming this presentation.
    with LedgerClient(ledger.url, log_key=ledger.key, origin=ledger.settings.origin) as client:
        record = client.entry(body["access"]["index"])
        view = client.grant(consent.id)
    assert view.accesses == (body["access"]["index"],) and view.uses == 1
    shown = wallet.presentations.all()[-1]
    assert json.loads(record.data)["presentation"] == shown.id
    outcome = result(verifier, created.id)
    assert outcome.status == "accepted" and outcome.disclosed == body["disclosed"]
    assert outcome.proven == []
    assert outcome.access is not None and outcome.access.index == body["access"]["index"]
    assert outcome.check is None and outcome.reason is None and outcome.answered_at


def test_predicates_are_proven_without_disclosure(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    adult = AtMost(attribute="birthdate", op="<=", value=datetime.date(2008, 1, 1))
    created, request = ask(verifier, ["district"], predicates=[adult])
    consent = grant(wallet, request, ledger)
    stored = wallet.credentials.get(credential)

    def answer_with(predicates: list[Any]) -> httpx.Response:
        fresh = fetch_request(ask(verifier, ["district"], predicates=[adult])[0].url)
        shown = bbs_present(
            stored.credential,
            wallet.holder_secret,
            disclose=["district"],
            verifier_id=verifier.did,
            nonce=fresh.nonce,
            predicates=predicates,
        )
        body = build_response(issuer=issuer.did, grant=consent.id, presentation=shown)
        assert fresh.response_uri is not None
        return httpx.post(fresh.response_uri, content=body.to_json(), headers=JSON)

    proven = answer_with([minimum_age("birthdate", 18, today=datetime.date(2026, 1, 1))])
    assert proven.status_code == 200, proven.text
    assert "birthdate" not in proven.json()["disclosed"]
    refused(answer_with([]), 403, "presentation", "missing-attributes")
    assert created.request["predicates"] == [adult.to_json_dict()]


def test_expiry_proven_instead_of_shown(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    """`prove_expiry`: the request asks for `expiry >=` its last day; an answer proving it
    is accepted without the date, one showing the date instead is refused."""
    created, request = ask(verifier, ["district"], prove_expiry=True)
    assert created.request["predicates"] == [
        {"attribute": "expiry", "op": ">=", "value": request.expires_at.date().isoformat()}
    ]
    consent = grant(wallet, request, ledger)
    assert consent.predicates == ()  # a validity check needs no consent
    shown = wallet.present(credential, disclose=["district"], verifier_id=verifier.did,
                           nonce=request.nonce, predicates=request.predicates)  # fmt: skip
    body = build_response(issuer=issuer.did, grant=consent.id, presentation=shown)
    assert request.response_uri is not None
    answer = httpx.post(request.response_uri, content=body.to_json(), headers=JSON)
    assert answer.status_code == 200, answer.text
    assert answer.json()["disclosed"] == {"district": "Gràcia"}
    outcome = result(verifier, created.id)  # the admin sees what was proven
    assert outcome.disclosed == {"district": "Gràcia"}
    assert outcome.proven == list(request.predicates)
    again, second = ask(verifier, ["district"], prove_expiry=True)
    dated = present(wallet, credential, second, issuer=issuer.did, grant_id=consent.id)
    refused(dated, 403, "presentation", "missing-attributes")
    assert result(verifier, again.id).proven is None  # refused: nothing was learned


def test_replayed_answer_is_refused_and_the_request_stays_accepted(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    created, request = ask(verifier)
    consent = grant(wallet, request, ledger)
    assert present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id).is_success
    again = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    refused(again, 409, "request", "nonce-replayed")
    assert result(verifier, created.id).status == "accepted"
    assert httpx.get(created.url).status_code == 409  # not offered to wallets any more


def test_a_refused_answer_uses_up_the_request(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    created, request = ask(verifier)
    consent = grant(wallet, request, ledger)
    first = present(
        wallet, credential, request, issuer=issuer.did, grant_id=consent.id, disclose=["district"]
    )
    refused(first, 403, "presentation", "missing-attributes")
    second = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    refused(second, 409, "request", "nonce-replayed")
    outcome = result(verifier, created.id)
    assert (outcome.status, outcome.check, outcome.reason) == (
        "refused",
        "presentation",
        "missing-attributes",
    )
    assert outcome.disclosed is None and outcome.access is None


def test_expired_request_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    created, request = ask(verifier, ttl_seconds=60)
    consent = grant(wallet, request, ledger)
    verifier.clock.advance(61)
    assert result(verifier, created.id).status == "expired"
    assert httpx.get(created.url).json()["reason"] == "request-expired"
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    refused(answer, 410, "request", "request-expired")


def test_unknown_request_is_refused(verifier: Party) -> None:
    missing = b64url_encode(os.urandom(32))
    answer = httpx.post(f"{verifier.url}/v1/requests/{missing}/response", content=b"{}")
    refused(answer, 404, "request", "unknown-request")
    assert httpx.get(f"{verifier.url}/v1/requests/{missing}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", json.dumps({"type": "presentation.response"}).encode(), b"[1]"],
)
def test_malformed_answer_is_refused_and_leaves_the_request_open(
    verifier: Party, issuer: Party, body: bytes
) -> None:
    created, request = ask(verifier)
    answer = httpx.post(str(request.response_uri), content=body, headers=JSON)
    assert answer.status_code == 400, answer.text
    assert answer.json()["reason"] == "malformed-response"
    assert result(verifier, created.id).status == "pending"


def test_presentation_made_for_another_verifier_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger)
    elsewhere = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    answer = present(
        wallet, credential, request, issuer=issuer.did, grant_id=consent.id, verifier_id=elsewhere
    )
    refused(answer, 403, "presentation", "invalid-presentation")


def test_tampered_disclosure_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger)
    shown = wallet.present(
        credential, disclose=ASKED, verifier_id=verifier.did, nonce=request.nonce
    )
    body = build_response(issuer=issuer.did, grant=consent.id, presentation=shown).to_json_dict()
    body["presentation"]["disclosed"]["district"] = "Sants-Montjuïc"
    answer = httpx.post(str(request.response_uri), content=json.dumps(body), headers=JSON)
    refused(answer, 403, "presentation", "invalid-presentation")


def test_revoked_grant_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger)
    ledger.append(sign_consent_revoke(secret_int(wallet), grant=consent, created_at=now()))
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    refused(answer, 403, "consent", "grant-revoked")


def test_grant_for_fewer_attributes_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger, attributes=("district",))
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    body = refused(answer, 403, "consent", "not-covered")
    assert "postcode" in body["detail"]


def test_grant_for_another_purpose_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger, purpose=Purpose.MARKETING)
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    body = refused(answer, 403, "consent", "not-covered")
    assert "wrong purpose" in body["detail"]


def test_expired_grant_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger, not_after=now() + datetime.timedelta(seconds=60))
    verifier.clock.advance(120)
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    refused(answer, 403, "consent", "grant-expired")


def test_used_up_grant_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    _, first = ask(verifier)
    consent = grant(wallet, first, ledger, max_uses=1)
    assert present(wallet, credential, first, issuer=issuer.did, grant_id=consent.id).is_success
    _, second = ask(verifier)
    answer = present(wallet, credential, second, issuer=issuer.did, grant_id=consent.id)
    refused(answer, 403, "consent", "grant-exhausted")


def test_unknown_grant_and_another_holders_grant_are_refused(
    tmp_path: Path,
    ledger: Ledger,
    issuer: Party,
    verifier: Party,
    wallet: Wallet,
    credential: str,
) -> None:
    _, request = ask(verifier)
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id="sha256:" + "0" * 64)
    refused(answer, 403, "consent", "no-grant")
    with new_wallet(tmp_path / "someone-else") as other:
        theirs = grant(other, fetch_request(ask(verifier)[0].url), ledger)
    _, request = ask(verifier)
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=theirs.id)
    refused(answer, 403, "consent", "no-grant")


@pytest.fixture
def other_issuer(tmp_path: Path, ledger: Ledger) -> Iterator[Party]:
    with running("issuer", tmp_path / "other-issuer", ledger.url, name="Another Register") as party:
        yield party


def test_untrusted_issuer_is_refused(
    ledger: Ledger,
    issuer: Party,
    other_issuer: Party,
    verifier: Party,
    wallet: Wallet,
    credential: str,
) -> None:
    _, request = ask(verifier, trusted_issuers=[other_issuer.did])
    consent = grant(wallet, request, ledger)
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    refused(answer, 403, "issuer", "untrusted-issuer")


def test_issuer_claimed_for_another_issuers_key_is_refused(
    ledger: Ledger,
    issuer: Party,
    other_issuer: Party,
    verifier: Party,
    wallet: Wallet,
    credential: str,
) -> None:
    _, request = ask(verifier, trusted_issuers=[issuer.did, other_issuer.did])
    consent = grant(wallet, request, ledger)
    answer = present(wallet, credential, request, issuer=other_issuer.did, grant_id=consent.id)
    refused(answer, 403, "issuer", "unknown-issuer-key")


def revoke_key(ledger: Ledger, issuer: Party) -> None:
    at = now()
    ledger.append(
        sign_issuer_revoke_key(
            issuer.identity.key,
            public_key=issuer.identity.bbs.public_key().to_bytes(),
            reason="key_compromise",
            effective_at=at,
            created_at=at,
        )
    )


def test_revoked_issuer_key_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger)
    revoke_key(ledger, issuer)
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    refused(answer, 403, "issuer", "issuer-key-revoked")


def test_a_key_revoked_after_an_accepted_answer_is_refused_at_once(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet, credential: str
) -> None:
    """The verifier proved (and keeps) the key's registration on the first answer; the
    revocation logged after it refuses the very next one."""
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger)
    first = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    assert first.status_code == 200, first.text
    revoke_key(ledger, issuer)
    _, again = ask(verifier)
    answer = present(wallet, credential, again, issuer=issuer.did, grant_id=consent.id)
    refused(answer, 403, "issuer", "issuer-key-revoked")


def test_expired_credential_is_refused(
    ledger: Ledger, issuer: Party, verifier: Party, wallet: Wallet
) -> None:
    with issuer.admin() as admin:
        offer = admin.create_offer("resident", AINA, expiry=now().date())
    credential = receive(wallet, offer.url)
    verifier.clock.advance(2 * 86_400)  # the verifier's today is two days on
    _, request = ask(verifier)
    consent = grant(wallet, request, ledger, not_after=now() + datetime.timedelta(days=5))
    answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
    refused(answer, 403, "presentation", "credential-expired")


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"purpose": Purpose.MARKETING}, "invalid-purpose"),
        ({"trusted_issuers": ["did:web:padro.example"]}, "invalid-request"),
        ({"attributes": ["colour"]}, "invalid-attributes"),
        ({"schema": "library_card"}, "unknown-schema"),
        ({"predicates": [AtMost(attribute="district", op="<=", value=5)]}, "invalid-predicates"),
        (
            {
                "attributes": ["birthdate"],
                "predicates": [
                    AtMost(attribute="birthdate", op="<=", value=datetime.date(2008, 1, 1))
                ],
            },
            "invalid-predicates",
        ),
        (  # expiry is asked for with prove_expiry, whose day the service sets
            {"predicates": [AtLeast(attribute="expiry", op=">=", value=datetime.date(2020, 1, 1))]},
            "invalid-predicates",
        ),
    ],
)
def test_bad_requests_are_refused_when_created(
    verifier: Party, options: dict[str, Any], reason: str
) -> None:
    arguments: dict[str, Any] = {"schema": "resident", "attributes": ASKED, "purpose": SERVICE}
    arguments.update(options)
    answer = httpx.post(
        f"{verifier.url}/v1/verifier/requests",
        json={
            k: [p.to_json_dict() for p in v] if k == "predicates" else v
            for k, v in arguments.items()
        },
        headers={"authorization": f"Bearer {verifier.api_key}"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["reason"] == reason


def test_schema_is_resolved_by_id_as_by_name(verifier: Party) -> None:
    with verifier.admin() as admin:
        created = admin.create_request(RESIDENT.schema_id, ["district"], purpose=SERVICE)
    assert created.request["schema"] == RESIDENT.schema_id


def test_a_verifier_on_postgresql(
    tmp_path: Path,
    ledger: Ledger,
    issuer: Party,
    wallet: Wallet,
    credential: str,
    postgres_url: str,
) -> None:
    with running(
        "verifier",
        tmp_path / "pg-verifier",
        ledger.url,
        database_url=postgres_url,
        trusted_issuers=[issuer.did],
    ) as verifier:
        created, request = ask(verifier)
        consent = grant(wallet, request, ledger)
        answer = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
        assert answer.status_code == 200, answer.text
        again = present(wallet, credential, request, issuer=issuer.did, grant_id=consent.id)
        refused(again, 409, "request", "nonce-replayed")
        assert result(verifier, created.id).status == "accepted"

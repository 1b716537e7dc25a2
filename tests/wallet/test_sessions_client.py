"""`wallet.sessions` against the three real services on loopback (`cli.stage`): issuance
and verification end to end, and every check the wallet makes before it acts: forged or
tampered documents, expired offers and requests, unregistered issuers and verifiers, a
citizen who declines, refusals by the services read from their problem documents."""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attestations.credentials import IssuerKey
from cli.stage import World, stage
from policies import (
    GrantDraft,
    OrgKey,
    PresentationRequest,
    Purpose,
    sign_offer,
    sign_request,
    utc_seconds,
)
from tests.e2e.story import (
    RESIDENCE,
    issuer_identity,
    lying,
    new_offer,
    new_request,
    offer_status,
    request_result,
    tree_size,
    verifier_identity,
)
from tests.ledger.http_helpers import free_port
from tests.ledger.test_client_fixtures import json_edit
from wallet import (
    ConsentStatus,
    DeclinedByCitizen,
    IssuanceRejected,
    IssuerNotRegistered,
    IssuerRefused,
    KdfParams,
    NoSuitableCredential,
    OfferExpired,
    RequestExpired,
    ServiceUnreachable,
    SessionError,
    SignatureInvalid,
    StoredCredential,
    UnsupportedRequest,
    VerifierNotRegistered,
    VerifierRefused,
    Wallet,
    WalletLedger,
    create,
)
from wallet.session_http import SessionHttp
from wallet.sessions import (
    answer,
    fetch_offer,
    fetch_request,
    load_request,
    prepare,
    receive_offer,
)


def now() -> datetime.datetime:
    return utc_seconds(datetime.datetime.now(datetime.UTC))


def approve(_draft: GrantDraft) -> bool:
    return True


def decline(_draft: GrantDraft) -> bool:
    return False


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with stage(tmp_path_factory.mktemp("stage")) as running:
        yield running


@pytest.fixture
def wallet(tmp_path: Path) -> Iterator[Wallet]:
    opened = create(tmp_path / "wallet", "correct horse", kdf=KdfParams.INTERACTIVE)
    yield opened
    opened.close()


@pytest.fixture
def ledger(wallet: Wallet, world: World) -> Iterator[WalletLedger]:
    with WalletLedger(wallet, world.ledger_url, log_key=world.ledger_key) as connected:
        yield connected


@pytest.fixture
def http() -> Iterator[SessionHttp]:
    with SessionHttp() as client:
        yield client


@pytest.fixture
def credential(
    wallet: Wallet, ledger: WalletLedger, http: SessionHttp, world: World
) -> StoredCredential:
    return receive_offer(wallet, ledger, http, fetch_offer(http, new_offer(world).url))


def signed_request(key: OrgKey, world: World, **overrides: Any) -> PresentationRequest:
    """A request signed here (by `key`), as a verifier's own software would sign it."""
    at = now()
    fields: dict[str, Any] = {
        "schema": issuer_identity(world).schemas[0].schema_id,
        "attributes": RESIDENCE,
        "predicates": [],
        "purpose": Purpose.SERVICE_PROVISION,
        "nonce": os.urandom(32),
        "trusted_issuers": [world.issuer.did],
        "created_at": at,
        "expires_at": at + datetime.timedelta(minutes=5),
        "response_uri": f"{world.verifier.url}/v1/requests/unknown/response",
    }
    return sign_request(key, **{**fields, **overrides})


# -- issuance -------------------------------------------------------------------------------


def test_issuance(wallet: Wallet, ledger: WalletLedger, http: SessionHttp, world: World) -> None:
    created = new_offer(world)
    offer = fetch_offer(http, created.url)
    assert offer.issuer == world.issuer.did and offer.response_uri == created.url
    stored = receive_offer(wallet, ledger, http, offer, label="padró")
    assert stored.attributes["district"] == "Gràcia" and stored.attributes["postcode"] == 8012
    assert stored.label == "padró" and wallet.credentials.all() == [stored]
    assert offer_status(world, created) == "used"


def test_an_offer_is_single_use(
    wallet: Wallet, ledger: WalletLedger, http: SessionHttp, world: World
) -> None:
    offer = fetch_offer(http, new_offer(world).url)
    receive_offer(wallet, ledger, http, offer)
    with pytest.raises(IssuerRefused, match="offer-used") as refused:
        receive_offer(wallet, ledger, http, offer)
    assert (refused.value.status, refused.value.reason) == (409, "offer-used")
    assert len(wallet.credentials.all()) == 1


def test_an_expired_offer(http: SessionHttp, world: World) -> None:
    created = new_offer(world)
    later = now() + datetime.timedelta(hours=1)
    with pytest.raises(OfferExpired, match="expired at"):  # by the wallet's clock
        fetch_offer(http, created.url, now=later)
    short = new_offer(world, ttl_seconds=1)
    time.sleep(1.5)  # let the issuer's clock pass it
    with pytest.raises(OfferExpired, match="offer-expired"):
        fetch_offer(http, short.url)


def test_an_unknown_offer(http: SessionHttp, world: World) -> None:
    with pytest.raises(IssuerRefused, match="unknown-offer"):
        fetch_offer(http, f"{world.issuer.url}/v1/offers/{'A' * 43}")


def test_an_offer_with_a_forged_signature(http: SessionHttp, world: World) -> None:
    created = new_offer(world)
    path = created.url.removeprefix(world.issuer.url)

    def richer(body: dict[str, Any]) -> None:
        body["attributes"]["district"] = "Pedralbes"

    forged = SessionHttp(transport=lying(json_edit(path, richer)))
    with forged, pytest.raises(SignatureInvalid, match="not signed by"):
        fetch_offer(forged, created.url)
    assert offer_status(world, created) == "pending"


def test_an_offer_from_an_unregistered_issuer(
    wallet: Wallet, ledger: WalletLedger, http: SessionHttp, world: World
) -> None:
    """Signed by a did the ledger does not know, or by the real issuer for a BBS key it
    never registered: refused before the commitment is sent (the real offer its
    `response_uri` names stays unused)."""
    created = new_offer(world)
    real = fetch_offer(http, created.url)
    identity = issuer_identity(world)
    for signer in (OrgKey.generate(), identity.key):
        forged = sign_offer(
            signer, issuer_name="Padró", public_key=IssuerKey.generate().public_key(),
            schema=real.credential_schema, attributes=real.values(), created_at=now(),
            expires_at=real.expires_at, response_uri=real.response_uri,
        )  # fmt: skip
        with pytest.raises(IssuerNotRegistered, match="has not registered this BBS key"):
            receive_offer(wallet, ledger, http, forged)
    assert offer_status(world, created) == "pending" and wallet.credentials.all() == []


def test_an_issuer_that_signs_other_values_is_refused(
    wallet: Wallet, ledger: WalletLedger, world: World
) -> None:
    created = new_offer(world)
    path = created.url.removeprefix(world.issuer.url)

    def swap(body: dict[str, Any]) -> None:
        if body.get("type") == "issuance-response":
            body["attributes"]["district"] = "Sants-Montjuïc"

    def edit(request: Any, response: Any) -> Any:
        return json_edit(path, swap)(request, response) if request.method == "POST" else None

    with SessionHttp(transport=lying(edit)) as http:
        offer = fetch_offer(http, created.url)
        with pytest.raises(IssuanceRejected, match="differ from the offer"):
            receive_offer(wallet, ledger, http, offer)
    assert wallet.credentials.all() == []


# -- verification ---------------------------------------------------------------------------


def test_verification(
    wallet: Wallet,
    ledger: WalletLedger,
    http: SessionHttp,
    world: World,
    credential: StoredCredential,
) -> None:
    created = new_request(world)
    request = fetch_request(http, created.url)
    prepared = prepare(wallet, ledger, request)
    assert prepared.verifier.name == "Bicing (bike sharing)"
    assert prepared.credential == credential and prepared.issuer == world.issuer.did
    assert prepared.draft is not None and not prepared.decision.allowed
    assert prepared.draft.attributes == ("district", "postcode") and prepared.draft.max_uses == 1
    before = tree_size(world)
    accepted = answer(wallet, ledger, http, prepared, approve=approve)
    assert accepted.disclosed == {"expiry": str(credential.expiry), "district": "Gràcia",
                                  "postcode": 8012}  # fmt: skip
    assert accepted.granted is not None and accepted.grant == accepted.granted.id
    assert (accepted.access_index, accepted.tree_size) == (before + 1, before + 2)
    assert accepted.access.grant == accepted.grant
    result = request_result(world, created)
    assert result.status == "accepted" and result.grant == accepted.grant
    assert wallet.consents.get(accepted.grant).status(now()) is ConsentStatus.LIVE
    (shown,) = wallet.presentations.all()
    assert shown.id == accepted.access.presentation and shown.grant_id == accepted.grant
    (access,) = ledger.history()
    assert access.shown == shown and access.name == "Bicing (bike sharing)"


def test_a_standing_grant_is_used_without_asking(
    wallet: Wallet,
    ledger: WalletLedger,
    http: SessionHttp,
    world: World,
    credential: StoredCredential,
) -> None:
    first = prepare(wallet, ledger, fetch_request(http, new_request(world).url))
    assert first.draft is not None
    standing = first.draft.model_copy(
        update={"max_uses": None, "not_after": now() + datetime.timedelta(days=30)}
    )
    granted = ledger.grant(standing)
    for _ in range(2):
        prepared = prepare(wallet, ledger, fetch_request(http, new_request(world).url))
        assert prepared.decision.allowed and prepared.draft is None
        accepted = answer(wallet, ledger, http, prepared, approve=decline)  # never asked
        assert accepted.grant == granted.id and accepted.granted is None


def test_a_citizen_who_declines(
    wallet: Wallet,
    ledger: WalletLedger,
    http: SessionHttp,
    world: World,
    credential: StoredCredential,
) -> None:
    created = new_request(world)
    prepared = prepare(wallet, ledger, fetch_request(http, created.url))
    before = tree_size(world)
    with pytest.raises(DeclinedByCitizen):
        answer(wallet, ledger, http, prepared, approve=decline)
    assert tree_size(world) == before
    assert wallet.consents.all() == [] and wallet.presentations.all() == []
    assert request_result(world, created).status == "pending"


def test_a_revoked_grant_is_refused_by_the_verifier(
    wallet: Wallet,
    ledger: WalletLedger,
    http: SessionHttp,
    world: World,
    credential: StoredCredential,
) -> None:
    """The wallet prepared its answer under a standing grant, which is revoked before the
    answer goes out: the verifier's own check of the ledger refuses it."""
    first = prepare(wallet, ledger, fetch_request(http, new_request(world).url))
    assert first.draft is not None
    granted = ledger.grant(first.draft.model_copy(update={"max_uses": None}))
    created = new_request(world)
    prepared = prepare(wallet, ledger, fetch_request(http, created.url))
    assert prepared.decision.grant == granted.id
    ledger.revoke(granted)
    with pytest.raises(VerifierRefused) as refused:
        answer(wallet, ledger, http, prepared, approve=approve)
    assert (refused.value.check, refused.value.reason) == ("consent", "grant-revoked")
    assert refused.value.status == 403
    result = request_result(world, created)
    assert (result.status, result.check, result.reason) == ("refused", "consent", "grant-revoked")
    again = prepare(wallet, ledger, fetch_request(http, new_request(world).url))
    assert "revoked" in again.decision.explain() and again.draft is not None


def test_answering_twice_is_a_replayed_nonce(
    wallet: Wallet,
    ledger: WalletLedger,
    http: SessionHttp,
    world: World,
    credential: StoredCredential,
) -> None:
    url = new_request(world).url
    prepared = prepare(wallet, ledger, fetch_request(http, url))
    assert prepared.draft is not None
    ledger.grant(prepared.draft.model_copy(update={"max_uses": None}))
    prepared = prepare(wallet, ledger, fetch_request(http, url))
    answer(wallet, ledger, http, prepared, approve=decline)
    with pytest.raises(VerifierRefused) as replayed:
        answer(wallet, ledger, http, prepared, approve=decline)
    assert (replayed.value.check, replayed.value.reason) == ("request", "nonce-replayed")
    with pytest.raises(VerifierRefused, match="nonce-replayed"):  # nor is it served again
        fetch_request(http, url)


def test_a_request_with_a_forged_signature(http: SessionHttp, world: World) -> None:
    created = new_request(world)
    path = created.url.removeprefix(world.verifier.url)

    def wider(body: dict[str, Any]) -> None:
        body["attributes"] = ["birthdate", "district", "family_name", "given_name", "postcode"]

    forged = SessionHttp(transport=lying(json_edit(path, wider)))
    with forged, pytest.raises(SignatureInvalid, match="not signed by"):
        fetch_request(forged, created.url)


def test_the_answer_address_cannot_be_changed(http: SessionHttp, world: World) -> None:
    """`response_uri` is signed: a request redirected elsewhere does not verify, so the
    presentation can only ever go where the verifier said."""
    created = new_request(world)
    path = created.url.removeprefix(world.verifier.url)

    def elsewhere(body: dict[str, Any]) -> None:
        body["response_uri"] = "http://127.0.0.1:9/collect"

    forged = SessionHttp(transport=lying(json_edit(path, elsewhere)))
    with forged, pytest.raises(SignatureInvalid):
        fetch_request(forged, created.url)
    assert fetch_request(http, created.url).response_uri == f"{created.url}/response"


def test_an_expired_request(
    wallet: Wallet, ledger: WalletLedger, http: SessionHttp, world: World
) -> None:
    created = new_request(world)
    later = now() + datetime.timedelta(hours=1)
    with pytest.raises(RequestExpired):
        fetch_request(http, created.url, now=later)
    request = fetch_request(http, created.url)
    with pytest.raises(RequestExpired):
        prepare(wallet, ledger, request, now=later)
    past = now() - datetime.timedelta(hours=1)
    old = signed_request(
        verifier_identity(world).key, world, created_at=past,
        expires_at=past + datetime.timedelta(minutes=5),
    )  # fmt: skip
    with pytest.raises(RequestExpired):
        load_request(old.to_json())


def test_a_request_the_wallet_cannot_answer_as_asked(world: World) -> None:
    key = verifier_identity(world).key
    unanswerable = signed_request(key, world, response_uri=None)
    with pytest.raises(UnsupportedRequest, match="response_uri"):
        load_request(unanswerable.to_json())


def test_an_unregistered_verifier(
    wallet: Wallet, ledger: WalletLedger, world: World, credential: StoredCredential
) -> None:
    request = signed_request(OrgKey.generate(), world)
    with pytest.raises(VerifierNotRegistered, match="is not registered on the ledger"):
        prepare(wallet, ledger, load_request(request.to_json()))
    other_purpose = signed_request(
        verifier_identity(world).key, world, purpose=Purpose.RESEARCH_AND_DEVELOPMENT
    )
    with pytest.raises(
        VerifierNotRegistered, match="not registered for dpv:ResearchAndDevelopment"
    ):
        prepare(wallet, ledger, load_request(other_purpose.to_json()))


def test_no_suitable_credential(
    wallet: Wallet, ledger: WalletLedger, http: SessionHttp, world: World
) -> None:
    request = fetch_request(http, new_request(world).url)
    with pytest.raises(NoSuitableCredential, match="no credential of schema"):
        prepare(wallet, ledger, request)
    receive_offer(wallet, ledger, http, fetch_offer(http, new_offer(world).url))
    untrusting = signed_request(
        verifier_identity(world).key, world, trusted_issuers=[OrgKey.generate().did]
    )
    with pytest.raises(NoSuitableCredential, match="not from an issuer the request trusts"):
        prepare(wallet, ledger, load_request(untrusting.to_json()))


def test_unreachable_services(http: SessionHttp) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ServiceUnreachable, match=down):
        fetch_request(http, f"{down}/v1/requests/x")
    with pytest.raises(ServiceUnreachable, match=down):
        fetch_offer(http, f"{down}/v1/offers/x")


def test_a_response_is_only_posted_to_the_signed_address(
    wallet: Wallet,
    ledger: WalletLedger,
    http: SessionHttp,
    world: World,
    credential: StoredCredential,
) -> None:
    """The presentation goes to the request's signed `response_uri` and nowhere else:
    a request signed with another answer address (one the verifier knows no request at)
    is answered there, and the real request with the same nonce stays pending."""
    created = new_request(world)
    request = fetch_request(http, created.url)
    elsewhere = signed_request(verifier_identity(world).key, world, nonce=request.nonce)
    prepared = prepare(wallet, ledger, load_request(elsewhere.to_json()))
    with pytest.raises(VerifierRefused) as refused:
        answer(wallet, ledger, http, prepared, approve=approve)
    assert (refused.value.check, refused.value.reason) == ("request", "unknown-request")
    assert request_result(world, created).status == "pending"


def test_a_verifier_that_misreports_its_access_record(
    wallet: Wallet, ledger: WalletLedger, world: World, credential: StoredCredential
) -> None:
    """The acceptance names an entry that is not this presentation's access record (here
    the issuer's registration): the wallet reads it back and says so."""
    created = new_request(world)

    def elsewhere(body: dict[str, Any]) -> None:
        body["access"]["index"] = 0

    def edit(request: Any, response: Any) -> Any:
        path = request.url.path
        return json_edit(path, elsewhere)(request, response) if path.endswith("/response") else None

    with SessionHttp(transport=lying(edit)) as http:
        prepared = prepare(wallet, ledger, fetch_request(http, created.url))
        with pytest.raises(SessionError, match="entry 0 is not the access record"):
            answer(wallet, ledger, http, prepared, approve=approve)
    assert request_result(world, created).status == "accepted"  # the verifier did record it

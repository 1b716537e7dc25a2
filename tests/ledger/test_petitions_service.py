"""The petition endpoints of docs/ledger-api.md and `LedgerClient`'s petition queries,
against the real service (its worker processes checking entries, ASGITransport, SQLite
and PostgreSQL); and the worker processes verifying signatures before they are queued."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from attestations.encoding import b64url_decode
from ledger import state
from ledger.db import make_engine
from ledger.errors import LedgerError, NotFound
from ledger.note import SignerKey
from ledger.rules import Reason, Rejected, Rules
from ledger.sequencer import Sequencer
from ledger.service import create_app
from ledger.storage import LedgerStore
from tests.ledger.entry_builders import Clock, now
from tests.ledger.petition_builders import T0, PetitionWorld
from tests.ledger.test_client_fixtures import BASE, Ledger, json_edit, running, settings_for

HOUR = timedelta(hours=1)


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> Iterator[Ledger]:
    with running(settings_for(tmp_path / "home", db_url)) as found:
        yield found


def _get(ledger: Ledger, path: str, **params: Any) -> httpx.Response:
    request = httpx.Request("GET", f"{BASE}{path}", params=params)
    response = ledger.transport.inner.handle_request(request)
    response.read()
    return response


def test_a_petition_and_its_signatures_round_trip(ledger: Ledger) -> None:
    world, t = PetitionWorld(), now()
    petition = world.petition(t)
    citizens = [world.citizen(issued=t) for _ in range(3)]
    with ledger.client() as client:
        client.append(world.register(t).to_json())
        opened = client.append(petition.to_json()).index
        signs = [world.sign(petition, c, t) for c in citizens]
        indexes = [client.append(s.to_json()).index for s in signs]
        with pytest.raises(Rejected) as twice:
            client.append(world.sign(petition, citizens[0], t).to_json())
        assert twice.value.reason == Reason.ALREADY_SIGNED

        body = _get(ledger, f"/v1/petitions/{petition.id}").json()
        assert sorted(body) == ["closes_at", "entry", "id", "index", "signatures", "status"]
        assert (body["id"], body["index"], body["signatures"]) == (petition.id, opened, 3)
        assert b64url_decode(body["entry"]) == petition.to_json()
        assert (body["closes_at"], body["status"]) == (
            json.loads(petition.to_json())["closes_at"],
            "open",
        )

        view = client.petition(petition.id)
        assert (view.logged.index, view.signatures, view.status) == (opened, 3, "open")
        assert view.document == petition
        logged = client.petition_signatures(petition.id)
        assert [s.index for s in logged] == indexes
        assert [s.document for s in logged] == signs
        assert [s.index for s in client.petition_signatures(petition.id, 1, 2)] == indexes[1:2]
        assert client.petition_signatures(petition.id, 3) == []


def test_a_closed_petition(ledger: Ledger) -> None:
    world, t = PetitionWorld(), now()
    petition = world.petition(t - timedelta(seconds=200), closes_at=t - timedelta(seconds=100))
    with ledger.client() as client:
        client.append(world.register(t - timedelta(seconds=200)).to_json())
        client.append(petition.to_json())
        assert client.petition(petition.id).status == "closed"
        with pytest.raises(Rejected) as late:
            client.append(world.sign(petition, world.citizen(issued=t), t).to_json())
        assert late.value.reason == Reason.PETITION_CLOSED


@pytest.mark.parametrize(
    ("path", "params", "status", "reason"),
    [
        ("/v1/petitions/sha256:" + "0" * 64, {}, 404, "not_found"),
        ("/v1/petitions/sha256:" + "0" * 64 + "/signatures", {}, 404, "not_found"),
        ("/v1/petitions/sha256:ABC", {}, 400, "invalid_request"),
        ("/v1/petitions/trees/signatures", {}, 400, "invalid_request"),
        ("/v1/petitions/sha256:" + "0" * 64 + "/signatures", {"start": 5, "end": 2}, 400,
         "out_of_range"),
        ("/v1/petitions/sha256:" + "0" * 64 + "/signatures", {"start": -1}, 400,
         "invalid_request"),
    ],
)  # fmt: skip
def test_bad_petition_queries(
    ledger: Ledger, path: str, params: dict[str, int], status: int, reason: str
) -> None:
    answer = _get(ledger, path, **params)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["reason"] == reason


def test_the_client_refuses_what_it_did_not_ask_for(ledger: Ledger) -> None:
    world, t = PetitionWorld(), now()
    first, second = world.petition(t), world.petition(t, title="Another")
    with ledger.client() as client:
        client.append(world.register(t).to_json())
        for doc in (first, second):
            client.append(doc.to_json())
        client.append(world.sign(second, world.citizen(issued=t), t).to_json())
        with pytest.raises(NotFound):
            client.petition(world.petition(t, title="Never opened").id)

        other = _get(ledger, f"/v1/petitions/{second.id}").json()
        ledger.transport.edit = json_edit(f"/v1/petitions/{first.id}", lambda b: b.update(other))
        with pytest.raises(LedgerError, match="another petition"):
            client.petition(first.id)
        ledger.transport.edit = json_edit(
            f"/v1/petitions/{first.id}", lambda b: b.update(closes_at="2099-01-01T00:00:00Z")
        )
        with pytest.raises(LedgerError, match="closes_at"):
            client.petition(first.id)

        theirs = _get(ledger, f"/v1/petitions/{second.id}/signatures").json()
        ledger.transport.edit = json_edit(
            f"/v1/petitions/{first.id}/signatures", lambda b: b.update(theirs)
        )
        with pytest.raises(LedgerError, match="signs another petition"):
            client.petition_signatures(first.id)


def test_the_openapi_schema_documents_the_petition_routes(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'l.db'}")
    paths = create_app(settings).openapi()["paths"]
    one, many = "/v1/petitions/{petition_id}", "/v1/petitions/{petition_id}/signatures"
    assert set(paths[one]["get"]["responses"]) == {"200", "400", "404"}
    assert {p["name"] for p in paths[many]["get"]["parameters"]} == {"petition_id", "start", "end"}
    answer = paths[one]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/Petition")


def test_worker_processes_verify_signatures_of_known_petitions(tmp_path: Path) -> None:
    """With `validate_later`, a signature of a petition the rules know is verified in a
    worker process (and refused there if it is bad); `apply` then only checks the state."""
    engine = make_engine(f"sqlite:///{tmp_path / 'l.db'}")
    state.create_tables(engine)
    world, clock = PetitionWorld(), Clock(T0)
    petition = world.petition()
    good = world.sign(petition, world.citizen(), T0)
    bad = world.sign(petition, world.citizen(), T0, disclose=("postal_code",))
    with Rules(clock=clock, workers=1) as rules, Sequencer(
        LedgerStore(engine), signer=SignerKey.generate("o"), origin="o",
        validate_later=rules.validate_later, apply_batch=rules.apply_batch,
    ) as sequencer:  # fmt: skip
        for doc in (world.register(T0), petition):
            sequencer.append(doc.to_json())
        assert sequencer.append(good.to_json()).index == 2
        assert rules.petitions.verified(good.id)
        with pytest.raises(Rejected) as refused:
            sequencer.append(bad.to_json())
        assert refused.value.reason == Reason.BAD_SIGNATURE
        assert "asks for exactly" in refused.value.detail
    engine.dispose()

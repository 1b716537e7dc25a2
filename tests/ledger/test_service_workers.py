"""The service's check workers: the setting, appends and refusals checked in the service's
own process (`workers=0`) and in worker processes, and how a dead worker is answered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ledger.errors import WorkerFailed
from ledger.service.problems import classify
from ledger.settings import LedgerSettings, SettingsError, load
from tests.ledger.entry_builders import World, now
from tests.ledger.http_helpers import JSON, check_appended, in_process, log_key

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("workers", [0, 1])
async def test_appends_and_refusals_with_and_without_workers(tmp_path: Path, workers: int) -> None:
    settings = load(home=tmp_path, workers=workers)
    world, t = World(), now()
    grant = world.grant(t)
    forged = grant.to_json().replace(b'"district"', b'"postal_code"')
    async with in_process(settings) as http:
        for doc in (world.issuer_register(t), world.verifier_register(t), grant):
            answer = await http.post("/v1/entries", content=doc.to_json(), headers=JSON)
            assert answer.status_code == 200, answer.text
            check_appended(answer.json(), doc.to_json(), log_key(settings), settings.origin)
        refused = await http.post("/v1/entries", content=forged, headers=JSON)
        assert (refused.status_code, refused.json()["reason"]) == (422, "bad_signature")
        again = await http.post("/v1/entries", content=grant.to_json(), headers=JSON)
        assert again.json()["duplicate"] is True and again.json()["index"] == 2


def test_workers_setting(tmp_path: Path) -> None:
    assert LedgerSettings(home=tmp_path, workers=0).check_workers == 0
    assert LedgerSettings(home=tmp_path, workers=3).check_workers == 3
    cores = os.cpu_count() or 1
    assert LedgerSettings(home=tmp_path).check_workers == (cores if cores > 1 else 0)
    with pytest.raises(SettingsError, match="CARTERA_LEDGER_WORKERS"):
        load(home=tmp_path, workers=-1)


def test_a_dead_worker_is_unavailable_not_internal() -> None:
    status, reason, detail = classify(WorkerFailed("a validation worker exited (code -9)"))
    assert (status, reason) == (503, "unavailable") and "exited" in detail

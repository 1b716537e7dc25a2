"""Single use is the database's decision: several processes racing to use one offer or to
answer one request, on SQLite and on PostgreSQL, and exactly one wins; an expired one is
won by nobody. API keys are stored as their SHA-256 only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from mobile_api.auth import hash_api_key, new_api_key, valid_api_key
from mobile_api.store import (
    OfferRow,
    RequestRow,
    add_api_key,
    add_offer,
    add_request,
    api_key_known,
    get_request,
    open_store,
    use_offer,
)

WORKER = Path(__file__).with_name("claim_worker.py")
T = 1_800_000_000


def race(
    url: str, kind: str, claimed: str, now: int, tmp_path: Path, workers: int = 6
) -> list[str]:
    go = tmp_path / f"go-{kind}"
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, kind, claimed, str(now), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    go.touch()
    outputs = [p.communicate(timeout=120)[0].strip() for p in processes]
    assert all(p.returncode == 0 for p in processes)
    return sorted(outputs)


def test_one_process_of_many_uses_an_offer(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    add_offer(
        engine,
        offer=OfferRow(
            id="offer",
            schema_id="sha256:" + "0" * 64,
            attributes="{}",
            created_at=T,
            expires_at=T + 60,
        ),
    )
    assert race(db_url, "offer", "offer", T + 1, tmp_path) == ["lost"] * 5 + ["won"]
    assert not use_offer(engine, offer_id="offer", now=T + 2)
    engine.dispose()


def test_one_process_of_many_answers_a_request(db_url: str, tmp_path: Path) -> None:
    engine = open_store(db_url)
    add_request(
        engine,
        request=RequestRow(
            id="request", request="{}", nonce="n", created_at=T, expires_at=T + 60, status="pending"
        ),
    )
    assert race(db_url, "request", "request", T + 1, tmp_path) == ["lost"] * 5 + ["won"]
    row = get_request(engine, request_id="request")
    assert row is not None and (row.status, row.answered_at) == ("checking", T + 1)
    engine.dispose()


def test_nobody_uses_an_expired_offer(db_url: str) -> None:
    engine = open_store(db_url)
    add_offer(
        engine,
        offer=OfferRow(
            id="late",
            schema_id="sha256:" + "0" * 64,
            attributes="{}",
            created_at=T,
            expires_at=T + 60,
        ),
    )
    assert not use_offer(engine, offer_id="late", now=T + 60)
    assert not use_offer(engine, offer_id="unknown", now=T)
    engine.dispose()


def test_api_keys_are_kept_as_hashes(db_url: str) -> None:
    engine = open_store(db_url)
    key = new_api_key()
    assert valid_api_key(key) and len(key) == 47
    add_api_key(engine, key_hash=hash_api_key(key), label="init", now=T)
    assert api_key_known(engine, key_hash=hash_api_key(key))
    assert not api_key_known(engine, key_hash=hash_api_key(new_api_key()))
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT key_hash FROM session_api_key")).scalars().all()
    assert stored == [hash_api_key(key)] and key not in stored[0]
    engine.dispose()


@pytest.mark.parametrize(
    "text", ["cak_" + "A" * 42, "cak_" + "A" * 44, "cax_" + "A" * 43, "cak_" + "A" * 42 + "="]
)
def test_malformed_api_keys_are_recognised(text: str) -> None:
    assert not valid_api_key(text)

"""The state index: queries agree with each grant's status, the live-grants question is an
index search (query plans on SQLite and PostgreSQL), and a log indexed late catches up."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ledger import state
from ledger.db import make_engine
from ledger.errors import NotFound, StorageCorrupt
from ledger.merkle import leaf_hash
from ledger.note import SignerKey
from ledger.rules import Rules, catch_up
from ledger.sequencer import Sequencer
from ledger.state import GrantStatus
from ledger.storage import LedgerStore, StoredEntry, insert_entries
from tests.ledger.entry_builders import T0, World

ORIGIN = "cartera.test/ledger"
VERIFIERS = ["did:key:v1", "did:key:v2"]
START = int(T0.timestamp())


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    state.create_tables(engine)
    yield engine
    engine.dispose()


def _grant_row(i: int, rng: random.Random, pseudonyms: list[bytes]) -> dict[str, Any]:
    begin = START + rng.randrange(0, 1000)
    max_uses = rng.choice([None, 1, 2, 3])
    revoked = rng.random() < 0.3
    return {
        "id": f"sha256:{i:064x}", "idx": i, "pseudonym": rng.choice(pseudonyms),
        "verifier": rng.choice(VERIFIERS), "schema_id": "sha256:" + "0" * 64,
        "purpose": "dpv:ServiceProvision", "not_before": begin,
        "not_after": begin + rng.randrange(1, 1000), "max_uses": max_uses,
        "uses": rng.randrange(0, 4) if max_uses else rng.randrange(0, 10), "last_use": None,
        "revoked_at": begin + rng.randrange(0, 1200) if revoked else None,
        "revoked_idx": 10**6 + i if revoked else None,
    }  # fmt: skip


def _fill(engine: Engine, count: int, pseudonyms: list[bytes]) -> None:
    rng = random.Random(count)
    with engine.begin() as conn:
        data = [b'{"n":%d}' % i for i in range(count)]
        insert_entries(conn, [StoredEntry(i, d, leaf_hash(d), "t", 0) for i, d in enumerate(data)])
        conn.execute(
            sa.insert(state.GRANTS), [_grant_row(i, rng, pseudonyms) for i in range(count)]
        )


def test_live_grants_agree_with_status(engine: Engine) -> None:
    pseudonyms = [bytes([p]) * 48 for p in range(4)]
    _fill(engine, 400, pseudonyms)
    with engine.connect() as conn:
        for pseudonym in pseudonyms:
            for verifier in VERIFIERS:
                every = state.grants_for(conn, pseudonym=pseudonym, verifier=verifier)
                assert every and all(g.pseudonym == pseudonym for g in every)
                for at in range(START - 10, START + 2300, 37):
                    live = state.live_grants(conn, pseudonym=pseudonym, verifier=verifier, at=at)
                    want = [g for g in every if g.status(at) is GrantStatus.LIVE]
                    assert live == want


def test_status_edges() -> None:
    grant = state.GrantState("g", 0, b"", b"p", "v", 100, 200, 2, 1, None, 150, 5)
    assert grant.status(99) is GrantStatus.NOT_YET_VALID
    assert grant.status(100) is GrantStatus.LIVE  # not_before is inclusive
    assert grant.status(150) is GrantStatus.REVOKED  # revocation effective at its time
    unrevoked = state.GrantState("g", 0, b"", b"p", "v", 100, 200, 2, 1, None, None, None)
    assert unrevoked.status(200) is GrantStatus.EXPIRED  # not_after is exclusive
    used_up = state.GrantState("g", 0, b"", b"p", "v", 100, 200, 2, 2, None, None, None)
    assert used_up.status(120) is GrantStatus.EXHAUSTED


def _captured(engine: Engine, run: Any) -> tuple[str, Any]:
    """The SQL and parameters `run(conn)` sends for its one SELECT on ledger_grant."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_rest: Any) -> None:
        if "FROM ledger_grant" in sql:
            seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            run(conn)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 1
    return seen[0]


def _plan(conn: Connection, sql: str, params: Any) -> str:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
        return "\n".join(str(r[-1]) for r in rows)
    conn.exec_driver_sql("ANALYZE ledger_grant")
    return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql, params))


def test_live_grants_is_an_index_search(engine: Engine) -> None:
    pseudonyms = [i.to_bytes(48, "big") for i in range(500)]
    _fill(engine, 5000, pseudonyms)

    def ask(conn: Connection) -> None:
        state.live_grants(conn, pseudonym=pseudonyms[7], verifier=VERIFIERS[0], at=START + 500)

    sql, params = _captured(engine, ask)
    with engine.connect() as conn:
        plan = _plan(conn, sql, params)
    assert "ix_ledger_grant_lookup" in plan, plan
    if engine.dialect.name == "sqlite":
        assert "SEARCH ledger_grant USING INDEX ix_ledger_grant_lookup" in plan, plan
        assert "(pseudonym=? AND verifier=? AND not_after>?)" in plan, plan
    else:
        assert "Seq Scan on ledger_grant" not in plan, plan
        assert "Index Cond: ((pseudonym = " in plan, plan


def test_lookups_of_unknown_ids_raise_not_found(engine: Engine) -> None:
    with engine.connect() as conn:
        with pytest.raises(NotFound):
            state.grant(conn, grant_id="sha256:" + "0" * 64)
        with pytest.raises(NotFound):
            state.issuer_keys(conn, issuer="did:key:nobody")
        with pytest.raises(NotFound):
            state.verifier(conn, did="did:key:nobody")
        assert state.accesses_for(conn, pseudonym=b"\0" * 48) == []
        assert state.applied(conn) == 0


def test_catch_up_indexes_a_log_written_without_rules(engine: Engine) -> None:
    world, store, signer = World(), LedgerStore(engine), SignerKey.generate(ORIGIN)
    grant = world.grant(T0, max_uses=3)
    docs = [world.issuer_register(T0), world.verifier_register(T0), grant, world.access(grant, T0)]
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=lambda _d: "entry") as seq:
        for doc in docs:
            seq.append(doc.to_json())
    assert catch_up(store) == 4
    assert catch_up(store) == 0  # idempotent
    with store.read() as conn:
        assert state.applied(conn) == 4
        assert state.grant(conn, grant_id=grant.id).uses == 1
        assert state.accesses_for(conn, pseudonym=grant.pseudonym)[0].index == 3
    # From here the rules keep it up to date, in the batch transaction.
    rules = Rules(clock=lambda: T0)
    hooks = {"validate": rules.validate, "apply": rules.apply}
    with Sequencer(store, signer=signer, origin=ORIGIN, **hooks) as seq:  # type: ignore[arg-type]
        seq.append(world.access(grant, T0).to_json())
    with store.read() as conn:
        assert (state.applied(conn), state.grant(conn, grant_id=grant.id).uses) == (5, 2)


def test_catch_up_refuses_a_log_that_breaks_a_rule(engine: Engine) -> None:
    world, store, signer = World(), LedgerStore(engine), SignerKey.generate(ORIGIN)
    orphan = world.grant(T0)  # its verifier never registered
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=lambda _d: "entry") as seq:
        seq.append(orphan.to_json())
    with pytest.raises(StorageCorrupt, match="entry 0 cannot be indexed: unknown_verifier"):
        catch_up(store)
    with store.read() as conn:
        assert state.applied(conn) == 0  # nothing half-indexed

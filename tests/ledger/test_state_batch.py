"""The rules over a `StateBatch` (many entries read and written at once) decide exactly
what they decide one entry per transaction, and leave the same state index behind, on
SQLite and PostgreSQL, whatever the batch boundaries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger import state
from ledger.db import make_engine
from ledger.errors import EntryRejected
from ledger.rules import Reason, Rejected, Rules, apply_entry
from ledger.storage import LedgerStore
from policies import parse_entry, sha256_id
from tests.ledger.entry_builders import OTHER_SCHEMA, T0, World

HOUR = timedelta(hours=1)
Outcome = Reason | None


def story(world: World) -> list[tuple[bytes, Outcome]]:
    """Entries whose fate depends on earlier entries, refusals among them, with what the
    rules must say to each when they are applied in this order."""
    w, other = world, world.other_verifier
    g1 = w.grant(T0, max_uses=2)
    g2 = w.grant(T0, verifier=other.did)
    steps = [
        (w.issuer_register(T0), None),
        (w.verifier_register(T0), None),
        (g1, None),  # verifier and schema registered just before, in the same batch
        (w.access(g1, T0 + HOUR), None),
        (w.access(g1, T0 + 2 * HOUR), None),
        (w.access(g1, T0 + 3 * HOUR), Reason.MAX_USES_REACHED),
        (g2, Reason.UNKNOWN_VERIFIER),
        (w.verifier_register(T0, key=other, name="Biblioteca"), None),
        (g2, None),  # the same bytes again, now that its verifier is registered
        (w.access(g2, T0 + HOUR, key=other), None),
        (w.revoke(g2, T0 + 2 * HOUR), None),
        (w.access(g2, T0 + 3 * HOUR, key=other), Reason.GRANT_REVOKED),
        (w.revoke(g2, T0 + 4 * HOUR), Reason.GRANT_REVOKED),
        (w.revoke(g1, T0 + HOUR), Reason.REVOKE_BACKDATED),
        (w.access(g1, T0 + HOUR, key=other), Reason.WRONG_VERIFIER),
        (w.foreign_revoke(g1, T0 + 5 * HOUR), Reason.NOT_GRANT_HOLDER),
        (w.verifier_register(T0 + HOUR), Reason.ALREADY_REGISTERED),
        (w.issuer_register(T0 + HOUR), Reason.ALREADY_REGISTERED),
        (w.issuer_revoke_key(T0 + 5 * HOUR), None),
        (w.issuer_revoke_key(T0 + 6 * HOUR), Reason.ALREADY_REVOKED),
        (w.access("sha256:" + "0" * 64, T0), Reason.GRANT_NOT_FOUND),
        (w.grant(T0, schema=OTHER_SCHEMA.schema_id), Reason.UNKNOWN_SCHEMA),
        (w.revoke(g1, T0 + 6 * HOUR), None),
    ]
    return [(doc.to_json(), outcome) for doc, outcome in steps]


@pytest.fixture(params=["sqlite", "postgresql"])
def new_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """Makes fresh ledger databases (state tables included) on one backend."""
    engines: list[Engine] = []
    serial = count()

    def make() -> Engine:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'ledger{next(serial)}.db'}"
        else:
            url = request.getfixturevalue("postgres_server").create_database()
        engine = make_engine(url)
        state.create_tables(engine)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()


def _reason(outcome: EntryRejected | None) -> Outcome:
    assert outcome is None or isinstance(outcome, Rejected), outcome
    return None if outcome is None else outcome.reason


def one_per_transaction(engine: Engine, entries: list[bytes]) -> list[Outcome]:
    store, outcomes, index = LedgerStore(engine), [], 0
    for data in entries:
        try:
            with store.write() as conn:
                apply_entry(conn, index=index, entry=parse_entry(data), entry_id=sha256_id(data))
        except Rejected as refused:
            outcomes.append(refused.reason)
            continue
        outcomes.append(None)
        index += 1
    return outcomes


def in_batches(engine: Engine, entries: list[bytes], size: int) -> list[Outcome]:
    store, rules, outcomes, index = LedgerStore(engine), Rules(), [], 0
    for start in range(0, len(entries), size):
        items = [(data, "") for data in entries[start : start + size]]
        with store.write() as conn:
            found = [_reason(o) for o in rules.apply_batch(conn, index, items)]
        outcomes += found
        index += found.count(None)
    return outcomes


def dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: sorted(tuple(row) for row in conn.execute(sa.select(table)))
            for table in state.STATE_TABLES
        }


@pytest.mark.parametrize("size", [2, 5, 100])
def test_batches_decide_and_index_as_single_entries_do(
    new_engine: Callable[[], Engine], size: int
) -> None:
    steps = story(World())
    entries, want = [data for data, _ in steps], [outcome for _, outcome in steps]
    single, batched = new_engine(), new_engine()
    assert one_per_transaction(single, entries) == want
    assert in_batches(batched, entries, size) == want
    rows = dump(batched)
    assert rows == dump(single)
    assert rows["ledger_state"] == [(1, want.count(None))]
    assert len(rows["ledger_access"]) == 3 and len(rows["ledger_grant"]) == 2


def test_a_refused_entry_in_a_batch_writes_nothing(new_engine: Callable[[], Engine]) -> None:
    world, engine = World(), new_engine()
    grant = world.grant(T0)
    entries = [world.verifier_register(T0).to_json(), grant.to_json()]  # no issuer: refused
    assert in_batches(engine, entries, 10) == [None, Reason.UNKNOWN_SCHEMA]
    rows = dump(engine)
    assert rows["ledger_grant"] == [] and rows["ledger_state"] == [(1, 1)]

"""The sequencer with the service's hooks: checks in worker processes (`validate_later`)
and the rules applied a batch at a time (`apply_batch`), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Connection

from ledger import state
from ledger.db import make_engine
from ledger.errors import EntryRejected, SequencerClosed
from ledger.note import SignerKey
from ledger.rules import Reason, Rejected, Rules
from ledger.sequencer import Sequencer
from ledger.storage import LedgerStore
from tests.ledger.entry_builders import T0, Clock, World
from tests.ledger.ledger_checks import check_log

ORIGIN = "cartera.test/ledger"


@dataclass
class Log:
    store: LedgerStore
    rules: Rules
    signer: SignerKey


@pytest.fixture
def log(db_url: str) -> Iterator[Log]:
    engine = make_engine(db_url)
    state.create_tables(engine)
    with Rules(clock=Clock(T0), workers=2) as rules:
        yield Log(LedgerStore(engine), rules, SignerKey.generate(ORIGIN))
    engine.dispose()


def _sequencer(log: Log, **hooks: object) -> Sequencer:
    hooks = {"validate_later": log.rules.validate_later, "apply_batch": log.rules.apply_batch,
             **hooks}  # fmt: skip
    return Sequencer(log.store, signer=log.signer, origin=ORIGIN, **hooks)  # type: ignore[arg-type]


def test_entries_are_logged_in_submit_order(log: Log) -> None:
    world = World()
    grants = [world.grant(T0, secret=i + 1) for i in range(60)]
    with _sequencer(log) as seq:
        seq.append(world.issuer_register(T0).to_json())
        seq.append(world.verifier_register(T0).to_json())
        futures = [seq.submit(g.to_json()) for g in grants]  # checked by two workers
        results = [f.result(timeout=120) for f in futures]
    assert [r.index for r in results] == list(range(2, 62))
    entries = check_log(log.store, log.signer.verifier(), ORIGIN)
    assert entries[2:] == [g.to_json() for g in grants]
    with log.store.read() as conn:
        assert state.applied(conn) == 62


def test_refusals_come_through_the_future_and_change_nothing(log: Log) -> None:
    world = World()
    grant = world.grant(T0)
    forged = grant.to_json().replace(b'"district"', b'"postal_code"')  # signature breaks
    with _sequencer(log) as seq:
        seq.append(world.issuer_register(T0).to_json())
        bad_signature = seq.submit(forged)
        unknown_verifier = seq.submit(grant.to_json())
        with pytest.raises(Rejected) as refused:
            bad_signature.result(timeout=60)
        assert refused.value.reason is Reason.BAD_SIGNATURE
        with pytest.raises(Rejected) as refused:
            unknown_verifier.result(timeout=60)
        assert refused.value.reason is Reason.UNKNOWN_VERIFIER
        assert seq.append(world.verifier_register(T0).to_json()).index == 1
    assert log.store.size() == 2
    check_log(log.store, log.signer.verifier(), ORIGIN)


def test_the_same_entry_twice_in_one_batch(log: Log) -> None:
    """A copy of an entry refused earlier in the batch is judged again; a copy of one
    accepted earlier in the batch is a duplicate."""
    world, gate = World(), threading.Event()
    blocker = world.issuer_register(T0).to_json()

    def held(
        conn: Connection, first: int, items: Sequence[tuple[bytes, str]]
    ) -> list[EntryRejected | None]:
        if items[0][0] == blocker:
            gate.wait(30)  # hold the sequencer so that what follows shares one batch
        return log.rules.apply_batch(conn, first, items)

    grant = world.grant(T0).to_json()
    with _sequencer(log, apply_batch=held) as seq:
        first = seq.submit(blocker)
        rest = [seq.submit(e) for e in (grant, world.verifier_register(T0).to_json(), grant, grant)]
        gate.set()
        assert first.result(timeout=60).index == 0
        with pytest.raises(Rejected, match="unknown_verifier"):
            rest[0].result(timeout=60)
        answers = [f.result(timeout=60) for f in rest[1:]]
    assert [(a.index, a.duplicate) for a in answers] == [(1, False), (2, False), (2, True)]
    check_log(log.store, log.signer.verifier(), ORIGIN)


def test_closed_sequencer_refuses_deferred_submits(log: Log) -> None:
    seq = _sequencer(log)
    with pytest.raises(SequencerClosed):
        seq.submit(b"{}")
    seq.start()
    seq.close()
    with pytest.raises(SequencerClosed):
        seq.submit(World().verifier_register(T0).to_json())


def test_hooks_must_be_given(log: Log) -> None:
    rules, store, signer = log.rules, log.store, log.signer
    with pytest.raises(ValueError, match="give validate, validate_later or both"):
        Sequencer(store, signer=signer, origin=ORIGIN)
    with pytest.raises(ValueError, match="apply or apply_batch"):
        Sequencer(store, signer=signer, origin=ORIGIN, validate=rules.validate,
                  apply=rules.apply, apply_batch=rules.apply_batch)  # fmt: skip


def test_an_entry_alone_is_checked_here_the_others_later(log: Log) -> None:
    """With both hooks, an entry submitted while every earlier one is answered is checked
    in the caller's thread; entries that overlap go to `validate_later`."""
    world, gate, calls = World(), threading.Event(), []
    blocker = world.issuer_register(T0).to_json()

    def here(data: bytes) -> str:
        calls.append(("here", data))
        return log.rules.validate(data)

    def later(data: bytes) -> Future[str]:
        calls.append(("later", data))
        return log.rules.validate_later(data)

    def held(
        conn: Connection, first: int, items: Sequence[tuple[bytes, str]]
    ) -> list[EntryRejected | None]:
        if items[0][0] == blocker:
            gate.wait(30)  # the blocker stays unanswered while the others are submitted
        return log.rules.apply_batch(conn, first, items)

    verifier, grant = world.verifier_register(T0).to_json(), world.grant(T0).to_json()
    with _sequencer(log, validate=here, validate_later=later, apply_batch=held) as seq:
        first = seq.submit(blocker)
        rest = [seq.submit(verifier), seq.submit(grant)]
        gate.set()
        assert [f.result(timeout=60).index for f in (first, *rest)] == [0, 1, 2]
        for _ in range(3):  # alone again, each time: checked here, refused through the future
            with pytest.raises(Rejected, match="malformed"):
                seq.submit(b"[]").result(timeout=60)
    assert calls == [
        ("here", blocker), ("later", verifier), ("later", grant), *[("here", b"[]")] * 3
    ]  # fmt: skip


def test_rules_without_workers_validate_later_at_once() -> None:
    rules, world = Rules(clock=Clock(T0)), World()
    done = rules.validate_later(world.verifier_register(T0).to_json())
    assert done.done() and done.result() == "verifier.register"
    refused = rules.validate_later(b"[]")
    with pytest.raises(Rejected, match="malformed"):
        refused.result(timeout=0)
    with pytest.raises(ValueError, match="workers"):
        Rules(workers=-1)


def test_checks_finishing_out_of_order_keep_submit_order(log: Log) -> None:
    checks: list[Future[str]] = []

    def validate_later(_entry: bytes) -> Future[str]:
        checks.append(Future())
        return checks[-1]

    with _sequencer(log, validate_later=validate_later, apply_batch=None) as seq:
        futures = [seq.submit(b'{"n":%d}' % i) for i in range(6)]
        checks[3].set_exception(EntryRejected("state: got 3, want anything else"))
        for check in reversed(checks):
            if not check.done():
                check.set_result("test")
        indexes = [f.result(timeout=60).index for i, f in enumerate(futures) if i != 3]
        with pytest.raises(EntryRejected, match="got 3"):
            futures[3].result(timeout=0)
    assert indexes == [0, 1, 2, 3, 4]
    logged = [e.data for e in log.store.entries(0, 10)]
    assert logged == [b'{"n":%d}' % i for i in (0, 1, 2, 4, 5)]

"""Audit replay over HTTP, through the real service (ASGITransport): the same findings as
reading the database, for what the service shows; and a log of more than a thousand
entries, paged and checked in worker processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ledger import state
from ledger.audit import AuditReport, Kind, replay
from ledger.client import LedgerUnavailable
from ledger.db import make_engine
from ledger.note import SignerKey
from ledger.rules import Rules
from ledger.sequencer import Sequencer
from ledger.settings import load
from ledger.storage import LedgerStore
from tests.ledger.entry_builders import World, now
from tests.ledger.test_audit_fixtures import ORIGIN, Story, golden, story
from tests.ledger.test_client_fixtures import BASE, Ledger, running

__all__ = ["golden", "story"]  # fixtures


def _key_file(home: Path, signer: SignerKey) -> Path:
    """The operator key where the service wants it: a 0600 file in a 0700 directory."""
    folder = home / "keys"
    folder.mkdir(mode=0o700, parents=True)
    path = folder / "operator.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(signer.to_text() + "\n")
    return path


@pytest.fixture
def served(story: Story, tmp_path: Path) -> Iterator[Ledger]:
    key_file = _key_file(tmp_path, story.signer)
    settings = load(home=tmp_path, database_url=story.url, key_file=key_file, origin=ORIGIN)
    with running(settings) as ledger:
        yield ledger


def audit_http(ledger: Ledger, story: Story, **kwargs: object) -> AuditReport:
    return replay(BASE, log_key=story.vkey, origin=ORIGIN, transport=ledger.transport,
                  **kwargs)  # type: ignore[arg-type]  # fmt: skip


def test_over_http_a_clean_log_reports_what_the_database_does(served: Ledger, story: Story) -> None:
    at = now()
    over_http = audit_http(served, story, at=at)
    direct = replay(story.url, log_key=story.vkey, origin=ORIGIN, at=at)
    assert over_http.clean and direct.clean
    assert (over_http.tree_size, over_http.root_hash) == (direct.tree_size, direct.root_hash)
    assert over_http.state == direct.state
    assert over_http.checked == {"entries": 11, "valid_entries": 11, "checkpoints": 1}
    assert over_http.source == BASE


def test_over_http_changed_bytes_are_named(served: Ledger, story: Story) -> None:
    saved = LedgerStore.from_url(story.url).checkpoint(6).note
    story.execute("UPDATE ledger_entry SET data = :d WHERE idx = 8", d=story.entries[5])
    report = audit_http(served, story, saved_checkpoint=saved)
    kinds = {(v.kind, v.index) for v in report.violations}
    assert (Kind.CHECKPOINT_ROOT_MISMATCH, 0) in kinds  # the latest checkpoint: no earlier one
    assert ("rule_violation:grant_not_found", 9) in kinds  # g3 is gone, its access is not
    assert (Kind.DUPLICATE_ENTRY, 8) in kinds  # entry 5's bytes again
    assert report.checkpoint is None
    assert not any(v.kind == Kind.INCONSISTENT_WITH_SAVED for v in report.violations)


def test_over_http_missing_entries_are_named(served: Ledger, story: Story) -> None:
    story.execute("DELETE FROM ledger_entry WHERE idx = 3 OR idx = 10")
    report = audit_http(served, story)
    missing = [(v.index, v.size) for v in report.violations if v.kind == Kind.MISSING_INDEX]
    assert missing == [(3, None), (10, 11)]  # the latest checkpoint covers index 10


def test_over_http_an_unreachable_ledger_is_unavailable(story: Story) -> None:
    with pytest.raises(LedgerUnavailable):
        replay("http://127.0.0.1:9", log_key=story.vkey, origin=ORIGIN)


@pytest.fixture
def long_log(db_url: str) -> tuple[str, SignerKey]:
    """1,503 entries: registrations, a grant, 1,500 accesses appended in batches."""
    engine = make_engine(db_url)
    state.create_tables(engine)
    signer, rules, world, t = SignerKey.generate(ORIGIN), Rules(), World(), now()
    grant = world.grant(t)
    store = LedgerStore(engine)
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=rules.validate,
                   apply=rules.apply) as seq:  # fmt: skip
        for doc in (world.issuer_register(t), world.verifier_register(t), grant):
            seq.append(doc.to_json())
        accesses = [world.access(grant, t).to_json() for _ in range(1500)]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(seq.append, accesses))
    engine.dispose()
    return db_url, signer


def test_a_long_log_in_worker_processes(long_log: tuple[str, SignerKey], tmp_path: Path) -> None:
    url, signer = long_log
    vkey, at = signer.verifier().to_text(), now()
    direct = replay(url, log_key=vkey, origin=ORIGIN, workers=2, at=at)
    assert direct.clean, direct.violations
    assert direct.tree_size == 1503
    assert sum(direct.state.accesses.values()) == 1500
    assert direct.checked["checkpoints"] > 3  # batched appends: several checkpoints
    key_file = _key_file(tmp_path, signer)
    settings = load(home=tmp_path, database_url=url, key_file=key_file, origin=ORIGIN)
    with running(settings) as ledger:
        over_http = replay(BASE, log_key=vkey, origin=ORIGIN, workers=2, at=at,
                           transport=ledger.transport)  # fmt: skip
    assert over_http.clean
    assert (over_http.tree_size, over_http.root_hash) == (1503, direct.root_hash)
    assert over_http.state == direct.state

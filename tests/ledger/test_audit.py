"""Audit replay read straight from the ledger's database, on SQLite and PostgreSQL: a clean
log reports its consent state; each kind of tampering with the stored rows is named at
the index it touched."""

from __future__ import annotations

import gc

import pytest
import sqlalchemy as sa

from ledger.audit import AuditInputError, AuditReport, Kind, replay
from ledger.note import SignerKey
from ledger.sequencer import Sequencer
from ledger.storage import LedgerStore
from tests.ledger.entry_builders import now
from tests.ledger.test_audit_fixtures import ORIGIN, Story, golden, other_hash, story

__all__ = ["golden", "story"]  # fixtures


def audit(story: Story, **kwargs: object) -> AuditReport:
    return replay(story.url, log_key=story.vkey, origin=ORIGIN, **kwargs)  # type: ignore[arg-type]


def found(report: AuditReport) -> set[tuple[str, int | None]]:
    return {(v.kind, v.index) for v in report.violations}


def test_a_clean_log_reports_its_consent_state(story: Story) -> None:
    report = audit(story)
    assert report.clean, report.violations
    assert report.tree_size == 11
    assert report.root_hash == LedgerStore.from_url(story.url).latest_checkpoint().root_hash
    assert report.checkpoint is not None and report.checkpoint.split("\n")[1] == "11"
    assert report.checked == {"entries": 11, "valid_entries": 11, "checkpoints": 12}
    consent = report.state
    assert consent.grants_by_status == {
        "live": 1, "revoked": 1, "expired": 1, "not_yet_valid": 0, "exhausted": 1,
    }  # fmt: skip
    bicing, biblioteca = story.world.verifier.did, story.world.other_verifier.did
    assert consent.accesses_by_verifier == {bicing: 2, biblioteca: 1}
    assert consent.accesses_by_purpose == {"dpv:ServiceProvision": 3}
    assert [(p.did, p.name, p.keys) for p in consent.issuers] == [
        (story.world.issuer.did, "Padró Municipal d'Habitants", 1)
    ]
    assert [(p.name, p.index) for p in consent.verifiers] == [("Bicing", 1), ("Biblioteca", 2)]
    assert report.to_json_dict()["clean"] is True


def test_worker_processes_find_what_one_process_finds(story: Story) -> None:
    story.execute("UPDATE ledger_entry SET data = :d WHERE idx = 6", d=story.entries[4])
    at = now()
    inline, pooled = audit(story, workers=0, at=at), audit(story, workers=2, at=at)
    assert found(inline) == found(pooled)
    assert inline.violation_counts == pooled.violation_counts
    assert inline.state == pooled.state


def test_the_heap_is_frozen_only_while_the_audit_runs(story: Story) -> None:
    """While its workers live, `replay` keeps the objects that existed before out of
    garbage collection (a collection would copy every page it writes) and gives them
    back after; a freeze of the program's own is left in place."""
    during: list[int] = []
    report = audit(story, workers=2, progress=lambda *_: during.append(gc.get_freeze_count()))
    assert report.clean and during and all(during)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        assert audit(story, workers=2).clean
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_changed_entry_bytes_are_named(story: Story) -> None:
    changed = story.entries[4].replace(b'"presentation":"sha256:', b'"presentation":"sha256:0')
    story.execute("UPDATE ledger_entry SET data = :d WHERE idx = 4", d=changed[:-1] + b"}")
    report = audit(story)
    assert not report.clean
    kinds = found(report)
    assert (Kind.LEAF_HASH_MISMATCH, 4) in kinds
    assert (Kind.STORED_TREE_MISMATCH, 4) in kinds
    assert {k for k, i in kinds if i == 4} & {Kind.MALFORMED_ENTRY, Kind.BAD_SIGNATURE}
    # Every checkpoint from size 5 on signed other bytes at index 4.
    mismatches = [v for v in report.violations if v.kind == Kind.CHECKPOINT_ROOT_MISMATCH]
    assert [v.size for v in mismatches] == list(range(5, 12))
    assert {v.index for v in mismatches} == {4}
    assert report.checkpoint is not None and report.checkpoint.split("\n")[1] == "4"


def test_a_changed_stored_leaf_hash_is_named(story: Story) -> None:
    story.execute("UPDATE ledger_entry SET leaf_hash = :h WHERE idx = 7", h=other_hash(b"7"))
    report = audit(story)
    assert found(report) == {(Kind.LEAF_HASH_MISMATCH, 7)}  # the bytes and the tree are intact


def test_a_deleted_row_is_named(story: Story) -> None:
    story.execute("DELETE FROM ledger_entry WHERE idx = 5")  # grant g2
    report = audit(story)
    kinds = found(report)
    assert (Kind.MISSING_INDEX, 5) in kinds
    assert ("rule_violation:grant_not_found", 7) in kinds  # g2's revocation names nothing now
    assert report.tree_size == 10


def test_deleted_rows_at_the_end_are_named(story: Story) -> None:
    story.execute("DELETE FROM ledger_entry WHERE idx >= 9")
    report = audit(story)
    missing = [v for v in report.violations if v.kind == Kind.MISSING_INDEX]
    assert [(v.index, v.size) for v in missing] == [(9, 11)]  # the checkpoint of size 11 says so


def test_swapped_rows_are_named(story: Story) -> None:
    for sql in ("UPDATE ledger_entry SET idx = -1 WHERE idx = 3",
                "UPDATE ledger_entry SET idx = 3 WHERE idx = 6",
                "UPDATE ledger_entry SET idx = 6 WHERE idx = -1"):  # fmt: skip
        story.execute(sql)
    report = audit(story)
    kinds = found(report)
    assert {(Kind.STORED_TREE_MISMATCH, 3), (Kind.STORED_TREE_MISMATCH, 6)} <= kinds
    assert ("rule_violation:grant_not_found", 3) in kinds  # an access before its grant
    assert (Kind.CHECKPOINT_ROOT_MISMATCH, 3) in kinds


def test_an_edited_checkpoint_note_is_named(story: Story) -> None:
    story.execute(
        "UPDATE ledger_checkpoint SET note = replace(note, :a, :b) WHERE size = 6",
        a=f"{ORIGIN}\n6\n", b=f"{ORIGIN}\n7\n",
    )  # fmt: skip
    report = audit(story)
    assert [(v.kind, v.size) for v in report.violations] == [(Kind.CHECKPOINT_BAD_SIGNATURE, 6)]


def test_an_edited_checkpoint_root_is_named(story: Story) -> None:
    story.execute("UPDATE ledger_checkpoint SET root_hash = :h WHERE size = 8", h=other_hash(b"8"))
    report = audit(story)
    assert [(v.kind, v.size) for v in report.violations] == [(Kind.CHECKPOINT_ROW_MISMATCH, 8)]


def test_a_checkpoint_from_another_key_is_named(story: Story) -> None:
    forged = SignerKey.generate(ORIGIN)
    store = LedgerStore.from_url(story.url)
    root = store.checkpoint(9).root_hash
    store.engine.dispose()
    from ledger.checkpoint import Checkpoint

    note = Checkpoint(ORIGIN, 9, root).sign(forged)
    story.execute("UPDATE ledger_checkpoint SET note = :n WHERE size = 9", n=note)
    report = audit(story)
    assert [(v.kind, v.size) for v in report.violations] == [(Kind.CHECKPOINT_BAD_SIGNATURE, 9)]


def test_a_smuggled_access_to_a_revoked_grant_is_named(story: Story) -> None:
    g2 = story.grants["g2"]
    story.smuggle(story.world.access(g2, g2.created_at))
    report = audit(story)
    assert found(report) == {("rule_violation:grant_revoked", 11)}
    assert report.checkpoint is not None and report.checkpoint.split("\n")[1] == "12"
    assert report.checked["valid_entries"] == 11


def test_a_duplicated_row_is_named(story: Story) -> None:
    story.execute(
        "INSERT INTO ledger_entry (idx, leaf_hash, data, type, sequenced_ms)"
        " SELECT 11, :h, data, type, sequenced_ms FROM ledger_entry WHERE idx = 4",
        h=other_hash(b"dup"),
    )  # fmt: skip
    report = audit(story)
    kinds = found(report)
    assert {(Kind.DUPLICATE_ENTRY, 11), (Kind.LEAF_HASH_MISMATCH, 11)} <= kinds
    assert (Kind.NOT_IN_CHECKPOINT, 11) in kinds


def test_the_saved_checkpoint_must_be_a_prefix(story: Story, golden: Story) -> None:
    store = LedgerStore.from_url(story.url)
    saved = store.checkpoint(6).note
    store.engine.dispose()
    assert audit(story, saved_checkpoint=saved).clean
    story.execute("DELETE FROM ledger_entry WHERE idx >= 5")
    story.execute("DELETE FROM ledger_checkpoint WHERE size >= 5")
    shrunk = audit(story, saved_checkpoint=saved)
    assert (Kind.INCONSISTENT_WITH_SAVED, 5) in found(shrunk)
    # A saved checkpoint this log's key never signed is the auditor's mistake, not a finding.
    with pytest.raises(AuditInputError, match="saved checkpoint: invalid signature"):
        audit(story, saved_checkpoint=saved.replace("\n6\n", "\n7\n"))


def test_a_rewritten_history_is_inconsistent_with_the_saved_checkpoint(story: Story) -> None:
    """The operator rewrites entry 4 and re-signs every checkpoint: the log is consistent
    with itself, but not with what the auditor saw before."""
    store = LedgerStore.from_url(story.url)
    saved = store.checkpoint(8).note
    store.engine.dispose()
    story.execute("DELETE FROM ledger_checkpoint WHERE size >= 4")
    story.execute("DELETE FROM ledger_node WHERE idx >= 0 AND level >= 0"
                  " AND (idx << level) + (1 << level) > 4")  # fmt: skip
    story.execute("DELETE FROM ledger_entry WHERE idx >= 4")
    g1 = story.grants["g1"]
    story.smuggle(*(story.world.access(g1, g1.created_at) for _ in range(6)))
    report = audit(story, saved_checkpoint=saved)
    assert report.tree_size == 10
    assert [(v.kind, v.index, v.size) for v in report.violations] == [
        (Kind.INCONSISTENT_WITH_SAVED, None, 8)
    ]


def test_an_empty_log_is_clean(db_url: str) -> None:
    signer = SignerKey.generate(ORIGIN)
    store = LedgerStore.from_url(db_url)
    Sequencer(store, signer=signer, origin=ORIGIN, validate=lambda e: "x").start().close()
    store.engine.dispose()
    report = replay(db_url, log_key=signer.verifier(), origin=ORIGIN)
    assert report.clean, report.violations
    assert (report.tree_size, report.checked) == (0, {"checkpoints": 1})
    assert report.checkpoint is not None and report.checkpoint.split("\n")[1] == "0"


def test_progress_is_reported(story: Story) -> None:
    seen: list[tuple[int, int]] = []
    audit(story, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (11, 11)


def test_what_is_not_a_ledger_is_refused(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    vkey = SignerKey.generate(ORIGIN).verifier()
    with pytest.raises(AuditInputError, match="no such file"):
        replay(tmp_path / "absent.db", log_key=vkey, origin=ORIGIN)
    empty = tmp_path / "other.db"
    engine = sa.create_engine(f"sqlite:///{empty}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    with pytest.raises(AuditInputError, match="not a ledger database"):
        replay(empty, log_key=vkey, origin=ORIGIN)

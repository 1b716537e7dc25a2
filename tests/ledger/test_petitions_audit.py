"""Audit replay of a ledger with petitions, read from its database on SQLite and
PostgreSQL: every signature verified again and every tally recounted, matching the
ledger's own; a tampered signature row and a second signature smuggled in past the rules
are named at their indexes and not counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from attestations.encoding import b64url_encode
from ledger import state
from ledger.audit import AuditReport, Kind, replay
from ledger.audit.checks import check_batch
from ledger.db import make_engine
from ledger.note import SignerKey
from ledger.petitions import PetitionTerms
from ledger.rules import Rules
from ledger.sequencer import Sequencer
from ledger.state.petition_queries import petition
from ledger.storage import LedgerStore
from policies import Entry, PetitionOpen, canonical_bytes
from tests.ledger.entry_builders import now
from tests.ledger.petition_builders import Citizen, PetitionWorld

ORIGIN = "cartera.test/petition-audit"


@dataclass
class Petitions:
    """A ledger holding a registration (0), two petitions (1, 2), three signatures of the
    first (3, 4, 5) and one of the second (6)."""

    url: str
    signer: SignerKey
    world: PetitionWorld
    first: PetitionOpen
    second: PetitionOpen
    citizens: list[Citizen]

    def audit(self) -> AuditReport:
        return replay(self.url, log_key=self.signer.verifier(), origin=ORIGIN, workers=0)

    def tally(self, opened: PetitionOpen) -> int:
        store = LedgerStore.from_url(self.url)
        with store.read() as conn:
            found = petition(conn, petition_id=opened.id).signatures
        store.engine.dispose()
        return found

    def execute(self, sql: str, **params: object) -> None:
        engine = make_engine(self.url, create=False)
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
        engine.dispose()

    def smuggle(self, *docs: Entry) -> None:
        """Append with the operator's key but past the rules, as a dishonest operator can."""
        store = LedgerStore(make_engine(self.url, create=False))
        with Sequencer(store, signer=self.signer, origin=ORIGIN, validate=lambda _e: "x") as seq:
            for doc in docs:
                seq.append(doc.to_json())
        store.engine.dispose()


@pytest.fixture
def petitions(db_url: str) -> Iterator[Petitions]:
    world, t, signer = PetitionWorld(), now(), SignerKey.generate(ORIGIN)
    first, second = world.petition(t), world.petition(t, title="A second petition")
    citizens = [world.citizen(issued=t) for _ in range(3)]
    docs: list[Entry] = [world.register(t), first, second]
    docs += [world.sign(first, c, t) for c in citizens]
    docs.append(world.sign(second, citizens[0], t))
    engine = make_engine(db_url)
    state.create_tables(engine)
    with Rules() as rules, Sequencer(LedgerStore(engine), signer=signer, origin=ORIGIN,
                                     validate=rules.validate,
                                     apply_batch=rules.apply_batch) as seq:  # fmt: skip
        for doc in docs:
            seq.append(doc.to_json())
    engine.dispose()
    yield Petitions(db_url, signer, world, first, second, citizens)


def found(report: AuditReport) -> set[tuple[str, int | None]]:
    return {(v.kind, v.index) for v in report.violations}


def test_every_signature_is_verified_again_and_counted(petitions: Petitions) -> None:
    report = petitions.audit()
    assert report.clean, report.violations
    assert report.checked["valid_entries"] == 7
    tallied = {(p.id, p.index): p.signatures for p in report.state.petitions}
    assert tallied == {(petitions.first.id, 1): 3, (petitions.second.id, 2): 1}
    assert [p.signatures for p in report.state.petitions] == [
        petitions.tally(petitions.first),
        petitions.tally(petitions.second),
    ]
    shown = report.to_json_dict()["state"]["petitions"]
    assert shown[0] == {
        "id": petitions.first.id, "index": 1, "title": petitions.first.title,
        "organiser": petitions.world.organiser.did,
        "closes_at": json.loads(petitions.first.to_json())["closes_at"], "signatures": 3,
    }  # fmt: skip


def test_worker_processes_count_what_one_process_counts(petitions: Petitions) -> None:
    pooled = replay(petitions.url, log_key=petitions.signer.verifier(), origin=ORIGIN, workers=2)
    assert pooled.clean
    assert pooled.state.petitions == petitions.audit().state.petitions


def test_signatures_are_verified_where_the_entries_are_checked(petitions: Petitions) -> None:
    """`check_batch` (step 4, in the worker processes) verifies the signatures whose
    petition it is given, and leaves the others to the rules (step 5)."""
    store = LedgerStore.from_url(petitions.url)
    rows = [(e.data, None) for e in store.entries(0, 7)]
    store.engine.dispose()
    terms = {petitions.first.id: PetitionTerms.of(petitions.first)}
    vkey = petitions.signer.verifier().to_text()
    checked = check_batch(rows, [], vkey, ORIGIN, None, terms)
    assert checked.verified == {3, 4, 5}
    assert all(e is not None for e in checked.entries) and not checked.refused
    forged = json.loads(rows[4][0])
    forged["presentation"]["nonce"] = b64url_encode(bytes(32))
    checked = check_batch([(canonical_bytes(forged), None)], [], vkey, ORIGIN, None, terms)
    assert checked.entries == [None] and not checked.verified
    assert checked.refused[0].kind == "rule_violation:bad_signature"


def test_a_tampered_signature_row_is_named(petitions: Petitions) -> None:
    obj = json.loads(petitions.world.sign(petitions.first, petitions.citizens[1], now()).to_json())
    other = petitions.world.sign(petitions.first, petitions.world.citizen(), now())
    obj["presentation"]["proof"] = json.loads(other.to_json())["presentation"]["proof"]
    petitions.execute("UPDATE ledger_entry SET data = :d WHERE idx = 4", d=canonical_bytes(obj))
    report = petitions.audit()
    kinds = found(report)
    assert (Kind.LEAF_HASH_MISMATCH, 4) in kinds
    assert ("rule_violation:bad_signature", 4) in kinds
    assert {i for _, i in kinds if i is not None} == {4}
    first = next(p for p in report.state.petitions if p.id == petitions.first.id)
    assert first.signatures == 2  # the tampered one is not counted


def test_a_second_signature_smuggled_past_the_rules_is_named(petitions: Petitions) -> None:
    again = petitions.world.sign(petitions.first, petitions.citizens[2], now())
    petitions.smuggle(again)  # index 7, with a checkpoint of its own: the tree is honest
    report = petitions.audit()
    assert found(report) == {("rule_violation:already_signed", 7)}
    detail = report.violations[0].detail
    assert "at index 5" in detail
    first = next(p for p in report.state.petitions if p.id == petitions.first.id)
    assert first.signatures == 3

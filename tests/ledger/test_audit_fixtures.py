"""A ledger with a whole consent story, built once per database backend with the real
sequencer and rules, then copied for each test that tampers with it; and the tampering.

The story (index: entry):

    0 issuer.register        1 verifier.register (Bicing)  2 verifier.register (Biblioteca)
    3 grant g1 → Bicing      4 access g1                   5 grant g2 → Bicing
    6 access g1              7 revoke g2                   8 grant g3 → Biblioteca, max 1
    9 access g3             10 grant g4, already expired

At audit time g1 is live (2 uses), g2 revoked, g3 exhausted, g4 expired. One checkpoint
per size (every entry was its own batch). `smuggle` lets the operator append without the
rules, as a dishonest operator holding the key could.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from ledger import state
from ledger.db import make_engine
from ledger.note import SignerKey
from ledger.rules import Rules
from ledger.sequencer import Sequencer
from ledger.storage import LedgerStore
from policies import ConsentGrant, Entry, Purpose
from tests.ledger.entry_builders import World, now
from tests.pg import PostgresServer

ORIGIN = "cartera.test/audit"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Story:
    url: str
    signer: SignerKey
    world: World
    grants: dict[str, ConsentGrant]
    entries: tuple[bytes, ...]

    @property
    def vkey(self) -> str:
        return self.signer.verifier().to_text()

    def engine(self) -> sa.Engine:
        return make_engine(self.url, create=False)

    def execute(self, sql: str, **params: object) -> None:
        """Run one statement on the ledger's database, as someone with write access."""
        engine = self.engine()
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
        engine.dispose()

    def smuggle(self, *docs: Entry) -> None:
        """Append entries with the operator's key but without the state rules."""
        store = LedgerStore(self.engine())
        with Sequencer(store, signer=self.signer, origin=ORIGIN, validate=lambda e: "x") as seq:
            for doc in docs:
                seq.append(doc.to_json())
        store.engine.dispose()


def write_story(url: str, signer: SignerKey) -> Story:
    world, t = World(), now()
    g1 = world.grant(t)
    g2 = world.grant(t, attributes=["postal_code"])
    g3 = world.grant(t, verifier=world.other_verifier.did, max_uses=1,
                     purpose=Purpose.SERVICE_PROVISION)  # fmt: skip
    g4 = world.grant(t, not_before=t - 2 * DAY, not_after=t - DAY)
    docs: list[Entry] = [
        world.issuer_register(t), world.verifier_register(t),
        world.verifier_register(t, key=world.other_verifier, name="Biblioteca"),
        g1, world.access(g1, t), g2, world.access(g1, t), world.revoke(g2, t), g3,
        world.access(g3, t, key=world.other_verifier), g4,
    ]  # fmt: skip
    engine = make_engine(url)
    state.create_tables(engine)
    rules = Rules()
    store = LedgerStore(engine)
    with Sequencer(store, signer=signer, origin=ORIGIN, validate=rules.validate,
                   apply=rules.apply) as seq:  # fmt: skip
        for doc in docs:
            seq.append(doc.to_json())
    engine.dispose()
    grants = {"g1": g1, "g2": g2, "g3": g3, "g4": g4}
    return Story(url, signer, world, grants, tuple(d.to_json() for d in docs))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def golden(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Story]:
    """The story, written once per backend for the whole module."""
    signer = SignerKey.generate(ORIGIN)
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("golden") / "ledger.db"
        yield write_story(f"sqlite:///{path}", signer)
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield write_story(server.create_database(), signer)


@pytest.fixture
def story(golden: Story, tmp_path: Path, request: pytest.FixtureRequest) -> Story:
    """A private copy of the golden story's database."""
    if golden.url.startswith("sqlite"):
        source = Path(sa.make_url(golden.url).database or "")
        target = tmp_path / "ledger.db"
        shutil.copyfile(source, target)  # the writer closed: everything is in the main file
        return replace(golden, url=f"sqlite:///{target}")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    golden_name = sa.make_url(golden.url).database
    name = f"c_{os.urandom(8).hex()}"
    with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres",
                         dbname="postgres", autocommit=True) as conn:  # fmt: skip
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{golden_name}"')
    return replace(golden, url=server.url(name))


def other_hash(seed: bytes) -> bytes:
    return hashlib.sha256(b"tampered" + seed).digest()


def test_the_story_is_written(story: Story) -> None:
    engine = story.engine()
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM ledger_entry")).scalar()
        sizes = conn.execute(sa.text("SELECT count(*) FROM ledger_checkpoint")).scalar()
    engine.dispose()
    assert (count, sizes) == (11, 12)

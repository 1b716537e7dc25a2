"""`ledger.client` against the real service (ASGITransport), on SQLite and PostgreSQL:
receipts verify, trust only moves forward, a forked view is caught, a tampered proof is
refused, the trusted checkpoint survives restarts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ledger.checkpoint import open_checkpoint
from ledger.client import LedgerClient, LedgerForked, LedgerUnavailable
from ledger.errors import EntryRejected, InvalidNoteSignature, InvalidProof, LedgerError, NotFound
from ledger.merkle import verify_inclusion
from ledger.note import SignerKey
from ledger.rules import Reason, Rejected
from tests.ledger.entry_builders import World, now
from tests.ledger.test_client_fixtures import (
    BASE,
    Ledger,
    flip,
    json_edit,
    running,
    settings_for,
)


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> Iterator[Ledger]:
    with running(settings_for(tmp_path / "home", db_url)) as found:
        yield found


def _life(world: World) -> list[bytes]:
    """Registrations, a grant, two accesses: five entries the rules accept in order."""
    t = now()
    grant = world.grant(t)
    docs = [world.issuer_register(t), world.verifier_register(t), grant,
            world.access(grant, t), world.access(grant, t)]  # fmt: skip
    return [d.to_json() for d in docs]


def test_receipts_verify_and_trust_moves_forward(ledger: Ledger, tmp_path: Path) -> None:
    state = tmp_path / "state" / "trusted"
    entries = _life(World())
    with ledger.client(state) as client:
        receipts = [client.append(entry) for entry in entries]
        assert [r.index for r in receipts] == [0, 1, 2, 3, 4]
        for r in receipts:
            assert not r.duplicate
            assert open_checkpoint(r.note, ledger.key, origin=ledger.settings.origin)
            assert verify_inclusion(
                r.leaf_hash, r.index, r.checkpoint.size, list(r.proof), r.checkpoint.root_hash
            )
        assert client.trusted is not None
        assert client.trusted.checkpoint == receipts[-1].checkpoint
        client.flush()  # saved in the background: wait for it
        assert state.read_text() == receipts[-1].note
        # The same entry again: its first index, marked duplicate, trust unchanged.
        again = client.append(entries[2])
        assert (again.index, again.duplicate) == (2, True)
        assert client.checkpoint().size == 5
    assert [p.name for p in state.parent.iterdir()] == ["trusted"]  # no temporary file left


def test_threads_share_one_client(ledger: Ledger, tmp_path: Path) -> None:
    world, t = World(), now()
    grant = world.grant(t)
    accesses = [world.access(grant, t).to_json() for _ in range(40)]
    state = tmp_path / "trusted"
    with ledger.client(state) as client:
        for doc in (world.issuer_register(t), world.verifier_register(t), grant):
            client.append(doc.to_json())
        with ThreadPoolExecutor(8) as pool:
            receipts = list(pool.map(client.append, accesses))
        assert sorted(r.index for r in receipts) == list(range(3, 43))
        assert client.trusted is not None and client.trusted.checkpoint.size == 43
    assert state.read_text().split("\n")[1] == "43"


def test_entries_are_read_back_and_proven(ledger: Ledger) -> None:
    entries = _life(World())
    with ledger.client() as client:
        for entry in entries:
            client.append(entry)
        assert [e.data for e in client.entries(0, 5)] == entries
        paged = [[e.index for e in page] for page in client.pages(1, 5, page_size=2)]
        assert paged == [[1, 2], [3, 4]]
        assert client.entry(3).data == entries[3]
        with pytest.raises(NotFound, match="no entry at index 5"):
            client.entries(3, 7)
        assert [e.index for e in client.entries(3, 7, gaps=True)] == [3, 4]
        with pytest.raises(NotFound):
            client.entry(5)


def test_refused_entries_carry_the_ledgers_reason(ledger: Ledger) -> None:
    world, t = World(), now()
    with ledger.client() as client:
        with pytest.raises(Rejected) as refused:
            client.append(world.grant(t).to_json())
        assert refused.value.reason is Reason.UNKNOWN_VERIFIER
        with pytest.raises(Rejected) as refused:
            client.append(b'{"type": "consent.grant"}')
        assert refused.value.reason is Reason.NOT_CANONICAL
        with pytest.raises(EntryRejected, match=r"^too_large: the body is larger"):
            client.append(b"x" * 70_000)  # a reason the rules do not have: in the message
        assert client.trusted is None  # nothing was appended, nothing trusted


def test_a_tampered_inclusion_proof_is_refused(ledger: Ledger) -> None:
    entries = _life(World())
    with ledger.client() as client:
        client.append(entries[0])
        client.append(entries[1])

        def bad_path(body: dict[str, Any]) -> None:
            body["inclusion_proof"][0] = flip(body["inclusion_proof"][0])

        ledger.transport.edit = json_edit("/v1/entries", bad_path)
        with pytest.raises(InvalidProof, match="entry 2"):
            client.append(entries[2])
        ledger.transport.edit = json_edit("/v1/entries/1", lambda b: b.update(
            inclusion_proof=[flip(h) for h in b["inclusion_proof"]]))  # fmt: skip
        with pytest.raises(InvalidProof, match="entry 1"):
            client.entry(1)
        # An answer for another entry (the leaf hash is recomputed, not believed).
        ledger.transport.edit = json_edit("/v1/entries", lambda b: b.update(index=0))
        with pytest.raises(InvalidProof):
            client.append(entries[3])
        ledger.transport.edit = None
        assert client.entry(1).data == entries[1]


def test_a_checkpoint_signed_by_another_key_is_refused(ledger: Ledger) -> None:
    impostor = SignerKey.generate(ledger.settings.origin).verifier()
    origin, transport = ledger.settings.origin, ledger.transport
    with (
        LedgerClient(BASE, log_key=impostor, origin=origin, transport=transport) as client,
        pytest.raises(InvalidNoteSignature),
    ):
        client.checkpoint()
    other = "another.example/log"
    with (
        LedgerClient(BASE, log_key=ledger.key, origin=other, transport=transport) as client,
        pytest.raises(LedgerError, match="origin"),
    ):
        client.checkpoint()


def test_the_trusted_checkpoint_survives_restarts(ledger: Ledger, tmp_path: Path) -> None:
    state = tmp_path / "dir" / "trusted"
    entries = _life(World())
    with ledger.client(state) as first:
        for entry in entries[:3]:
            first.append(entry)
    with ledger.client(state) as second:
        assert second.trusted is not None and second.trusted.checkpoint.size == 3
        for entry in entries[3:]:
            second.append(entry)
    with ledger.client(state) as third:
        assert third.trusted is not None and third.trusted.checkpoint.size == 5
    # A state file edited by hand is refused, not trusted.
    state.write_text(state.read_text().replace("\n5\n", "\n6\n"))
    with ledger.client(state) as fourth, pytest.raises(InvalidNoteSignature, match="state"):
        fourth.checkpoint()


def _flip_consistency(body: dict[str, Any]) -> None:
    body.update(consistency_proof=[flip(h) for h in body["consistency_proof"]])


def _no_consistency(body: dict[str, Any]) -> None:
    del body["consistency_proof"]  # as a ledger from before it came with the answer


@pytest.mark.parametrize("carried", [True, False], ids=["with-the-answer", "fetched"])
def test_a_bad_consistency_proof_is_a_fork(ledger: Ledger, tmp_path: Path, carried: bool) -> None:
    """The append's answer carries the consistency proof from the trusted checkpoint; an
    older ledger's answer does not, and the client fetches it: bad either way, a fork."""
    state = tmp_path / "trusted"
    entries = _life(World())
    with ledger.client(state) as client:
        client.append(entries[0])
        client.append(entries[1])
        client.flush()
        trusted = state.read_text()
        if carried:
            ledger.transport.edit = json_edit("/v1/entries", _flip_consistency)
        else:
            strip = json_edit("/v1/entries", _no_consistency)
            flip_fetched = json_edit("/v1/proofs/consistency", lambda b: b.update(
                proof=[flip(h) for h in b["proof"]]))  # fmt: skip
            ledger.transport.edit = lambda req, resp: strip(req, resp) or flip_fetched(req, resp)
        with pytest.raises(LedgerForked, match=r"two views: size 3 .* earlier size 2"):
            client.append(entries[2])
        assert state.read_text() == trusted  # the saved state did not move


def test_a_forked_ledger_is_caught(db_url: str, tmp_path: Path) -> None:
    """The operator runs two databases with the same key: the client that trusted one
    view refuses the other, whether it has the same size or has grown."""
    key_file, state = tmp_path / "operator.key", tmp_path / "trusted"
    world = World()
    shared = _life(world)[:2]
    honest_settings = settings_for(tmp_path / "a", db_url, key_file)
    forked_settings = settings_for(tmp_path / "b", f"sqlite:///{tmp_path / 'fork.db'}", key_file)
    t = now()
    with running(honest_settings) as honest, honest.client(state) as client:
        for entry in [*shared, world.grant(t).to_json()]:
            client.append(entry)
    trusted = state.read_text()  # saved at the latest when the client closed
    with running(forked_settings) as forked:
        assert forked.key == honest.key
        with forked.client() as writer:  # an unsuspecting writer builds the other view
            for entry in [*shared, world.grant(t, purpose="dpv:AgeVerification").to_json()]:
                writer.append(entry)
        with forked.client(state) as client:
            with pytest.raises(LedgerForked, match=r"size 3 root .* earlier size 3 root"):
                client.checkpoint()
            assert state.read_text() == trusted
            with forked.client() as writer:
                writer.append(world.verifier_register(t, key=world.other_verifier).to_json())
            with pytest.raises(LedgerForked, match=r"size 4 root .* earlier size 3 root"):
                client.checkpoint()
            with pytest.raises(LedgerForked):
                client.append(world.verifier_register(t, key=world.issuer).to_json())
        assert state.read_text() == trusted


def test_queries_answer_proven_entries(ledger: Ledger) -> None:
    world, t = World(), now()
    grant = world.grant(t, max_uses=3)
    docs = [world.issuer_register(t), world.verifier_register(t), grant,
            world.access(grant, t), world.revoke(grant, t)]  # fmt: skip
    with ledger.client() as client:
        for doc in docs:
            client.append(doc.to_json())
        found = client.grants(grant.pseudonym, world.verifier.did)
        assert [(g.id, g.status, g.uses) for g in found] == [(grant.id, "revoked", 1)]
        detail = client.grant(grant.id)
        assert (detail.revoked_index, detail.accesses) == (4, (3,))
        assert [a.logged.index for a in client.accesses(grant.pseudonym)] == [3]
        [key] = client.issuer(world.issuer.did)
        assert (key.registration.index, key.revocation) == (0, None)
        assert client.verifier(world.verifier.did).document.name == "Bicing"
        # A ledger that answers with another document is caught.
        path = "/v1/verifiers/" + world.verifier.did
        ledger.transport.edit = json_edit(path, lambda b: b.update(index=0))
        with pytest.raises(InvalidProof):
            client.verifier(world.verifier.did)
        ledger.transport.edit = None
        with pytest.raises(NotFound):
            client.grant("sha256:" + "0" * 64)


def test_an_unreachable_ledger_is_unavailable() -> None:
    key = SignerKey.generate("cartera.test").verifier()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: the connection is refused
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        with LedgerClient(url, log_key=key, origin="cartera.test", timeout=2) as client:
            with pytest.raises(LedgerUnavailable, match="GET /v1/checkpoint"):
                client.checkpoint()
            with pytest.raises(LedgerUnavailable, match="POST /v1/entries"):
                client.append(b"{}")

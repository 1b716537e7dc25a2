"""Proven reads and the background-saved checkpoint (`ledger.client`), against the real
service on SQLite and PostgreSQL: one round trip per read, every proof checked, tampered
answers refused, entries proven once not proven again, a ledger without proven reads
read the old way; the state file written in the background, and a fork that leaves the
saved anchor behind caught, also after a restart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from attestations.encoding import b64url_encode
from ledger.checkpoint import open_checkpoint
from ledger.client import LedgerClient, LedgerForked, save_checkpoint
from ledger.client._state import StateFile
from ledger.errors import InvalidNoteSignature, InvalidProof, LedgerError
from ledger.note import SignerKey
from policies import ConsentGrant, Entry
from tests.ledger.entry_builders import World, now
from tests.ledger.test_client_fixtures import (
    Ledger,
    flip,
    json_edit,
    recorder,
    running,
    settings_for,
)


@pytest.fixture
def ledger(db_url: str, tmp_path: Path) -> Iterator[Ledger]:
    with running(settings_for(tmp_path / "home", db_url)) as found:
        yield found


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in ("proof", "inclusion_proof")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def older_ledger(request: httpx.Request, response: httpx.Response) -> httpx.Response | None:
    """Answers as a ledger from before proven reads: no `proof`, no `inclusion_proof`."""
    if request.method != "GET" or request.url.path.startswith("/v1/proofs/"):
        return None
    if not response.is_success or "json" not in response.headers.get("content-type", ""):
        return None
    return httpx.Response(response.status_code, json=_strip(response.json()))


def _consent_life(world: World) -> list[Entry]:
    """Registrations, a grant and an access to it: four entries the rules accept."""
    t = now()
    grant = world.grant(t)
    return [world.issuer_register(t), world.verifier_register(t), grant, world.access(grant, t)]


def _read_everything(client: LedgerClient, world: World, grant: ConsentGrant) -> list[object]:
    return [
        [(k.registration.index, k.revocation) for k in client.issuer(world.issuer.did)],
        client.verifier(world.verifier.did).index,
        client.grant(grant.id).accesses,
        [g.id for g in client.grants(grant.pseudonym, world.verifier.did)],
        [a.logged.index for a in client.accesses(grant.pseudonym)],
        client.entry(3).data,
    ]


def test_a_proven_read_is_one_round_trip(ledger: Ledger) -> None:
    world = World()
    docs = _consent_life(world)
    grant = docs[2]
    assert isinstance(grant, ConsentGrant)
    with ledger.client() as writer, ledger.client() as reader:
        for doc in docs:
            writer.append(doc.to_json())
        calls: list[str] = []
        ledger.transport.edit = recorder(calls)
        seen = _read_everything(reader, world, grant)
        assert seen == [[(0, None)], 1, (3,), [grant.id], [3], docs[3].to_json()]
        assert calls == [
            f"GET /v1/issuers/{world.issuer.did}",
            f"GET /v1/verifiers/{world.verifier.did}",
            f"GET /v1/consent/grants/{grant.id}",
            "GET /v1/consent/grants",
            "GET /v1/consent/accesses",
            "GET /v1/entries/3",
        ]
        assert reader.trusted is not None and reader.trusted.checkpoint.size == 4
        # The log grows: the next read moves trust with it, still in one round trip.
        ledger.transport.edit = None
        writer.append(world.access(grant, now()).to_json())
        calls.clear()
        ledger.transport.edit = recorder(calls)
        assert reader.grant(grant.id).accesses == (3, 4)
        assert calls == [f"GET /v1/consent/grants/{grant.id}"]
        assert reader.trusted.checkpoint.size == 5


def test_a_ledger_without_proven_reads_is_read_the_old_way(ledger: Ledger) -> None:
    world = World()
    docs = _consent_life(world)
    grant = docs[2]
    assert isinstance(grant, ConsentGrant)
    with ledger.client() as writer, ledger.client() as proven, ledger.client() as old:
        for doc in docs:
            writer.append(doc.to_json())
        expected = _read_everything(proven, world, grant)
        calls: list[str] = []
        ledger.transport.edit = recorder(calls, older_ledger)
        assert _read_everything(old, world, grant) == expected
        assert "GET /v1/checkpoint" in calls and "GET /v1/proofs/inclusion" in calls
        # ... and the inclusion proofs it sends apart are checked as they always were.
        bad = json_edit("/v1/proofs/inclusion", lambda b: b.update(
            proof=[flip(h) for h in b["proof"]]))  # fmt: skip
        ledger.transport.edit = lambda q, r: older_ledger(q, r) or bad(q, r)
        with ledger.client() as fresh, pytest.raises(InvalidProof, match="entry 2"):
            fresh.grant(grant.id)


def _set(key: str, change: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.update({key: change(body[key])})


def _in_proof(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda body: change(body["proof"])


def test_tampered_proven_reads_are_refused(ledger: Ledger, tmp_path: Path) -> None:
    world = World()
    docs = _consent_life(world)
    grant = docs[2]
    other = SignerKey.generate(ledger.settings.origin)
    state = tmp_path / "trusted"
    with ledger.client() as writer:
        writer.append(docs[0].to_json())
        writer.append(docs[1].to_json())
        anchor = writer.checkpoint_note()  # size 2; the reads below answer at size 4
        for doc in docs[2:]:
            writer.append(doc.to_json())

    def resign(proof: dict[str, Any]) -> None:
        tree = open_checkpoint(proof["checkpoint"], ledger.key, origin=ledger.settings.origin)
        proof["checkpoint"] = tree.checkpoint.sign(other)

    # (change, error, message, whether the answer's checkpoint is still good to trust)
    cases: list[tuple[Callable[[dict[str, Any]], None], type[Exception], str, bool]] = [
        (_set("inclusion_proof", lambda h: [flip(x) for x in h]), InvalidProof, "entry 2", True),
        (lambda b: b.pop("inclusion_proof"), LedgerError, "inclusion_proof", True),
        (lambda b: b.update(index=1), InvalidProof, "entry 1", True),
        (_set("proof", lambda p: "a note"), LedgerError, "proof: not a JSON object", False),
        (_in_proof(lambda p: p.update(tree_size=3)), LedgerError, "tree_size 3, checkpoint 4",
         False),
        (_in_proof(lambda p: p.update(consistency=[flip(h) for h in p["consistency"]])),
         LedgerForked, r"size 4 root .* earlier size 2 root", False),
        (_in_proof(lambda p: p.update(consistency=[])), LedgerForked, "two views", False),
        (_in_proof(resign), InvalidNoteSignature, "signature", False),
    ]  # fmt: skip
    for change, error, words, moves in cases:
        save_checkpoint(state, anchor)
        ledger.transport.edit = json_edit(f"/v1/consent/grants/{grant.id}", change)
        with ledger.client(state) as reader, pytest.raises(error, match=words):
            reader.grant(grant.id)
        assert ("\n4\n" if moves else "\n2\n") in state.read_text()
    ledger.transport.edit = None
    with ledger.client(state) as reader:
        assert reader.grant(grant.id).accesses == (3,)


def test_entries_proven_once_are_not_proven_again(ledger: Ledger) -> None:
    world = World()
    path = f"/v1/issuers/{world.issuer.did}"
    with ledger.client() as writer, ledger.client() as reader:
        for doc in _consent_life(world):
            writer.append(doc.to_json())
        [first] = reader.issuer(world.issuer.did)
        # The same bytes at the same index: neither parsed nor proven again.
        ledger.transport.edit = json_edit(path, lambda b: b["keys"][0].update(inclusion_proof=[]))
        [again] = reader.issuer(world.issuer.did)
        assert again.registration.document is first.registration.document
        # Other bytes at that index are an entry to prove, and this one is not there.
        changed = b64url_encode(world.issuer_register(now(), key=world.other_verifier).to_json())
        ledger.transport.edit = json_edit(path, lambda b: b["keys"][0].update(entry=changed))
        with pytest.raises(InvalidProof, match="entry 0"):
            reader.issuer(world.issuer.did)
        # A revocation logged since is read, and proven, at once.
        ledger.transport.edit = None
        writer.append(world.issuer_revoke_key(now()).to_json())
        [revoked] = reader.issuer(world.issuer.did)
        assert revoked.revocation is not None and revoked.revocation.index == 4
        ledger.transport.edit = json_edit(path, lambda b: b["keys"][0]["revocation"].update(
            inclusion_proof=[]))  # fmt: skip
        with ledger.client() as fresh, pytest.raises(InvalidProof, match="entry 4"):
            fresh.issuer(world.issuer.did)


def test_a_fork_past_the_saved_anchor_is_caught_across_restarts(
    db_url: str, tmp_path: Path
) -> None:
    """The operator keeps two databases with one key; they agree on the first two
    entries. A client saved size 2, then trusted size 3 of one view, and is shown the
    other, consistent with size 2 but not with 3: it is refused, and so it is by the
    client that starts from the state file afterwards (a restart after a crash: the
    first client is never closed)."""
    key_file, state = tmp_path / "operator.key", tmp_path / "trusted"
    world, t = World(), now()
    shared = [world.issuer_register(t).to_json(), world.verifier_register(t).to_json()]
    honest_settings = settings_for(tmp_path / "a", db_url, key_file)
    forked_settings = settings_for(tmp_path / "b", f"sqlite:///{tmp_path / 'fork.db'}", key_file)
    with running(honest_settings) as honest, running(forked_settings) as forked:
        for ledger in (honest, forked):
            with ledger.client() as writer:
                for entry in shared:
                    writer.append(entry)
        with honest.client(state) as client:
            client.entry(1)
        assert "\n2\n" in state.read_text()
        with honest.client() as writer:
            writer.append(world.grant(t).to_json())
        with forked.client() as writer:
            writer.append(world.grant(t, max_uses=1).to_json())
            writer.append(world.verifier_register(t, key=world.other_verifier).to_json())
        client = honest.client(state)
        client.entry(2)  # trusts size 3 now; the file is written in the background
        honest.transport.inner = forked.transport.inner  # the other view, to this client
        with pytest.raises(LedgerForked, match=r"size 4 root .* earlier size 3 root"):
            client.entry(1)
        with pytest.raises(LedgerForked):  # an absence is no way round the check
            client.grant("sha256:" + "0" * 64)
        with forked.client(state) as restarted, pytest.raises(LedgerForked, match="size 3"):
            restarted.verifier(world.verifier.did)
        client.close()


SAVE_AND_EXIT = """
import sys
from pathlib import Path
from ledger.client._state import StateFile
StateFile(Path(sys.argv[1])).save_later("a note\\n")
"""


def test_a_note_handed_over_is_saved_before_the_interpreter_ends(tmp_path: Path) -> None:
    state = tmp_path / "trusted"
    subprocess.run([sys.executable, "-c", SAVE_AND_EXIT, str(state)], check=True, timeout=60)
    assert state.read_text() == "a note\n"


def test_a_save_that_fails_is_raised_by_the_next_move(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    state = StateFile(tmp_path / "file" / "trusted")
    state.save_later("a note\n")
    with pytest.raises(LedgerError, match="cannot save"):
        state.flush()
    state.flush()  # said once

"""A real `cartera ledger serve` process on 127.0.0.1, on SQLite and PostgreSQL: eight
threads appending at once, and a server killed with SIGKILL in the middle of a stream of
appends. Every acknowledged entry must be in the log exactly once, at its index; the
tree, the checkpoints and the state index must agree with it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Empty, SimpleQueue

import httpx
import pytest

from attestations.encoding import b64url_decode
from ledger import state
from ledger.checkpoint import open_checkpoint
from ledger.db import make_engine
from ledger.merkle import check_consistency, leaf_hash, root_hash
from ledger.settings import load
from ledger.storage import LedgerStore
from policies import Entry
from tests.ledger.entry_builders import World, now
from tests.ledger.http_helpers import JSON, Server, check_appended, log_key
from tests.ledger.ledger_checks import check_log

Ack = tuple[bytes, dict[str, object]]


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path, db_url).start()
    yield server
    server.stop()


def _post(http: httpx.Client, entry: bytes) -> dict[str, object]:
    answer = http.post("/v1/entries", content=entry, headers=JSON)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _all_entries(url: str) -> list[bytes]:
    with httpx.Client(base_url=url, timeout=30) as http:
        out: list[bytes] = []
        while rows := http.get("/v1/entries", params={"start": len(out)}).json()["entries"]:
            out += [b64url_decode(r["entry"]) for r in rows]
    return out


def _check_acks(server: Server, acks: list[Ack]) -> list[bytes]:
    """Every ack verifies and names its entry's index in the log; the log holds each
    entry once; the latest checkpoint signs the root of exactly these entries and every
    checkpoint handed out is consistent with it. Returns the log's entries."""
    settings = load(home=server.home, database_url=server.database_url)
    key = log_key(settings)
    logged = _all_entries(server.url)
    assert len(set(logged)) == len(logged), "an entry is logged twice"
    for entry, answer in acks:
        index = check_appended(answer, entry, key, settings.origin)
        assert logged[index] == entry
    with httpx.Client(base_url=server.url, timeout=30) as http:
        latest = open_checkpoint(http.get("/v1/checkpoint").text, key, origin=settings.origin)
        head = latest.checkpoint
        assert head.size == len(logged)
        assert head.root_hash == root_hash([leaf_hash(e) for e in logged])
        notes = {str(answer["checkpoint"]) for _entry, answer in acks}
        for note in notes:
            old = open_checkpoint(note, key, origin=settings.origin).checkpoint
            if 0 < old.size < head.size:
                params = {"first": old.size, "second": head.size}
                hashes = http.get("/v1/proofs/consistency", params=params).json()["proof"]
                proof = [b64url_decode(h) for h in hashes]
                check_consistency(old.size, head.size, proof, old.root_hash, head.root_hash)
    engine = make_engine(settings.url)
    try:
        check_log(LedgerStore(engine), key, settings.origin)
    finally:
        engine.dispose()
    return logged


def _grant_uses(server: Server, grant_id: str) -> int:
    answer = httpx.get(f"{server.url}/v1/consent/grants/{grant_id}", timeout=30).json()
    uses: int = answer["uses"]
    return uses


def _services_append_at_once(servers: list[Server], threads: int = 8) -> None:
    """`threads` services at once, thread k talking to server k mod len(servers): each
    registers, gets a grant and records accesses (the grant replayed at the end)."""
    world, accesses = World(), 20
    with httpx.Client(base_url=servers[0].url, timeout=30) as http:
        _post(http, world.issuer_register(now()).to_json())

    def one_service(k: int) -> tuple[str, list[Ack]]:
        mine = World(issuer=world.issuer, bbs=world.bbs)
        t = now()
        grant = mine.grant(t)
        docs: list[Entry] = [mine.verifier_register(t, name=f"Service {k}"), grant]
        docs += [mine.access(grant, t) for _ in range(accesses)]
        docs.append(grant)  # a replay, concurrently with everybody else's appends
        with httpx.Client(base_url=servers[k % len(servers)].url, timeout=60) as http:
            return grant.id, [(d.to_json(), _post(http, d.to_json())) for d in docs]

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(one_service, range(threads)))
    acks = [ack for _grant, mine in results for ack in mine]
    logged = _check_acks(servers[0], acks)
    assert len(logged) == 1 + threads * (2 + accesses)
    for grant_id, mine in results:
        assert mine[-1][1]["duplicate"] is True and mine[-1][1]["index"] == mine[1][1]["index"]
        for server in servers:
            assert _grant_uses(server, grant_id) == accesses
    sizes = {answer["tree_size"] for _e, answer in acks}
    print(f"{len(acks)} appends by {threads} threads, answered in {len(sizes)} tree sizes")


@pytest.mark.slow
def test_eight_threads_append_at_once(server: Server) -> None:
    _services_append_at_once([server])


@pytest.mark.slow
def test_two_server_processes_on_one_database(db_url: str, tmp_path: Path) -> None:
    """Two `serve` processes (same key, same database) take appends at once: their
    sequencers take turns under the writers' lock and read the head and the state index
    from the database, so the log stays one log."""
    servers = [Server(tmp_path, db_url).start()]
    try:
        servers.append(Server(tmp_path, db_url).start())
        _services_append_at_once(servers)
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
def test_sigkill_during_a_stream_of_appends_loses_nothing_acknowledged(server: Server) -> None:
    world, t = World(), now()
    grant = world.grant(t)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for doc in (world.issuer_register(t), world.verifier_register(t), grant):
            _post(http, doc.to_json())
    todo: SimpleQueue[bytes] = SimpleQueue()
    for _ in range(2000):
        todo.put(world.access(grant, t).to_json())
    acks: list[Ack] = []
    in_flight: list[bytes] = []
    lock = threading.Lock()

    def stream() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while True:
                try:
                    entry = todo.get_nowait()
                except Empty:
                    return
                try:
                    answer = http.post("/v1/entries", content=entry, headers=JSON)
                except httpx.HTTPError:  # the server died under us: this one is unknown
                    with lock:
                        in_flight.append(entry)
                    return
                assert answer.status_code == 200, answer.text
                with lock:
                    acks.append((entry, answer.json()))

    workers = [threading.Thread(target=stream) for _ in range(4)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 120
    while len(acks) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    for w in workers:
        w.join(60)
    assert len(acks) >= 150 and in_flight, "the kill did not land mid-stream"

    server.start()  # same home, same database
    logged = _check_acks(server, acks)
    # The state index committed with the entries: it counts exactly the logged accesses.
    assert _grant_uses(server, grant.id) == len(logged) - 3
    # Sending everything again: acknowledged entries keep their index; the ones in flight
    # at the kill are either already whole in the log (duplicate) or appended now.
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for entry, answer in acks:
            again = _post(http, entry)
            assert (again["index"], again["duplicate"]) == (answer["index"], True)
        for entry in in_flight:
            again = _post(http, entry)
            assert again["duplicate"] is (entry in logged)
    print(f"killed after {len(acks)} acks; {len(in_flight)} in flight; log had {len(logged)}")
    engine = make_engine(load(home=server.home, database_url=server.database_url).url)
    with engine.connect() as conn:
        assert state.applied(conn) == len(logged) + sum(e not in logged for e in in_flight)
    engine.dispose()


def test_streamed_oversized_body_is_cut_off_by_the_real_server(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(1024):  # 1 MiB, chunked, no Content-Length
            yield b" " * 1024

    answer = httpx.post(f"{server.url}/v1/entries", content=chunks(), headers=JSON, timeout=30)
    assert (answer.status_code, answer.json()["reason"]) == (413, "too_large")
    assert httpx.get(f"{server.url}/v1/health").json()["tree_size"] == 0

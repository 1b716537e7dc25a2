"""Ledger benchmark: validated appends, proof latency and audit replay on SQLite and
PostgreSQL, each beside the raw signature-verification rate measured in the same run.

    .venv/bin/python bench/ledger.py                      # rich table, sizes 10^4 and 10^5
    .venv/bin/python bench/ledger.py --max-size 1000000   # proofs at 10^6 too (SQLite)
    .venv/bin/python bench/ledger.py --quick --json       # smoke run, machine-readable
    .venv/bin/python bench/ledger.py --sqlite-only --max-size 10000   # a short run

The floor is what no ledger can skip: verifying each entry's signature. Two are timed,
on one core: Ed25519 (PyNaCl) over an access.record's signing bytes, and the consent
Schnorr signature of a consent.grant (`policies.verify_entry_signature` on a parsed
entry). The floor gets every cache the ledger gets: the verifier's base point `B_v`
(`attestations.pseudonym`'s LRU, shared by all entries to one verifier) and the signing
bytes a parsed entry keeps (`policies.document`); the pseudonym is decoded and
subgroup-checked, and the multi-scalar multiplication done, on every call, as the ledger
does for every entry. Appends are consent.grant entries (each by a distinct holder
secret, to one registered verifier and a registered schema), so the consent floor is the
one their rates are compared with. Every entry is built and signed before any timing
starts. The ledger runs as the service does: checks in `os.cpu_count()` worker
processes (`Rules(workers=...)`, `validate_later`; an entry that arrives alone is checked
in the caller's thread), rules applied per batch.

Proof latency is measured on a log filled through the storage layer's row writers
(`insert_entries`, `insert_nodes`) without validation: a 10^6 log would take ~20 minutes
through the rules. Audit replay runs `ledger.audit.replay` over the log the in-process
run built. Rates are medians over rounds; the load average is printed because the
machine is shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

# This file is named like the package it measures: keep its directory off the import
# path, or `import ledger` would import this script again.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))  # for _common, after the packages it must not shadow
_spec = importlib.util.spec_from_file_location("_ledger_fixtures", _HERE / "_ledger_fixtures.py")
assert _spec is not None and _spec.loader is not None
fx = sys.modules["_ledger_fixtures"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)  # registered first: worker processes find its functions

import httpx  # noqa: E402
import nacl.signing  # noqa: E402
from _common import emit, machine  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ledger import state  # noqa: E402
from ledger.audit import replay  # noqa: E402
from ledger.merkle import Frontier, check_consistency, check_inclusion  # noqa: E402
from ledger.note import SignerKey  # noqa: E402
from ledger.rules import Rules  # noqa: E402
from ledger.sequencer import Appended, Sequencer  # noqa: E402
from ledger.storage import LedgerStore  # noqa: E402
from policies import parse_entry, verify_entry_signature  # noqa: E402

if TYPE_CHECKING:
    from _ledger_fixtures import World

ORIGIN = "bench.cartera.example/ledger"
SKEW = timedelta(hours=1)  # entries are signed up front; the bench may run for minutes
CONCURRENCY = 8
WORKERS = os.cpu_count() or 1  # validation processes: the service's default


# --- the floor ----------------------------------------------------------------------------


def floor_rates(world: World, grant: bytes, rounds: int, per_round: int) -> dict[str, float]:
    """Median verifications/s on one core: Ed25519 (PyNaCl) on an access.record's
    signing bytes, and the consent Schnorr verification of a consent.grant."""
    record = parse_entry(world.access_record())
    message = record.signing_bytes()
    key = nacl.signing.SigningKey.generate()
    signed = key.sign(message)
    verify_key = key.verify_key
    parsed = parse_entry(grant)
    ops: dict[str, Callable[[], object]] = {
        "ed25519": lambda: verify_key.verify(signed),
        "consent": lambda: verify_entry_signature(parsed),
    }
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for op in ops.values():
        op()
    for _ in range(rounds):  # round-robin, so load falls on both alike
        for name, op in ops.items():
            n = per_round if name == "ed25519" else max(per_round // 20, 10)
            start = time.perf_counter()
            for _ in range(n):
                op()
            samples[name].append(n / (time.perf_counter() - start))
    return {name: statistics.median(xs) for name, xs in samples.items()}


# --- appends in-process -----------------------------------------------------------------


@contextmanager
def open_sequencer(url: str, world: World) -> Iterator[tuple[Sequencer, SignerKey]]:
    """A fresh log at `url` with the real rules, its issuer and verifier registered."""
    store = LedgerStore.from_url(url)
    state.create_tables(store.engine)
    signer = SignerKey.generate(ORIGIN)
    rules = Rules(max_skew=SKEW, workers=WORKERS)
    seq = Sequencer(
        store, signer=signer, origin=ORIGIN, validate=rules.validate,
        validate_later=rules.validate_later, apply_batch=rules.apply_batch,
    ).start()  # fmt: skip
    try:
        for entry in world.registrations():
            seq.append(entry)
        yield seq, signer
    finally:
        seq.close()
        rules.close()
        store.engine.dispose()


def _rounds(entries: list[bytes], rounds: int) -> list[list[bytes]]:
    size = len(entries) // rounds
    return [entries[i * size : (i + 1) * size] for i in range(rounds)]


def _check(done: list[Appended]) -> None:
    fresh = [a for a in done if not a.duplicate]
    if len(fresh) != len(done):
        raise RuntimeError("an append answered duplicate: the bench built the same entry twice")
    a = done[-1]  # a client's check of the last answer
    check_inclusion(a.leaf_hash, a.index, a.checkpoint.size, list(a.proof), a.checkpoint.root_hash)


def append_serial(seq: Sequencer, entries: list[bytes], rounds: int) -> float:
    """One caller, waiting for each answer (a batch of one every time)."""
    rates = []
    for part in _rounds(entries, rounds):
        start = time.perf_counter()
        done = [seq.append(e) for e in part]
        rates.append(len(part) / (time.perf_counter() - start))
        _check(done)
    return statistics.median(rates)


def append_concurrent(seq: Sequencer, entries: list[bytes], rounds: int) -> float:
    """CONCURRENCY threads submitting their share without waiting, then all answers."""
    rates = []
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for part in _rounds(entries, rounds):
            shares = [part[i::CONCURRENCY] for i in range(CONCURRENCY)]
            start = time.perf_counter()
            batches = list(pool.map(lambda s: [seq.submit(e) for e in s], shares))
            done = [f.result() for fs in batches for f in fs]
            rates.append(len(part) / (time.perf_counter() - start))
            _check(done)
    return statistics.median(rates)


# --- appends over HTTP ------------------------------------------------------------------


def append_http(base: str, entries: list[bytes], clients: int, rounds: int) -> float:
    """`clients` threads, each with its own connection, each waiting for its answers."""
    headers = {"content-type": "application/json"}
    local = threading.local()

    def post_all(share: list[bytes]) -> None:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=base, timeout=60)
        for e in share:
            answer = local.http.post("/v1/entries", content=e, headers=headers)
            if answer.status_code != 200 or answer.json()["duplicate"]:
                raise RuntimeError(f"append refused: {answer.status_code} {answer.text[:200]}")

    rates = []
    with ThreadPoolExecutor(clients) as pool:
        for part in _rounds(entries, rounds):
            shares = [part[i::clients] for i in range(clients)]
            start = time.perf_counter()
            list(pool.map(post_all, shares))
            rates.append(len(part) / (time.perf_counter() - start))
    return statistics.median(rates)


def http_rates(
    url: str, world: World, work: dict[str, list[bytes]], rounds: int
) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="cartera-bench-home-"))
    server = fx.Server(home, url, int(SKEW.total_seconds())).start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            for entry in world.registrations():
                http.post(
                    "/v1/entries", content=entry, headers={"content-type": "application/json"}
                ).raise_for_status()
        return {
            "http_1": append_http(server.url, work["http_1"], 1, rounds),
            f"http_{CONCURRENCY}": append_http(
                server.url, work[f"http_{CONCURRENCY}"], CONCURRENCY, rounds
            ),
        }
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


# --- proofs -----------------------------------------------------------------------------


def _percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"p50": statistics.median(ms), "p99": ms[min(len(ms) - 1, int(len(ms) * 0.99))]}


def proof_latency(url: str, sizes: list[int], queries: int) -> dict[str, dict[str, Any]]:
    """Fill one log to each size in turn (bulk path), then time random proofs at that size."""
    store = LedgerStore.from_url(url)
    frontier = Frontier()
    out: dict[str, dict[str, Any]] = {}
    rng = random.Random(9162)
    try:
        for size in sizes:
            start = time.perf_counter()
            fx.bulk_fill(store, frontier, size)
            fill_s = time.perf_counter() - start
            root = frontier.root()
            inclusion, consistency = [], []
            for _ in range(queries):
                index = rng.randrange(size)
                t0 = time.perf_counter()
                proof = store.inclusion_proof(index=index, size=size)
                inclusion.append((time.perf_counter() - t0) * 1e3)
                size1 = rng.randrange(1, size + 1)
                t0 = time.perf_counter()
                cproof = store.consistency_proof(size1=size1, size2=size)
                consistency.append((time.perf_counter() - t0) * 1e3)
            # The last of each must verify: the timed path is a correct one.
            with store.read() as conn:
                leaf = conn.exec_driver_sql(
                    f"SELECT leaf_hash FROM ledger_entry WHERE idx = {index}"
                ).scalar_one()
            check_inclusion(bytes(leaf), index, size, proof, root)
            check_consistency(size1, size, cproof, store.root_hash(size=size1), root)
            out[str(size)] = {
                "fill_s": fill_s,
                "inclusion_ms": _percentiles(inclusion),
                "consistency_ms": _percentiles(consistency),
            }
    finally:
        store.engine.dispose()
    return out


# --- the run ----------------------------------------------------------------------------


def backend_run(
    name: str, url_for: Callable[[], str], world: World, work: dict[str, list[bytes]],
    *, rounds: int, proof_sizes: list[int], queries: int,
) -> dict[str, Any]:  # fmt: skip
    result: dict[str, Any] = {}
    appended_url = url_for()
    with open_sequencer(url_for(), world) as (seq, _):
        result["in_process_1"] = append_serial(seq, work["serial"], rounds)
    with open_sequencer(appended_url, world) as (seq, signer):
        result[f"in_process_{CONCURRENCY}"] = append_concurrent(seq, work["concurrent"], rounds)
    report = replay(appended_url, log_key=signer.verifier(), origin=ORIGIN, max_skew=SKEW)
    if not report.clean:
        raise RuntimeError(f"{name}: audit found violations: {report.violation_counts}")
    result["audit"] = {"entries": report.tree_size, "rate": report.rate}
    result.update(http_rates(url_for(), world, work, rounds))
    result["proofs"] = proof_latency(url_for(), proof_sizes, queries)
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    rounds = 3
    counts = (
        {"serial": 150, "concurrent": 600, "http_1": 60, f"http_{CONCURRENCY}": 240}
        if quick
        else {"serial": 600, "concurrent": 3000, "http_1": 300, f"http_{CONCURRENCY}": 1200}
    )
    sizes = (
        [1000, 10_000] if quick else [s for s in (10_000, 100_000, 1_000_000) if s <= args.max_size]
    )
    pg_sizes = [s for s in sizes if s <= 100_000]
    queries = 100 if quick else 1000
    load_start = os.getloadavg()
    workers = os.cpu_count() or 1
    world = fx.World(fx.now())
    started = time.perf_counter()
    backends = ["sqlite"] if args.sqlite_only else ["sqlite", "postgresql"]
    pool = world.grants(sum(counts.values()) * len(backends) + 1, workers=workers)
    build_s = time.perf_counter() - started
    sample, pool = pool[0], pool[1:]
    work: dict[str, dict[str, list[bytes]]] = {b: {} for b in backends}
    for b in backends:
        for k, n in counts.items():
            work[b][k], pool = pool[:n], pool[n:]
    floor = floor_rates(world, sample, rounds=7, per_round=400 if quick else 4000)
    tmp = Path(tempfile.mkdtemp(prefix="cartera-bench-"))
    serial = itertools.count()
    results: dict[str, Any] = {}
    try:
        results["sqlite"] = backend_run(
            "sqlite", lambda: f"sqlite:///{tmp / f'ledger{next(serial)}.db'}", world,
            work["sqlite"], rounds=rounds, proof_sizes=sizes, queries=queries,
        )  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if "postgresql" in backends:
        pg = fx.Postgres.start()
        try:
            results["postgresql"] = backend_run(
                "postgresql", pg.create_database, world, work["postgresql"],
                rounds=rounds, proof_sizes=pg_sizes, queries=queries,
            )  # fmt: skip
        finally:
            pg.stop()
    floor_end = floor_rates(world, sample, rounds=3, per_round=400 if quick else 4000)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average": {"start": load_start, "end": os.getloadavg()},
        "quick": quick,
        "workers": WORKERS,
        "counts": counts,
        "build_s": build_s,
        "floor": floor,
        "floor_end": floor_end,
        "results": results,
        "goals": _goals(floor, results, sizes),
        "elapsed_s": time.perf_counter() - started,
    }


def _goals(
    floor: dict[str, float], results: dict[str, Any], sizes: list[int]
) -> list[dict[str, Any]]:
    raw = floor["consent"]
    sq = results["sqlite"]
    best = max(sq["in_process_1"], sq[f"in_process_{CONCURRENCY}"])
    top = str(max(sizes))
    p50 = sq["proofs"][top]["inclusion_ms"]["p50"]
    audit = sq["audit"]["rate"]
    return [
        {"goal": "in-process appends (SQLite) ≥ 70% of raw rate", "value": best / raw,
         "shown": f"{best / raw:.0%}", "met": best / raw >= 0.7},
        {"goal": "in-process appends (SQLite) ≥ 1,500/s", "value": best,
         "shown": f"{best:,.0f}/s", "met": best >= 1500},
        {"goal": f"inclusion proof p50 < 2 ms at 10^6 (measured at {int(top):,})", "value": p50,
         "shown": f"{p50:.3f} ms", "met": p50 < 2 if int(top) >= 1_000_000 else None},
        {"goal": "audit (SQLite) ≥ 50% of both cores' raw rate", "value": audit / (2 * raw),
         "shown": f"{audit / (2 * raw):.0%}", "met": audit / (2 * raw) >= 0.5},
    ]  # fmt: skip


def render(r: dict[str, Any], console: Console) -> None:
    raw = r["floor"]["consent"]
    floors = Table(title="Floor: raw signature verification, one core (verifications/s)")
    for col in ("signature", "start of run", "end of run"):
        floors.add_column(col, justify="right" if col != "signature" else "left")
    floors.add_row(
        "Ed25519 (PyNaCl), access.record bytes",
        f"{r['floor']['ed25519']:,.0f}",
        f"{r['floor_end']['ed25519']:,.0f}",
    )
    floors.add_row(
        "consent Schnorr, consent.grant", f"{raw:,.0f}", f"{r['floor_end']['consent']:,.0f}"
    )
    console.print(floors)

    appends = Table(
        title="Validated appends of consent.grant (entries/s; ratio to the consent floor)"
    )
    appends.add_column("path")
    for b in r["results"]:
        appends.add_column(b, justify="right")
    rows = [
        ("in-process, 1 caller (waits each)", "in_process_1"),
        (f"in-process, {CONCURRENCY} threads submitting", f"in_process_{CONCURRENCY}"),
        ("HTTP, 1 client", "http_1"),
        (f"HTTP, {CONCURRENCY} clients", f"http_{CONCURRENCY}"),
    ]
    for label, key in rows:
        appends.add_row(
            label, *(f"{res[key]:,.0f} ({res[key] / raw:.0%})" for res in r["results"].values())
        )
    appends.add_row(
        "audit replay (vs 2 × floor)",
        *(
            f"{res['audit']['rate']:,.0f} ({res['audit']['rate'] / (2 * raw):.0%})"
            for res in r["results"].values()
        ),
    )
    console.print(appends)

    proofs = Table(title="Proof latency, ms p50 / p99 (log filled by the bulk path, no validation)")
    for col in ("backend", "entries", "fill (s)", "inclusion", "consistency"):
        proofs.add_column(col, justify="right")
    for b, res in r["results"].items():
        for size, p in res["proofs"].items():
            inc, con = p["inclusion_ms"], p["consistency_ms"]
            proofs.add_row(
                b,
                f"{int(size):,}",
                f"{p['fill_s']:.1f}",
                f"{inc['p50']:.3f} / {inc['p99']:.3f}",
                f"{con['p50']:.3f} / {con['p99']:.3f}",
            )
    console.print(proofs)

    goals = Table(title="Goals")
    for col in ("goal", "result", "met"):
        goals.add_column(col)
    for g in r["goals"]:
        met = (
            "[yellow]not measured[/]"
            if g["met"] is None
            else "[green]yes[/]"
            if g["met"]
            else "[red]no[/]"
        )
        goals.add_row(g["goal"], g["shown"], met)
    console.print(goals)
    m, la = r["machine"], r["load_average"]
    console.print(
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, {r['date']}; load average "
        f"{la['start'][0]:.2f} at start, {la['end'][0]:.2f} at end; entries signed in "
        f"{r['build_s']:.1f} s; {r['workers']} check workers; whole run {r['elapsed_s']:.0f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--sqlite-only", action="store_true", help="leave PostgreSQL out")
    parser.add_argument(
        "--max-size",
        type=int,
        default=100_000,
        help="largest proof-latency log (SQLite); 1000000 adds 10^6",
    )
    args = parser.parse_args(argv)
    return emit(run(args), render, as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())

"""Sessions benchmark: verifications per second end to end over loopback HTTP, with 1 and
8 concurrent wallets, and where a verification's time goes.

    .venv/bin/python bench/sessions.py            # rich tables
    .venv/bin/python bench/sessions.py --json     # machine-readable

The three services run as they do in production, each its own `cartera … serve` process
on 127.0.0.1 (ledger on SQLite with its default worker processes; issuer; verifier with
rate limits off). The wallets live in this process, one thread each, every one with its
own vault, credential and standing grant (published once before timing). One
verification is what a citizen and a service do each time:

1. request: the verifier's admin creates a signed request; the wallet fetches it and
   checks its signature;
2. checks (the wallet's): the verifier's registration, the credential's issuer key and the
   ledger's decision on the wallet's grants (verified ledger reads);
3. proof: `Wallet.present` (BBS proof with the pseudonym, kept in the vault);
4. answer: the POST, over the wallet's kept connection as `SessionHttp` makes it (a fresh
   `httpx.Client` per answer would add ~20 ms of CPU for its TLS context, which no wallet
   pays); the verifier's `Server-Timing` splits its side into
   `issuer` (ledger read), `presentation` (proof verification), `consent` (ledger read)
   and `access` (the `access.record` append, durable before the answer).

Shares are of the summed time of all verifications: `% verify` is the verifier's
`presentation`; `% ledger` the wallet's checks plus the verifier's `issuer`, `consent` and
`access`; `% prove` the wallet's proof; `% HTTP+rest` what remains (request creation and
fetch, transport, JSON, the verifier's own database writes, scheduling).

CPU per verification (Linux: user + system time from /proc, each service with its child
processes, the ledger's workers included; the wallets are this process) is what limits a
machine's rate, and it is far less disturbed by other jobs on a shared machine than the
wall-clock figures are.
"""

# ruff: noqa: E402  (imports follow the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))  # for _common, after the packages it must not shadow

import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from _common import emit, machine
from rich.console import Console
from rich.table import Table

from ledger.note import SignerKey
from mobile_api import AdminClient
from policies import Purpose, build_response, draft_grant
from wallet import KdfParams, Wallet, WalletLedger, create
from wallet.session_http import SessionHttp
from wallet.sessions import fetch_offer, fetch_request, prepare, receive_offer

CARTERA = Path(sys.executable).with_name("cartera")
PHASES = ("request", "checks", "proof", "answer")
SERVER = ("issuer", "presentation", "consent", "access")
ATTRIBUTES = {
    "given_name": "Aina",
    "family_name": "Puig",
    "birthdate": "1990-05-17",
    "district": "Gràcia",
    "postcode": 8012,
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cartera(home: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(CARTERA), *args, "--home", str(home), "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` and its descendants so far (0.0 without /proc)."""
    stats = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        # proc(5) fields from the 3rd on (state, ppid, ...): utime and stime are the 14th, 15th
        stats[int(entry.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    family: set[int] = set()
    grown = {pid}
    while grown != family:
        family = grown
        grown = family | {p for p, (parent, _) in stats.items() if parent in family}
    return sum(stats[p][1] for p in family if p in stats) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _serving(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (home / f"{args[0]}.log").open("ab")
    process = subprocess.Popen(
        [str(CARTERA), *args, "--port", str(port)],
        env={**os.environ, "CARTERA_HOME": str(home), **(env or {})},
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not start; see {home / (args[0] + '.log')}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(30)
        log.close()


@dataclass(frozen=True)
class Services:
    ledger: str
    ledger_key: str
    issuer: AdminClient
    issuer_did: str
    verifier: AdminClient
    pids: dict[str, int]
    """The processes whose CPU a verification takes: the ledger's and the verifier's."""


@contextmanager
def services(home: Path) -> Iterator[Services]:
    with ExitStack() as stack:
        ledger, ledger_pid = stack.enter_context(_serving(home, "ledger", "serve"))
        key_file = home / "ledger" / "operator.key"
        key = SignerKey.from_text(key_file.read_text().strip()).verifier().to_text()
        env = {"CARTERA_SESSIONS_RATE_LIMIT_PER_MINUTE": "0", "CARTERA_SESSIONS_LEDGER_KEY": key}
        issuer = _cartera(home, "issuer", "init", "--name", "Padró Municipal d'Habitants")
        issuer_url, _ = stack.enter_context(
            _serving(home, "issuer", "serve", "--ledger", ledger, env=env)
        )
        verifier = _cartera(
            home, "verifier", "init", "--name", "Bicing", "--trust", issuer["did"],
            "--purpose", Purpose.SERVICE_PROVISION.value,
        )  # fmt: skip
        verifier_url, verifier_pid = stack.enter_context(
            _serving(home, "verifier", "serve", "--ledger", ledger, env=env)
        )
        yield Services(
            ledger,
            key,
            AdminClient(issuer_url, api_key=issuer["api_key"]),
            issuer["did"],
            AdminClient(verifier_url, api_key=verifier["api_key"]),
            {"ledger": ledger_pid, "verifier": verifier_pid},
        )


@dataclass
class Citizen:
    """A wallet with a credential and a standing grant at the verifier."""

    wallet: Wallet
    ledger: WalletLedger
    http: SessionHttp = field(default_factory=SessionHttp)
    answers: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))
    """The answer's POST (SessionHttp's own returns no headers: Server-Timing is needed)."""


def enrol(root: Path, number: int, world: Services) -> Citizen:
    wallet = create(root / f"wallet-{number}", "bench passphrase", kdf=KdfParams.INTERACTIVE)
    citizen = Citizen(wallet, WalletLedger(wallet, world.ledger, log_key=world.ledger_key))
    offer = world.issuer.create_offer("resident", ATTRIBUTES)
    receive_offer(wallet, citizen.ledger, citizen.http, fetch_offer(citizen.http, offer.url))
    request = fetch_request(citizen.http, _ask(world).url)
    now = datetime.datetime.now(datetime.UTC)
    draft = draft_grant(request, now=now, not_after=now + datetime.timedelta(days=1), max_uses=None)
    citizen.ledger.grant(draft, now=now)
    return citizen


def _ask(world: Services) -> Any:
    return world.verifier.create_request(
        "resident", ["district", "postcode"], purpose=Purpose.SERVICE_PROVISION.value
    )


def verify_once(citizen: Citizen, world: Services) -> dict[str, float]:
    """One verification (module docstring); milliseconds per phase and server check."""
    laps: dict[str, float] = {}
    start = time.perf_counter()
    request = fetch_request(citizen.http, _ask(world).url)
    t1 = time.perf_counter()
    prepared = prepare(citizen.wallet, citizen.ledger, request)
    assert prepared.decision.allowed and prepared.decision.grant is not None
    t2 = time.perf_counter()
    shown = citizen.wallet.present(
        prepared.credential.id, disclose=request.attributes, verifier_id=request.verifier,
        nonce=request.nonce, purpose=request.purpose.value, grant_id=prepared.decision.grant,
    )  # fmt: skip
    t3 = time.perf_counter()
    response = build_response(
        issuer=prepared.issuer, grant=prepared.decision.grant, presentation=shown
    )
    assert request.response_uri is not None
    answer = citizen.answers.post(
        request.response_uri, content=response.to_json(),
        headers={"content-type": "application/json"},
    )  # fmt: skip
    t4 = time.perf_counter()
    if answer.status_code != 200 or answer.json()["status"] != "accepted":
        raise RuntimeError(f"verification refused: {answer.text}")
    for part in answer.headers["server-timing"].split(", "):
        name, duration = part.split(";dur=")
        laps[name] = float(duration)
    for name, (a, b) in zip(PHASES, [(start, t1), (t1, t2), (t2, t3), (t3, t4)], strict=True):
        laps[name] = (b - a) * 1000
    return laps


def run_concurrent(citizens: list[Citizen], world: Services, each: int) -> dict[str, Any]:
    """Every citizen verifies `each` times, all at once; rate and per-phase medians."""
    results: list[dict[str, float]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(citizen: Citizen) -> None:
        try:
            for _ in range(each):
                laps = verify_once(citizen, world)
                with lock:
                    results.append(laps)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in citizens]
    cpu_before = _cpu(world)
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    cpu = {k: (v - cpu_before[k]) * 1000 / each / len(citizens) for k, v in _cpu(world).items()}
    if errors:
        raise errors[0]
    total = {k: sum(r[k] for r in results) for k in (*PHASES, *SERVER)}
    whole = sum(total[p] for p in PHASES)
    ledger = total["checks"] + total["issuer"] + total["consent"] + total["access"]
    shares = {
        "verify": total["presentation"] / whole,
        "ledger": ledger / whole,
        "prove": total["proof"] / whole,
        "HTTP+rest": 1 - (total["presentation"] + ledger + total["proof"]) / whole,
    }
    return {
        "wallets": len(citizens),
        "verifications": len(results),
        "per_second": len(results) / wall,
        "median_ms": {k: statistics.median(r[k] for r in results) for k in (*PHASES, *SERVER)},
        "median_total_ms": statistics.median(sum(r[p] for p in PHASES) for r in results),
        "shares": shares,
        "cpu_ms": cpu,
    }


def _cpu(world: Services) -> dict[str, float]:
    """CPU seconds so far of the ledger, the verifier and the wallets (this process)."""
    found = {name: _cpu_seconds(pid) for name, pid in world.pids.items()}
    return {**found, "wallets": time.process_time()}


def run(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cartera-bench-sessions-") as tmp:
        root = Path(tmp)
        home = root / "services"
        home.mkdir()
        with services(home) as world:
            citizens = [enrol(root, n, world) for n in range(8)]
            verify_once(citizens[0], world)  # warm both sides
            runs = [
                run_concurrent(citizens[:1], world, rounds),
                run_concurrent(citizens, world, max(2, rounds // 4)),
            ]
            for citizen in citizens:
                citizen.ledger.close()
                citizen.http.close()
                citizen.answers.close()
                citizen.wallet.close()
    return {"machine": machine(), "date": datetime.date.today().isoformat(), "runs": runs}


def render(result: dict[str, Any], console: Console) -> None:
    table = Table(title="Verifications end to end over loopback HTTP")
    for column in ("wallets", "done", "per s", "median ms"):
        table.add_column(column, justify="right")
    for share in result["runs"][0]["shares"]:
        table.add_column(f"% {share}", justify="right")
    for r in result["runs"]:
        table.add_row(
            str(r["wallets"]), str(r["verifications"]), f"{r['per_second']:.1f}",
            f"{r['median_total_ms']:.1f}", *(f"{100 * v:.0f}" for v in r["shares"].values()),
        )  # fmt: skip
    console.print(table)
    phases = Table(title="Median ms per phase (wallet side) and per check (verifier side)")
    phases.add_column("wallets", justify="right")
    for name in (*PHASES, *SERVER):
        phases.add_column(name, justify="right")
    for r in result["runs"]:
        m = r["median_ms"]
        phases.add_row(str(r["wallets"]), *(f"{m[k]:.2f}" for k in (*PHASES, *SERVER)))
    console.print(phases)
    cpu = Table(title="CPU ms per verification (user + system)")
    cpu.add_column("wallets", justify="right")
    for name in result["runs"][0]["cpu_ms"]:
        cpu.add_column(name, justify="right")
    for r in result["runs"]:
        cpu.add_row(str(r["wallets"]), *(f"{v:.1f}" for v in r["cpu_ms"].values()))
    console.print(cpu)
    console.print(f"machine: {result['machine']}  date: {result['date']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="verifications by one wallet")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)
    result = run(args.rounds)
    return emit(result, render, as_json=args.json)


if __name__ == "__main__":
    raise SystemExit(main())

"""Wallet benchmark: unlocking a vault, a consent grant's round trip to a local ledger, and
building a presentation of a 10-attribute credential; medians in milliseconds.

    .venv/bin/python bench/wallet.py            # rich table
    .venv/bin/python bench/wallet.py --json     # machine-readable

- unlock: `wallet.unlock` of a vault made with Argon2id MODERATE (the default for people)
  and, beside it, INTERACTIVE (tests): one Argon2id run plus the file checks of an unlock.
- grant round trip: what `cartera consent grant` does once the citizen said yes, against
  `cartera ledger serve` on 127.0.0.1 (SQLite, a separate process): sign the grant under
  the pseudonym, append it (the client checks the checkpoint signature, the inclusion
  proof and consistency with the last checkpoint), keep it with its receipt in the vault,
  advance the vault's checkpoint. Also the whole command in process (`consent grant
  --yes`: unlock with INTERACTIVE limits, ledger contact, verifier lookup, the above).
- presentation: `Wallet.present` (BBS proof with the per-verifier pseudonym, 10
  attributes, 5 disclosed, then the record sealed into the vault), and the proof alone
  (`attestations.credentials.present`).
"""

# ruff: noqa: E402  (imports follow the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file (wallet.py)
# would shadow the `wallet` package: take the folder off before importing anything else.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))  # for _common, after the packages it must not shadow

import argparse
import datetime
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from _common import emit, machine, machine_line, median_ms
from rich.console import Console
from rich.table import Table

from attestations.credentials import IssuerKey, issue, present
from attestations.schemas import Schema, Value
from ledger.client import LedgerClient
from ledger.note import SignerKey
from policies import (
    Ciphersuite,
    OrgKey,
    Purpose,
    SchemaRef,
    sign_consent_grant,
    sign_issuer_register,
    sign_request,
    sign_verifier_register,
    utc_seconds,
)
from wallet import KdfParams, LedgerReceipt, StoredCredential, Wallet, create, unlock

PASSPHRASE = "correct horse battery staple"
CARTERA = Path(sys.executable).with_name("cartera")
SCHEMA = Schema.create("bench", [(f"a{i}", "string") for i in range(1, 10)])  # + expiry = 10
DISCLOSE = ["a2", "a4", "a6", "a8"]  # + expiry = 5 disclosed
Op = Callable[[], object]


def now() -> datetime.datetime:
    return utc_seconds(datetime.datetime.now(datetime.UTC))


@contextmanager
def ledger_process(home: Path) -> Iterator[str]:
    """`cartera ledger serve` on a free loopback port, until the block ends."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "CARTERA_HOME": str(home)}
    log = (home / "serve.log").open("ab")
    process = subprocess.Popen(
        [str(CARTERA), "ledger", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ledger did not start: {(home / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def receive(wallet: Wallet, issuer: IssuerKey) -> StoredCredential:
    values: dict[str, Value] = {f"a{i}": f"value {i}" for i in range(1, 10)}
    values["expiry"] = datetime.date.today() + datetime.timedelta(days=365)
    request, state = wallet.credentials.begin(issuer.public_key(), SCHEMA)
    return wallet.credentials.receive(state, issue(issuer, SCHEMA, values, request))


def bench_unlock(root: Path, rounds: int) -> dict[str, float]:
    out = {}
    for name, kdf, n in (
        ("unlock (Argon2id moderate)", KdfParams.MODERATE, rounds),
        ("unlock (Argon2id interactive)", KdfParams.INTERACTIVE, rounds * 3),
    ):
        path = root / name.split("(")[1].split()[1].rstrip(")")
        create(path, PASSPHRASE, kdf=kdf).close()
        out[name] = median_ms(lambda p=path: unlock(p, PASSPHRASE).close(), n)  # type: ignore[misc]
    return out


def bench_presentation(wallet: Wallet, stored: StoredCredential, rounds: int) -> dict[str, float]:
    verifier = "did:web:bench.example"

    def build_and_keep() -> object:
        return wallet.present(stored.id, disclose=DISCLOSE, verifier_id=verifier,
                              nonce=os.urandom(16))  # fmt: skip

    def proof_only() -> object:
        return present(stored.credential, wallet.holder_secret, disclose=DISCLOSE,
                       verifier_id=verifier, nonce=os.urandom(16))  # fmt: skip

    return {
        "Wallet.present (10 attributes, 5 disclosed, kept)": median_ms(build_and_keep, rounds),
        "credentials.present (the proof alone)": median_ms(proof_only, rounds),
    }


def bench_grant(root: Path, wallet: Wallet, issuer: IssuerKey, rounds: int) -> dict[str, float]:
    ledger_home = root / "ledger-home"
    ledger_home.mkdir()
    with ledger_process(ledger_home) as url:
        key_text = (ledger_home / "ledger" / "operator.key").read_text().strip()
        log_key = SignerKey.from_text(key_text).verifier()
        issuer_org, verifier = OrgKey.generate(), OrgKey.generate()
        at = now()
        for entry in (
            sign_issuer_register(
                issuer_org, name="Bench issuer", public_key=issuer.public_key().to_bytes(),
                ciphersuite=Ciphersuite.SHA256,
                schemas=[SchemaRef(id=SCHEMA.schema_id, definition=SCHEMA)], valid_from=at,
                valid_until=at + datetime.timedelta(days=365), created_at=at,
            ),
            sign_verifier_register(verifier, name="Bench verifier",
                                   purposes=[Purpose.SERVICE_PROVISION],
                                   contact="bench@example.org", created_at=at),
        ):  # fmt: skip
            httpx.post(f"{url}/v1/entries", content=entry.to_json(),
                       headers={"content-type": "application/json"}).raise_for_status()  # fmt: skip
        secret = int.from_bytes(wallet.holder_secret.to_bytes(), "big")
        client = LedgerClient(url, log_key=log_key, origin=log_key.name)

        steps: dict[str, list[float]] = {"sign": [], "append": [], "keep": []}

        def step(name: str, start: float) -> float:
            end = time.perf_counter()
            steps[name].append((end - start) * 1e3)
            return end

        def round_trip() -> object:
            t, start = now(), time.perf_counter()
            grant = sign_consent_grant(
                secret, verifier=verifier.did, schema=SCHEMA.schema_id, attributes=DISCLOSE,
                predicates=[], purpose=Purpose.SERVICE_PROVISION, not_before=t,
                not_after=t + datetime.timedelta(days=1), created_at=t, max_uses=1,
            )  # fmt: skip
            start = step("sign", start)
            receipt = client.append(grant.to_json())
            start = step("append", start)
            with wallet.transaction():  # as `consent grant` keeps them: together
                kept_receipt = LedgerReceipt(receipt.index, receipt.note, receipt.proof)
                wallet.consents.add(grant, kept_receipt)
                kept = wallet.checkpoints.advance(receipt.note)
            step("keep", start)
            return kept

        with client:
            trip = median_ms(round_trip, rounds, warmup=3)
        parts = {f"  {name}": statistics.median(samples[3:]) for name, samples in steps.items()}
        command = bench_grant_command(root, issuer, issuer_org, verifier, url,
                                      log_key.to_text(), max(3, rounds // 3))  # fmt: skip
    parts = {
        "  sign (Schnorr under the pseudonym)": parts["  sign"],
        "  append (HTTP, ledger commit, checkpoint and proof checked)": parts["  append"],
        "  keep (receipt checked, sealed with the checkpoint)": parts["  keep"],
    }
    return {"grant round trip (sign, append, verify, keep)": trip, **parts, **command}


def bench_grant_command(
    root: Path,
    issuer: IssuerKey,
    issuer_org: OrgKey,
    verifier: OrgKey,
    url: str,
    log_key: str,
    rounds: int,
) -> dict[str, float]:
    from typer.testing import CliRunner

    from cli.main import app

    home = root / "cli-home"
    with create(home / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE) as wallet:
        receive(wallet, issuer)
    runner = CliRunner()
    env = {"CARTERA_HOME": str(home), "CARTERA_PASSPHRASE": PASSPHRASE,
           "CARTERA_LEDGER_URL": url, "CARTERA_LEDGER_LOG_KEY": log_key}  # fmt: skip

    def command() -> object:
        t = now()
        request = sign_request(
            verifier, schema=SCHEMA.schema_id, attributes=DISCLOSE, predicates=[],
            purpose=Purpose.SERVICE_PROVISION, nonce=os.urandom(16),
            trusted_issuers=[issuer_org.did], created_at=t,
            expires_at=t + datetime.timedelta(minutes=5),
        )  # fmt: skip
        path = root / "request.json"
        path.write_bytes(request.to_json())
        result = runner.invoke(app, ["consent", "grant", str(path), "--yes"], env=env)
        if result.exit_code != 0:
            raise RuntimeError(f"consent grant failed: {result.output}")
        return result

    return {"cartera consent grant --yes (in process, interactive KDF)": median_ms(command, rounds)}


def run(rounds: int) -> dict[str, Any]:
    medians: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="cartera-bench-") as tmp:
        root = Path(tmp)
        medians |= bench_unlock(root, max(3, rounds // 6))
        with create(root / "wallet", PASSPHRASE, kdf=KdfParams.INTERACTIVE) as wallet:
            issuer = IssuerKey.generate()
            stored = receive(wallet, issuer)
            medians |= bench_presentation(wallet, stored, rounds)
            medians |= bench_grant(root, wallet, issuer, rounds)
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rounds": rounds,
        "medians_ms": medians,
    }


def render(result: dict[str, Any], console: Console) -> None:
    table = Table(title="Wallet: median ms (lower is better)")
    table.add_column("operation")
    table.add_column("median ms", justify="right")
    for name, value in result["medians_ms"].items():
        table.add_row(name, f"{value:.2f}")
    console.print(table)
    console.print(f"{machine_line(result)}, rounds {result['rounds']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--rounds", type=int, default=30, help="rounds of the fast operations")
    args = parser.parse_args(argv)
    result = run(args.rounds)
    return emit(result, render, as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())

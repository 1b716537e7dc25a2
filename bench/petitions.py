"""Petition benchmark: how fast the ledger takes anonymous signatures, beside the floor.

    .venv/bin/python bench/petitions.py            # rich table
    .venv/bin/python bench/petitions.py --json     # machine-readable

In-process, SQLite in a temporary directory, with the service's hooks (`Rules.validate`
in the caller's thread, `Rules.apply_batch` in the sequencer), no worker processes. Two
petitions of the `resident` schema: one asking "aged 16 or more" (a date range) and
"district in {Gràcia, Sants-Montjuïc}" (a 2-member set), one asking nothing but a valid
credential. For each, every signature is a different citizen's real presentation, built
before any timing starts, and four figures are medians over the same signatures:

- `verify_presentation`: `attestations.credentials.verify_presentation` on the parsed
  presentation alone, the floor no ledger can go under;
- `validate`: the ledger's stateless checks of the bytes, the presentation verified
  against the known petition (`Rules.validate`);
- `append`: `Sequencer.append` from one caller, what one citizen waits for: validate,
  then the batch transaction (the state rules, one fsync, a signed checkpoint);
- `append, 4 threads`: wall time per signature with four callers at once (the GIL keeps
  validation serial in one process: the service's worker processes are what spread it);
- `audit`, `audit, 2 workers`: `ledger.audit.replay` of the whole log (the signatures
  are most of it) per signature, checking in this process, then in two worker processes.
"""

# ruff: noqa: E402  (imports follow the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/ledger.py and
# bench/wallet.py would shadow the packages: take the folder off, then put it last.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))  # for _common, after the packages it must not shadow

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from _common import machine
from rich.console import Console
from rich.table import Table

from attestations.credentials import (
    HolderSecret,
    IssuerKey,
    begin_issuance,
    finish_issuance,
    issue,
    present,
    verify_presentation,
)
from attestations.schemas import Schema
from ledger import state
from ledger.audit import replay
from ledger.db import make_engine
from ledger.note import SignerKey
from ledger.petitions import NONCE_BYTES, PetitionTerms, signature_statements
from ledger.rules import Rules
from ledger.sequencer import Sequencer
from ledger.storage import LedgerStore
from policies import (
    AtMost,
    Ciphersuite,
    MemberOf,
    OrgKey,
    PetitionOpen,
    PetitionSign,
    Predicate,
    SchemaRef,
    build_petition_sign,
    sign_issuer_register,
    sign_petition_open,
)

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
SCHEMA = Schema.create(
    "resident", [("birthdate", "date"), ("district", "string"), ("postal_code", "string")]
)
VALUES = {"expiry": date(2027, 12, 31), "birthdate": date(1990, 5, 17), "district": "Gràcia",
          "postal_code": "08012"}  # fmt: skip
CASES: dict[str, list[Predicate]] = {
    "age + set": [
        AtMost(attribute="birthdate", op="<=", value=date(2009, 3, 1)),
        MemberOf(attribute="district", op="in", value=("Gràcia", "Sants-Montjuïc")),
    ],
    "no predicate": [],
}


class Clock:
    def __call__(self) -> datetime:
        return T0


def signatures(bbs: IssuerKey, issuer: str, petition: PetitionOpen, n: int) -> list[PetitionSign]:
    """`n` citizens' signatures, each a fresh credential and a real presentation."""
    found = []
    for _ in range(n):
        secret = HolderSecret.generate()
        request, held = begin_issuance(secret, bbs.public_key(), SCHEMA)
        credential = finish_issuance(held, issue(bbs, SCHEMA, VALUES, request, now=T0))
        shown = present(
            credential, secret, disclose=[], verifier_id=petition.id,
            nonce=os.urandom(NONCE_BYTES),
            predicates=signature_statements(petition.eligibility, T0),
        )  # fmt: skip
        found.append(build_petition_sign(petition, issuer=issuer, presentation=shown,
                                         created_at=T0))  # fmt: skip
    return found


def timed(fn: Any, items: list[Any]) -> float:
    """Median milliseconds of `fn(item)` over `items`."""
    samples = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def run_case(name: str, predicates: list[Predicate], n: int, workdir: Path) -> dict[str, float]:
    bbs, issuer, organiser = IssuerKey.generate(), OrgKey.generate(), OrgKey.generate()
    register = sign_issuer_register(
        issuer, name="Padró", public_key=bbs.public_key().to_bytes(),
        ciphersuite=Ciphersuite.SHA256, schemas=[SchemaRef(id=SCHEMA.schema_id, definition=SCHEMA)],
        valid_from=T0, valid_until=T0 + timedelta(days=365), created_at=T0,
    )  # fmt: skip
    petition = sign_petition_open(
        organiser, title=f"Bench: {name}", text="More trees.", issuers=[issuer.did],
        schema=SCHEMA, attributes=[], predicates=predicates, closes_at=T0 + timedelta(days=30),
        created_at=T0,
    )  # fmt: skip
    signs = signatures(bbs, issuer.did, petition, 3 * n)
    one, four, checked = signs[:n], signs[n : 2 * n], signs[2 * n :]
    terms = PetitionTerms.of(petition)

    def floor(sign: PetitionSign) -> None:
        shown = sign.presentation
        verify_presentation(shown, shown.issuer, SCHEMA, verifier_id=petition.id,
                            nonce=shown.nonce, now=T0,
                            predicates=signature_statements(terms.eligibility, T0))  # fmt: skip

    url = f"sqlite:///{workdir / f'{len(predicates)}.db'}"
    engine = make_engine(url)
    state.create_tables(engine)
    rules = Rules(clock=Clock())
    result: dict[str, float] = {"floor": timed(floor, checked)}
    store, signer = LedgerStore(engine), SignerKey.generate("bench")
    with Sequencer(store, signer=signer, origin="bench", validate=rules.validate,
                   apply_batch=rules.apply_batch) as sequencer:  # fmt: skip
        sequencer.append(register.to_json())
        sequencer.append(petition.to_json())
        result["validate"] = timed(lambda s: rules.validate(s.to_json()), checked)
        result["append"] = timed(lambda s: sequencer.append(s.to_json()), one)
        start = time.perf_counter()
        threads = [threading.Thread(target=lambda part=four[i::4]: [sequencer.append(s.to_json())
                                                                    for s in part])
                   for i in range(4)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        result["append, 4 threads"] = (time.perf_counter() - start) * 1e3 / len(four)
        size = store.size()
    engine.dispose()
    for label, workers in (("audit", 0), ("audit, 2 workers", 2)):
        start = time.perf_counter()
        report = replay(url, log_key=signer.verifier(), origin="bench", workers=workers,
                        max_skew=None)  # fmt: skip
        result[label] = (time.perf_counter() - start) * 1e3 / (2 * n)
        assert report.clean and report.state.petitions[0].signatures == 2 * n, report.violations
    assert size == 2 + 2 * n, f"{size} entries logged, want {2 + 2 * n}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signatures", type=int, default=30, help="per figure [30]")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cartera-bench-petitions-") as workdir:
        medians = {name: run_case(name, predicates, args.signatures, Path(workdir))
                   for name, predicates in CASES.items()}  # fmt: skip
    result = {"machine": machine(), "signatures": args.signatures, "median_ms": medians}
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    table = Table(title="Petition signatures, in-process, SQLite: median ms per signature")
    table.add_column("petition asks")
    columns = ("floor", "validate", "append", "append, 4 threads", "audit", "audit, 2 workers")
    for column in columns:
        table.add_column("verify_presentation (floor)" if column == "floor" else column,
                         justify="right")  # fmt: skip
    for name, m in medians.items():
        table.add_row(name, *(f"{m[k]:.2f}" for k in columns))
    console = Console()
    console.print(table)
    console.print(f"machine: {result['machine']}")


if __name__ == "__main__":
    main()

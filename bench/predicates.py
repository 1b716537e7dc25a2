"""Predicate benchmark: a presentation proving "at least 18" on a birthdate and "district in
a set of 10", beside the plain presentation of the same credential, with sizes; and the
argument alone beside the floor of the logarithmic-size Bulletproof it replaces.

    .venv/bin/python bench/predicates.py            # rich tables
    .venv/bin/python bench/predicates.py --json     # machine-readable

The credential has 10 attributes (expiry + 9); every presentation discloses `expiry` only,
so the plain one is a BBS proof with 10 hidden messages and the pseudonym. `verify` starts
from the JSON bytes (`Presentation.from_json`, which decodes every point) in every case.

The Bulletproof floor is what any verifier of an inner-product-compressed proof of the
same statement must do with this library: decode its 4 + 2·log2(N') points (N' = N
rounded up to a power of two) and compute one multi-scalar multiplication of
2N' + 2·log2(N') + 7 points; the prover's floor is the cheaper of the two ways to compute
the inner-product rounds (fold the generators point by point, or two N' + 1 point
multiplications per round), on top of the commitments A, S, T1, T2 that both provers
share. Operations are timed round-robin (one call of each per round) and reported as
medians, as in bench/credentials.py.
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import sys
from collections.abc import Callable
from typing import Any

from _common import emit, machine, machine_line
from credentials import measure  # bench/credentials.py, beside this file
from rich.console import Console
from rich.table import Table

from attestations.credentials import (
    HolderSecret,
    IssuerKey,
    Member,
    Presentation,
    begin_issuance,
    finish_issuance,
    issue,
    present,
    verify_presentation,
)
from attestations.credentials._common import map_string
from attestations.curve import R, get_backend
from attestations.predicates import Predicate, minimum_age
from attestations.predicates.argument import (
    bit_proof_to_octets,
    octets_to_bit_proof,
    prove,
    verify,
)
from attestations.predicates.generators import pedersen_generators
from attestations.predicates.linked import argument_context
from attestations.predicates.relations import relation, witness
from attestations.schemas import Schema

Op = Callable[[], object]
SCHEMA = Schema.create(
    "resident",
    [
        ("given_name", "string"),
        ("family_name", "string"),
        ("birthdate", "date"),
        ("district", "string"),
        ("postcode", "integer"),
        ("street", "string"),
        ("nationality", "string"),
        ("household", "integer"),
        ("registered", "date"),
    ],
)
DISTRICTS = [
    "Ciutat Vella",
    "Eixample",
    "Sants-Montjuïc",
    "Les Corts",
    "Sarrià-Sant Gervasi",
    "Gràcia",
    "Horta-Guinardó",
    "Nou Barris",
    "Sant Andreu",
    "Sant Martí",
]
CASES: dict[str, list[Predicate]] = {
    "plain": [],
    "age ≥ 18": [minimum_age("birthdate", 18)],
    "district ∈ 10": [Member("district", DISTRICTS)],
    "both": [minimum_age("birthdate", 18), Member("district", DISTRICTS)],
}


def presentation_ops() -> tuple[dict[str, Op], dict[str, int]]:
    """present / verify_presentation per case, and each presentation's JSON size."""
    values: dict[str, Any] = {
        "expiry": datetime.date.today() + datetime.timedelta(days=30),
        "given_name": "Mercè",
        "family_name": "Rodoreda",
        "birthdate": datetime.date(1990, 6, 15),
        "district": "Gràcia",
        "postcode": 8012,
        "street": "Carrer de Verdi",
        "nationality": "ES",
        "household": 3,
        "registered": datetime.date(2015, 3, 1),
    }
    issuer, holder = IssuerKey.generate(), HolderSecret.generate()
    request, state = begin_issuance(holder, issuer.public_key(), SCHEMA)
    credential = finish_issuance(state, issue(issuer, SCHEMA, values, request))
    public, verifier, nonce = issuer.public_key(), "did:web:bench.example", os.urandom(16)
    ops: dict[str, Op] = {}
    sizes: dict[str, int] = {}
    for case, asked in CASES.items():
        wire = present(
            credential, holder, disclose=[], predicates=asked, verifier_id=verifier, nonce=nonce
        ).to_json()
        sizes[case] = len(wire)
        ops[f"present/{case}"] = lambda asked=asked: present(
            credential, holder, disclose=[], predicates=asked, verifier_id=verifier, nonce=nonce
        )
        # From the bytes a verifier receives: parsing decodes the predicates' points.
        ops[f"verify/{case}"] = lambda wire=wire, asked=asked: verify_presentation(
            Presentation.from_json(wire),
            public,
            SCHEMA,
            verifier_id=verifier,
            nonce=nonce,
            predicates=asked,
        )
    return ops, sizes


def argument_ops(case: str, predicate: Predicate) -> tuple[dict[str, Op], dict[str, int]]:
    """Decode + verify of our argument, and the floors of a compressed Bulletproof."""
    backend = get_backend()
    values: dict[str, Any] = {"birthdate": datetime.date(1990, 6, 15), "district": "Gràcia"}
    rel = relation(predicate, SCHEMA, map_string)
    n, rounds = rel.bits, (rel.bits - 1).bit_length()
    padded = 1 << rounds
    gens = pedersen_generators(padded, backend)
    m = SCHEMA.to_message(predicate.attribute, values[predicate.attribute], map_string)
    gamma = secrets.randbelow(R)
    v = backend.g1_msm([gens.g, gens.h], [m, gamma])
    context = argument_context(b"bench", predicate)
    proof = prove(
        rel,
        witness(predicate, m, rel),
        gamma,
        v,
        context,
        random_scalars=[secrets.randbelow(R) for _ in range(4 + 2 * n)],
        backend=backend,
    )
    octets = bit_proof_to_octets(proof)
    # The compressed proof's points and verification multiplication, on real points.
    bp_points = [p.to_bytes() for p in (*gens.G, *gens.H)][: 4 + 2 * rounds]
    msm_points = [*gens.G, *gens.H, *gens.G[: 2 * rounds + 7]]
    msm_scalars = [secrets.randbelow(R) for _ in msm_points]

    def bp_verify_floor() -> bool:
        for data in bp_points:
            backend.g1_from_bytes(data)
        return backend.g1_msm(msm_points, msm_scalars).is_identity()

    def fold_rounds() -> None:
        """Each round: L and R over the current halves, then fold G and H pairwise."""
        size = padded
        while size > 1:
            half = size // 2
            for _ in range(2):
                backend.g1_msm(gens.G[:size], msm_scalars[:size])
            for i in range(size):  # half of G and half of H, each a 2-point combination
                backend.g1_msm([gens.G[i % half], gens.H[i % half]], msm_scalars[:2])
            size = half

    def original_rounds() -> None:
        """Each round: L and R as (N' + 1)-point multiplications over the original vectors."""
        for _ in range(2 * rounds):
            backend.g1_msm(msm_points[: padded + 1], msm_scalars[: padded + 1])

    ops: dict[str, Op] = {
        f"argument/{case}/verify": lambda: verify(
            rel, octets_to_bit_proof(octets, n, backend), v, context, backend=backend
        ),
        f"bp-floor/{case}/verify": bp_verify_floor,
        f"bp-floor/{case}/rounds-fold": fold_rounds,
        f"bp-floor/{case}/rounds-original": original_rounds,
    }
    sizes = {
        f"argument/{case}": len(octets),
        f"bp/{case}": 48 * (4 + 2 * rounds) + 32 * 5,
        f"bits/{case}": n,
        f"padded/{case}": padded,
    }
    return ops, sizes


def run(rounds: int) -> dict[str, Any]:
    ops, sizes = presentation_ops()
    for case, predicate in (("age", CASES["age ≥ 18"][0]), ("set", CASES["district ∈ 10"][0])):
        more, more_sizes = argument_ops(case, predicate)
        ops |= more
        sizes |= more_sizes
    medians = measure(ops, rounds)
    for case in ("age", "set"):
        fold, orig = (medians.pop(f"bp-floor/{case}/rounds-{k}") for k in ("fold", "original"))
        medians[f"bp-floor/{case}/ipa-prover"] = min(fold, orig)
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rounds": rounds,
        "medians_ms": medians,
        "sizes_bytes": sizes,
        "ratios": _ratios(medians),
    }


def _ratios(m: dict[str, float]) -> dict[str, dict[str, float | bool]]:
    """Each case against the plain presentation; the goal: a predicate adds at most 2x the
    plain cost, i.e. total / plain ≤ 3 (also shown: whether total / plain ≤ 2)."""
    out: dict[str, dict[str, float | bool]] = {}
    for op in ("present", "verify"):
        plain = m[f"{op}/plain"]
        for case in CASES:
            if case != "plain":
                ratio = m[f"{op}/{case}"] / plain
                out[f"{op}/{case}"] = {"ratio": ratio, "added": ratio - 1, "met": ratio - 1 <= 2}
    return out


def render(result: dict[str, Any], console: Console) -> None:
    m, sizes, ratios = result["medians_ms"], result["sizes_bytes"], result["ratios"]
    table = Table(title="Presentations (10 attributes, expiry disclosed): median ms")
    for col in ("case", "present", "verify", "JSON bytes", "present ×", "verify ×"):
        table.add_column(col, justify="left" if col == "case" else "right")
    for case in CASES:
        cells = [f"{m[f'present/{case}']:.3f}", f"{m[f'verify/{case}']:.3f}", str(sizes[case])]
        times = ["1.00" if case == "plain" else f"{ratios[f'{op}/{case}']['ratio']:.2f}"
                 for op in ("present", "verify")]  # fmt: skip
        table.add_row(case, *cells, *times)
    console.print(table)
    args = Table(title="Argument vs. compressed Bulletproof floor (ms, bytes)")
    for col in ("statement", "N (N')", "verify", "BP verify floor", "BP rounds floor",
                "bytes", "BP bytes"):  # fmt: skip
        args.add_column(col, justify="left" if col == "statement" else "right")
    for case in ("age", "set"):
        args.add_row(
            case,
            f"{sizes[f'bits/{case}']} ({sizes[f'padded/{case}']})",
            f"{m[f'argument/{case}/verify']:.3f}",
            f"{m[f'bp-floor/{case}/verify']:.3f}",
            f"+{m[f'bp-floor/{case}/ipa-prover']:.3f}",
            str(sizes[f"argument/{case}"]),
            str(sizes[f"bp/{case}"]),
        )
    console.print(args)
    goal = Table(title="Goal: a predicate adds at most 2x the plain presentation")
    for col in ("op/case", "total ×", "added ×", "met"):
        goal.add_column(col)
    for label, r in ratios.items():
        met = "[green]yes[/]" if r["met"] else "[red]no[/]"
        goal.add_row(label, f"{r['ratio']:.2f}", f"{r['added']:.2f}", met)
    console.print(goal)
    console.print(f"{machine_line(result)}, rounds {result['rounds']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--rounds", type=int, default=40, help="rounds of each operation")
    args = parser.parse_args(argv)
    result = run(args.rounds)
    return emit(result, render, as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())

"""Credential benchmark: BBS sign / proof_gen / proof_verify (10 messages, 5 disclosed) on
both curve backends, beside the floor a verification cannot avoid and the peers a user
would otherwise pick (ursa-bbs-signatures, anoncreds), all measured in the same run.

    .venv/bin/python bench/credentials.py            # rich table
    .venv/bin/python bench/credentials.py --json     # machine-readable

The floor is what any BBS proof verification with these sizes must compute: the two
multi-scalar multiplications of ProofVerifyInit (T1 over 3 points, T2 over L + 3 = 13)
and the two-pairing product check, on the same points. Operations are timed round-robin
(one call of each per round) so that load from other processes hits all of them alike;
figures are medians.
"""

from __future__ import annotations

import argparse
import datetime
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import emit, machine, machine_line
from rich.console import Console
from rich.table import Table

from attestations.bbs import SHA256, key_gen, proof_gen, proof_verify, sign, sk_to_pk
from attestations.bbs.serialization import octets_to_proof
from attestations.bbs.utilities import create_generators
from attestations.curve import R

MESSAGES = [f"attribute value {i}".encode() for i in range(10)]
DISCLOSED = [0, 2, 4, 6, 8]
HEADER, PH = b"cartera-bench-header", b"cartera-bench-nonce"
Op = Callable[[], object]
_BESIDE_PYECC = "arkworks/proof_verify beside py-ecc"


def bbs_ops(backend: str) -> dict[str, Op]:
    """sign, proof_gen, proof_verify and their floor on one backend."""
    suite = SHA256.with_backend(backend)
    curve = suite.curve
    sk = key_gen(secrets.token_bytes(32), suite=suite)
    pk = sk_to_pk(sk, suite=suite)
    sig = sign(sk, pk, HEADER, MESSAGES, suite=suite)
    proof = proof_gen(pk, sig, HEADER, PH, MESSAGES, DISCLOSED, suite=suite)
    shown = [MESSAGES[i] for i in DISCLOSED]
    assert proof_verify(pk, proof, HEADER, PH, shown, DISCLOSED, suite=suite)
    # The floor, on the proof's own points and full-size scalars.
    decoded = octets_to_proof(proof, suite)
    gens = create_generators(len(MESSAGES) + 1, suite.api_id, suite)
    t2_points = [suite.P1, gens.Q_1, decoded.D, *gens.H]
    t1_points = [decoded.Bbar, decoded.Abar, decoded.D]
    t2_scalars = [secrets.randbelow(R) for _ in t2_points]
    t1_scalars = [secrets.randbelow(R) for _ in t1_points]
    w = curve.g2_from_bytes(pk)

    def floor() -> bool:
        curve.g1_msm(t1_points, t1_scalars)
        curve.g1_msm(t2_points, t2_scalars)
        return curve.pairing_check([(decoded.Abar, w), (decoded.Bbar, -suite.BP2)])

    return {
        "sign": lambda: sign(sk, pk, HEADER, MESSAGES, suite=suite),
        "proof_gen": lambda: proof_gen(pk, sig, HEADER, PH, MESSAGES, DISCLOSED, suite=suite),
        "proof_verify": lambda: proof_verify(pk, proof, HEADER, PH, shown, DISCLOSED, suite=suite),
        "floor": floor,
    }


def credential_ops() -> dict[str, Op]:
    """The recipe layer on the default backend: a schema of 10 attributes (expiry + 9),
    5 disclosed (expiry + 4), with the per-verifier pseudonym."""
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

    schema = Schema.create("bench", [(f"a{i}", "string") for i in range(1, 10)])
    values: dict[str, Any] = {f"a{i}": f"value {i}" for i in range(1, 10)}
    values["expiry"] = datetime.date.today() + datetime.timedelta(days=30)
    issuer, holder = IssuerKey.generate(), HolderSecret.generate()
    request, state = begin_issuance(holder, issuer.public_key(), schema)
    credential = finish_issuance(state, issue(issuer, schema, values, request))
    nonce, verifier, shown = os.urandom(16), "did:web:bench.example", ["a2", "a4", "a6", "a8"]
    presentation = present(credential, holder, disclose=shown, verifier_id=verifier, nonce=nonce)
    public = issuer.public_key()
    return {
        "issue (blind)": lambda: issue(issuer, schema, values, request),
        "present": lambda: present(
            credential, holder, disclose=shown, verifier_id=verifier, nonce=nonce
        ),
        "verify_presentation": lambda: verify_presentation(
            presentation, public, schema, verifier_id=verifier, nonce=nonce
        ),
    }


def ursa_ops() -> dict[str, Op]:
    """ursa-bbs-signatures (BBS+ over BLS12-381, Rust): 10 messages, 5 revealed."""
    import ursa_bbs_signatures as ursa

    texts = [m.decode() for m in MESSAGES]
    pair = ursa.BlsKeyPair.generate_g2()
    key = pair.get_bbs_key(message_count=len(texts))
    sig = ursa.sign(ursa.SignRequest(pair, texts))
    kinds = ursa.ProofMessageType
    to_prove = [
        ursa.ProofMessage(
            m, kinds.Revealed if i in DISCLOSED else kinds.HiddenProofSpecificBlinding
        )
        for i, m in enumerate(texts)
    ]
    proof = ursa.create_proof(ursa.CreateProofRequest(key, to_prove, sig, PH))
    revealed = [texts[i] for i in DISCLOSED]
    verify_request = ursa.VerifyProofRequest(key, proof, revealed, PH)
    if ursa.verify_proof(verify_request) is not True:
        raise RuntimeError("ursa-bbs-signatures: its own proof did not verify")
    return {
        "sign": lambda: ursa.sign(ursa.SignRequest(pair, texts)),
        "proof_gen": lambda: ursa.create_proof(ursa.CreateProofRequest(key, to_prove, sig, PH)),
        "proof_verify": lambda: ursa.verify_proof(verify_request),
    }


def anoncreds_ops() -> dict[str, Op]:
    """anoncreds (Hyperledger AnonCreds, CL signatures, Rust): a credential of 10
    attributes, a presentation revealing 5."""
    import anoncreds as ac

    issuer = "did:web:issuer.example"
    names = [f"a{i}" for i in range(10)]
    schema_id, cred_def_id = f"{issuer}/schema/bench", f"{issuer}/creddef/bench"
    schema = ac.Schema.create("bench", "1.0", issuer, names)
    cred_def, cred_def_private, key_proof = ac.CredentialDefinition.create(
        schema_id, schema, issuer, "bench", "CL", support_revocation=False
    )
    offer = ac.CredentialOffer.create(schema_id, cred_def_id, key_proof)
    link_secret = ac.create_link_secret()
    request, metadata = ac.CredentialRequest.create(
        "bench-holder-entropy", None, cred_def, link_secret, "default", offer
    )
    raw = {n: f"value {n}" for n in names}
    credential = ac.Credential.create(cred_def, cred_def_private, offer, request, raw)
    credential = credential.process(metadata, link_secret, cred_def, None)
    wanted = {f"r{i}": {"name": names[i]} for i in DISCLOSED}
    pres_req = ac.PresentationRequest.load(
        {
            "nonce": ac.generate_nonce(),
            "name": "bench",
            "version": "1.0",
            "requested_attributes": wanted,
            "requested_predicates": {},
        }
    )
    chosen = ac.PresentCredentials()
    for referent in wanted:
        chosen.add_attributes(credential, referent, reveal=True)
    schemas, cred_defs = {schema_id: schema}, {cred_def_id: cred_def}

    def create() -> Any:
        return ac.Presentation.create(pres_req, chosen, {}, link_secret, schemas, cred_defs)

    presentation = create()
    if presentation.verify(pres_req, schemas, cred_defs) is not True:
        raise RuntimeError("anoncreds: its own presentation did not verify")
    return {
        "proof_gen": create,
        "proof_verify": lambda: presentation.verify(pres_req, schemas, cred_defs),
    }


def measure(ops: dict[str, Op], rounds: int) -> dict[str, float]:
    """Median milliseconds per op, round-robin over `rounds` rounds after one warm-up."""
    for op in ops.values():
        op()
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(rounds):
        for name, op in ops.items():
            start = time.perf_counter()
            op()
            samples[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(xs) for name, xs in samples.items()}


def _try(setup: Callable[[], dict[str, Op]]) -> tuple[dict[str, Op], str | None]:
    try:
        return setup(), None
    except Exception as exc:  # a peer that cannot be installed or run is reported, not fatal
        return {}, f"{type(exc).__name__}: {exc}"


def run(rounds: int, slow_rounds: int) -> dict[str, Any]:
    groups: dict[str, dict[str, Op]] = {}
    errors: dict[str, str] = {}
    for name, setup in (
        ("arkworks", lambda: bbs_ops("arkworks")),
        ("credentials", credential_ops),
        ("ursa-bbs-signatures", ursa_ops),
        ("anoncreds", anoncreds_ops),
    ):
        ops, error = _try(setup)
        if error:
            errors[name] = error
        groups[name] = ops
    # The fast group is timed round-robin together; py-ecc separately, with few rounds.
    fast = {f"{g}/{op}": fn for g, ops in groups.items() for op, fn in ops.items()}
    medians = measure(fast, rounds)
    # py-ecc with few rounds, interleaved with the native proof_verify it is compared to.
    pyecc, error = _try(lambda: bbs_ops("pyecc"))
    if error:
        errors["pyecc"] = error
    slow = {f"pyecc/{op}": fn for op, fn in pyecc.items()}
    if pyecc and "proof_verify" in groups["arkworks"]:
        slow[_BESIDE_PYECC] = groups["arkworks"]["proof_verify"]
    medians |= measure(slow, slow_rounds)
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "rounds": {"native": rounds, "pyecc": slow_rounds},
        "medians_ms": medians,
        "ratios": _ratios(medians),
        "errors": errors,
    }


def _ratios(m: dict[str, float]) -> dict[str, dict[str, float | bool]]:
    verify = m.get("arkworks/proof_verify")
    if verify is None:
        return {}
    goals = {
        "proof_verify / floor": ("arkworks/floor", 1.5, False),
        "ursa-bbs-signatures / native": ("ursa-bbs-signatures/proof_verify", 3.0, True),
        "anoncreds / native": ("anoncreds/proof_verify", 15.0, True),
        "py-ecc / native": ("pyecc/proof_verify", 100.0, True),
    }
    out: dict[str, dict[str, float | bool]] = {}
    for label, (key, goal, at_least) in goals.items():
        if key in m:
            native = m.get(_BESIDE_PYECC, verify) if key.startswith("pyecc/") else verify
            ratio = m[key] / native if at_least else native / m[key]
            met = ratio >= goal if at_least else ratio <= goal
            out[label] = {"ratio": ratio, "goal": goal, "met": met}
    return out


def render(result: dict[str, Any], console: Console) -> None:
    m = result["medians_ms"]
    table = Table(title="BBS, 10 messages, 5 disclosed: median ms (lower is better)")
    table.add_column("implementation")
    for op in ("sign", "proof_gen", "proof_verify", "floor"):
        table.add_column(op, justify="right")
    for group in ("arkworks", "pyecc", "ursa-bbs-signatures", "anoncreds"):
        cells = [
            f"{m[f'{group}/{op}']:.3f}" if f"{group}/{op}" in m else "—"
            for op in ("sign", "proof_gen", "proof_verify", "floor")
        ]
        table.add_row(group, *cells)
    console.print(table)
    recipes = Table(title="Credential recipes (arkworks; 10 attributes, 5 disclosed, pseudonym)")
    for op in ("issue (blind)", "present", "verify_presentation"):
        recipes.add_column(op, justify="right")
    recipes.add_row(
        *(
            f"{m.get(f'credentials/{op}', float('nan')):.3f}"
            for op in ("issue (blind)", "present", "verify_presentation")
        )
    )
    console.print(recipes)
    goals = Table(title="Ratios (proof_verify)")
    for col in ("comparison", "ratio", "goal", "met"):
        goals.add_column(col)
    for label, r in result["ratios"].items():
        sign_ = "≤" if label.startswith("proof_verify") else "≥"
        met = "[green]yes[/]" if r["met"] else "[red]no[/]"
        goals.add_row(label, f"{r['ratio']:.2f}x", f"{sign_} {r['goal']}x", met)
    console.print(goals)
    for name, error in result["errors"].items():
        console.print(f"[yellow]{name} not measured:[/] {error}")
    console.print(f"{machine_line(result)}, rounds {result['rounds']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--rounds", type=int, default=60, help="rounds of the native ops")
    parser.add_argument("--slow-rounds", type=int, default=3, help="rounds of py-ecc ops")
    args = parser.parse_args(argv)
    result = run(args.rounds, args.slow_rounds)
    return emit(result, render, as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())

"""A zero-knowledge argument that committed bits satisfy linear constraints with a
committed value: the engine of range and set-membership predicates.

LOW LEVEL (like `attestations.bbs`): it proves what a `Relation` says, nothing more; the
recipes in `attestations.credentials` choose the relations. Statement: V = m·g + γ·h and
bits a ∈ {0,1}^N with <a, w_q> = α_q·m + β_q (mod r) for every constraint q.

This is the range argument of Bulletproofs (Bünz, Bootle, Boneh, Poelstra, Wuille, Maxwell,
IEEE S&P 2018, §4.1 and its aggregation §4.3), with two departures:

- the constraint <a, 2^n> = v is generalised to any linear constraints on the bits and the
  committed value, a special case of the paper's arithmetic-circuit protocol (§5, with
  a_L ∘ a_R = 0 and no output wires), whose soundness argument it follows: the identity
  z²<a_L, w_1> + z³<a_L, w_2> + z<a_L − a_R − 1, y^N> + <a_L, a_R ∘ y^N> = Σ z^(2+q) v_q,
  holding for random y, z, forces a_L ∘ a_R = 0, a_R = a_L − 1 (bits) and each constraint;
- the vectors l = l(x), r = r(x) are sent in the clear (the paper's first protocol) instead
  of being compressed by the inner-product argument. That costs 2N scalars of size but,
  with this backend, is faster to prove and to verify than the logarithmic proof (whose
  2·log2(N) extra points must each be decoded and whose prover folds generators point by
  point); docs/performance.md has the measurements. l and r are uniformly distributed
  (blinded by s_L, s_R), so the argument stays perfectly honest-verifier zero-knowledge.

Fiat–Shamir: challenges y, z (after A, S), x (after T1, T2) hash a statement digest of the
caller's `context`, the relation and V; verification is one multi-scalar multiplication of
2N + 7 points, the two checks of §4.2 combined with a weight e hashed from everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from attestations.bbs.serialization import i2osp, os2ip, scalar_octets
from attestations.curve import G1, CurveBackend, R, check_scalar
from attestations.curve.hash_to_curve import expand_message_xmd
from attestations.errors import DecodeError
from attestations.predicates.generators import pedersen_generators
from attestations.predicates.relations import Relation

__all__ = [
    "CHALLENGE_DST",
    "BitProof",
    "bit_proof_to_octets",
    "octets_to_bit_proof",
    "prove",
    "verify",
]

#: Domain separation tag of the argument's challenges (expand_message_xmd, SHA-256).
CHALLENGE_DST = b"CARTERA-V1-PREDICATE-CHALLENGE_XMD:SHA-256"
_POINT, _SCALAR = 48, 32


class BitProof(NamedTuple):
    """(A, S, T1, T2, τ_x, μ, l, r) of §4.1; `left` = l and `right` = r have length N."""

    A: G1
    S: G1
    T1: G1
    T2: G1
    tau_x: int
    mu: int
    left: tuple[int, ...]
    right: tuple[int, ...]


def bit_proof_to_octets(proof: BitProof) -> bytes:
    """A ‖ S ‖ T1 ‖ T2 (compressed) ‖ τ_x ‖ μ ‖ l_1..l_N ‖ r_1..r_N (32 bytes each)."""
    points = b"".join(p.to_bytes() for p in (proof.A, proof.S, proof.T1, proof.T2))
    return points + scalar_octets(proof.tau_x, proof.mu, *proof.left, *proof.right)


def octets_to_bit_proof(data: bytes, bits: int, backend: CurveBackend) -> BitProof:
    """Decode a proof for N = `bits`; `DecodeError` for a wrong length, a point off the
    curve, outside the subgroup or the identity, or a scalar outside [1, r)."""
    want = 4 * _POINT + (2 + 2 * bits) * _SCALAR
    if len(data) != want:
        raise DecodeError(f"predicate proof: {len(data)} bytes, want {want}")
    points = []
    for i in range(0, 4 * _POINT, _POINT):
        point = backend.g1_from_bytes(data[i : i + _POINT])
        if point.is_identity():
            raise DecodeError("predicate proof: identity point")
        points.append(point)
    scalars = [os2ip(data[i : i + _SCALAR]) for i in range(4 * _POINT, want, _SCALAR)]
    if not all(0 < s < R for s in scalars):
        raise DecodeError("predicate proof: scalar not in [1, r)")
    a, s, t1, t2 = points
    tau_x, mu, *lr = scalars
    return BitProof(a, s, t1, t2, tau_x, mu, tuple(lr[:bits]), tuple(lr[bits:]))


def _statement(rel: Relation, commitment: G1, context: bytes) -> bytes:
    """Digest of everything the proof is about: the caller's context, the relation, V."""
    digest = hashlib.sha256(i2osp(len(context), 8) + context)
    digest.update(i2osp(rel.bits, 2) + i2osp(len(rel.constraints), 2))
    for c in rel.constraints:
        digest.update(scalar_octets(c.value_coeff, c.offset, *c.weights))
    digest.update(commitment.to_bytes())
    return digest.digest()


def _challenge(label: bytes, statement: bytes, *points: G1, tail: bytes = b"") -> int:
    """A challenge in [1, r): expand_message_xmd(label ‖ statement ‖ points ‖ tail) mod r − 1,
    plus 1 (48 bytes, so the bias is negligible; never zero, so y is invertible)."""
    msg = label + statement + b"".join(p.to_bytes() for p in points) + tail
    return os2ip(expand_message_xmd(msg, CHALLENGE_DST, 48)) % (R - 1) + 1


def _powers(base: int, count: int) -> list[int]:
    out, acc = [], 1
    for _ in range(count):
        out.append(acc)
        acc = acc * base % R
    return out


def _inner(a: Iterable[int], b: Iterable[int]) -> int:
    return sum(x * y for x, y in zip(a, b, strict=True)) % R


def _combined(rel: Relation, z: int) -> tuple[list[int], int, int]:
    """w = Σ z^(2+q) w_q, ζ = Σ z^(2+q) α_q and β = Σ z^(2+q) β_q."""
    w, zeta, beta = [0] * rel.bits, 0, 0
    zq = z * z % R
    for c in rel.constraints:
        w = [(wi + zq * ci) % R for wi, ci in zip(w, c.weights, strict=True)]
        zeta, beta = (zeta + zq * c.value_coeff) % R, (beta + zq * c.offset) % R
        zq = zq * z % R
    return w, zeta, beta


def prove(
    rel: Relation,
    bits: Sequence[int],
    gamma: int,
    commitment: G1,
    context: bytes,
    *,
    random_scalars: Sequence[int],
    backend: CurveBackend,
) -> BitProof:
    """The proof for `bits` and the blinding γ of `commitment`, with 4 + 2N fresh uniform
    `random_scalars` (α, ρ, τ1, τ2, s_L, s_R). It is only accepted if the bits satisfy
    the relation with the committed value; the caller checks that first."""
    n = rel.bits
    if len(bits) != n or any(b not in (0, 1) for b in bits):
        raise ValueError(f"argument: want {n} bits")
    if len(random_scalars) != 4 + 2 * n:
        raise ValueError(f"argument: want {4 + 2 * n} random scalars")
    alpha, rho, tau1, tau2, *blinds = (check_scalar(k) for k in random_scalars)
    s_l, s_r = blinds[:n], blinds[n:]
    gens = pedersen_generators(n, backend)
    # A = α·h + <a_L, G> + <a_R, H> with a_R = a_L − 1: additions only.
    a = gens.h * alpha
    for b, g_i, h_i in zip(bits, gens.G, gens.H, strict=True):
        a = a + g_i if b else a - h_i
    s = backend.g1_msm([gens.h, *gens.G, *gens.H], [rho, *s_l, *s_r])
    statement = _statement(rel, commitment, context)
    y, z = _challenge(b"y", statement, a, s), _challenge(b"z", statement, a, s)
    w, zeta, _ = _combined(rel, z)
    y_pow = _powers(y, n)
    # l(X) = l0 + s_L·X, r(X) = r0 + r1·X, t(X) = <l(X), r(X)> = t0 + t1·X + t2·X².
    l0 = [(b - z) % R for b in bits]
    r0 = [(yi * (b - 1 + z) + wi) % R for b, yi, wi in zip(bits, y_pow, w, strict=True)]
    r1 = [yi * si % R for yi, si in zip(y_pow, s_r, strict=True)]
    t1 = (_inner(l0, r1) + _inner(s_l, r0)) % R
    t2 = _inner(s_l, r1)
    big_t1 = backend.g1_msm([gens.g, gens.h], [t1, tau1])
    big_t2 = backend.g1_msm([gens.g, gens.h], [t2, tau2])
    x = _challenge(b"x", statement, a, s, big_t1, big_t2)
    return BitProof(
        a,
        s,
        big_t1,
        big_t2,
        (tau2 * x * x + tau1 * x + zeta * gamma) % R,
        (alpha + rho * x) % R,
        tuple((p + x * q) % R for p, q in zip(l0, s_l, strict=True)),
        tuple((p + x * q) % R for p, q in zip(r0, r1, strict=True)),
    )


def verify(
    rel: Relation, proof: BitProof, commitment: G1, context: bytes, *, backend: CurveBackend
) -> bool:
    """True iff `proof` shows that `commitment` holds a value satisfying `rel`."""
    n = rel.bits
    if len(proof.left) != n or len(proof.right) != n:
        return False
    gens = pedersen_generators(n, backend)
    statement = _statement(rel, commitment, context)
    a, s, t1, t2 = proof.A, proof.S, proof.T1, proof.T2
    y, z = _challenge(b"y", statement, a, s), _challenge(b"z", statement, a, s)
    x = _challenge(b"x", statement, a, s, t1, t2)
    e = _challenge(b"e", statement, tail=bit_proof_to_octets(proof))
    w, zeta, beta = _combined(rel, z)
    y_pow, y_inv_pow = _powers(y, n), _powers(pow(y, -1, R), n)
    t_hat = _inner(proof.left, proof.right)
    delta = ((z - z * z) * sum(y_pow) - z * sum(w)) % R
    # (1) t̂·g + τ_x·h = ζ·V + β·g + δ·g + x·T1 + x²·T2  (the polynomial t at x), and
    # (2) A + x·S − z·ΣG_i + Σ(z + w_i·y^−i)·H_i = μ·h + <l, G> + Σ r_i·y^−i·H_i,
    # checked together as (2) + e·(1) = 0 in one multi-scalar multiplication.
    g_scalars = [(-z - li) % R for li in proof.left]
    h_scalars = [
        (z + (wi - ri) * yi) % R for wi, ri, yi in zip(w, proof.right, y_inv_pow, strict=True)
    ]
    points = [*gens.G, *gens.H, a, s, gens.h, gens.g, commitment, t1, t2]
    scalars = [
        *g_scalars,
        *h_scalars,
        1,
        x,
        (e * proof.tau_x - proof.mu) % R,
        e * (t_hat - beta - delta) % R,
        -e * zeta % R,
        -e * x % R,
        -e * x * x % R,
    ]
    return backend.g1_msm(points, scalars).is_identity()

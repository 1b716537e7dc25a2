"""The Pedersen generators of predicate proofs: g, h and the vectors G_1.., H_1...

Every point is RFC 9380 hash_to_curve (XMD:SHA-256) of a distinct label under one Cartera
DST, so nobody knows a discrete-log relation between any two of them, nor between them and
the BBS generators (other DSTs): that is what makes the commitments binding. Like the
pseudonym base, they do not depend on the BBS ciphersuite. The vectors are hashed once per
backend and grown on demand (a presentation needs at most `MAX_BITS` of each).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from attestations.curve import G1, CurveBackend
from attestations.curve.hash_to_curve import hash_to_g1

__all__ = ["GENERATOR_DST", "MAX_BITS", "PedersenGenerators", "pedersen_generators"]

#: RFC 9380 domain separation tag of every predicate generator.
GENERATOR_DST = b"CARTERA-V1-PREDICATE-GENERATOR_BLS12381G1_XMD:SHA-256_SSWU_RO_"
#: Longest bit vector a predicate proof commits to (`between` on integers: 2 × 54).
MAX_BITS = 108


@dataclass(frozen=True)
class PedersenGenerators:
    """g (values), h (blindings) and the bit-vector generators G_i, H_i, i < len(G)."""

    g: G1
    h: G1
    G: tuple[G1, ...]
    H: tuple[G1, ...]


class _Vectors:
    """The labels "G" || I2OSP(i, 2) and "H" || I2OSP(i, 2), hashed as far as asked."""

    def __init__(self, backend: CurveBackend) -> None:
        self.backend, self.lock = backend, threading.Lock()
        self.g, self.h = self._hash(b"g"), self._hash(b"h")
        self.G: list[G1] = []
        self.H: list[G1] = []

    def _hash(self, label: bytes) -> G1:
        return hash_to_g1(label, GENERATOR_DST, expand="xmd", backend=self.backend)

    def take(self, count: int) -> PedersenGenerators:
        with self.lock:
            for i in range(len(self.G), count):
                self.G.append(self._hash(b"G" + i.to_bytes(2, "big")))
                self.H.append(self._hash(b"H" + i.to_bytes(2, "big")))
            return PedersenGenerators(self.g, self.h, tuple(self.G[:count]), tuple(self.H[:count]))


@lru_cache(maxsize=4)
def _vectors(backend: CurveBackend) -> _Vectors:
    return _Vectors(backend)


@lru_cache(maxsize=64)
def pedersen_generators(count: int, backend: CurveBackend) -> PedersenGenerators:
    """g, h and `count` generators in each vector, on `backend` (cached)."""
    if not 0 <= count <= MAX_BITS:
        raise ValueError(f"predicate generators: {count} is outside [0, {MAX_BITS}]")
    return _vectors(backend).take(count)

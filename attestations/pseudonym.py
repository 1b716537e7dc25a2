"""Per-verifier pseudonyms: `P_v = s·B_v` with `B_v = hash_to_G1(verifier_id)`.

The model is draft-kalos-bbs-per-verifier-linkability: a verifier's base point is hashed
from its identifier, so nobody knows its discrete logarithm to G1's generator or to another
verifier's base, and the pseudonyms one holder secret `s` yields at two verifiers cannot be
linked without solving decisional Diffie–Hellman. One verifier sees the same `P_v` on every
visit, which is what lets it tie a consent grant to later presentations.

Cartera fixes one base for every ciphersuite (RFC 9380 hash_to_curve, XMD:SHA-256, with the
DST below), so a citizen's pseudonym at a service does not change with the BBS suite of the
credential they happen to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from attestations.curve import G1, CurveBackend, G1Multiples, check_scalar, get_backend
from attestations.curve.base import G1_BYTES
from attestations.curve.hash_to_curve import hash_to_g1
from attestations.errors import DecodeError

__all__ = [
    "PSEUDONYM_BYTES",
    "PSEUDONYM_DST",
    "PreparedBase",
    "decode_pseudonym",
    "prepared_base",
    "pseudonym",
    "pseudonym_point",
    "verifier_base",
]

#: RFC 9380 domain separation tag of verifier base points.
PSEUDONYM_DST = b"CARTERA-V1-PSEUDONYM-BASE_BLS12381G1_XMD:SHA-256_SSWU_RO_"
#: Length of an encoded pseudonym (a compressed G1 point).
PSEUDONYM_BYTES = G1_BYTES


@lru_cache(maxsize=256)
def _base(verifier_id: str, backend: CurveBackend) -> G1:
    return hash_to_g1(verifier_id.encode("utf-8"), PSEUDONYM_DST, expand="xmd", backend=backend)


def _check_id(verifier_id: str) -> str:
    if not isinstance(verifier_id, str) or not verifier_id:
        raise ValueError("verifier_id must be a non-empty string")
    return verifier_id


def verifier_base(verifier_id: str, *, backend: CurveBackend | None = None) -> G1:
    """`B_v`: the verifier's base point, hashed from its identifier (e.g. its `did:key`)."""
    return _base(_check_id(verifier_id), backend or get_backend())


@dataclass(frozen=True, eq=False)
class PreparedBase:
    """`B_v` ready for repeated use: its encoding (hashed into every consent challenge) and
    a table of its multiples (`times(k)` = `k·B_v`, ~5× faster than `B_v * k`)."""

    encoded: bytes
    multiples: G1Multiples


@lru_cache(maxsize=64)  # ~0.1 MB each
def _prepared(verifier_id: str, backend: CurveBackend) -> PreparedBase:
    point = _base(verifier_id, backend)
    return PreparedBase(point.to_bytes(), backend.g1_multiples(point))


def prepared_base(verifier_id: str, *, backend: CurveBackend | None = None) -> PreparedBase:
    """`verifier_base` with its encoding and multiples, for the consent signatures that
    multiply it on every signature and check (kept for the 64 verifiers used last)."""
    return _prepared(_check_id(verifier_id), backend or get_backend())


def pseudonym_point(s: int, verifier_id: str, *, backend: CurveBackend | None = None) -> G1:
    """`P_v = s·B_v` as a point, for protocols that keep computing with it."""
    if check_scalar(s) == 0:
        raise ValueError("the holder secret must not be zero")
    return prepared_base(verifier_id, backend=backend).multiples.times(s)


def pseudonym(s: int, verifier_id: str, *, backend: CurveBackend | None = None) -> bytes:
    """The holder's pseudonym at `verifier_id`: 48-byte compressed `s·B_v`."""
    return pseudonym_point(s, verifier_id, backend=backend).to_bytes()


def decode_pseudonym(data: bytes, *, backend: CurveBackend | None = None) -> G1:
    """Decode a pseudonym from the wire: a canonical G1 point in the subgroup, not the
    identity (which `s = 0` would give and which would match every verifier)."""
    if len(data) != PSEUDONYM_BYTES:
        raise DecodeError(f"pseudonym: {len(data)} bytes, want {PSEUDONYM_BYTES}")
    try:
        point = (backend or get_backend()).g1_from_bytes(data)
    except DecodeError as exc:
        raise DecodeError(f"pseudonym: {exc}") from exc
    if point.is_identity():
        raise DecodeError("pseudonym: identity point")
    return point

"""The two BBS ciphersuites of draft-irtf-cfrg-bbs-signatures-06/07 §7.2.

A `Ciphersuite` is a frozen value: the ciphersuite id, the API id of the BBS Signatures
Interface (§3.4, `ciphersuite_id || "H2G_HM2S_"`), the RFC 9380 expander (XMD:SHA-256 or
XOF:SHAKE-256), the octet lengths and `expand_len`. It also carries the curve backend used
to compute with it: `None` means "whatever `get_backend()` answers" (the
`CARTERA_CURVE_BACKEND` variable, arkworks by default), and

    >>> from attestations.bbs import SHA256
    >>> reference = SHA256.with_backend("pyecc")

pins one backend, for tests that cross-check the two. Every BBS function takes the suite,
so choosing a backend is choosing a suite value; nothing global is switched.

`P1` is not stored as a constant: it is derived exactly as §7.2 defines it (the first point
of `create_generators` with the "BP_" seed), once per suite and backend. The test suite
checks it against the value the draft publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from attestations.curve import G1, G2, CurveBackend, get_backend
from attestations.curve.hash_to_curve import Expand, expand_message, hash_to_g1

__all__ = ["SHA256", "SHAKE256", "Ciphersuite"]


@dataclass(frozen=True)
class Ciphersuite:
    """One BBS ciphersuite (§7.1 "Ciphersuite Format") bound to a curve backend."""

    #: `ciphersuite_id`, e.g. b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_".
    ciphersuite_id: bytes
    #: RFC 9380 `hash_to_curve_suite` for G1.
    hash_to_curve_suite: bytes
    #: Which expand_message the hash-to-curve suite uses: "xmd" (SHA-256) or "xof" (SHAKE-256).
    expand: Expand
    octet_scalar_length: int = 32
    octet_point_length: int = 48
    #: `expand_len = ceil((ceil(log2(r)) + k) / 8)` with k = 128.
    expand_len: int = 48
    #: The curve backend; None resolves to `get_backend()` at each use.
    backend: CurveBackend | None = None

    @property
    def api_id(self) -> bytes:
        """API id of the BBS Signatures Interface, §3.4: `ciphersuite_id || "H2G_HM2S_"`."""
        return self.ciphersuite_id + b"H2G_HM2S_"

    @property
    def curve(self) -> CurveBackend:
        """The backend this suite computes with."""
        return self.backend if self.backend is not None else get_backend()

    def with_backend(self, backend: CurveBackend | str) -> Ciphersuite:
        """The same ciphersuite computing on `backend` (an instance or a backend name)."""
        chosen = get_backend(backend) if isinstance(backend, str) else backend
        return replace(self, backend=chosen)

    def resolved(self) -> Ciphersuite:
        """This suite with its backend made explicit (a stable key for caches)."""
        return self if self.backend is not None else replace(self, backend=get_backend())

    def expand_message(self, msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
        """The suite's RFC 9380 expand_message (§5.3.1 XMD:SHA-256 or §5.3.2 XOF:SHAKE-256)."""
        return expand_message(msg, dst, len_in_bytes, self.expand)

    def hash_to_curve_g1(self, msg: bytes, dst: bytes) -> G1:
        """The suite's RFC 9380 hash_to_curve for G1."""
        return hash_to_g1(msg, dst, expand=self.expand, backend=self.curve)

    @property
    def P1(self) -> G1:
        """The fixed G1 point P1 of §7.2."""
        return _p1(self.resolved())

    @property
    def BP2(self) -> G2:
        """The base point of G2."""
        return self.curve.g2_generator()


@lru_cache(maxsize=16)
def _p1(suite: Ciphersuite) -> G1:
    # §7.2: create_generators(1) with these three DSTs and no api_id.
    cid = suite.ciphersuite_id
    seed_dst = cid + b"H2G_HM2S_SIG_GENERATOR_SEED_"
    generator_dst = cid + b"H2G_HM2S_SIG_GENERATOR_DST_"
    generator_seed = cid + b"H2G_HM2S_BP_MESSAGE_GENERATOR_SEED"
    v = suite.expand_message(generator_seed, seed_dst, suite.expand_len)
    v = suite.expand_message(v + (1).to_bytes(8, "big"), seed_dst, suite.expand_len)
    return suite.hash_to_curve_g1(v, generator_dst)


#: BLS12-381-SHA-256, §7.2.2 (the default everywhere).
SHA256 = Ciphersuite(
    ciphersuite_id=b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_",
    hash_to_curve_suite=b"BLS12381G1_XMD:SHA-256_SSWU_RO_",
    expand="xmd",
)

#: BLS12-381-SHAKE-256, §7.2.1.
SHAKE256 = Ciphersuite(
    ciphersuite_id=b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_",
    hash_to_curve_suite=b"BLS12381G1_XOF:SHAKE-256_SSWU_RO_",
    expand="xof",
)

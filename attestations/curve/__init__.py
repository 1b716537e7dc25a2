"""BLS12-381 for the rest of `attestations`: one interface, two backends.

    >>> from attestations.curve import get_backend
    >>> be = get_backend()            # CARTERA_CURVE_BACKEND, default "arkworks"
    >>> g = be.g1_generator()
    >>> be.g1_from_bytes((g * 5).to_bytes()) == g * 5
    True

`arkworks` (py-arkworks-bls12381, native) is the default; `pyecc` (py-ecc, pure Python) is
the slow reference the test suite cross-checks it against.
"""

from __future__ import annotations

import os
from functools import cache

from attestations.curve.base import G1, G2, GT, CurveBackend, G1Multiples, P, R, check_scalar

__all__ = [
    "BACKENDS",
    "G1",
    "G2",
    "GT",
    "CurveBackend",
    "G1Multiples",
    "P",
    "R",
    "check_scalar",
    "get_backend",
]

BACKENDS = ("arkworks", "pyecc")
ENV_VAR = "CARTERA_CURVE_BACKEND"


@cache
def _load(name: str) -> CurveBackend:
    if name == "arkworks":
        from attestations.curve.arkworks import ArkworksBackend

        return ArkworksBackend()
    if name == "pyecc":
        from attestations.curve.pyecc import PyEccBackend

        return PyEccBackend()
    raise ValueError(f"unknown curve backend {name!r}: choose one of {', '.join(BACKENDS)}")


def get_backend(name: str | None = None) -> CurveBackend:
    """The backend called `name`, else the one `CARTERA_CURVE_BACKEND` names, else arkworks."""
    return _load(name or os.environ.get(ENV_VAR, "").strip() or "arkworks")

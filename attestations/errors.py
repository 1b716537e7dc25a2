"""The exception family of `attestations`.

Caller mistakes (wrong types, a negative count) stay `TypeError`/`ValueError`. What comes
from outside (bytes from the wire, a proof from a stranger) fails with one of these. Checks
whose failure could depend on secrets are opaque on purpose: `InvalidProof` never says which
equation failed.
"""

from __future__ import annotations


class AttestationError(Exception):
    """Base class of every error raised by the credential cryptography."""


class DecodeError(AttestationError):
    """An encoding is not canonical: wrong length, off-curve, outside the subgroup,
    identity where forbidden, scalar >= r, bad base64url, unexpected JSON shape."""


class InvalidSignature(AttestationError):
    """A signature (BBS, blind BBS or Schnorr consent signature) does not verify."""


class InvalidProof(AttestationError):
    """A zero-knowledge proof or presentation does not verify."""

"""Admin API keys: `cak_` + 43 base64url characters (32 random bytes), stored as SHA-256.

The admin endpoints (`/v1/issuer/…`, `/v1/verifier/…`) take `Authorization: Bearer <key>`.
The service keeps only the hex SHA-256 of each key: a copy of its database grants nothing.
Keys carry 256 bits of entropy, so an unsalted fast hash is enough (nothing to brute-force),
and lookup by hash is one indexed read.
"""

from __future__ import annotations

import hashlib
import os
import re

from attestations.encoding import b64url_encode

__all__ = ["API_KEY_PREFIX", "hash_api_key", "new_api_key", "valid_api_key"]

API_KEY_PREFIX = "cak_"
_KEY = re.compile(r"cak_[A-Za-z0-9_-]{43}", re.ASCII)


def new_api_key() -> str:
    """A fresh admin key from the operating system's CSPRNG."""
    return API_KEY_PREFIX + b64url_encode(os.urandom(32))


def valid_api_key(text: str) -> bool:
    """Whether `text` is spelled like an admin key (says nothing of whether it is known)."""
    return _KEY.fullmatch(text) is not None


def hash_api_key(key: str) -> str:
    """What the service stores and looks up: the hex SHA-256 of the key's text."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()

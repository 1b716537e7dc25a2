"""The exception family of `policies`.

Everything that comes from outside (document bytes, a `did:key` string, a signature) fails
with a subclass of `PolicyError`, so a front end maps the whole package with one handler.
Caller mistakes in the building functions (`sign_*`, `draft_grant`) are `ValueError` or
`TypeError`, as in the rest of Cartera. A refused request is not an error: `evaluate`
returns a `Decision` that says why.
"""

from __future__ import annotations

__all__ = ["DocumentError", "PolicyError", "RequestExpired", "SignatureError"]


class PolicyError(Exception):
    """Base class of every error raised by `policies` on outside input."""


class DocumentError(PolicyError):
    """A document or identifier is malformed or not canonical; the message names the field
    and the rule it breaks (`consent.grant: field 'not_after': not RFC 3339 UTC ...`)."""


class SignatureError(PolicyError):
    """A document's signature does not verify under the key its document names. Opaque on
    purpose: a wrong key, a tampered byte and a signature of another document look alike."""


class RequestExpired(PolicyError):
    """A presentation request was used (to draft a grant) at or after its expiry."""

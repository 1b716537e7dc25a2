"""The exception family of `mobile_api`.

The service itself answers refusals as problem documents (`mobile_api.problems`); these
exceptions are for everything around it, mapped once by each front end:

- `SettingsError`: a setting, a home file or a key file is unusable (the service cannot
  start, the command cannot run): bad input;
- `ServiceUnavailable`: a session service or the ledger could not be reached, or answered
  with a server error;
- `ServiceRefused`: a session service answered a problem document (its `status`,
  `reason` and, for a verification, `check` are kept for the caller).

Caller mistakes stay `TypeError`/`ValueError`.
"""

from __future__ import annotations

__all__ = ["ServiceRefused", "ServiceUnavailable", "SessionError", "SettingsError"]


class SessionError(Exception):
    """Base class of every error raised by `mobile_api`."""


class SettingsError(SessionError):
    """A setting, home file or key file is invalid; the message names it and the fix."""


class ServiceUnavailable(SessionError):
    """A service could not be reached, timed out or answered with a server error."""


class ServiceRefused(SessionError):
    """A session service refused a call with a problem document."""

    def __init__(self, message: str, *, status: int, reason: str, check: str | None = None):
        super().__init__(message)
        self.status, self.reason, self.check = status, reason, check

    @property
    def bad_input(self) -> bool:
        """Whether the caller's input was refused (a malformed or unknown value, a wrong
        key, a body too large), as opposed to a check that failed or a state that forbids."""
        return self.status in (400, 401, 404, 413, 415)

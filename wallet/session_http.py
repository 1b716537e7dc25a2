"""The wallet's HTTP face towards issuers and verifiers (docs/sessions-api.md, "Common
rules"): every call has a timeout, httpx's exceptions never leave this module, and a
refusal's problem document (RFC 9457, with `reason` and, on verification answers,
`check`) is read into the typed error the caller names.

    unreachable, timed out, or 5xx without a problem document   ServiceUnreachable
    a problem document                                          the caller's ServiceRefused
    a 4xx without one, or an answer above 1 MiB                 SessionError
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from wallet.errors import ServiceRefused, ServiceUnreachable, SessionError

__all__ = ["DEFAULT_TIMEOUT", "Problem", "SessionHttp"]

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
"""Per call: a service slower than this is treated as unreachable."""

_MAX_ANSWER = 1 << 20  # an offer, request or answer is a few KiB: refuse to hold more


@dataclass(frozen=True)
class Problem:
    """A refusal as the service stated it."""

    status: int
    reason: str
    detail: str
    check: str | None


Refusal = Callable[[str, Problem], ServiceRefused]
"""Builds the caller's error from a message and the problem (the caller decides whether
a `reason` deserves its own type, as `offer-expired` does)."""


class SessionHttp:
    """One httpx client for a wallet's session calls (`transport` for in-process tests)."""

    def __init__(
        self,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SessionHttp:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get(self, url: str, refusal: Refusal) -> bytes:
        """The body of a successful GET of `url`."""
        return self._send("GET", url, refusal, None)

    def post(self, url: str, body: bytes, refusal: Refusal) -> bytes:
        """POST `body` (JSON) to `url`; the body of a successful answer."""
        return self._send("POST", url, refusal, body)

    def _send(self, method: str, url: str, refusal: Refusal, body: bytes | None) -> bytes:
        where = f"{method} {url}"
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            with self._http.stream(method, url, content=body, headers=headers) as response:
                data = b""
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > _MAX_ANSWER:
                        raise SessionError(
                            f"{where}: the answer is larger than {_MAX_ANSWER} bytes"
                        )
        except httpx.TimeoutException:
            raise ServiceUnreachable(f"{where}: timed out") from None
        except (httpx.HTTPError, ValueError) as exc:  # ValueError: a URL httpx cannot use
            raise ServiceUnreachable(f"{where}: {exc or type(exc).__name__}") from None
        if response.is_success:
            return data
        problem = _problem(response.status_code, data)
        if problem is None:
            if response.status_code >= 500:
                raise ServiceUnreachable(f"{where}: answered {response.status_code}")
            raise SessionError(
                f"{where}: answered {response.status_code} without a problem document"
            )
        check = f" ({problem.check})" if problem.check else ""
        message = f"{where}: refused{check}: {problem.reason}: {problem.detail}"
        raise refusal(message, problem)


def _problem(status: int, data: bytes) -> Problem | None:
    """The problem document in a refusal's body, or None if it holds none."""
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("reason"), str):
        return None
    check = body.get("check")
    return Problem(
        status=status,
        reason=body["reason"],
        detail=str(body.get("detail") or body.get("title") or ""),
        check=check if isinstance(check, str) else None,
    )

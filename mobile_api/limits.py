"""What keeps one client from costing a service more than its share: body size and rate.

- `BodyLimit`, an ASGI middleware: a request whose declared `Content-Length` passes the
  limit is answered 413 before its body is read; otherwise the body is counted while it
  streams in and the request fails with 413 as soon as it passes the limit (a chunked
  body, or one longer than it said, is not trusted to stop).
- `RateLimiter`: a token bucket per client address (capacity `per_minute`, refilled at
  `per_minute / 60` per second), for the public endpoints, which anyone may call and some
  of which cost a proof verification. An empty bucket is 429 with `Retry-After` (whole
  seconds until a token is back). Buckets live in the process: several processes behind
  one address each count on their own. Time is an argument (`clock`), for tests.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mobile_api.problems import Refused, problem

__all__ = ["BodyLimit", "RateLimiter"]

#: Buckets kept before full ones are forgotten (a full bucket is a fresh one).
MAX_BUCKETS = 10_000


class BodyLimit:
    """ASGI middleware refusing request bodies larger than `limit` bytes (413)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"the body is larger than {self.limit} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await problem(Refused(413, "too-large", detail))(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # FastAPI passes an HTTPException raised while reading the body on to
                    # the app's handler; routes reading the stream themselves do too.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counted, send)


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets per client address; `per_minute == 0` lets everything through."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self._clock = per_minute, clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many client addresses it remembers."""
        return len(self._buckets)

    def take(self, client: str) -> None:
        """Spend one token of `client`; `Refused` 429 with `Retry-After` if none is left."""
        if self.per_minute == 0:
            return
        rate, now = self.per_minute / 60.0, self._clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._forget_full(now, rate)
                bucket = self._buckets[client] = _Bucket(float(self.per_minute), now)
            bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens < 1.0:
                wait = max(1, math.ceil((1.0 - bucket.tokens) / rate))
                raise Refused(
                    429,
                    "rate-limited",
                    f"more than {self.per_minute} calls a minute from {client}",
                    headers={"Retry-After": str(wait)},
                )
            bucket.tokens -= 1.0

    def _forget_full(self, now: float, rate: float) -> None:
        full = [
            k for k, b in self._buckets.items() if b.tokens + (now - b.at) * rate >= self.per_minute
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:  # everyone is busy: forget the stalest half
            stale = sorted(self._buckets, key=lambda k: self._buckets[k].at)
            for key in stale[: MAX_BUCKETS // 2]:
                del self._buckets[key]

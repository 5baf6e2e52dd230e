"""Limits that protect the back-office: a body cap and a URL guard (ASGI middleware), and per-key rate limits.

The URL guard refuses a NUL character anywhere in the decoded path or query
string with 422: PostgreSQL cannot hold one, so a lookup by such an id or
filter used to end in a 500.

The body cap counts the bytes actually received, not only Content-Length, so a
chunked upload cannot slip past it. The rate limiter is a token bucket per key
name: ``rate`` requests per second sustained, ``burst`` at once. The buckets
live in the database (``steward_rate_buckets``), one row per key read and
written under a row lock, so every API process sharing the database holds one
limit together: three servers do not allow three times the rate.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from executor.api.errors import error_body
from executor.apikeys import rate_buckets as buckets

__all__ = ["BodyLimit", "RateLimiter", "StorableUrl"]


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 before any route runs.

    The body (at most ``max_bytes``) is read here and replayed to the app, so
    the count covers chunked uploads that send no Content-Length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes or declared < 0:
                    await self._refuse(send, declared)
                    return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._refuse(send, seen)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)

    async def _refuse(self, send: Send, size: int) -> None:
        status = 413 if size >= 0 else 400
        code = "payload_too_large" if size >= 0 else "bad_request"
        msg = f"request body is larger than {self.max_bytes} bytes" if size >= 0 else "bad Content-Length"
        body = json.dumps(error_body(code, msg, {"max_bytes": self.max_bytes})).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class StorableUrl:
    """Refuse a NUL character in the decoded path or query string with 422 before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _has_nul(scope):
            body = json.dumps(error_body("invalid_request", "the URL contains a NUL character", None)).encode()
            await send({"type": "http.response.start", "status": 422,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _has_nul(scope: Scope) -> bool:
    from urllib.parse import parse_qsl

    if "\x00" in scope.get("path", ""):
        return True
    query = scope.get("query_string", b"").decode("latin-1")
    return any("\x00" in part for pair in parse_qsl(query, keep_blank_values=True) for part in pair)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class RateLimiter:
    """Token buckets by key name, in ``engine``'s database; ``rate <= 0`` disables limiting.

    The clock is wall time, because the processes sharing a bucket share no
    other clock; a clock that steps back adds no tokens.
    """

    def __init__(self, rate: float, burst: int, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.engine = engine
        self.clock = clock

    def take(self, name: str) -> float:
        """0 when allowed, else the seconds to wait before the next request is allowed."""
        if self.rate <= 0:
            return 0.0
        try:
            return self._take(name)
        except IntegrityError:  # another process made this key's bucket first: it exists now
            return self._take(name)

    def _take(self, name: str) -> float:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(buckets.c.tokens, buckets.c.updated_at).where(buckets.c.name == name).with_for_update()
            ).first()
            now = self.clock()
            if row is None:
                tokens, last = float(self.burst), now
            else:
                tokens, last = float(row.tokens), float(row.updated_at)
            tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            if wait == 0.0:
                tokens -= 1
            values = {"tokens": tokens, "updated_at": max(now, last)}
            if row is None:
                conn.execute(insert(buckets).values(name=name, **values))
            else:
                conn.execute(update(buckets).where(buckets.c.name == name).values(**values))
        return wait

    @staticmethod
    def retry_after(wait: float) -> str:
        """The Retry-After header value: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait)))

"""Confine a browser context to a target's allowed origins (SPEC section 12).

Two layers, both per context:

- the route layer (Playwright ``route`` on the whole context) checks the first
  request of every page, popup, frame, subresource, dedicated worker and
  WebSocket by scheme, host and port;
- the network layer (``EgressGate``, the context's SOCKS5 proxy) refuses every
  TCP connection to any other host and port, whoever opens it: the later hops
  of a redirect (which ``route`` never sees), shared workers, speculative
  prefetch and prerender.

Shared workers are switched off (launch flag, plus an init script for
browsers Steward did not launch), service workers are blocked when the
context is created, and WebRTC may not send UDP outside the proxy (launch
flag), so nothing leaves the context except through the gate.

A refused navigation is answered 204 No Content, which browsers treat as
"stay where you are", so a page that tries to leave keeps working. A blocked
request is recorded by origin and path only: query strings can carry secrets.

Requests to the allowed origins never reach the route handler: the route's
URL pattern (``foreign_urls``) matches only URLs that do not start with an
allowed origin, and Playwright evaluates it in the browser's driver, so an
allowed page load costs no round trip to Python. The gate still checks
every connection of those loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, ProxySettings, Route, WebSocketRoute

from action_classes import origin_of
from executor.browser.blocked import BlockedRequest
from executor.browser.egress import EgressGate

__all__ = ["BlockedRequest", "Confinement", "foreign_urls"]

# Defence in depth for remote browsers launched without Steward's flags.
_INIT_SCRIPT = "try { delete globalThis.SharedWorker } catch (e) {}"


def _escape(text: str) -> str:
    """Escape for a pattern read the same by Python's ``re`` and JavaScript (no ``u`` flag)."""
    return "".join(c if c.isalnum() else "\\" + c for c in text)


def foreign_urls(allowed: frozenset[str]) -> re.Pattern[str]:
    """A URL pattern matching every URL that is not on one of the ``allowed`` origins.

    An origin must be followed by the end, ``/``, ``?`` or ``#``, so
    ``http://host:80.evil`` and ``http://host:80@evil`` are foreign.
    """
    origins = "|".join(_escape(o) for o in sorted(allowed))
    return re.compile(f"^(?!(?:{origins})(?:[/?#]|$))")


@dataclass
class Confinement:
    """The allowed origins of one context, its network gate, and what both blocked."""

    allowed: frozenset[str]
    blocked: list[BlockedRequest] = field(default_factory=list)
    gate_host: str = "127.0.0.1"
    _gate: EgressGate | None = field(default=None, repr=False)

    def allows(self, url: str) -> bool:
        origin = origin_of(url)
        return origin is not None and origin in self.allowed

    def _record(self, url: str, resource_type: str, navigation: bool) -> None:
        parts = urlsplit(url)
        origin = origin_of(url) or f"{parts.scheme}:"
        self.blocked.append(BlockedRequest(origin, parts.path or "/", resource_type, navigation))

    def navigation_blocked_since(self, mark: int) -> BlockedRequest | None:
        """The last navigation blocked after ``len(blocked)`` was ``mark`` (so: during one step)."""
        return next((b for b in reversed(self.blocked[mark:]) if b.navigation), None)

    async def open_gate(self) -> ProxySettings:
        """Start the network gate; the ``proxy`` setting to create the context with."""
        if self._gate is not None:
            raise RuntimeError("the gate of this confinement is already open")
        self._gate = EgressGate(self.allowed, self.blocked.append, host=self.gate_host)
        return ProxySettings(server=await self._gate.start())

    @property
    def gate_open(self) -> bool:
        return self._gate is not None

    async def close(self) -> None:
        """Stop the gate (after the context is closed); closing twice is harmless."""
        if self._gate is not None:
            await self._gate.close()
            self._gate = None

    async def install(self, context: BrowserContext) -> None:
        """Route every HTTP(S) request and WebSocket of ``context`` through the check."""

        async def on_route(route: Route) -> None:
            request = route.request
            if self.allows(request.url):
                await route.continue_()
                return
            navigation = request.is_navigation_request()
            self._record(request.url, request.resource_type, navigation)
            if navigation:  # a 204 leaves the page (or frame) where it is instead of on an error page
                await route.fulfill(status=204, body=b"")
            else:
                await route.abort("blockedbyclient")

        async def on_socket(ws: WebSocketRoute) -> None:
            if self.allows(ws.url):
                ws.connect_to_server()
                return
            self._record(ws.url, "websocket", False)
            await ws.close(code=1008, reason="blocked by confinement")

        await context.add_init_script(_INIT_SCRIPT)
        await context.route(foreign_urls(self.allowed), on_route)
        await context.route_web_socket("**/*", on_socket)

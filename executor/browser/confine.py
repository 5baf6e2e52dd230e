"""Confine a browser context to a target's allowed origins (SPEC section 12).

Routing is installed on the whole context, so it covers every page, popup,
frame, subresource and redirect hop; service workers are blocked when the
context is created. A blocked request is recorded by origin and path only:
query strings can carry secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, Route, WebSocketRoute

from action_classes import origin_of

__all__ = ["BlockedRequest", "Confinement"]


@dataclass(frozen=True)
class BlockedRequest:
    """One request the confinement refused."""

    origin: str
    path: str
    resource_type: str
    navigation: bool


@dataclass
class Confinement:
    """The allowed origins of one context and what it blocked."""

    allowed: frozenset[str]
    blocked: list[BlockedRequest] = field(default_factory=list)

    def allows(self, url: str) -> bool:
        origin = origin_of(url)
        return origin is not None and origin in self.allowed

    def _record(self, url: str, resource_type: str, navigation: bool) -> None:
        parts = urlsplit(url)
        origin = origin_of(url) or f"{parts.scheme}:"
        self.blocked.append(BlockedRequest(origin, parts.path or "/", resource_type, navigation))

    async def install(self, context: BrowserContext) -> None:
        """Route every HTTP(S) request and WebSocket of ``context`` through the check."""

        async def on_route(route: Route) -> None:
            request = route.request
            if self.allows(request.url):
                await route.continue_()
                return
            self._record(request.url, request.resource_type, request.is_navigation_request())
            await route.abort("blockedbyclient")

        async def on_socket(ws: WebSocketRoute) -> None:
            if self.allows(ws.url):
                ws.connect_to_server()
                return
            self._record(ws.url, "websocket", False)
            await ws.close(code=1008, reason="blocked by confinement")

        await context.route("**/*", on_route)
        await context.route_web_socket("**/*", on_socket)

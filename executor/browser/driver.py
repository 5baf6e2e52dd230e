"""The browser as a pluggable backend: the protocols the runner talks to."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from action_classes import Locator, Step, Target
from executor.browser.confine import BlockedRequest
from executor.browser.trace_scrub import Sensitive

__all__ = ["ActionSession", "BrowserDriver"]


class ActionSession(Protocol):
    """One action's isolated browser context, already logged in."""

    @property
    def blocked(self) -> list[BlockedRequest]:
        """Requests the origin confinement refused so far."""
        ...

    @property
    def login_blocked(self) -> list[BlockedRequest]:
        """Requests refused in the login contexts that produced this session (recorded with phase "login")."""
        ...

    async def run(self, step: Step, *, timeout_ms: int) -> str | None:
        """Perform a rendered step on the current page; extracted text for extract steps."""
        ...

    async def fresh_page(self) -> None:
        """Continue on a new page (verification never reads the commit's page)."""
        ...

    async def relogin(self) -> None:
        """Log in again after the session was lost, keeping this context usable."""
        ...

    def screenshot(self) -> Awaitable[bytes]:
        """PNG of the current page, with secret and PII fields masked.

        The page is chosen when this is called, so the picture can be awaited later, while the run goes on.
        """
        ...

    async def inspect(self, locator: Locator, *, timeout_ms: int) -> dict[str, Any]:
        """Role, accessible name, tag and text of the one element ``locator`` matches (dry runs)."""
        ...

    async def screenshot_outlined(self, locator: Locator) -> bytes:
        """Like ``screenshot``, with the element ``locator`` matches outlined."""
        ...

    async def finish(self, keep_trace: bool = True) -> bytes | None:
        """Stop tracing and close; the trace zip, scrubbed of cookies, secrets and PII, when tracing was on.

        ``keep_trace=False`` closes at once and drops the trace (a kill switch halting the run).
        """
        ...


class BrowserDriver(Protocol):
    """Owns the browser; hands out one session per action."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def open_session(
        self,
        target: Target,
        *,
        trace: bool,
        mask: list[Step],
        sensitive: Sensitive | None = None,
        spare: bool = False,
    ) -> ActionSession:
        """A fresh, confined, logged-in context for one action; ``sensitive`` values never reach its trace.

        With ``spare``, verification's page is opened while the steps run, so ``fresh_page`` need not wait.
        """
        ...

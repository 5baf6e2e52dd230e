"""Pooled login sessions, each with the next action's context built ahead of time.

When an action gives its login session back, the driver starts building a new,
confined browser context from that session's storage state, with its first
page open (a renderer process to start), while nobody waits. The next action
on the target takes the session and starts on a ready context. Isolation is
unchanged: every action still gets a context of its own that no other request
has used; only the moment it is built moves.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import structlog
from playwright.async_api import BrowserContext, Page

from action_classes import Target
from executor.browser.confine import Confinement

__all__ = ["Pooled", "Ready", "close_context"]

log = structlog.get_logger("steward.browser")


async def close_context(ctx: BrowserContext, confinement: Confinement) -> None:
    """Close a context, then its network gate (the gate must outlive every connection of the context)."""
    try:
        await ctx.close()
    finally:
        await confinement.close()


@dataclass
class Ready:
    """A confined context nobody has used, with its first page open."""

    target: Target  # as it was when the context was built: a reloaded catalog may have changed its origins
    ctx: BrowserContext
    confinement: Confinement
    page: Page
    tracing: bool = False  # started ahead (no screencast frames, snapshots, no sources)

    async def close(self) -> None:
        await close_context(self.ctx, self.confinement)


@dataclass
class Pooled:
    """An idle login session: its storage state, when it was released, and its context being built."""

    state: Any
    released: float
    ready: asyncio.Future[Ready] | None = None

    async def take(self) -> Ready | None:
        """The context built ahead (waiting for it if it is still being built); None if there is none or it failed."""
        task, self.ready = self.ready, None
        if task is None:
            return None
        try:
            return await task
        except Exception as exc:  # the caller builds one the ordinary way
            log.warning("context.prepare_failed", error=str(exc)[:200])
            return None

    async def discard(self) -> None:
        """Close the context built ahead, if any (the session is leaving the pool)."""
        ready = await self.take()
        if ready is not None:
            with contextlib.suppress(Exception):
                await ready.close()

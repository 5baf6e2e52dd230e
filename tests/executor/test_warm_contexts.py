"""Contexts built ahead: the next action starts on a ready context, and isolation per request still holds.

A released login session gets a fresh confined context built from its
storage state. These tests drive the real driver on the billing console:
the prepared context is the one the next action uses, it never carries what
an earlier request left in its own context, it is thrown away when the
catalog's target changed, and it is closed when the session leaves the pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from action_classes import load_catalog

pytestmark = pytest.mark.browser


@pytest.fixture
def own_driver(loop_thread: Any, billing: Any) -> Iterator[Any]:
    from executor.browser.playwright_driver import PlaywrightDriver

    drv = PlaywrightDriver(step_timeout_ms=5_000)
    loop_thread.run(drv.start())
    yield drv
    loop_thread.run(drv.close())


@pytest.fixture
def target(billing: Any) -> Any:
    from executor.config import DEFAULT_CATALOG_DIR

    return load_catalog(DEFAULT_CATALOG_DIR).targets["billing_console"]


def _prepared(drv: Any, target: Any) -> Any:
    """The context being built for the newest idle session (awaited), or None."""
    entry = drv._idle[target.name][-1]
    return entry.ready


class TestPrepared:
    def test_next_action_starts_on_the_prepared_context(self, loop_thread: Any, own_driver: Any, target: Any) -> None:
        """After an action ends, a context is built (traced ahead); the next action uses exactly it.

        Verification then reads in another page of that same context.
        """

        async def go() -> tuple[bool, bool, bool, bool]:
            first = await own_driver.open_session(target, trace=False, mask=[])
            await first.finish()
            ready = await _prepared(own_driver, target)
            second = await own_driver.open_session(target, trace=True, mask=[], spare=True)
            try:
                used = second.ctx is ready.ctx and second.page is ready.page
                traced_ahead = ready.tracing
                await second.fresh_page()
                verify_page = second.page
                await second.run(_goto("/accounts"), timeout_ms=5_000)
            finally:
                trace = await second.finish()
            fresh = verify_page is not ready.page and verify_page.context is ready.ctx
            return used and traced_ahead, fresh, trace is not None, ready.ctx in own_driver.browser.contexts

        used, fresh, traced, still_open = loop_thread.run(go())
        assert (used, fresh, traced) == (True, True, True)
        assert not still_open  # the action's context is closed with the action

    def test_no_state_crosses_requests(self, loop_thread: Any, own_driver: Any, target: Any, billing: Any) -> None:
        """A cookie and local storage set during one request are absent from the next request's context."""

        async def go() -> tuple[str, str | None]:
            first = await own_driver.open_session(target, trace=False, mask=[])
            await first.run(_goto("/accounts"), timeout_ms=5_000)
            await first.page.evaluate("document.cookie = 'leak=1; path=/'; localStorage.setItem('leak', '1')")
            await first.finish()
            second = await own_driver.open_session(target, trace=False, mask=[])
            try:
                await second.run(_goto("/accounts"), timeout_ms=5_000)
                cookies = await second.page.evaluate("document.cookie")
                stored = await second.page.evaluate("localStorage.getItem('leak')")
            finally:
                await second.finish()
            return cookies, stored

        cookies, stored = loop_thread.run(go())
        assert "leak" not in cookies
        assert stored is None

    def test_untraced_action_keeps_no_trace(self, loop_thread: Any, own_driver: Any, target: Any) -> None:
        """An action with secret steps runs untraced: the trace started ahead is discarded before any step."""

        async def go() -> tuple[bool, Any]:
            first = await own_driver.open_session(target, trace=False, mask=[])
            await first.finish()
            ready = await _prepared(own_driver, target)
            second = await own_driver.open_session(target, trace=False, mask=[])
            await second.run(_goto("/accounts"), timeout_ms=5_000)
            return ready.tracing, await second.finish()

        tracing_left_on, trace = loop_thread.run(go())
        assert tracing_left_on is False
        assert trace is None

    def test_changed_target_discards_the_prepared_context(
        self, loop_thread: Any, own_driver: Any, target: Any
    ) -> None:
        """A catalog reload that changed the target: the context built under the old one is closed, not used."""
        changed = target.model_copy(update={"description": "reloaded catalog"})

        async def go() -> tuple[bool, bool]:
            first = await own_driver.open_session(target, trace=False, mask=[])
            await first.finish()
            ready = await _prepared(own_driver, target)
            second = await own_driver.open_session(changed, trace=False, mask=[])
            try:
                return second.ctx is ready.ctx, ready.ctx in own_driver.browser.contexts
            finally:
                await second.finish()

        used, still_open = loop_thread.run(go())
        assert not used
        assert not still_open

    def test_leaving_the_pool_closes_the_prepared_context(
        self, loop_thread: Any, own_driver: Any, target: Any
    ) -> None:
        """Eviction (idle too long) closes the context built for the session before signing it out."""

        async def go() -> tuple[bool, int, bool]:
            first = await own_driver.open_session(target, trace=False, mask=[])
            await first.finish()
            ready = await _prepared(own_driver, target)
            open_before = ready.ctx in own_driver.browser.contexts
            own_driver.idle_logout_s = 0.0
            evicted = await own_driver.evict_idle()
            return open_before, evicted, ready.ctx in own_driver.browser.contexts

        open_before, evicted, open_after = loop_thread.run(go())
        assert (open_before, evicted, open_after) == (True, 1, False)

    def test_disabled_builds_nothing_ahead(self, loop_thread: Any, billing: Any, target: Any) -> None:
        """``prepare=False``: the pool keeps storage states only (what a memory-tight host may want)."""
        from executor.browser.playwright_driver import PlaywrightDriver

        drv = PlaywrightDriver(step_timeout_ms=5_000, prepare=False)

        async def go() -> Any:
            await drv.start()
            try:
                session = await drv.open_session(target, trace=False, mask=[])
                await session.finish()
                return _prepared(drv, target)
            finally:
                await drv.close()

        assert loop_thread.run(go()) is None


def _goto(path: str) -> Any:
    from action_classes import Step

    return Step.model_validate({"goto": path})

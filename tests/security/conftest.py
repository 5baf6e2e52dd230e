"""Fixtures for the security tests: the two-origin lab, and contexts opened on it like the driver opens them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from action_classes import Target
from tests.executor.conftest import accounts
from tests.security.two_origins import TwoOrigins

__all__ = ["accounts"]  # shared with tests/executor: one console, distinct accounts per test


@pytest.fixture(scope="session")
def origins() -> Iterator[TwoOrigins]:
    """One allowed and one forbidden loopback origin for the whole run (reset per test)."""
    with TwoOrigins() as lab:
        yield lab


@pytest.fixture
def two_origins(origins: TwoOrigins) -> TwoOrigins:
    """The lab with nothing received yet."""
    origins.reset()
    return origins


@pytest.fixture
def lab_target(two_origins: TwoOrigins) -> Target:
    """A target whose only allowed origin is the lab's allowed one."""
    return Target(name="lab", base_url=two_origins.allowed, allowed_origins=[two_origins.allowed])


@pytest.fixture
def in_context(loop_thread: Any, driver: Any, lab_target: Target) -> Callable[..., Any]:
    """Run ``scenario(page, confinement)`` in a confined context that holds the lab's session cookie."""

    def run(scenario: Callable[[Any, Any], Awaitable[Any]]) -> Any:
        async def go() -> Any:
            ctx, confinement = await driver.new_context(lab_target, None)
            try:
                page = await ctx.new_page()
                await page.goto(lab_target.base_url + "/login")  # the cookie an escape would carry along
                return await scenario(page, confinement)
            finally:
                await ctx.close()
                await confinement.close()

        return loop_thread.run(go())

    return run

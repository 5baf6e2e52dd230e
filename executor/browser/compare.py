"""Assertions Playwright's ``expect`` has no matcher for: one of several texts,
a number compared with an expression, a count compared with an expression.

Each polls like Playwright's own assertions (the page may still be updating)
until it holds or the step's time is up, then fails naming what the page
showed. The expressions arrive already evaluated to plain numbers
(``action_classes.rendering``), so nothing here evaluates catalog text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

from playwright.async_api import Locator as PWLocator

from action_classes import Comparison, NumberCheck, TemplateError
from executor.errors import ExpectationFailed

__all__ = ["expect_count", "expect_number", "expect_one_of"]

_POLL_S = 0.1
_MIN_READ_MS = 1000


async def _until(probe: Callable[[int], Awaitable[str | None]], timeout_ms: int) -> str | None:
    """Run ``probe(ms_left)`` until it returns None (the check holds) or time is up; the last complaint."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_ms / 1000
    while True:
        # The element was found on the first try; a late re-read still gets a fair wait.
        left = max(_MIN_READ_MS, int((deadline - loop.time()) * 1000))
        complaint = await probe(left)
        if complaint is None or loop.time() >= deadline:
            return complaint
        await asyncio.sleep(_POLL_S)


def _normalised(text: str) -> str:
    return " ".join(text.split())


async def expect_one_of(loc: PWLocator, options: list[str], what: str, timeout_ms: int) -> None:
    """The element's whitespace-normalised text equals one of ``options``."""
    wanted = [_normalised(o) for o in options]

    async def probe(left: int) -> str | None:
        text = _normalised(await loc.inner_text(timeout=left))
        return None if text in wanted else f"text {text[:120]!r} is not one of {wanted}"

    complaint = await _until(probe, timeout_ms)
    if complaint is not None:
        raise ExpectationFailed(f"{what}: {complaint}", step=what)


async def expect_number(loc: PWLocator, check: NumberCheck, what: str, timeout_ms: int) -> None:
    """The number in the element's text satisfies every comparison of ``check``."""

    async def probe(left: int) -> str | None:
        text = await loc.inner_text(timeout=left)
        try:
            actual = check.read(text)
        except TemplateError as exc:
            return str(exc)
        failures = check.failures(actual)
        return f"{'; '.join(failures)} (the page shows {_normalised(text)[:80]!r})" if failures else None

    complaint = await _until(probe, timeout_ms)
    if complaint is not None:
        raise ExpectationFailed(f"{what}: {complaint}", step=what)


async def expect_count(loc: PWLocator, comparison: Comparison, what: str, timeout_ms: int) -> None:
    """The number of matches satisfies every comparison."""

    async def probe(left: int) -> str | None:
        failures = comparison.failures(Decimal(await loc.count()))
        return f"count: {'; '.join(failures)}" if failures else None

    complaint = await _until(probe, timeout_ms)
    if complaint is not None:
        raise ExpectationFailed(f"{what}: {complaint}", step=what)

"""Perform one rendered step on a page, mapping Playwright failures to Steward errors.

Every locator must resolve to exactly one element: Playwright's strict mode
raises on several matches, and this module reports that as an ambiguous
locator instead of picking one.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from action_classes import Comparison, ExpectSpec, ExtractSpec, Step
from executor.browser.compare import expect_count, expect_number, expect_one_of
from executor.browser.confine import Confinement
from executor.browser.locate import build_locator
from executor.errors import (
    ExecutionError,
    ExpectationFailed,
    LocatorError,
    NavigationBlocked,
    SessionLost,
    TransientFault,
)

__all__ = ["classify", "perform_step", "read_value"]


def _first_line(text: str, limit: int = 300) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:limit]


def classify(exc: Exception, what: str, *, timeout_ms: int) -> ExecutionError:
    """A Steward error for a Playwright failure while doing ``what``."""
    msg = str(exc)
    if "strict mode violation" in msg:
        count = re.search(r"resolved to (\d+) elements", msg)
        n = f" ({count.group(1)} elements)" if count else ""
        return LocatorError(f"{what}: locator is ambiguous{n}; refusing to guess", step=what)
    if "ERR_BLOCKED_BY_CLIENT" in msg:
        return NavigationBlocked(f"{what}: navigation outside the allowed origins was blocked", step=what)
    if isinstance(exc, PlaywrightTimeout):
        if what.startswith("goto") or "navigation" in msg.lower():
            return TransientFault(f"{what}: page did not load within {timeout_ms} ms", step=what)
        return LocatorError(f"{what}: no matching element within {timeout_ms} ms", step=what)
    if isinstance(exc, AssertionError):
        return ExpectationFailed(f"{what}: {_first_line(msg)}", step=what)
    if "net::" in msg or "Target page, context or browser has been closed" in msg:
        return TransientFault(f"{what}: {_first_line(msg)}", step=what)
    return ExecutionError(f"{what}: {_first_line(msg)}", step=what)


async def _goto(
    page: Page, url: str, base_url: str, confinement: Confinement, timeout: int, login_path: str | None
) -> None:
    full = urljoin(base_url, url)
    if not confinement.allows(full):
        raise NavigationBlocked(f"goto {url}: outside the target's allowed origins", step=f"goto {url}")
    mark = len(confinement.blocked)
    response = await page.goto(full, wait_until="load", timeout=timeout)
    blocked = confinement.navigation_blocked_since(mark)
    if blocked is not None:  # a redirect hop left the allowed origins; the gate answered 204
        raise NavigationBlocked(f"goto {url}: redirected to {blocked.origin}{blocked.path}", step=f"goto {url}")
    status = response.status if response is not None else 200
    if status >= 500:
        raise TransientFault(f"goto {url}: server answered {status}", step=f"goto {url}")
    if login_path and page.url.split("?", 1)[0].endswith(login_path) and not url.startswith(login_path):
        raise SessionLost(f"goto {url}: redirected to the login page", step=f"goto {url}")
    if status >= 400:
        raise ExpectationFailed(f"goto {url}: server answered {status}", step=f"goto {url}")


async def _expect(page: Page, spec: ExpectSpec, timeout: int, what: str) -> None:
    loc = build_locator(page, spec.locator)
    if isinstance(spec.count, Comparison):
        await expect_count(loc, spec.count, what, timeout)
        return
    if spec.count is not None:
        await expect(loc).to_have_count(spec.count, timeout=timeout)
        return
    state_checks = {
        "visible": expect(loc).to_be_visible,
        "hidden": expect(loc).to_be_hidden,
        "enabled": expect(loc).to_be_enabled,
        "disabled": expect(loc).to_be_disabled,
        "checked": expect(loc).to_be_checked,
        "unchecked": expect(loc).not_to_be_checked,
    }
    await state_checks[spec.state](timeout=timeout)
    if spec.text is not None:
        await expect(loc).to_have_text(spec.text, timeout=timeout)
    if spec.contains is not None:
        await expect(loc).to_contain_text(spec.contains, timeout=timeout)
    if spec.matches is not None:
        await expect(loc).to_have_text(re.compile(spec.matches), timeout=timeout)
    if spec.value is not None:
        await expect(loc).to_have_value(spec.value, timeout=timeout)
    if spec.one_of is not None:
        await expect_one_of(loc, spec.one_of, what, timeout)
    if spec.number is not None:
        await expect_number(loc, spec.number, what, timeout)


async def read_value(page: Page, spec: ExtractSpec, timeout: int) -> str:
    """Read one value: element text, an attribute, an input's value, a count, or the page's path."""
    if spec.url:
        return _pattern(spec, urlsplit(page.url).path, "the page path")
    assert spec.locator is not None  # validated: only url extracts have none
    loc = build_locator(page, spec.locator)
    if spec.count:  # read at once: zero matches is an answer, not a timeout
        return str(await loc.count())
    await loc.wait_for(state="attached", timeout=timeout)
    if spec.attribute == "value":
        raw = await loc.input_value(timeout=timeout)
    elif spec.attribute:
        raw = await loc.get_attribute(spec.attribute, timeout=timeout) or ""
    else:
        await expect(loc).to_be_visible(timeout=timeout)
        raw = await loc.inner_text(timeout=timeout)
    return _pattern(spec, " ".join(raw.split()), "the element's text")


def _pattern(spec: ExtractSpec, text: str, source: str) -> str:
    if not spec.pattern:
        return text
    match = re.search(spec.pattern, text)
    if match is None:
        raise ExpectationFailed(f"extract: {spec.pattern!r} does not match {source}")
    return match.group(1) if match.groups() else match.group(0)


async def perform_step(
    page: Page, step: Step, *, base_url: str, confinement: Confinement, timeout_ms: int, login_path: str | None = None
) -> str | None:
    """Run one rendered step; the extracted value for extract steps, else None."""
    spec = step.spec
    timeout = getattr(spec, "timeout_ms", None) or timeout_ms
    what = step.describe()
    mark = len(confinement.blocked)  # only what this step blocked can explain this step's failure
    try:
        if step.goto is not None:
            await _goto(page, step.goto, base_url, confinement, timeout, login_path)
        elif step.click is not None:
            await build_locator(page, spec.locator).click(timeout=timeout)
        elif step.fill is not None:
            await build_locator(page, spec.locator).fill(spec.value, timeout=timeout)
        elif step.select is not None:
            how, choice = spec.choice()  # by label, value or index: never a guess between them
            loc = build_locator(page, spec.locator)
            if how == "index":
                await loc.select_option(index=int(choice), timeout=timeout)
            elif how == "value":
                await loc.select_option(value=str(choice), timeout=timeout)
            else:
                await loc.select_option(label=str(choice), timeout=timeout)
        elif step.check is not None:
            await build_locator(page, spec.locator).check(timeout=timeout)
        elif step.uncheck is not None:
            await build_locator(page, spec.locator).uncheck(timeout=timeout)
        elif step.press is not None:
            await build_locator(page, spec.locator).press(spec.key, timeout=timeout)
        elif step.wait_for is not None:
            if spec.locator is not None:
                await build_locator(page, spec.locator).wait_for(state=spec.state, timeout=timeout)
            elif spec.url is not None:
                await page.wait_for_url(spec.url, timeout=timeout)
            else:
                await page.wait_for_load_state(spec.load_state, timeout=timeout)
        elif step.expect is not None:
            await _expect(page, spec, timeout, what)
        elif step.extract is not None:
            return await read_value(page, spec, timeout)
    except ExecutionError:
        raise
    except (PlaywrightError, AssertionError) as exc:
        if login_path and page.url.split("?", 1)[0].endswith(login_path):
            # A step failed because the session ended under it (a form post bounced to the login page).
            raise SessionLost(f"{what}: the session ended (the page is the login form)", step=what) from None
        error = classify(exc, what, timeout_ms=timeout)
        if step.is_secret:  # never echo anything a secret step touched
            error = type(error)(f"{step.kind} of a secret value failed ({error.code})", step=what)
        blocked = confinement.navigation_blocked_since(mark)
        if blocked is not None and not isinstance(error, NavigationBlocked):
            error = NavigationBlocked(f"{what}: page tried to navigate to {blocked.origin}{blocked.path}", step=what)
        raise error from None
    return None

"""The real browser backend: Playwright's async API driving Chromium.

One browser per driver; one fresh context per action. Logins run in their own
short-lived context that is never traced or screenshotted, and the resulting
storage state (cookies) is kept in memory only and reused until the target's
session check fails. Secret values therefore never reach a trace.

Each login session serves one action at a time: an action takes an idle
session from the pool (or logs in) and gives it back when it finishes. Two
concurrent actions in one back-office session would read each other's
session-scoped messages (the billing console's flash carries the new credit's
id), so a commit's result could be attributed to the wrong request.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from action_classes import Step, Target, render_step
from executor.browser.confine import BlockedRequest, Confinement
from executor.browser.launch import find_chromium, launch_args
from executor.browser.locate import build_locator
from executor.browser.perform import perform_step
from executor.errors import ExecutionError, LoginFailed, SessionLost

__all__ = ["PlaywrightDriver", "PlaywrightSession"]

_SESSION_CHECK_MS = 5_000
SESSION_TRUST_S = 30.0  # a pooled session used this recently is not re-checked


def resolve_credentials(target: Target) -> dict[str, str]:
    """Credential values from the environment; LoginFailed naming what is missing."""
    values: dict[str, str] = {}
    for name, ref in target.credentials.items():
        var = ref.removeprefix("env:")
        value = os.environ.get(var)
        if not value:
            raise LoginFailed(f"credential {name!r} of target {target.name}: environment variable {var} is not set")
        values[name] = value
    return values


def _login_path(target: Target) -> str | None:
    first = next((s.goto for s in target.login if s.goto is not None), None)
    return first.split("?", 1)[0] if first else None


class PlaywrightDriver:
    """Launches Chromium (or connects to ``ws_endpoint``) and opens action sessions."""

    def __init__(
        self,
        *,
        headless: bool = True,
        ws_endpoint: str | None = None,
        step_timeout_ms: int = 10_000,
        gate_host: str = "127.0.0.1",
    ) -> None:
        self.headless = headless
        self.ws_endpoint = ws_endpoint
        self.step_timeout_ms = step_timeout_ms
        # Where each context's network gate listens: the browser must reach it (a remote
        # browser on another machine needs an address of this host that it can connect to).
        self.gate_host = gate_host
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        # Idle login sessions per target: (storage state, when an action last finished with it).
        self._idle: dict[str, list[tuple[Any, float]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        self._pw = await async_playwright().start()
        if self.ws_endpoint:
            self._browser = await self._pw.chromium.connect(self.ws_endpoint)
        else:
            self._browser = await self._pw.chromium.launch(
                executable_path=find_chromium(), headless=self.headless, args=launch_args()
            )

    async def close(self) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self._pw is not None:
            await self._pw.stop()
        self._browser = self._pw = None

    @property
    def browser(self) -> Browser:
        if self._browser is None:
            raise RuntimeError("PlaywrightDriver.start() was not called")
        return self._browser

    async def new_context(self, target: Target, state: Any) -> tuple[BrowserContext, Confinement]:
        """A context confined to the target's origins (route layer and network gate), service workers blocked."""
        confinement = Confinement(frozenset(target.allowed_origins), gate_host=self.gate_host)
        proxy = await confinement.open_gate()
        try:
            ctx = await self.browser.new_context(
                storage_state=state, service_workers="block", viewport={"width": 1280, "height": 900}, proxy=proxy
            )
            await confinement.install(ctx)
        except BaseException:
            await confinement.close()
            raise
        return ctx, confinement

    async def login_state(self, target: Target, *, force: bool = False) -> Any:
        """Storage state of a logged-in session not in use by another action; logs in when needed (never traced)."""
        state, _ = await self._acquire(target, force=force)
        return state

    async def _acquire(self, target: Target, *, force: bool = False) -> tuple[Any, bool]:
        """(state, trusted): trusted when the session just logged in or worked moments ago."""
        lock = self._locks.setdefault(target.name, asyncio.Lock())
        async with lock:
            idle = self._idle.setdefault(target.name, [])
            if not force and idle:
                state, released = idle.pop()
                return state, time.monotonic() - released < SESSION_TRUST_S
            if not target.login:
                return None, True
            creds = resolve_credentials(target)
            ctx, confinement = await self.new_context(target, None)
            try:
                page = await ctx.new_page()
                for step in target.login:
                    rendered = render_step(step, {"credentials": creds})
                    await perform_step(
                        page,
                        rendered,
                        base_url=target.base_url,
                        confinement=confinement,
                        timeout_ms=self.step_timeout_ms,
                    )
                if not await _session_ok(page, target, confinement):
                    raise LoginFailed(f"login to {target.name} did not reach a signed-in page")
                state = await ctx.storage_state()
            except LoginFailed:
                raise
            except ExecutionError as exc:
                raise LoginFailed(f"login to {target.name} failed at {exc.step or 'a step'} ({exc.code})") from None
            finally:
                await close_context(ctx, confinement)
            return state, True

    def release_state(self, target: Target, state: Any) -> None:
        """An action finished with this login session: the next one may reuse it."""
        if state is not None:
            self._idle.setdefault(target.name, []).append((state, time.monotonic()))

    def forget_login(self, target: Target) -> None:
        """Drop the idle sessions (after a lost session, and in tests to force a fresh login)."""
        self._idle.pop(target.name, None)

    async def open_session(self, target: Target, *, trace: bool, mask: list[Step]) -> PlaywrightSession:
        state, trusted = await self._acquire(target)
        ctx, confinement = await self.new_context(target, state)
        page = await ctx.new_page()
        # A session that worked moments ago skips the check page; if it died since, the first
        # step lands on the login page, raises SessionLost, and the run logs in again.
        if not trusted and target.session_check is not None and not await _session_ok(page, target, confinement):
            await close_context(ctx, confinement)
            state = await self.login_state(target, force=True)
            ctx, confinement = await self.new_context(target, state)
            page = await ctx.new_page()
        session = PlaywrightSession(self, target, ctx, page, confinement, mask)
        session.state = state
        if trace:
            await ctx.tracing.start(screenshots=True, snapshots=True, sources=False)
            session.tracing = True
        return session


async def close_context(ctx: BrowserContext, confinement: Confinement) -> None:
    """Close a context, then its network gate (the gate must outlive every connection of the context)."""
    try:
        await ctx.close()
    finally:
        await confinement.close()


async def _session_ok(page: Page, target: Target, confinement: Confinement) -> bool:
    check = target.session_check
    if check is None:
        return True
    try:
        await perform_step(
            page, Step(goto=check.goto), base_url=target.base_url, confinement=confinement, timeout_ms=_SESSION_CHECK_MS
        )
        await perform_step(
            page,
            Step(expect=check.expect),
            base_url=target.base_url,
            confinement=confinement,
            timeout_ms=_SESSION_CHECK_MS,
        )
    except ExecutionError:
        return False
    return True


class PlaywrightSession:
    """One action's context and current page."""

    def __init__(
        self,
        driver: PlaywrightDriver,
        target: Target,
        ctx: BrowserContext,
        page: Page,
        confinement: Confinement,
        mask: list[Step],
    ) -> None:
        self.driver, self.target, self.ctx, self.page = driver, target, ctx, page
        self.confinement = confinement
        self.mask = mask
        self.tracing = False
        self.state: Any = None
        self.login_path = _login_path(target)

    @property
    def blocked(self) -> list[BlockedRequest]:
        return self.confinement.blocked

    async def run(self, step: Step, *, timeout_ms: int) -> str | None:
        return await perform_step(
            self.page,
            step,
            base_url=self.target.base_url,
            confinement=self.confinement,
            timeout_ms=timeout_ms,
            login_path=self.login_path,
        )

    async def fresh_page(self) -> None:
        self.page = await self.ctx.new_page()

    async def relogin(self) -> None:
        state = self.state = await self.driver.login_state(self.target, force=True)
        if state:
            await self.ctx.clear_cookies()
            await self.ctx.add_cookies(state.get("cookies", []))
        if not await _session_ok(self.page, self.target, self.confinement):
            raise SessionLost(f"could not restore the session on {self.target.name}")

    async def screenshot(self) -> bytes:
        masks = [build_locator(self.page, s.fill.locator) for s in self.mask if s.fill is not None]
        return await self.page.screenshot(full_page=True, mask=masks, animations="disabled")

    async def finish(self) -> bytes | None:
        data: bytes | None = None
        try:
            if self.tracing:
                with tempfile.TemporaryDirectory(prefix="steward-trace-") as tmp:
                    path = Path(tmp) / "trace.zip"
                    await self.ctx.tracing.stop(path=str(path))
                    data = path.read_bytes()
        finally:
            await close_context(self.ctx, self.confinement)
            self.driver.release_state(self.target, self.state)
            self.state = None
        return data

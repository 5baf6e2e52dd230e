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

A pooled session is a live credential. One left idle longer than
``idle_logout_s``, and every idle one at ``close()``, is signed out with the
target's ``logout`` steps (in a context of its own, never traced) and
dropped; one that cannot be signed out is dropped anyway.

A released session gets its next action's context built ahead of time
(``pool.py``), so an action starts on a ready context; the context is still
used by that one action only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from action_classes import Locator, Step, Target, TemplateError, render_step
from executor.browser.confine import BlockedRequest, Confinement
from executor.browser.inspect import describe_element, outlined_screenshot
from executor.browser.launch import launch_args, launch_executable
from executor.browser.locate import build_locator
from executor.browser.perform import classify, perform_step
from executor.browser.pool import Pooled, Ready, close_context
from executor.browser.trace_scrub import Sensitive, scrub_trace
from executor.errors import ExecutionError, LoginFailed, SessionLost, TransientFault

__all__ = ["PlaywrightDriver", "PlaywrightSession", "close_context"]

log = structlog.get_logger("steward.browser")
_SESSION_CHECK_MS = 5_000
SESSION_TRUST_S = 30.0  # a pooled session used this recently is not re-checked
IDLE_LOGOUT_S = 300.0  # a pooled session idle this long is signed out
# No screencast frames: they cost CPU on every paint, and no scrubber can find PII in a picture.
TRACE_OPTIONS: dict[str, Any] = {"screenshots": False, "snapshots": True, "sources": False}


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


def _endpoint_host(url: str) -> str:
    """host:port of a websocket endpoint: its path may be a shared secret and is never logged."""
    return urlsplit(url).netloc


class PlaywrightDriver:
    """Launches Chromium (or connects to ``ws_endpoint``) and opens action sessions."""

    def __init__(
        self,
        *,
        headless: bool = True,
        ws_endpoint: str | None = None,
        step_timeout_ms: int = 10_000,
        gate_host: str = "127.0.0.1",
        idle_logout_s: float = IDLE_LOGOUT_S,
        prepare: bool = True,
    ) -> None:
        self.headless = headless
        self.ws_endpoint = ws_endpoint
        self.step_timeout_ms = step_timeout_ms
        # Where each context's network gate listens: the browser must reach it (a remote
        # browser on another machine needs an address of this host that it can connect to).
        self.gate_host = gate_host
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        # Idle login sessions per target, each with its next context being built (when ``prepare``).
        self._idle: dict[str, list[Pooled]] = {}
        self.prepare = prepare
        self._targets: dict[str, Target] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.idle_logout_s = idle_logout_s
        self._sweeper: asyncio.Task[None] | None = None
        self._logouts: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._confinements: list[Confinement] = []
        # Browser contexts open right now (the steward_browser_contexts_open gauge reads it).
        self.contexts_open = 0
        self._closing = False

    async def start(self) -> None:
        self._pw = await async_playwright().start()
        if self.ws_endpoint:
            self._browser = await self._connect()
        else:
            self._browser = await self._pw.chromium.launch(
                executable_path=launch_executable(), headless=self.headless, args=launch_args()
            )
        self._loop = asyncio.get_running_loop()
        self._sweeper = asyncio.create_task(self._sweep())

    async def _connect(self) -> Browser:
        """Connect to the remote browser server; a lost connection forgets the sessions built on it."""
        endpoint = self.ws_endpoint
        assert self._pw is not None and endpoint is not None
        browser = await self._pw.chromium.connect(endpoint)

        def lost(_: Any) -> None:
            if browser is self._browser and not self._closing:  # its contexts are gone: none may be handed out
                log.warning("browser.disconnected", endpoint=_endpoint_host(endpoint))
                self._idle.clear()

        browser.on("disconnected", lost)
        return browser

    async def _reconnect(self) -> None:
        """A remote browser whose connection dropped is reached again before the next context.

        Failing that, the error is a transient fault: nothing was committed, so the
        runner retries the request with backoff (and, past the commit, verification
        settles it on a later sweep).
        """
        if not self.ws_endpoint or self._browser is None or self._browser.is_connected():
            return
        async with self._locks.setdefault("\0reconnect", asyncio.Lock()):
            if self._browser.is_connected():
                return
            try:
                self._browser = await self._connect()
            except PlaywrightError as exc:
                where = _endpoint_host(self.ws_endpoint)
                raise TransientFault(f"browser server {where} unreachable: {str(exc).splitlines()[0][:200]}",
                                     step="open session") from None
            log.info("browser.reconnected", endpoint=_endpoint_host(self.ws_endpoint))

    async def close(self) -> None:
        """Sign out every idle pooled session, then close the browser."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._logouts:
            await asyncio.gather(*self._logouts, return_exceptions=True)
        if self._browser is not None:
            for name in list(self._idle):
                await self._drop(self._targets[name], self._idle.pop(name))
            await self._browser.close()
        for confinement in self._confinements:
            await confinement.close()
        self._confinements = []
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
        await self._reconnect()
        confinement = Confinement(frozenset(target.allowed_origins), gate_host=self.gate_host)
        proxy = await confinement.open_gate()
        # Kept so close() can stop the gates of contexts nobody finished (a run cut short).
        self._confinements = [c for c in self._confinements if c.gate_open] + [confinement]
        try:
            ctx = await self.browser.new_context(
                storage_state=state, service_workers="block", viewport={"width": 1280, "height": 900}, proxy=proxy
            )
        except PlaywrightError as exc:
            await confinement.close()
            if not self.ws_endpoint:
                raise
            # The remote connection dropped before Playwright reported it: a transient fault (nothing was
            # committed); the retry reconnects first.
            where = _endpoint_host(self.ws_endpoint)
            raise TransientFault(f"browser server {where} connection lost: {str(exc).splitlines()[0][:200]}",
                                 step="open session") from None
        except BaseException:
            await confinement.close()
            raise
        self._opened(ctx)
        try:
            await confinement.install(ctx)
        except BaseException:
            with contextlib.suppress(Exception):
                await close_context(ctx, confinement)
            raise
        return ctx, confinement

    def _opened(self, ctx: BrowserContext) -> None:
        """Count a context until Playwright reports it closed (by us, or with the browser)."""
        self.contexts_open += 1

        def closed(_: Any) -> None:
            self.contexts_open -= 1

        ctx.once("close", closed)

    async def login_state(self, target: Target, *, force: bool = False) -> Any:
        """Storage state of a logged-in session not in use by another action; logs in when needed (never traced)."""
        state, _, _, pooled = await self._acquire(target, force=force)
        if pooled is not None:
            await pooled.discard()
        return state

    async def _acquire(
        self, target: Target, *, force: bool = False
    ) -> tuple[Any, bool, list[BlockedRequest], Pooled | None]:
        """(state, trusted, blocked during login, the pool entry it came from).

        Trusted when the session just logged in or worked moments ago.
        """
        self._targets[target.name] = target
        await self._reconnect()
        await self.evict_idle(target)
        lock = self._locks.setdefault(target.name, asyncio.Lock())
        async with lock:
            idle = self._idle.setdefault(target.name, [])
            if not force and idle:
                pooled = idle.pop()
                return pooled.state, time.monotonic() - pooled.released < SESSION_TRUST_S, [], pooled
            if not target.login:
                return None, True, [], None
            creds = resolve_credentials(target)
            ctx, confinement = await self.new_context(target, None)
            try:
                page = await ctx.new_page()
                for i, step in enumerate(target.login):
                    where = f"login step {i + 1} ({step.describe()})"
                    try:
                        await perform_step(
                            page,
                            render_step(step, {"credentials": creds}),
                            base_url=target.base_url,
                            confinement=confinement,
                            timeout_ms=self.step_timeout_ms,
                        )
                    except ExecutionError as exc:
                        message = _scrub(f"login to {target.name} failed at {where}: {exc.message}", creds)
                        raise LoginFailed(message, step=where, screenshot=await _login_shot(page, target)) from None
                failure = await _session_failure(page, target, confinement, creds)
                if failure is not None:
                    where, why = failure
                    message = _scrub(f"login to {target.name} did not reach a signed-in page: {where}: {why}", creds)
                    raise LoginFailed(message, step=where, screenshot=await _login_shot(page, target))
                state = await ctx.storage_state()
            except LoginFailed as exc:  # what the login's context blocked is recorded with the failure
                exc.details = {**(exc.details or {}), "blocked": list(confinement.blocked)}
                raise
            finally:
                await close_context(ctx, confinement)
            return state, True, list(confinement.blocked), None

    def release_state(self, target: Target, state: Any) -> None:
        """An action finished with this login session: the next one may reuse it, on a context built from now."""
        if state is None:
            return
        self._targets[target.name] = target
        pooled = Pooled(state, time.monotonic())
        if self.prepare and self._browser is not None and _running_loop() is self._loop:
            pooled.ready = asyncio.ensure_future(self._build(target, state))
        self._idle.setdefault(target.name, []).append(pooled)

    async def _build(self, target: Target, state: Any) -> Ready:
        ctx, confinement = await self.new_context(target, state)
        try:
            page = await ctx.new_page()
            # Started ahead too; an action that must not be traced stops it (discarding it) before any step.
            await ctx.tracing.start(**TRACE_OPTIONS)
        except BaseException:
            await close_context(ctx, confinement)
            raise
        return Ready(target, ctx, confinement, page, tracing=True)

    def forget_login(self, target: Target) -> None:
        """Drop the idle sessions (after a lost session, and in tests to force a fresh login); they are signed out."""
        pooled = self._idle.pop(target.name, [])
        if pooled and self._loop is not None:  # callers may be on another thread (tests are)
            self._loop.call_soon_threadsafe(self._spawn_drop, target, pooled)

    def _spawn_drop(self, target: Target, pooled: list[Pooled]) -> None:
        task = asyncio.ensure_future(self._drop(target, pooled))
        self._logouts.add(task)
        task.add_done_callback(self._logouts.discard)

    async def _drop(self, target: Target, pooled: list[Pooled]) -> None:
        """Sessions leave the pool: close what was built for them, then sign each out."""
        for entry in pooled:
            await entry.discard()
        await self._sign_out(target, [entry.state for entry in pooled])

    async def evict_idle(self, target: Target | None = None) -> int:
        """Sign out pooled sessions idle longer than ``idle_logout_s``; how many were evicted."""
        cutoff = time.monotonic() - self.idle_logout_s
        evicted = 0
        for name in [target.name] if target is not None else list(self._idle):
            idle = self._idle.get(name, [])
            stale = [p for p in idle if p.released <= cutoff]
            if stale:
                self._idle[name] = [p for p in idle if p.released > cutoff]
                await self._drop(self._targets[name], stale)
                evicted += len(stale)
        return evicted

    async def _sweep(self) -> None:
        """Evict idle sessions even when no action comes to notice them."""
        while True:
            await asyncio.sleep(min(60.0, max(1.0, self.idle_logout_s / 4)))
            try:
                await self.evict_idle()
            except Exception as exc:  # the sweeper must outlive one bad sign-out
                log.warning("session.evict_failed", error=str(exc)[:200])

    async def _sign_out(self, target: Target, states: list[Any]) -> None:
        """Run the target's logout steps for each state; failures are logged, never raised: the state is gone."""
        for state in states:
            if not target.logout:
                log.info("session.dropped", target=target.name, reason="the target has no logout steps")
                continue
            try:
                ctx, confinement = await self.new_context(target, state)
            except Exception as exc:
                log.warning("session.logout_failed", target=target.name, error=str(exc)[:200])
                continue
            try:
                page = await ctx.new_page()
                for step in target.logout:
                    await perform_step(
                        page, step, base_url=target.base_url, confinement=confinement, timeout_ms=self.step_timeout_ms
                    )
                log.info("session.signed_out", target=target.name)
            except Exception as exc:
                code = getattr(exc, "code", type(exc).__name__)
                log.warning("session.logout_failed", target=target.name, error=code)
            finally:
                with contextlib.suppress(Exception):
                    await close_context(ctx, confinement)

    async def open_session(
        self,
        target: Target,
        *,
        trace: bool,
        mask: list[Step],
        sensitive: Sensitive | None = None,
        spare: bool = False,
    ) -> PlaywrightSession:
        state, trusted, login_blocked, pooled = await self._acquire(target)
        ready = await pooled.take() if pooled is not None else None
        if ready is not None and ready.target != target:  # built under an earlier catalog version
            await ready.close()
            ready = None
        if ready is None:
            ready = await self._build(target, state)
        # A session that worked moments ago skips the check page; if it died since, the first
        # step lands on the login page, raises SessionLost, and the run logs in again.
        if not trusted and target.session_check is not None:
            await _untraced(ready)  # a session check may render credentials: never traced
        if not trusted and target.session_check is not None and not await _session_ok(
            ready.page, target, ready.confinement
        ):
            await ready.close()
            state, _, more, _ = await self._acquire(target, force=True)
            login_blocked += more
            ready = await self._build(target, state)
        sensitive = sensitive or Sensitive()
        session = PlaywrightSession(self, target, ready.ctx, ready.page, ready.confinement, mask, sensitive)
        if spare:
            session.spare = asyncio.ensure_future(_open_spare(ready.ctx, ready.page))
        session.state = state
        session.login_blocked = login_blocked
        if not trace:
            await _untraced(ready)
        elif not ready.tracing:
            await ready.ctx.tracing.start(**TRACE_OPTIONS)
        session.tracing = trace
        return session


async def _session_failure(
    page: Page, target: Target, confinement: Confinement, creds: dict[str, str] | None = None
) -> tuple[str, str] | None:
    """None while signed in; else (the session_check step that failed, why)."""
    values = {"credentials": creds if creds is not None else {}}
    for i, step in enumerate(target.session_check or []):
        where = f"session_check step {i + 1} ({step.describe()})"
        try:
            await perform_step(
                page,
                render_step(step, values),
                base_url=target.base_url,
                confinement=confinement,
                timeout_ms=_SESSION_CHECK_MS,
            )
        except (ExecutionError, TemplateError) as exc:
            return where, getattr(exc, "message", None) or str(exc)
    return None


async def _untraced(ready: Ready) -> None:
    """Stop a trace started ahead, keeping nothing of it."""
    if ready.tracing:
        await ready.ctx.tracing.stop()
        ready.tracing = False


async def _open_spare(ctx: BrowserContext, front: Page) -> Page:
    """Verification's page, opened while the steps run; the steps' page is put back in front.

    A page behind another gets its animation frames throttled, and every click
    waits for frames (Playwright's stability check): the page in use must be in front.
    """
    spare = await ctx.new_page()
    await front.bring_to_front()
    return spare


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _session_ok(page: Page, target: Target, confinement: Confinement) -> bool:
    try:
        creds = resolve_credentials(target)
    except LoginFailed:  # the check then fails on its own if it needs a credential
        creds = {}
    return await _session_failure(page, target, confinement, creds) is None


def _scrub(message: str, creds: dict[str, str]) -> str:
    for value in creds.values():
        if value:
            message = message.replace(value, "***")
    return message


async def _login_shot(page: Page, target: Target) -> bytes | None:
    """The failing login page with credential fills and password inputs masked; None if it cannot be taken."""
    masks = [
        build_locator(page, s.fill.locator)
        for s in target.login
        if s.fill is not None and (s.fill.secret or "{credentials." in s.fill.value)
    ]
    masks.append(page.locator("input[type=password]"))
    try:
        return await page.screenshot(full_page=True, mask=masks, animations="disabled", timeout=_SESSION_CHECK_MS)
    except Exception:  # a missing screenshot must never hide why the login failed
        return None


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
        sensitive: Sensitive | None = None,
    ) -> None:
        self.driver, self.target, self.ctx, self.page = driver, target, ctx, page
        self.confinement = confinement
        self.mask = mask
        self.sensitive = sensitive or Sensitive()
        self.tracing = False
        self.state: Any = None
        self.spare: asyncio.Future[Page] | None = None  # verification's page, opened while the steps run
        self.login_blocked: list[BlockedRequest] = []
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
        spare, self.spare = self.spare, None
        page: Page | None = None
        if spare is not None:
            with contextlib.suppress(Exception):  # it failed to open: open one now
                page = await spare
        if page is None:
            page = await self.ctx.new_page()
        await page.bring_to_front()
        self.page = page

    async def relogin(self) -> None:
        state, _, blocked, _ = await self.driver._acquire(self.target, force=True)
        self.state = state
        self.login_blocked += blocked
        if state:
            await self.ctx.clear_cookies()
            await self.ctx.add_cookies(state.get("cookies", []))
        if not await _session_ok(self.page, self.target, self.confinement):
            raise SessionLost(f"could not restore the session on {self.target.name}")

    def screenshot(self) -> Awaitable[bytes]:
        """The current page's picture, bound to that page now: the run may move to another page meanwhile."""
        page = self.page
        masks = [build_locator(page, s.fill.locator) for s in self.mask if s.fill is not None]
        return page.screenshot(full_page=True, mask=masks, animations="disabled")

    async def inspect(self, locator: Locator, *, timeout_ms: int) -> dict[str, Any]:
        try:
            return await describe_element(build_locator(self.page, locator), timeout_ms)
        except PlaywrightError as exc:
            raise classify(exc, f"inspect {locator.describe()}", timeout_ms=timeout_ms) from None

    async def screenshot_outlined(self, locator: Locator) -> bytes:
        masks = [build_locator(self.page, s.fill.locator) for s in self.mask if s.fill is not None]
        return await outlined_screenshot(self.page, build_locator(self.page, locator), masks)

    async def finish(self, keep_trace: bool = True) -> bytes | None:
        # The steps are over: the login session is free, and its next context is built while this one closes.
        self.driver.release_state(self.target, self.state)
        self.state = None
        data: bytes | None = None
        try:
            if self.tracing and keep_trace:
                # Cookie values are secrets wherever they show up (a page echoing document.cookie).
                cookies = [str(c.get("value", "")) for c in await self.ctx.cookies()]
                with tempfile.TemporaryDirectory(prefix="steward-trace-") as tmp:
                    path = Path(tmp) / "trace.zip"
                    await self.ctx.tracing.stop(path=str(path))
                    raw = path.read_bytes()
                sensitive = self.sensitive.with_secrets(cookies)
                # Parsing and rewriting every member is CPU work: off the event loop, other runs go on.
                data = await asyncio.to_thread(scrub_trace, raw, sensitive.with_origins(self.target.allowed_origins))
        finally:
            if self.spare is not None:  # never close a context under a page still being opened
                with contextlib.suppress(Exception):
                    await self.spare
                self.spare = None
            await close_context(self.ctx, self.confinement)
        return data

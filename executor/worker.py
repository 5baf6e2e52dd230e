"""The worker loop: recover, claim, run, repeat; shut down by notify, drain, wait.

Running jobs live in a dict by request id. The loop races "a job finished"
against "the queue changed" (pushed: ``executor.notify``), a slow fallback
poll and "stop", so it never sleeps through any of them. A second task
listens for kill-switch changes and interrupts in-flight pre-commit steps
the moment a switch covers them (``Runner.on_kill_change``). Every
couple of seconds (and first thing) it recovers expired leases
(``executor.recovery``). When the database or the audit log cannot be
written, nothing is claimed: the worker logs ``worker.fail_closed`` with the
reason and waits (with ``once`` it raises, so a CLI run exits saying why).

The lease defaults to 30 s; ``STEWARD_LEASE_S`` overrides the default (the
chaos tests use a short lease so recovery does not wait 30 s).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections import deque
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from executor.allocator import pin_mmap_threshold
from executor.browser.driver import BrowserDriver
from executor.errors import FailClosed
from executor.killswitch import halted_by
from executor.notify import HUB, KILL, QUEUE, Listener, Subscription
from executor.recovery import Recovery
from executor.runner import Runner
from executor.service import Steward
from executor.store import RequestRecord

__all__ = ["Worker"]

log = structlog.get_logger("steward.worker")
_SWITCH_INTERVAL_S = 0.0005
_KEEP_FINISHED = 256


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def default_lease_s() -> float:
    """``STEWARD_LEASE_S`` when set (tests use a short one), else 30 s."""
    raw = os.environ.get("STEWARD_LEASE_S")
    return float(raw) if raw else 30.0


class Worker:
    """Claims queued requests and runs up to ``concurrency`` at once."""

    def __init__(
        self,
        steward: Steward,
        driver: BrowserDriver,
        *,
        concurrency: int = 1,
        poll_s: float = 1.0,
        lease_s: float | None = None,
        worker_id: str | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.steward = steward
        self.driver = driver
        self.concurrency = concurrency
        self.poll_s = poll_s
        self.lease_s = lease_s if lease_s is not None else default_lease_s()
        self.worker_id = worker_id or default_worker_id()
        self.runner = Runner(steward, driver, self.worker_id, lease_s=self.lease_s)
        steward.metrics.watch_driver(driver)
        self.recovery = Recovery(self.runner)
        self.running: dict[str, asyncio.Task[RequestRecord | None]] = {}
        # Ids of the last requests this worker finished, and every record of a ``run(once=True)`` (its return
        # value). A long-running worker keeps no records: it kept every one (about 24 KB per action, +23 MB over
        # the 1,000-action soak), then the last 256 (3 MB that a soak's tracemalloc still found growing).
        self.recent: deque[str] = deque(maxlen=_KEEP_FINISHED)
        self.finished: list[RequestRecord] = []
        self.finished_count = 0
        self._keep_records = False
        self._stop = asyncio.Event()
        self._last_sweep = 0.0

    def stop(self) -> None:
        """Notify: claim nothing new; running jobs finish."""
        self._stop.set()

    async def _claim(self) -> RequestRecord | None:
        return await asyncio.to_thread(self.steward.store.claim_next, self.worker_id, self.lease_s, halted_by)

    async def _sweep(self) -> None:
        """Housekeeping every few seconds: pick up new catalog/policy versions, expire stale waits."""
        if time.monotonic() - self._last_sweep < 2.0:
            return
        self._last_sweep = time.monotonic()
        # A new catalog or policy version (a file edited, a promotion, a rollout started) decides from now on;
        # one that does not load is reported and the previous one stays (executor.reload).
        await asyncio.to_thread(self.steward.reloader.maybe)
        for rec in await asyncio.to_thread(self.steward.expire_due):
            log.info("request.expired", request_id=rec.id)
        try:
            await asyncio.to_thread(self.steward.checkpointer.maybe_checkpoint)
        except Exception as exc:  # checkpoints must never stop execution; verify reports gaps
            log.warning("checkpoint.failed", error=str(exc)[:300])

    async def run(self, *, once: bool = False, grace_s: float = 60.0) -> list[RequestRecord]:
        """Loop until stopped (or, with ``once``, until the queue is empty).

        Returns every record finished by a ``once`` run; a run until stopped returns none (``recent`` holds
        the ids of its last finished requests, ``finished_count`` counts them all).
        """
        # Large buffers (pages, protocol messages) go back to the system when freed instead of fragmenting the
        # C heap of a worker that runs for days (executor.allocator).
        pinned = pin_mmap_threshold()
        log.info("worker.started", worker=self.worker_id, concurrency=self.concurrency, mmap_threshold_pinned=pinned)
        self._keep_records = once  # the caller of a one-off run gets every record
        # The event loop thread is busy with the browser's protocol traffic; the database calls run in threads
        # that need the GIL back after every round trip. A shorter switch interval than CPython's 5 ms keeps
        # a kill switch's few round trips from queueing behind it (one node's halt p99: see docs/fleet.md).
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(_SWITCH_INTERVAL_S)
        sub = HUB.subscribe()
        helpers = [
            asyncio.create_task(Listener(self.steward.engine).run(), name="steward-listener"),
            asyncio.create_task(self._watch_kills(sub), name="steward-kill-watch"),
        ]
        try:
            while not self._stop.is_set():
                try:
                    await self._sweep()
                    await self._recover()
                    while len(self.running) < self.concurrency and (rec := await self._claim()) is not None:
                        self.running[rec.id] = asyncio.create_task(self.runner.run(rec), name=rec.id)
                except (FailClosed, SQLAlchemyError) as exc:
                    reason = f"nothing executes: {exc}".splitlines()[0][:300]
                    log.error("worker.fail_closed", worker=self.worker_id, reason=reason)
                    if once:
                        raise FailClosed(reason) from exc
                    await asyncio.sleep(max(self.poll_s, 1.0))
                if once and not self.running:
                    break
                wakers = [asyncio.create_task(self._stop.wait()), asyncio.create_task(sub.wait(QUEUE))]
                done, _ = await asyncio.wait(
                    [*self.running.values(), *wakers], timeout=self.poll_s, return_when=asyncio.FIRST_COMPLETED
                )
                for waker in wakers:
                    waker.cancel()
                self._reap(done)
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            HUB.unsubscribe(sub)
            await self._drain(grace_s)
            sys.setswitchinterval(switch_interval)
        log.info("worker.stopped", worker=self.worker_id, finished=self.finished_count)
        return list(self.finished)

    async def _watch_kills(self, sub: Subscription) -> None:
        """Each kill-switch change: re-read the switches and interrupt what they now cover.

        Cancelled at shutdown, the watcher first lets a running re-read finish: it
        holds a database connection in a thread, which must be returned before
        the engine is disposed (else PostgreSQL connections leak).
        """
        while True:
            await sub.wait(KILL)
            sub.events[QUEUE].set()  # a release may free queued requests
            check = asyncio.ensure_future(self.runner.on_kill_change())
            try:
                await asyncio.shield(check)
            except asyncio.CancelledError:
                # Stopping: let the read finish first, its thread holds a database connection that must
                # go back to the pool before the engine is disposed.
                await asyncio.gather(check, return_exceptions=True)
                raise
            except Exception as exc:  # the step-boundary check still holds; never stop watching
                log.error("worker.kill_watch_failed", error=str(exc)[:300])

    async def _recover(self) -> None:
        """Take over expired leases; settle in-doubt requests as running jobs."""
        room = max(1, self.concurrency - len(self.running))
        for rec in await self.recovery.sweep(busy=set(self.running), limit=room):
            self.running[rec.id] = asyncio.create_task(self.recovery.settle(rec), name=rec.id)

    def _reap(self, done: set[Any]) -> None:
        for request_id, task in list(self.running.items()):
            if task in done or task.done():
                del self.running[request_id]
                if task.cancelled():
                    continue
                exc = task.exception()
                if exc is not None:
                    log.error("request.crashed", request_id=request_id, error=f"{type(exc).__name__}: {exc}"[:300])
                elif (result := task.result()) is not None:
                    self.recent.append(request_id)
                    self.finished_count += 1
                    if self._keep_records:
                        self.finished.append(result)

    async def _drain(self, grace_s: float) -> None:
        """Wait for running jobs up to ``grace_s``; then cancel (leases expire, recovery settles them)."""
        if not self.running:
            return
        done, pending = await asyncio.wait(list(self.running.values()), timeout=grace_s)
        for task in pending:
            task.cancel()
        self._reap(done | pending)

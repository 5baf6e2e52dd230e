"""Worker shutdown: the kill-switch watcher returns its database connection before the worker stops."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from executor.notify import HUB, KILL


class TestKillWatchShutdown:
    @pytest.mark.browser
    def test_stop_waits_for_a_running_kill_switch_reread(self, db_url: str, make_steward: Any, loop_thread: Any,
                                                         driver: Any) -> None:
        """A stop that lands while the watcher re-reads the switches in a thread returns only after that read.

        Otherwise the engine could be disposed with the read's connection still checked out (a leaked
        PostgreSQL connection and a ResourceWarning).
        """
        from executor.worker import Worker

        steward = make_steward(db_url)
        entered, finished = threading.Event(), threading.Event()
        read = steward.store.kill_switches

        def slow_read() -> Any:
            entered.set()
            time.sleep(0.3)  # long enough that the stop arrives mid-read
            try:
                return read()
            finally:
                finished.set()

        worker = Worker(steward, driver, poll_s=60, lease_s=30)

        async def scenario() -> bool:
            run = asyncio.ensure_future(worker.run(grace_s=5))
            await asyncio.sleep(0)  # let the worker subscribe before the change is fired
            steward.store.kill_switches = slow_read  # type: ignore[method-assign]
            HUB.fire(KILL)
            while not entered.is_set():
                await asyncio.sleep(0.01)
            worker.stop()
            await run
            return finished.is_set()

        assert loop_thread.run(scenario()) is True

"""Worker shutdown: the kill-switch watcher returns its database connection before the worker stops."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Any

import pytest

from executor.models import SubmitRequest
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


class TestFinishedRecords:
    @pytest.mark.browser
    def test_a_long_running_worker_keeps_only_the_last_ids(self, db_url: str, make_steward: Any,
                                                          loop_thread: Any, driver: Any) -> None:
        """A worker that runs until stopped keeps the ids of the last 256 finished requests and no records (it
        kept every record: ~24 KB per action, 23 MB over the 1,000-action soak), and counts all; a one-off run
        returns every record."""
        from executor import worker as worker_module
        from executor.worker import Worker

        steward = make_steward(db_url)
        worker = Worker(steward, driver, poll_s=60, lease_s=30)

        async def reap(n: int) -> None:
            for i in range(n):
                task = asyncio.get_running_loop().create_future()
                task.set_result(f"record-{i}")
                worker.running[f"req_{i}"] = task  # type: ignore[assignment]
            worker._reap(set(worker.running.values()))

        loop_thread.run(reap(worker_module._KEEP_FINISHED + 100))
        assert worker.finished_count == worker_module._KEEP_FINISHED + 100
        assert len(worker.recent) == worker_module._KEEP_FINISHED
        assert worker.recent[-1] == f"req_{worker_module._KEEP_FINISHED + 99}"
        assert worker.recent[0] == "req_100"
        assert worker.finished == []  # no record is kept outside a one-off run

        steward.submit(SubmitRequest(action="lookup_account", params={"account_id": "ACC-000003"}), "agent")
        once = Worker(steward, driver, poll_s=0.02, lease_s=30)
        records = loop_thread.run(once.run(once=True))
        assert [r.action for r in records] == ["lookup_account"] and records == once.finished
        assert once.recent == deque([records[0].id])

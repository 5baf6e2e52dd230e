"""Pushed wake-ups: a queued request starts without waiting for a poll; a kill switch cuts a step short."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from action_classes import load_catalog
from executor.models import SubmitRequest
from policies import Policy
from tests.executor.conftest import AGENT, credit
from tests.helpers import LoopThread

pytestmark = pytest.mark.browser
CATALOG = Path(__file__).parent / "catalogs"


@pytest.fixture
def background_worker(loop_thread: LoopThread, driver: Any) -> Iterator[Callable[..., Any]]:
    """Start a long-running worker (no ``once``) with a very slow fallback poll; stopped after the test."""
    from executor.worker import Worker

    started: list[tuple[Any, Any]] = []

    def start(steward: Any) -> Any:
        worker = Worker(steward, driver, concurrency=2, poll_s=60, lease_s=30)

        async def launch() -> Any:
            return asyncio.ensure_future(worker.run(grace_s=5))

        started.append((worker, loop_thread.run(launch())))
        return worker

    yield start
    for worker, task in started:
        loop_thread.loop.call_soon_threadsafe(worker.stop)

        async def join(t: Any = task) -> None:
            await t

        loop_thread.run(join())


def _wait_for(predicate: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - start


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from executor.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def lab(make_steward: Any, db_url: str) -> Any:
    return make_steward(db_url, catalog=load_catalog(CATALOG), policy=Policy([], version="empty"))


class TestKillSwitchPush:
    def _start_slow(self, lab: Any, background_worker: Any) -> Any:
        background_worker(lab)
        rec, _ = lab.submit(SubmitRequest(action="slow_lab"), AGENT)
        _wait_for(lambda: bool(lab.audit.entries(action_id=rec.id, types=["step.completed"])), 30)
        time.sleep(2)  # past the step boundary's own check: the 30 s wait is under way
        return rec

    def test_same_process_interrupts_a_long_wait(self, lab: Any, background_worker: Any) -> None:
        """A switch engaged in the worker's process aborts a request stuck in a 30 s wait, naming the step."""
        rec = self._start_slow(lab, background_worker)
        lab.kill("action:slow_lab", "dana", "stop the lab")
        took = _wait_for(lambda: lab.get(rec.id).terminal, 20)
        rec = lab.get(rec.id)
        assert rec.state.value == "aborted" and rec.error_code == "halted", rec.error_message
        assert "wait_for" in (rec.outcome or {}).get("step", "") and "interrupted mid-step" in rec.error_message
        # Recorded at once: the halted run's trace is dropped, not stopped, scrubbed and stored first.
        assert (rec.outcome or {}).get("trace") == "not kept: a kill switch halts a run at once"
        stored = [e.payload for e in lab.audit.entries(action_id=rec.id, types=["evidence.stored"])]
        assert not [p for p in stored if p.get("kind") == "trace"], stored
        assert took < 15  # far below the 30 s the wait would have taken; the benchmark measures the latency

    def test_other_process_interrupts_a_long_wait(
        self, lab: Any, background_worker: Any, db_url: str, tmp_path: Path
    ) -> None:
        """A switch engaged by another process (the CLI) reaches the worker and aborts the waiting step."""
        rec = self._start_slow(lab, background_worker)
        result = _cli(
            "kill", "--db", db_url, "--home", str(tmp_path / "cli"), "--scope", "global", "--operator", "dana",
            "--reason", "incident",
        )
        assert result.returncode == 0, result.stderr
        _wait_for(lambda: lab.get(rec.id).terminal, 20)
        rec = lab.get(rec.id)
        assert rec.state.value == "aborted" and "interrupted mid-step" in (rec.error_message or "")


class TestQueuePush:
    def test_submission_wakes_the_worker(
        self, make_steward: Any, db_url: str, background_worker: Any, tmp_path: Path
    ) -> None:
        """A request submitted by another process starts without the worker's (60 s) poll."""
        steward = make_steward(db_url)
        background_worker(steward)
        time.sleep(0.5)  # the worker is idle, waiting
        result = _cli(
            "submit", "lookup_account", "-p", "account_id=ACC-000033", "--requester", "agent-9", "--db", db_url,
            "--home", str(tmp_path / "cli"), "--json",
        )
        assert result.returncode == 0, result.stderr
        _wait_for(lambda: any(r.terminal for r in steward.store.recent(requester="agent-9")), 30)
        assert [r.state.value for r in steward.store.recent(requester="agent-9")] == ["succeeded"]


class TestPastCommit:
    def test_switch_after_commit_started_lets_verification_finish(
        self, make_steward: Any, db_url: str, background_worker: Any, billing: Any, accounts: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A global halt engaged right after commit.started does not interrupt: the credit is verified once."""
        steward = make_steward(db_url)
        real = steward.store.mark_commit_started

        def mark_then_kill(*args: Any, **kwargs: Any) -> bool:
            ok = bool(real(*args, **kwargs))
            steward.kill("global", "dana", "halt during the commit")
            return ok

        monkeypatch.setattr(steward.store, "mark_commit_started", mark_then_kill)
        acc = accounts.take()
        background_worker(steward)
        rec, _ = steward.submit(credit(acc, 777, "Halt racing the commit"), AGENT)
        _wait_for(lambda: steward.get(rec.id).terminal, 60)
        assert steward.get(rec.id).state.value == "succeeded"
        assert billing.db.count_credits(acc) == 1

"""Chaos: SIGKILL a worker process at every boundary of issue_credit; a new worker settles it.

The crashing worker runs with ``STEWARD_CRASH_AT`` (the runner's fault-injection
hook) and a 1.5 s lease (``STEWARD_LEASE_S``); the next one runs with neither.
The fixture's own database is the judge: the credit exists exactly once when
the commit click happened and never otherwise, and the request ends terminal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from executor.errors import FailClosed
from tests.executor.conftest import AGENT, credit

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
LEASE_S = 1.5

# boundary -> (final state, credits in the console afterwards)
MATRIX = {
    "before:precondition:0": ("succeeded", 1),  # requeued, runs again from the first step
    "before:step:2": ("succeeded", 1),
    "before:commit": ("succeeded", 1),  # commit.started not yet written: requeued
    "during:commit": ("unverified", 0),  # marked, not clicked: the credit id is unknown, a person checks
    "after:click": ("unverified", 1),  # clicked, credit id never recorded: fail closed, never re-committed
    "after:commit": ("succeeded", 1),  # in_doubt, verify-only run confirms
    "during:verify": ("succeeded", 1),
}


def _worker(db_url: str, home: Path, **env: str) -> subprocess.Popen[bytes]:
    code = "from executor.cli import main; main()"
    cmd = [sys.executable, "-c", code, "worker", "--once", "--db", db_url, "--home", str(home)]
    clean = {k: v for k, v in os.environ.items() if k not in ("STEWARD_CRASH_AT", "STEWARD_LEASE_S")}
    return subprocess.Popen(cmd, cwd=ROOT, env={**clean, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class TestKillMatrix:
    @pytest.mark.parametrize("boundary", list(MATRIX))
    def test_sigkill_then_recover(
        self, db_url: str, make_steward: Any, billing: Any, accounts: Any, tmp_path: Path, boundary: str
    ) -> None:
        """After a SIGKILL at the boundary, a fresh worker ends the request terminal with the right credit count."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 100, reason=f"chaos {boundary}"), AGENT)
        home = tmp_path / "home"
        first = _worker(db_url, home, STEWARD_CRASH_AT=boundary, STEWARD_LEASE_S=str(LEASE_S))
        _, err = first.communicate(timeout=90)
        assert first.returncode == -signal.SIGKILL, err.decode()[-2000:]
        assert steward.get(rec.id).state.value == "executing"
        time.sleep(LEASE_S + 0.2)
        second = _worker(db_url, home)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()[-2000:]
        state, credits = MATRIX[boundary]
        rec = steward.get(rec.id)
        assert rec.terminal and rec.state.value == state, rec.error_message
        assert billing.db.count_credits(acc) == credits
        assert [c.reason for c in billing.db.credits(acc)].count(f"chaos {boundary}") == credits
        types = [e.type for e in steward.audit.entries(action_id=rec.id)]
        assert types.count("commit.started") <= 1  # the commit step never runs twice
        assert ("request.in_doubt" in types) == (state != "succeeded" or boundary in ("after:commit", "during:verify"))


class TestFailClosedWorker:
    def test_audit_unwritable_nothing_executes(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """With the audit log unwritable the worker claims nothing and says why."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 100), AGENT)

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise OSError("disk full")

        steward.store.audit.append = broken  # type: ignore[method-assign]
        with capture_logs() as logs, pytest.raises(FailClosed, match=r"nothing executes.*disk full"):
            run_worker(steward)
        assert any(e["event"] == "worker.fail_closed" and "disk full" in e["reason"] for e in logs)
        assert steward.get(rec.id).state.value == "queued"
        assert billing.db.count_credits(acc) == 0

    def test_read_only_database_nothing_executes(
        self, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """A PostgreSQL database switched to read-only: nothing is claimed or executed."""
        from tests.helpers import pg_schema

        with pg_schema() as url:
            steward = make_steward(url)
            acc = accounts.take()
            rec, _ = steward.submit(credit(acc, 100), AGENT)

            def read_only(dbapi_conn: Any, record: Any) -> None:
                dbapi_conn.execute("SET default_transaction_read_only = on")
                dbapi_conn.commit()

            sa.event.listen(steward.engine, "connect", read_only)
            steward.engine.dispose()
            with pytest.raises(FailClosed, match=r"nothing executes.*read-only"):
                run_worker(steward)
            sa.event.remove(steward.engine, "connect", read_only)
            steward.engine.dispose()
            assert steward.get(rec.id).state.value == "queued"
            assert billing.db.count_credits(acc) == 0
            steward.close()

    def test_kill_switch_unreadable_mid_run(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """The kill switch state becoming unreadable while executing aborts before the commit."""
        steward = make_steward(db_url)
        acc = accounts.take()
        admin = {"X-Fixture-Admin": "test-admin"}
        httpx.post(f"{billing.base_url}/__faults", json={"delay_ms": {f"/accounts/{acc}": 1500}}, headers=admin)
        try:
            rec, _ = steward.submit(credit(acc, 100), AGENT)

            def drop_when_executing() -> None:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    if steward.get(rec.id).state.value == "executing":
                        with steward.engine.begin() as conn:
                            conn.execute(sa.text("DROP TABLE steward_kill_switches"))
                        return
                    time.sleep(0.02)

            dropper = threading.Thread(target=drop_when_executing)
            dropper.start()
            with pytest.raises(FailClosed, match="nothing executes"):  # the next claim cannot read it either
                run_worker(steward)
            dropper.join()
        finally:
            httpx.post(f"{billing.base_url}/__faults", json={}, headers=admin)
        rec = steward.get(rec.id)
        assert rec.state.value == "aborted" and rec.error_code == "fail_closed"
        assert "kill switch" in (rec.error_message or "")
        assert billing.db.count_credits(acc) == 0

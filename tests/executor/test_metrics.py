"""Prometheus metrics: scraped from /metrics after real requests ran on the fixture, parsed with prometheus_client.

Every value is checked against what happened (the database, the audit log).
"""

from __future__ import annotations

import asyncio
import json
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
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from executor.api import ApiConfig, create_app
from executor.api._server import free_port
from executor.models import SubmitRequest
from executor.states import RequestState
from tests.api.conftest import make_keys
from tests.executor.conftest import AGENT, OPERATOR, context, credit

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(text: str) -> Samples:
    """Every sample of an exposition, keyed by (sample name, sorted labels); the parser rejects bad text."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """Sum of ``name`` over every label set that includes ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


@pytest.mark.browser
class TestScrapeAfterRealRequests:
    def test_values_match_what_happened(self, db_url: str, make_steward: Any, run_worker: Any, accounts: Any,
                                        driver: Any, loop_thread: Any) -> None:
        """Terminal counts, durations, verification, approvals, queue, kill switches and audit appends add up."""
        steward = make_steward(db_url)
        client = TestClient(create_app(steward, config=ApiConfig(rate_per_s=0)))
        make_keys(steward)

        small, _ = steward.submit(credit(accounts.take(), 1200, "Metrics small"), AGENT)
        big, _ = steward.submit(credit(accounts.take(), 20_000, "Metrics big"), AGENT)
        forbidden, _ = steward.submit(credit(accounts.take(), 60_000, "Metrics huge"), AGENT)
        unknown, _ = steward.submit(SubmitRequest(action="no_such_action", params={}, context=context()), AGENT)
        steward.kill("action:lookup_account", OPERATOR, "metrics test")
        assert [small.state, big.state] == [RequestState.QUEUED, RequestState.AWAITING_APPROVAL]
        assert [forbidden.state, unknown.state] == [RequestState.REJECTED, RequestState.REJECTED]

        before = scrape(client.get("/metrics").text)
        assert value(before, "steward_database_readable") == 1
        assert value(before, "steward_queue_depth") == 1
        assert value(before, "steward_queue_oldest_age_seconds") >= 0
        assert value(before, "steward_approvals_waiting") == 1
        assert value(before, "steward_kill_switches_engaged", scope="action:lookup_account") == 1
        assert value(before, "steward_kill_switch_scopes_engaged") == 1
        assert value(before, "steward_requests_total", action="issue_credit", **{"class": "forbidden"},
                     state="rejected") == 1
        assert value(before, "steward_requests_total", action="unknown", **{"class": "none"}, state="rejected") == 1

        steward.approve(big.id, OPERATOR, "checked")
        run_worker(steward)
        for rec in (small, big):
            assert steward.get(rec.id).state == RequestState.SUCCEEDED, steward.get(rec.id).error_message

        after = scrape(client.get("/metrics").text)
        assert value(after, "steward_queue_depth") == 0 and value(after, "steward_queue_oldest_age_seconds") == 0
        assert value(after, "steward_approvals_waiting") == 0
        assert value(after, "steward_requests_total", action="issue_credit", **{"class": "autonomous"},
                     state="succeeded") == 1
        assert value(after, "steward_requests_total", action="issue_credit", **{"class": "human_approved"},
                     state="succeeded") == 1
        assert value(after, "steward_request_duration_seconds_count", action="issue_credit", state="succeeded") == 2
        assert value(after, "steward_verifications_total", action="issue_credit", outcome="verified") == 2
        assert value(after, "steward_approval_latency_seconds_count", action="issue_credit", decision="approved") == 1
        # One observation per browser step the audit log recorded, plus one per commit.
        steps = sum(len(steward.audit.entries(action_id=r.id, types=["step.completed"])) for r in (small, big))
        assert total(after, "steward_step_duration_seconds_count", action="issue_credit") == steps + 2
        assert value(after, "steward_step_duration_seconds_count", action="issue_credit", phase="commit",
                     kind="click") == 2
        assert total(after, "steward_step_duration_seconds_count", phase="verify") > 0
        # Every audit entry of this database was appended through this Steward's store.
        assert value(after, "steward_audit_append_duration_seconds_count") == steward.audit.size()
        # What stays open is the next action's context, built ahead for each idle login session
        # (and whatever earlier tests' simulated crashes left open): the gauge is what the browser holds.
        _prepared(loop_thread, driver)
        open_now = len(driver.browser.contexts)
        assert open_now >= 1
        assert value(scrape(steward.metrics.exposition().decode()), "steward_browser_contexts_open") == open_now

    def test_contexts_open_while_a_session_runs(self, make_steward: Any, loop_thread: Any, driver: Any,
                                                tmp_path: Path) -> None:
        """The browser-contexts gauge counts an open action session and drops when it finishes."""
        steward = make_steward(f"sqlite:///{tmp_path / 'ctx.db'}")
        steward.metrics.watch_driver(driver)
        target = steward.catalog.targets["billing_console"]
        session = loop_thread.run(driver.open_session(target, trace=False, mask=[]))
        try:
            _prepared(loop_thread, driver)
            during = len(driver.browser.contexts)
            assert session.ctx in driver.browser.contexts
            assert value(scrape(steward.metrics.exposition().decode()), "steward_browser_contexts_open") == during
        finally:
            loop_thread.run(session.finish())
        _prepared(loop_thread, driver)
        assert session.ctx not in driver.browser.contexts
        after = len(driver.browser.contexts)
        assert value(scrape(steward.metrics.exposition().decode()), "steward_browser_contexts_open") == after


def _prepared(loop_thread: Any, driver: Any) -> int:
    """Contexts built ahead for idle login sessions (waited for, as are sign-outs, so the count is settled)."""

    async def settle() -> int:
        # Sessions leaving the pool close their contexts and sign out in the background: let that finish.
        await asyncio.gather(*list(driver._logouts), return_exceptions=True)
        ready = [entry.ready for entries in driver._idle.values() for entry in entries if entry.ready is not None]
        built = await asyncio.gather(*ready, return_exceptions=True)
        return sum(1 for b in built if not isinstance(b, BaseException))

    return int(loop_thread.run(settle()))


class TestScrapeWithoutBrowser:
    def test_expired_and_denied_approvals(self, db_url: str, make_steward: Any, tmp_path: Path) -> None:
        """Approval latency is labelled by how the wait ended; terminal requests by state."""
        steward = make_steward(db_url)
        denied, _ = steward.submit(credit("ACC-000041", 20_000, "Denied one"), AGENT)
        steward.reject(denied.id, OPERATOR, "not this time")
        cancelled, _ = steward.submit(credit("ACC-000042", 20_000, "Cancelled one"), AGENT)
        steward.cancel(cancelled.id, f"agent:{AGENT}", "customer left")
        samples = scrape(steward.metrics.exposition().decode())
        assert value(samples, "steward_approval_latency_seconds_count", action="issue_credit", decision="denied") == 1
        assert value(samples, "steward_approval_latency_seconds_count", action="issue_credit",
                     decision="cancelled") == 1
        assert value(samples, "steward_requests_total", action="issue_credit", **{"class": "human_approved"},
                     state="denied") == 1
        assert value(samples, "steward_requests_total", action="issue_credit", **{"class": "human_approved"},
                     state="cancelled") == 1
        assert total(samples, "steward_verifications_total") == 0

    def test_unreadable_database_still_scrapes(self, make_steward: Any, tmp_path: Path) -> None:
        """A scrape never fails: with the kill-switch table gone it says steward_database_readable 0."""
        import sqlalchemy as sa

        steward = make_steward(f"sqlite:///{tmp_path / 'gone.db'}")
        with steward.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE steward_kill_switches RENAME TO steward_kill_switches_moved"))
        samples = scrape(steward.metrics.exposition().decode())
        assert value(samples, "steward_database_readable") == 0
        assert ("steward_queue_depth", ()) not in samples


def _cli_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "STEWARD_DB": str(tmp_path / "worker.db"), "STEWARD_HOME": str(tmp_path / "home")}


@pytest.mark.browser
class TestWorkerMetricsPort:
    def test_worker_serves_metrics_health_and_readiness(self, make_steward: Any, tmp_path: Path,
                                                        billing: Any) -> None:
        """`steward worker --metrics-port` answers /healthz, /readyz and /metrics, and logs JSON to stderr."""
        steward = make_steward(f"sqlite:///{tmp_path / 'worker.db'}")
        queued, _ = steward.submit(credit("ACC-000043", 60_000, "never runs"), AGENT)
        assert queued.state == RequestState.REJECTED
        port = free_port()
        code = "from executor.cli import main; main()"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "worker", "--metrics-port", str(port)],
            env=_cli_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        try:
            for _ in range(1200):  # start-up (Chromium included): at most about two minutes
                if proc.poll() is not None or any('"worker.started"' in line for line in lines):
                    break
                time.sleep(0.1)
            assert any('"worker.started"' in line for line in lines), lines
            base = f"http://127.0.0.1:{port}"
            health = httpx.get(f"{base}/healthz", timeout=10)
            assert health.status_code == 200 and health.json() == {"status": "alive"}
            ready = httpx.get(f"{base}/readyz", timeout=10)
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"database": "ok", "audit_log": "ok", "kill_switches": "ok"}
            samples = scrape(httpx.get(f"{base}/metrics", timeout=10).text)
            assert value(samples, "steward_database_readable") == 1
            assert value(samples, "steward_queue_depth") == 0
            assert ("steward_browser_contexts_open", ()) in samples
            assert httpx.get(f"{base}/nope", timeout=5).status_code == 404
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            reader.join(10)
            proc.stdout.close()  # type: ignore[union-attr]
            proc.stderr.close()  # type: ignore[union-attr]
        assert proc.returncode == 0, lines
        logs = [json.loads(line) for line in lines if line.startswith("{")]
        assert "worker.started" in {entry["event"] for entry in logs}
        for entry in logs:
            assert {"event", "level", "timestamp"} <= set(entry)
        assert not [line for line in lines if "[info" in line or "[warning" in line]  # no console-format lines

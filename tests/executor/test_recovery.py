"""Recovery of expired leases: requeue before the commit, verify-only settlement after it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from executor import runner as runner_module
from executor.recovery import IN_DOUBT_REASON, REQUEUE_REASON
from tests.executor.conftest import AGENT, credit

pytestmark = pytest.mark.browser

ADMIN = {"X-Fixture-Admin": "test-admin"}


class _Crash(BaseException):
    """Stands in for SIGKILL in-process: escapes every handler of the runner."""


@pytest.fixture
def crash_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Make the runner 'die' at one boundary (the subprocess chaos tests use a real SIGKILL)."""
    where: list[str] = []

    def fake(point: str) -> None:
        if where and point == where[0]:
            where.clear()
            raise _Crash(point)

    monkeypatch.setattr(runner_module, "crash_point", fake)
    yield where.append


def _expire_lease(steward: Any, request_id: str) -> None:
    with steward.engine.begin() as conn:
        conn.execute(sa.text("UPDATE steward_requests SET lease_expires_at = 1 WHERE id = :id"), {"id": request_id})


def _types(steward: Any, request_id: str) -> list[str]:
    return [e.type for e in steward.audit.entries(action_id=request_id)]


class TestRequeue:
    def test_lost_before_commit_runs_again(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """A lease lost before the commit step requeues the request; it then succeeds with one credit."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        claimed = steward.store.claim_next("dead-worker", -1.0, lambda r, s: None)
        assert claimed is not None and claimed.id == rec.id
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded" and rec.attempts == 2
        assert billing.db.count_credits(acc) == 1
        queued = steward.audit.entries(action_id=rec.id, types=["request.queued"])
        assert queued and queued[-1].payload["reason"] == REQUEUE_REASON

    def test_commit_refused_without_lease(self, db_url: str, make_steward: Any, accounts: Any) -> None:
        """commit.started is not written once the lease has expired: the commit cannot race a requeue."""
        steward = make_steward(db_url)
        rec, _ = steward.submit(credit(accounts.take(), 100), AGENT)
        steward.store.claim_next("slow-worker", -1.0, lambda r, s: None)
        event = ("commit.started", {"step": "x"})
        assert not steward.store.mark_commit_started(rec.id, "slow-worker", event, "worker:slow-worker")
        assert steward.get(rec.id).commit_started_at is None
        assert "commit.started" not in _types(steward, rec.id)


class TestSettle:
    def test_crash_after_commit_is_verified(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, crash_at: Any
    ) -> None:
        """Lost right after the commit: in_doubt, then a verify-only run makes it succeeded; one credit."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        crash_at("after:commit")
        run_worker(steward)
        assert steward.get(rec.id).state.value == "executing"
        assert billing.db.count_credits(acc) == 1
        _expire_lease(steward, rec.id)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert billing.db.count_credits(acc) == 1
        types = _types(steward, rec.id)
        assert types.count("commit.started") == 1 and "request.in_doubt" in types
        in_doubt = steward.audit.entries(action_id=rec.id, types=["request.in_doubt"])[0]
        assert in_doubt.payload["reason"] == IN_DOUBT_REASON

    def test_missing_value_fails_closed(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, crash_at: Any
    ) -> None:
        """Lost between marking and clicking: no credit id was seen, so it ends unverified, never re-committed."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        crash_at("during:commit")
        run_worker(steward)
        _expire_lease(steward, rec.id)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "unverified" and "never recorded" in (rec.error_message or "")
        assert billing.db.count_credits(acc) == 0
        assert _types(steward, rec.id).count("commit.started") == 1

    def test_target_down_stays_in_doubt(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, crash_at: Any
    ) -> None:
        """Verification that cannot run leaves the request in_doubt; a later sweep settles it."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        crash_at("during:verify")
        run_worker(steward)
        _expire_lease(steward, rec.id)
        plan = {"error_rate": {"/accounts/*/credits": 1.0}}
        httpx.post(f"{billing.base_url}/__faults", json=plan, headers=ADMIN)
        try:
            run_worker(steward)
        finally:
            httpx.post(f"{billing.base_url}/__faults", json={}, headers=ADMIN)
        assert steward.get(rec.id).state.value == "in_doubt"
        assert "verify.deferred" in _types(steward, rec.id)
        _expire_lease(steward, rec.id)
        run_worker(steward)
        assert steward.get(rec.id).state.value == "succeeded"
        assert billing.db.count_credits(acc) == 1

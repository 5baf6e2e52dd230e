"""Retries before the commit: transient faults and lost sessions retry; decisions and page facts never do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from action_classes import RetrySpec
from executor.errors import (
    ExpectationFailed,
    Halted,
    LocatorError,
    NavigationBlocked,
    SessionLost,
    TransientFault,
)
from executor.retry import RetryPolicy
from tests.executor.conftest import AGENT, credit

ADMIN = {"X-Fixture-Admin": "test-admin"}


@pytest.fixture
def faults(billing: Any) -> Iterator[Any]:
    """Install a fault plan on the shared console; always cleared afterwards."""

    def install(plan: dict[str, Any]) -> None:
        httpx.post(f"{billing.base_url}/__faults", json=plan, headers=ADMIN).raise_for_status()

    yield install
    install({})


def _retries(steward: Any, request_id: str) -> list[dict[str, Any]]:
    return [e.payload for e in steward.audit.entries(action_id=request_id, types=["step.retry"])]


class TestPolicy:
    def test_transient_errors_retry_within_attempts(self) -> None:
        """Transient faults and lost sessions retry until the attempts run out."""
        policy = RetryPolicy.from_spec(RetrySpec(attempts=3))
        assert policy.should_retry(TransientFault("500"), 1) and policy.should_retry(SessionLost("login"), 2)
        assert not policy.should_retry(TransientFault("500"), 3)

    def test_decisions_and_page_facts_never_retry(self) -> None:
        """Blocked navigation, kill switches, bad locators and failed expectations are never retried."""
        policy = RetryPolicy(attempts=10)
        for error in (NavigationBlocked("x"), Halted("x"), LocatorError("x"), ExpectationFailed("x")):
            assert not policy.should_retry(error, 1)

    def test_backoff_doubles_up_to_the_cap(self) -> None:
        """Waits double from backoff_s and never exceed max_backoff_s."""
        policy = RetryPolicy(attempts=10, backoff_s=0.5, max_backoff_s=1.5)
        assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 1.5, 1.5]


@pytest.mark.browser
class TestRetriedRuns:
    def test_500_page_is_retried(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, faults: Any
    ) -> None:
        """A 500 on the account page is retried from the first step; one credit, one step.retry event."""
        steward = make_steward(db_url)
        acc = accounts.take()
        faults({"error_rate": {"/accounts/*": 0.5}, "seed": 1})  # draws: fail, then pass
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert billing.db.count_credits(acc) == 1
        retries = _retries(steward, rec.id)
        assert [r["error"] for r in retries] == ["transient_fault"]
        assert "500" in retries[0]["message"] and retries[0]["attempt"] == 1

    def test_lost_session_logs_in_again(
        self, db_url: str, make_steward: Any, loop_thread: Any, driver: Any, billing: Any, accounts: Any
    ) -> None:
        """A session that ends mid-run raises session_lost; the run logs in again and succeeds once."""
        from executor.worker import Worker

        class LosesFirstSession:
            def __init__(self, inner: Any) -> None:
                self.inner, self.lost = inner, False

            def forget_login(self, target: Any) -> None:
                self.inner.forget_login(target)

            async def open_session(self, target: Any, **kwargs: Any) -> Any:
                session = await self.inner.open_session(target, **kwargs)
                if not self.lost:  # the back-office drops the session right after we opened it
                    self.lost = True
                    session.state = None  # a dead session never goes back to the pool
                    await session.ctx.clear_cookies()
                return session

        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        worker = Worker(steward, LosesFirstSession(driver), poll_s=0.02)  # type: ignore[arg-type]
        loop_thread.run(worker.run(once=True))
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert [r["error"] for r in _retries(steward, rec.id)] == ["session_lost"]
        assert billing.db.count_credits(acc) == 1

    def test_precondition_failure_is_not_retried(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any
    ) -> None:
        """A suspended account fails the precondition once: failed, no retry, nothing committed."""
        from fixtures.billing_console import account_id

        steward = make_steward(db_url)
        acc = str(account_id(7))  # suspended in the seed
        before = billing.db.count_credits(acc)
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "failed" and rec.error_code == "expectation_failed"
        assert _retries(steward, rec.id) == []
        assert billing.db.count_credits(acc) == before

    def test_action_budget_fails_naming_the_step(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, faults: Any
    ) -> None:
        """An action that runs out of its time budget before the commit is failed, naming the step."""
        steward = make_steward(db_url)
        action = steward.catalog.actions["issue_credit"]
        steward.catalog.actions["issue_credit"] = action.model_copy(update={"timeout_s": 1.0})
        acc = accounts.take()
        faults({"delay_ms": {f"/accounts/{acc}": 2500}})
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "failed" and rec.error_code == "timed_out", rec.error_message
        assert "timed out after 1 s" in (rec.error_message or "")
        assert "goto /accounts/" in (rec.outcome or {}).get("step", "")
        assert billing.db.count_credits(acc) == 0

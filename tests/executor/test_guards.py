"""Guards: bad input executes nothing, the kill switch at every scope, fail-closed paths."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from executor.errors import FailClosed, RequestError
from executor.models import SubmitRequest
from tests.executor.conftest import AGENT, OPERATOR, credit

pytestmark = pytest.mark.browser


class TestBadInput:
    @pytest.mark.parametrize(
        ("action", "params", "code", "needle"),
        [
            ("drop_tables", {}, "unknown_action", "unknown action"),
            (
                "issue_credit",
                {"account_id": "ACC-1", "amount_cents": 5, "reason": "abc"},
                "invalid_params",
                "account_id",
            ),
            (
                "issue_credit",
                {"account_id": "ACC-000040", "amount_cents": "5", "reason": "abc"},
                "invalid_params",
                "integer",
            ),
            (
                "issue_credit",
                {"account_id": "ACC-000040", "amount_cents": 5, "reason": "{credentials.password}"},
                "invalid_params",
                "template",
            ),
            (
                "issue_credit",
                {"account_id": "ACC-000040", "amount_cents": 5, "reason": "x" * 10_000},
                "invalid_params",
                "at most 200",
            ),
            (
                "issue_credit",
                {"account_id": "ACC-000040/../../logout", "amount_cents": 5, "reason": "abc"},
                "invalid_params",
                "must match",
            ),
            (
                "issue_credit",
                {"account_id": "ACC-000040", "amount_cents": 5, "reason": "abc", "css": "#x"},
                "invalid_params",
                "not a parameter",
            ),
        ],
    )
    def test_rejected_and_nothing_runs(
        self,
        db_url: str,
        make_steward: Any,
        run_worker: Any,
        billing: Any,
        action: str,
        params: dict[str, Any],
        code: str,
        needle: str,
    ) -> None:
        """Invalid requests are stored as rejected with a clear message; the console never changes."""
        steward = make_steward(db_url)
        events_before = billing.db.count_events()
        rec, _ = steward.submit(SubmitRequest(action=action, params=params), AGENT)
        assert rec.state.value == "rejected" and rec.error_code == code
        assert needle in (rec.error_message or "")
        run_worker(steward)
        assert billing.db.count_events() == events_before
        types = [e.type for e in steward.audit.entries(action_id=rec.id)]
        assert types == ["request.received", "request.rejected"] or types[-1] == "request.rejected"
        received = steward.audit.entries(action_id=rec.id, types=["request.received"])[0].payload
        assert received["params"] is None  # invalid input is not copied into the log

    def test_bad_envelope_is_refused_before_storage(self) -> None:
        """Malformed submissions fail model validation (a 4xx) before any storage."""
        with pytest.raises(ValueError):
            SubmitRequest.model_validate({"action": "issue_credit", "params": {}, "surprise": 1})
        with pytest.raises(ValueError):
            SubmitRequest.model_validate({"action": "x" * 65})


class TestKillSwitch:
    @pytest.mark.parametrize("scope", ["global", "target:billing_console", "action:issue_credit", "class:autonomous"])
    def test_new_requests_rejected_as_halted(self, db_url: str, make_steward: Any, accounts: Any, scope: str) -> None:
        """Every scope that covers a request rejects it as halted; release lets the next one in."""
        steward = make_steward(db_url)
        steward.kill(scope, OPERATOR, "incident 42")
        rec, _ = steward.submit(credit(accounts.take(), 100), AGENT)
        assert rec.state.value == "rejected" and rec.error_code == "halted"
        assert scope in (rec.error_message or "")
        assert steward.release(scope, OPERATOR, "incident over")
        rec, _ = steward.submit(credit(accounts.take(), 100), AGENT)
        assert rec.state.value == "queued"
        types = [e.type for e in steward.audit.entries(types=["killswitch.engaged", "killswitch.released"])]
        assert types == ["killswitch.engaged", "killswitch.released"]

    def test_other_scopes_do_not_halt(self, db_url: str, make_steward: Any, accounts: Any) -> None:
        """A halt on another action or class leaves this request alone."""
        steward = make_steward(db_url)
        steward.kill("action:cancel_subscription", OPERATOR, "bug in cancel flow")
        steward.kill("class:human_approved", OPERATOR, "approvers away")
        rec, _ = steward.submit(credit(accounts.take(), 100), AGENT)
        assert rec.state.value == "queued"

    def test_bad_scope(self, db_url: str, make_steward: Any) -> None:
        """Unknown scope forms and classes are clear errors."""
        steward = make_steward(db_url)
        for scope in ("everything", "class:sometimes", "target:"):
            with pytest.raises(RequestError):
                steward.kill(scope, OPERATOR, "x")

    def test_queued_requests_wait(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """Queued requests in scope wait while halted and run after release."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 100), AGENT)
        steward.kill("target:billing_console", OPERATOR, "maintenance")
        run_worker(steward)
        assert steward.get(rec.id).state.value == "queued"
        assert billing.db.count_credits(acc) == 0
        steward.release("target:billing_console", OPERATOR, "done")
        run_worker(steward)
        assert steward.get(rec.id).state.value == "succeeded"
        assert billing.db.count_credits(acc) == 1

    def test_durable_across_processes(self, db_url: str, make_steward: Any, accounts: Any) -> None:
        """A halt engaged by one Steward instance is seen by another on the same database."""
        first, second = make_steward(db_url), make_steward(db_url)
        first.kill("global", OPERATOR, "stop")
        rec, _ = second.submit(credit(accounts.take(), 100), AGENT)
        assert rec.error_code == "halted"

    def test_mid_execution_abort_before_commit(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """Engaged while executing, the run stops before its commit (mid-step or at a boundary): aborted, unchanged."""
        steward = make_steward(db_url)
        acc = accounts.take()
        admin = {"X-Fixture-Admin": "test-admin"}
        httpx.post(f"{billing.base_url}/__faults", json={"delay_ms": {f"/accounts/{acc}": 1500}}, headers=admin)
        try:
            rec, _ = steward.submit(credit(acc, 100), AGENT)

            def engage_when_executing() -> None:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    if steward.get(rec.id).state.value == "executing":
                        steward.kill("global", OPERATOR, "halt mid-run")
                        return
                    time.sleep(0.02)

            killer = threading.Thread(target=engage_when_executing)
            killer.start()
            run_worker(steward)
            killer.join()
        finally:
            httpx.post(f"{billing.base_url}/__faults", json={}, headers=admin)
        rec = steward.get(rec.id)
        assert rec.state.value == "aborted"
        assert (rec.outcome or {}).get("step", "").startswith(("open session", "precondition"))
        assert rec.commit_started_at is None
        assert billing.db.count_credits(acc) == 0
        types = [e.type for e in steward.audit.entries(action_id=rec.id)]
        assert "commit.started" not in types and types[-1] == "request.aborted"


class TestFailClosed:
    def test_unreadable_kill_switch_blocks_intake(self, db_url: str, make_steward: Any, accounts: Any) -> None:
        """If the kill switch table cannot be read, nothing is accepted."""
        import sqlalchemy as sa

        steward = make_steward(db_url)
        with steward.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE steward_kill_switches"))
        with pytest.raises(FailClosed):
            steward.submit(credit(accounts.take(), 100), AGENT)

    def test_audit_write_failure_blocks_state_change(self, db_url: str, make_steward: Any, accounts: Any) -> None:
        """If the audit event cannot be written, the request does not move."""
        steward = make_steward(db_url)
        rec, _ = steward.submit(credit(accounts.take(), 20_000), AGENT)

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise OSError("disk full")

        steward.store.audit.append = broken  # type: ignore[method-assign]
        with pytest.raises(FailClosed):
            steward.approve(rec.id, OPERATOR)
        assert steward.get(rec.id).state.value == "awaiting_approval"

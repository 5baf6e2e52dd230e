"""Each class's path end to end: real Chromium, the real console, SQLite and PostgreSQL.

Outcomes are asserted against the console's own database, not Steward's.
"""

from __future__ import annotations

from typing import Any

import pytest

from executor.errors import ConfirmationMismatch, InvalidState, SelfApproval
from executor.models import Confirmation, SubmitRequest
from tests.executor.conftest import AGENT, OPERATOR, confirmation_for, context, credit

pytestmark = pytest.mark.browser


class TestAutonomous:
    def test_small_credit_runs_and_is_verified(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """A small credit runs without a human, exactly once, and its evidence is recorded."""
        steward = make_steward(db_url)
        acc = accounts.take()
        before = billing.db.balance_cents(acc)
        rec, created = steward.submit(credit(acc, 1234, "Late parcel goodwill"), AGENT)
        assert created and rec.state.value == "queued" and rec.action_class == "autonomous"
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        credits = billing.db.credits(acc)
        assert [c.amount_cents for c in credits] == [1234]
        assert credits[0].reason == "Late parcel goodwill"
        assert billing.db.balance_cents(acc) == before + 1234
        outcome = rec.outcome or {}
        assert outcome["extracted"]["credit_id"] == credits[0].id
        kinds = sorted(e["kind"] for e in outcome["evidence"])
        assert kinds == ["screenshot", "screenshot", "trace"]
        logged = {e.payload["sha256"] for e in steward.audit.entries(action_id=rec.id, types=["evidence.stored"])}
        assert logged == {e["sha256"] for e in outcome["evidence"]}
        for item in outcome["evidence"]:
            assert steward.evidence.verify(item["sha256"])
        types = [e.type for e in steward.audit.entries(action_id=rec.id)]
        assert types.index("commit.started") < types.index("commit.completed") < types.index("request.succeeded")
        assert types.count("commit.started") == 1

    def test_read_only_lookup(self, db_url: str, make_steward: Any, run_worker: Any, billing: Any) -> None:
        """lookup_account reads status, plan, balance and email, including an unlabelled table cell."""
        steward = make_steward(db_url)
        rec, _ = steward.submit(
            SubmitRequest(action="lookup_account", params={"account_id": "ACC-000003"}, context=context()), AGENT
        )
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        account = billing.db.account("ACC-000003")
        values = (rec.outcome or {})["extracted"]
        assert values["status"] == account.status and values["plan"] == account.plan
        assert values["email"] == account.email
        assert values["customer_since"] == account.customer_since
        assert "commit.started" not in [e.type for e in steward.audit.entries(action_id=rec.id)]


class TestCustomerConfirmed:
    def test_email_change_waits_for_a_bound_confirmation(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """Nothing runs until the customer confirms these exact parameters."""
        steward = make_steward(db_url)
        acc = accounts.take()
        new_email = f"new.{acc.lower()}@example.net"
        body = SubmitRequest(
            action="update_contact_email", params={"account_id": acc, "new_email": new_email}, context=context()
        )
        rec, _ = steward.submit(body, AGENT)
        assert rec.state.value == "awaiting_confirmation"
        run_worker(steward)
        assert billing.db.account(acc).email != new_email
        other = Confirmation(channel="chat", quote="yes", params_hash="0" * 64)
        with pytest.raises(ConfirmationMismatch):
            steward.confirm(rec.id, other, AGENT)
        assert steward.get(rec.id).state.value == "awaiting_confirmation"
        steward.confirm(rec.id, confirmation_for(rec, "Yes, use my new address"), AGENT)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert billing.db.account(acc).email == new_email
        assert (rec.confirmation or {})["quote"] == "Yes, use my new address"
        audit_params = steward.audit.entries(action_id=rec.id, types=["request.received"])[0].payload["params"]
        assert audit_params["new_email"].startswith("hmac-sha256:")  # PII only as an HMAC
        from typer.testing import CliRunner

        from executor.cli import app

        checked = CliRunner().invoke(
            app, ["audit", "hash", "new_email", new_email], env={"STEWARD_HOME": str(steward.settings.home)}
        )
        assert checked.exit_code == 0 and checked.output.strip() == audit_params["new_email"]
        assert new_email not in str([e.payload for e in steward.audit.entries()])

    def test_confirmation_at_submit_must_match(self, db_url: str, make_steward: Any, accounts: Any) -> None:
        """A confirmation sent with the submission for other parameters is refused outright."""
        steward = make_steward(db_url)
        body = SubmitRequest(
            action="update_contact_email",
            params={"account_id": accounts.take(), "new_email": "x@example.com"},
            confirmation=Confirmation(channel="chat", quote="ok", params_hash="1" * 64),
            context=context(),
        )
        with pytest.raises(ConfirmationMismatch):
            steward.submit(body, AGENT)


class TestHumanApproved:
    def test_large_credit_needs_another_person(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """The requester cannot approve; a different operator can, and then it runs."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 20_000, "Double charge", customer_goal="Refund"), AGENT)
        assert rec.state.value == "awaiting_approval"
        packet = steward.handoff(rec)
        assert packet["goal"] == "Refund" and packet["why"] and packet["params"]["amount_cents"] == 20_000
        run_worker(steward)
        assert billing.db.count_credits(acc) == 0
        with pytest.raises(SelfApproval):
            steward.approve(rec.id, AGENT)
        with pytest.raises(SelfApproval):
            steward.approve(rec.id, f"agent:{AGENT.upper()}")
        steward.approve(rec.id, OPERATOR, "checked the ledger")
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert (rec.approval or {})["operator"] == OPERATOR
        assert billing.db.count_credits(acc) == 1
        granted = steward.audit.entries(action_id=rec.id, types=["approval.granted"])[0]
        assert granted.payload["operator"] == OPERATOR and granted.payload["requester"] == AGENT

    def test_denied_never_executes(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """A rejected approval ends denied and the console never changes."""
        steward = make_steward(db_url)
        acc = accounts.take()
        events_before = billing.db.count_events(acc)
        rec, _ = steward.submit(credit(acc, 30_000), AGENT)
        steward.reject(rec.id, OPERATOR, "not justified")
        run_worker(steward)
        assert steward.get(rec.id).state.value == "denied"
        assert billing.db.count_events(acc) == events_before
        with pytest.raises(InvalidState):
            steward.approve(rec.id, OPERATOR)

    def test_cancel_before_execution(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """A cancelled request never runs; cancelling a finished one is refused."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 500), AGENT)
        steward.cancel(rec.id, AGENT, "customer changed their mind")
        run_worker(steward)
        assert steward.get(rec.id).state.value == "cancelled"
        assert billing.db.count_credits(acc) == 0


class TestForbidden:
    def test_huge_credit_is_rejected_with_reasons(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """Forbidden requests are rejected at intake with an explanation and a handoff packet."""
        steward = make_steward(db_url)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 75_000), AGENT)
        assert rec.state.value == "rejected" and rec.action_class == "forbidden"
        assert rec.error_code == "forbidden" and "billing team" in (rec.error_message or "")
        packet = steward.handoff(rec)
        assert "forbids" in packet["if_nobody_decides"]
        run_worker(steward)
        assert billing.db.count_credits(acc) == 0


class TestIdempotency:
    def test_same_key_same_request(self, db_url: str, make_steward: Any, accounts: Any) -> None:
        """The same key and parameters return the original; other parameters are a conflict."""
        from executor.errors import IdempotencyConflict

        steward = make_steward(db_url)
        acc = accounts.take()
        body = credit(acc, 700).model_copy(update={"idempotency_key": "conv-1-credit"})
        first, created = steward.submit(body, AGENT)
        again, created_again = steward.submit(body, AGENT)
        assert created and not created_again and again.id == first.id
        other = credit(acc, 701).model_copy(update={"idempotency_key": "conv-1-credit"})
        with pytest.raises(IdempotencyConflict):
            steward.submit(other, AGENT)


def test_context_reaches_policy(db_url: str, make_steward: Any, accounts: Any) -> None:
    """Low agent confidence raises a small credit to human approval."""
    steward = make_steward(db_url)
    rec, _ = steward.submit(credit(accounts.take(), 1000, agent_confidence=0.3), AGENT)
    assert rec.action_class == "human_approved" and rec.state.value == "awaiting_approval"
    rec2, _ = steward.submit(
        SubmitRequest(
            action="issue_credit",
            params={"account_id": accounts.take(), "amount_cents": 1000, "reason": "r ok"},
            context=context(account_tier="enterprise"),
        ),
        AGENT,
    )
    assert rec2.action_class == "human_approved"

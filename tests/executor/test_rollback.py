"""Rollback end to end: real worker, real Chromium, the billing console's own database as the judge."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from audit.timeline import action_timeline, format_timeline
from executor.errors import SelfApproval
from executor.reports import build_report
from executor.reports.render_md import render_markdown
from executor.rollback import Window, approve_batch, batch_view, compensation_links, rollback
from executor.states import RequestState
from executor.store.tables import requests
from tests.executor.conftest import AGENT, OPERATOR, confirmation_for, context, credit

APPROVER = "sam.ops"
S = RequestState


def _count_requests(steward: Any) -> int:
    with steward.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(requests)).scalar_one())


def _events(steward: Any, kind: str, action_id: str | None = None) -> list[Any]:
    return steward.audit.entries(action_id, types=[kind])


def _run_all(steward: Any, run_worker: Any, body: Any, n: int) -> list[Any]:
    done = [steward.submit(body(i), AGENT)[0] for i in range(n)]
    run_worker(steward, concurrency=4)
    return [steward.get(r.id) for r in done]


@pytest.mark.browser
class TestRollbackOfCredits:
    @pytest.mark.timeout(480)  # twenty real browser runs on a shared 2-core machine
    def test_ten_credits_reversed_exactly_once(
        self, db_url: str, make_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """Ten credits, one batch approval: each is reversed once in the console; a second rollback is a no-op."""
        steward = make_steward(db_url)
        pair = [accounts.take(), accounts.take()]
        before = {a: billing.db.balance_cents(a) for a in pair}
        since = time.time() - 0.5
        originals = _run_all(steward, run_worker, lambda i: credit(pair[i % 2], 100 + i, f"Incident credit {i}"), 10)
        assert [r.state for r in originals] == [S.SUCCEEDED] * 10
        credit_ids = {r.outcome["extracted"]["credit_id"] for r in originals}
        assert len(credit_ids) == 10
        window = Window(since, time.time() + 0.5, action="issue_credit")

        batch = rollback(steward, window, OPERATOR, "INC-7: a bad policy let credits through")
        assert batch.counts == {"submitted": 10} and batch.batch_id is not None
        comps = [steward.get(i.compensation_id) for i in batch.items]
        assert {c.state for c in comps} == {S.AWAITING_APPROVAL}
        assert all("rollbacks-approved" in [r["id"] for r in c.decision["rules"]] for c in comps)
        assert {c.params["credit_id"] for c in comps} == credit_ids
        assert {c.context["metadata"]["rollback_of"] for c in comps} == {r.id for r in originals}

        with pytest.raises(SelfApproval):
            approve_batch(steward, batch.batch_id, OPERATOR)
        assert {steward.get(c.id).state for c in comps} == {S.AWAITING_APPROVAL}
        decision = approve_batch(steward, batch.batch_id, APPROVER, "checked against INC-7")
        assert sorted(decision.approved) == sorted(c.id for c in comps) and decision.skipped == {}
        run_worker(steward, concurrency=4)
        assert {steward.get(c.id).state for c in comps} == {S.SUCCEEDED}

        reversed_ids = [r.credit_id for r in billing.db.reversals() if r.credit_id in credit_ids]
        assert sorted(reversed_ids) == sorted(credit_ids)  # each once: the table's key is the credit id
        assert {a: billing.db.balance_cents(a) for a in pair} == before

        [approved] = _events(steward, "rollback.approved")
        assert sorted(approved.payload["requests"]) == sorted(c.id for c in comps)
        assert approved.payload["plan_hash"] == batch.plan_hash and approved.payload["operator"] == APPROVER
        [requested] = _events(steward, "rollback.requested")
        assert requested.payload["by"] == OPERATOR and requested.payload["plan_hash"] == batch.plan_hash
        assert requested.payload["reason"].startswith("INC-7") and requested.payload["filters"] == {
            "action": "issue_credit"
        }
        first = originals[0]
        [link] = _events(steward, "rollback.compensation", first.id)
        assert link.payload["compensation_id"] == compensation_links(steward, first.id)["compensated_by"]
        [back] = _events(steward, "rollback.compensates", link.payload["compensation_id"])
        assert back.payload["original_id"] == first.id
        shown = format_timeline(action_timeline(steward.audit, first.id))
        assert f"compensated by {back.action_id} (reverse_credit)" in shown
        assert f"compensation {back.action_id} (reverse_credit) ended succeeded" in shown
        assert f"compensates {first.id}" in format_timeline(action_timeline(steward.audit, back.action_id))

        view = batch_view(steward, batch.batch_id)
        assert view.approved_by == APPROVER and {i.compensation_state for i in view.items} == {"succeeded"}

        report = render_markdown(build_report(steward.engine, steward.catalog, steward.policy, period="daily"))
        assert "## Rollbacks" in report and batch.batch_id in report and f"{APPROVER} (10)" in report

        count = _count_requests(steward)
        again = rollback(steward, window, OPERATOR, "INC-7 again")
        assert again.counts == {"already_compensated": 10}
        assert _count_requests(steward) == count
        run_worker(steward)
        assert len([r for r in billing.db.reversals() if r.credit_id in credit_ids]) == 10
        assert {a: billing.db.balance_cents(a) for a in pair} == before

    def test_dry_run_changes_nothing(
        self, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, tmp_path: Any
    ) -> None:
        """--dry-run plans every credit and writes no request, no audit entry and nothing in the console."""
        steward = make_steward(f"sqlite:///{tmp_path / 'dry.db'}")
        since = time.time() - 0.5
        _run_all(steward, run_worker, lambda i: credit(accounts.take(), 150, "Dry run credit"), 2)
        window = Window(since, time.time() + 0.5)
        requests_before, log_before = _count_requests(steward), steward.audit.size()
        console_before = billing.db.snapshot()
        plan = rollback(steward, window, OPERATOR, "just looking", dry_run=True)
        assert plan.dry_run and plan.batch_id is None and plan.counts == {"compensate": 2}
        assert {i.inverse for i in plan.items} == {"reverse_credit"}
        assert all(i.inverse_params and i.inverse_params["credit_id"].startswith("CR-") for i in plan.items)
        run_worker(steward)
        assert _count_requests(steward) == requests_before and steward.audit.size() == log_before
        assert billing.db.snapshot() == console_before


@pytest.mark.browser
class TestNoInverse:
    def test_listed_for_a_person_and_nothing_runs(
        self, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, tmp_path: Any
    ) -> None:
        """A cancellation has no inverse: the rollback lists it with its evidence and submits nothing."""
        steward = make_steward(f"sqlite:///{tmp_path / 'none.db'}")
        account = accounts.take()
        since = time.time() - 0.5
        rec, _ = steward.submit(
            SubmitRequestFactory.cancel(account), AGENT
        )
        steward.approve(rec.id, APPROVER)
        run_worker(steward)
        assert steward.get(rec.id).state == S.SUCCEEDED
        count = _count_requests(steward)
        batch = rollback(steward, Window(since, time.time() + 0.5), OPERATOR, "INC-8")
        [item] = batch.items
        assert item.status == "no_inverse" and item.compensation_id is None
        assert "cannot reactivate" in (item.note or "") and item.evidence
        assert _count_requests(steward) == count
        run_worker(steward)
        assert billing.db.account(account).status == "Cancelled"
        [requested] = _events(steward, "rollback.requested")
        assert requested.payload["counts"] == {"no_inverse": 1}


@pytest.mark.browser
class TestEmailRestored:
    def test_previous_email_comes_back(
        self, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, tmp_path: Any
    ) -> None:
        """The email change read the old address before changing it; the rollback writes it back, HMAC'd in the log."""
        steward = make_steward(f"sqlite:///{tmp_path / 'email.db'}")
        account = accounts.take()
        old = billing.db.account(account).email
        since = time.time() - 0.5
        body = SubmitRequestFactory.email(account, f"wrong.{account.lower()}@example.com")
        rec, _ = steward.submit(body, AGENT)
        steward.confirm(rec.id, confirmation_for(rec), AGENT)
        run_worker(steward)
        assert steward.get(rec.id).state == S.SUCCEEDED
        batch = rollback(steward, Window(since, time.time() + 0.5), OPERATOR, "wrong account")
        [item] = batch.items
        assert item.status == "submitted" and item.inverse == "update_contact_email"
        approve_batch(steward, batch.batch_id, APPROVER)
        run_worker(steward)
        assert steward.get(item.compensation_id).state == S.SUCCEEDED
        assert billing.db.account(account).email == old
        logged = [e.payload for e in steward.audit.entries(rec.id, types=["values.extracted"])]
        assert logged and all(old not in str(p) for p in logged)


class SubmitRequestFactory:
    @staticmethod
    def cancel(account: str) -> Any:
        from executor.models import SubmitRequest

        return SubmitRequest(action="cancel_subscription", params={"account_id": account}, context=context())

    @staticmethod
    def email(account: str, new_email: str) -> Any:
        from executor.models import SubmitRequest

        return SubmitRequest(action="update_contact_email", params={"account_id": account, "new_email": new_email},
                             context=context())


@pytest.mark.browser
class TestHaltedCompensation:
    def test_a_refused_compensation_can_be_tried_again(
        self, make_steward: Any, run_worker: Any, billing: Any, accounts: Any, tmp_path: Any
    ) -> None:
        """Under a global halt the compensation is rejected (it changed nothing); after release a new batch takes it."""
        steward = make_steward(f"sqlite:///{tmp_path / 'halt.db'}")
        since = time.time() - 0.5
        [original] = _run_all(steward, run_worker, lambda i: credit(accounts.take(), 125, "Halt test credit"), 1)
        window = Window(since, time.time() + 0.5)
        steward.kill("global", APPROVER, "INC-10: stop everything")
        first = rollback(steward, window, OPERATOR, "INC-10")
        [item] = first.items
        assert item.status == "rejected" and steward.get(item.compensation_id or "").state == S.REJECTED
        assert "halt" in (item.note or "").lower()
        steward.release("global", APPROVER, "INC-10: contained")
        second = rollback(steward, window, OPERATOR, "INC-10, after release")
        [again] = second.items
        assert again.status == "submitted" and again.compensation_id != item.compensation_id
        assert compensation_links(steward, original.id)["compensated_by"] == again.compensation_id
        assert rollback(steward, window, OPERATOR, "INC-10, third time").counts == {"already_compensated": 1}

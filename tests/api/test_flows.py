"""The operating model over HTTP against the real worker, Chromium and the billing console."""

from __future__ import annotations

from typing import Any

import pytest

from executor.client import StewardAPIError, StewardClient
from tests.api.conftest import Api

pytestmark = pytest.mark.browser


def _client(api: Api, who: str) -> StewardClient:
    from starlette.testclient import TestClient

    assert isinstance(api.client, TestClient)
    return StewardClient(api.base_url, api.tokens[who], http=api.client)


class TestConfirmationFlow:
    def test_agent_confirms_and_follows_to_outcome(self, db_url: str, build_api: Any, run_worker: Any,
                                                   billing: Any, accounts: Any) -> None:
        """Nothing runs until a confirmation bound to the params_hash arrives; then it succeeds."""
        api = build_api(db_url)
        agent = _client(api, "agent")
        acc = accounts.take()
        email = f"confirmed.{acc.lower()}@example.net"
        req = agent.submit("update_contact_email", {"account_id": acc, "new_email": email},
                           idempotency_key="conv-201", context={"agent_confidence": 0.9, "customer_id": "C-201"})
        assert req.state == "awaiting_confirmation" and req.created
        run_worker(api.steward)
        assert billing.db.account(acc).email != email
        with pytest.raises(StewardAPIError) as exc:
            agent.confirm(req.id, quote="yes", params_hash="0" * 64)
        assert exc.value.status == 422 and exc.value.code == "confirmation_mismatch"
        assert req.params_hash is not None
        confirmed = agent.confirm(req.id, quote="Yes, use my new address", params_hash=req.params_hash)
        assert confirmed.state == "queued"
        run_worker(api.steward)
        done = agent.get(req.id, wait=5)
        assert done.state == "succeeded", done.error
        assert billing.db.account(acc).email == email
        assert done.confirmation is not None and done.confirmation.quote == "Yes, use my new address"
        assert done.audit_range is not None and done.audit_range.first_seq < done.audit_range.last_seq
        actors = {e.actor for e in api.steward.audit.entries(action_id=req.id, types=["confirmation.attached"])}
        assert actors == {"agent:agent-1"}


class TestApprovalFlow:
    def test_operator_approves_with_handoff(self, db_url: str, build_api: Any, run_worker: Any,
                                            billing: Any, accounts: Any) -> None:
        """A large credit waits; the operator sees the handoff packet, approves, and it runs once."""
        api = build_api(db_url)
        agent, operator, auditor = _client(api, "agent"), _client(api, "operator"), _client(api, "auditor")
        acc = accounts.take()
        req = agent.submit("issue_credit", {"account_id": acc, "amount_cents": 20_000, "reason": "Double charge"},
                           context={"customer_goal": "Refund the double charge", "agent_confidence": 0.9})
        assert req.state == "awaiting_approval" and req.handoff is not None
        assert req.handoff.goal == "Refund the double charge"
        pending = operator.approvals().approvals
        assert [p.request.id for p in pending] == [req.id]
        packet = pending[0].handoff
        assert packet.explanation and packet.params and packet.params["amount_cents"] == 20_000
        assert packet.if_nobody_decides
        run_worker(api.steward)
        assert billing.db.count_credits(acc) == 0
        approved = operator.approve(req.id, "checked the ledger")
        assert approved.state == "queued" and approved.approval and approved.approval.operator == "olga"
        run_worker(api.steward)
        done = agent.get(req.id, wait=5)
        assert done.state == "succeeded", done.error
        assert billing.db.count_credits(acc) == 1
        events = auditor.audit_events(action_id=req.id, limit=1000).events
        granted = [e for e in events if e.type == "approval.granted"]
        assert granted[0].actor == "operator:olga" and granted[0].payload["requester"] == "agent-1"
        proof = auditor.audit_proof(granted[0].seq)
        assert proof.entry.hash == proof.proof.leaf_hash

    def test_reject_and_cancel_never_run(self, db_url: str, build_api: Any, run_worker: Any, billing: Any,
                                        accounts: Any) -> None:
        """A denied and a cancelled request end terminal and the console never changes."""
        api = build_api(db_url)
        agent, operator = _client(api, "agent"), _client(api, "operator")
        a1, a2 = accounts.take(), accounts.take()
        denied = agent.submit("issue_credit", {"account_id": a1, "amount_cents": 30_000, "reason": "Refund one"})
        cancelled = agent.submit("issue_credit", {"account_id": a2, "amount_cents": 900, "reason": "Refund two"})
        assert operator.reject(denied.id, "not justified").state == "denied"
        assert agent.cancel(cancelled.id, "customer changed their mind").state == "cancelled"
        run_worker(api.steward)
        assert billing.db.count_credits(a1) == 0 and billing.db.count_credits(a2) == 0
        with pytest.raises(StewardAPIError) as exc:
            agent.cancel(denied.id)
        assert exc.value.status == 409


class TestServeWithWorker:
    def test_long_poll_until_outcome(self, live_api: Any, sqlite_url: str, billing: Any) -> None:
        """With the in-process worker, an agent's long-poll returns the finished request."""
        import time

        api = live_api(sqlite_url, workers=1)
        with StewardClient(api.base_url, api.tokens["agent"]) as agent:
            req = agent.submit("lookup_account", {"account_id": "ACC-000003"})
            started = time.monotonic()
            done = agent.get(req.id, wait=60)
            assert done.state == "succeeded", done.error
            assert done.extracted["status"] == billing.db.account("ACC-000003").status
            shot = next(e for e in done.evidence if e.kind == "screenshot")
            assert agent.evidence(done.id, shot.sha256).startswith(b"\x89PNG") and agent.me().role == "agent"
            assert time.monotonic() - started < 60
            quick = agent.get(req.id, wait=10)  # terminal: returns at once
            assert quick.state == "succeeded"

    def test_long_poll_returns_when_wait_ends(self, api: Api) -> None:
        """Without a worker, ?wait= returns the unchanged request after the wait."""
        import time

        rid = api.client.post("/v1/actions", headers=api.h("agent"), json={
            "action": "lookup_account", "params": {"account_id": "ACC-000003"}}).json()["id"]
        started = time.monotonic()
        r = api.client.get(f"/v1/actions/{rid}?wait=0.6", headers=api.h("agent"))
        assert r.status_code == 200 and r.json()["state"] == "queued"
        assert 0.5 < time.monotonic() - started < 5

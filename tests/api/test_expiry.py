"""Expiry over HTTP: stale confirmations and approvals end expired, as an audit event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from executor.api import ApiConfig, create_app
from executor.clock import FakeClock
from tests.api.conftest import Api, make_keys


def _api(make_steward: Callable[..., Any], db_url: str, clock: FakeClock) -> Api:
    steward = make_steward(db_url, clock=clock)
    return Api(steward=steward, client=TestClient(create_app(steward, config=ApiConfig(rate_per_s=0))),
               tokens=make_keys(steward))


class TestExpiry:
    def test_confirmation_and_approval_expire(self, db_url: str, make_steward: Any) -> None:
        """Past confirmation_ttl (15 min) and approval_ttl (24 h) requests are expired and cannot be confirmed."""
        clock = FakeClock()
        api = _api(make_steward, db_url, clock)
        conf = api.client.post("/v1/actions", headers=api.h("agent"), json={
            "action": "update_contact_email", "params": {"account_id": "ACC-000090", "new_email": "e@example.com"},
            "context": {"agent_confidence": 0.9}}).json()
        appr = api.client.post("/v1/actions", headers=api.h("agent"), json={
            "action": "issue_credit", "params": {"account_id": "ACC-000091", "amount_cents": 20_000,
                                                 "reason": "Refund"}}).json()
        assert (conf["state"], appr["state"]) == ("awaiting_confirmation", "awaiting_approval")
        clock.advance(16 * 60)
        assert [r.id for r in api.steward.expire_due()] == [conf["id"]]
        r = api.client.get(f"/v1/actions/{conf['id']}", headers=api.h("agent"))
        assert r.json()["state"] == "expired" and r.json()["terminal"]
        late = api.client.post(f"/v1/actions/{conf['id']}/confirmation", headers=api.h("agent"), json={
            "channel": "chat", "quote": "yes", "params_hash": conf["params_hash"]})
        assert late.status_code == 409 and late.json()["error"]["code"] == "invalid_state"
        clock.advance(24 * 3600)
        assert [r.id for r in api.steward.expire_due()] == [appr["id"]]
        late = api.client.post(f"/v1/actions/{appr['id']}/approve", headers=api.h("operator"), json={})
        assert late.status_code == 409
        assert api.client.get("/v1/approvals", headers=api.h("operator")).json()["approvals"] == []
        events = api.client.get("/v1/audit/events", params={"type": "request.expired", "limit": 10},
                                headers=api.h("auditor")).json()["events"]
        assert {e["action_id"] for e in events} == {conf["id"], appr["id"]}
        assert {e["actor"] for e in events} == {"system:expiry"}
        api.client.close()

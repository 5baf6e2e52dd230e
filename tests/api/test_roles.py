"""The route x role matrix of SPEC section 7, with real keys."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

ROLES = ("agent", "operator", "auditor")
# (method, path template, json body, roles allowed)
ROUTES: list[tuple[str, str, Any, set[str]]] = [
    ("POST", "/v1/actions", {"action": "lookup_account", "params": {"account_id": "ACC-000003"}}, {"agent"}),
    ("GET", "/v1/actions", None, {"agent", "operator", "auditor"}),
    ("GET", "/v1/actions/{id}", None, {"agent", "operator", "auditor"}),
    ("POST", "/v1/actions/{id}/confirmation", {"channel": "chat", "quote": "yes", "params_hash": "0" * 64},
     {"agent"}),
    ("POST", "/v1/actions/{id}/approve", {"note": "ok"}, {"operator"}),
    ("POST", "/v1/actions/{id}/reject", {"reason": "no"}, {"operator"}),
    ("POST", "/v1/actions/{id}/cancel", {"reason": "r"}, {"agent", "operator"}),
    ("GET", "/v1/approvals", None, {"operator"}),
    ("POST", "/v1/kill-switch", {"scope": "action:cancel_subscription", "reason": "drill"}, {"operator"}),
    ("DELETE", "/v1/kill-switch/action:cancel_subscription?reason=drill", None, {"operator"}),
    ("GET", "/v1/kill-switch", None, {"operator"}),
    ("GET", "/v1/audit/events", None, {"auditor"}),
    ("GET", "/v1/audit/verify", None, {"auditor"}),
    ("GET", "/v1/audit/proof/0", None, {"auditor"}),
    ("GET", "/v1/catalog", None, {"agent"}),
    ("GET", "/v1/me", None, {"agent", "operator", "auditor"}),
]
IDS = [f"{m} {p.split('?')[0]}" for m, p, _, _ in ROUTES]


def _call(api: Api, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return api.client.request(method, path, json=body, headers=headers)


@pytest.fixture
def seeded(api: Api) -> tuple[Api, str]:
    """An API and one request of agent-1 waiting for a confirmation."""
    r = api.client.post("/v1/actions", headers=api.h("agent"), json={
        "action": "update_contact_email", "params": {"account_id": "ACC-000040", "new_email": "a@example.com"},
        "context": {"agent_confidence": 0.9}})
    assert r.status_code == 202, r.text
    return api, r.json()["id"]


class TestRoleMatrix:
    @pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES, ids=IDS)
    def test_every_cell(self, seeded: tuple[Api, str], method: str, path: str, body: Any,
                        allowed: set[str]) -> None:
        """Forbidden roles get 403, missing or bad tokens 401, allowed roles neither."""
        api, rid = seeded
        path = path.replace("{id}", rid)
        for role in ROLES:
            r = _call(api, method, path, body, api.h(role))
            if role in allowed:
                assert r.status_code not in (401, 403), (role, r.text)
                assert r.status_code < 500, r.text
            else:
                assert r.status_code == 403, (role, r.text)
                assert r.json()["error"]["code"] == "forbidden"
        for headers in ({}, {"Authorization": "Bearer stw_not-a-key"}, {"Authorization": "Basic eDp5"},
                        {"Authorization": "Bearer " + api.tokens["agent"] + "x"}):
            r = _call(api, method, path, body, headers)
            assert r.status_code == 401, (headers, r.text)
            assert r.json()["error"]["code"] == "unauthorized"
            assert r.headers["WWW-Authenticate"] == "Bearer"

    def test_revoked_key_is_refused(self, api: Api) -> None:
        """A revoked key is 401 at once."""
        from executor.apikeys import KeyStore

        assert api.client.get("/v1/catalog", headers=api.h("agent")).status_code == 200
        KeyStore(api.steward.engine).revoke("agent-1")
        assert api.client.get("/v1/catalog", headers=api.h("agent")).status_code == 401


class TestOwnership:
    def test_agent_sees_only_its_own(self, seeded: tuple[Api, str]) -> None:
        """Another agent gets 404 for a request it did not submit, and cannot list, confirm or cancel it."""
        api, rid = seeded
        assert api.client.get(f"/v1/actions/{rid}", headers=api.h("agent")).status_code == 200
        assert api.client.get(f"/v1/actions/{rid}", headers=api.h("agent2")).status_code == 404
        assert api.client.post(f"/v1/actions/{rid}/cancel", headers=api.h("agent2"), json={}).status_code == 404
        conf = {"channel": "chat", "quote": "yes", "params_hash": "0" * 64}
        assert api.client.post(f"/v1/actions/{rid}/confirmation", headers=api.h("agent2"),
                               json=conf).status_code == 404
        assert api.client.get("/v1/actions", headers=api.h("agent2")).json()["requests"] == []
        assert [r["id"] for r in api.client.get("/v1/actions", headers=api.h("agent")).json()["requests"]] == [rid]
        assert len(api.client.get("/v1/actions", headers=api.h("auditor")).json()["requests"]) == 1
        assert api.steward.get(rid).state.value == "awaiting_confirmation"

    def test_key_name_is_the_identity(self, seeded: tuple[Api, str]) -> None:
        """The requester and the audit actor are the key's name."""
        api, rid = seeded
        assert api.steward.get(rid).requester == "agent-1"
        actors = {e.actor for e in api.steward.audit.entries(action_id=rid)}
        assert actors == {"agent:agent-1"}

    def test_operator_cannot_approve_own_name(self, api: Api) -> None:
        """An operator key with the requester's name (any case) is refused: approver != requester."""
        from executor.apikeys import KeyStore

        keys = KeyStore(api.steward.engine)
        _, agent_tok = keys.create("sam", "agent")
        _, op_tok = keys.create("SAM", "operator")
        r = api.client.post("/v1/actions", headers={"Authorization": f"Bearer {agent_tok}"}, json={
            "action": "issue_credit", "params": {"account_id": "ACC-000041", "amount_cents": 20000,
                                                 "reason": "Double charge"}})
        assert r.status_code == 202 and r.json()["state"] == "awaiting_approval", r.text
        rid = r.json()["id"]
        r = api.client.post(f"/v1/actions/{rid}/approve", headers={"Authorization": f"Bearer {op_tok}"}, json={})
        assert r.status_code == 403 and r.json()["error"]["code"] == "self_approval"
        assert api.steward.get(rid).state.value == "awaiting_approval"

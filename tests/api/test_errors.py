"""Errors are JSON with a fitting 4xx, limits hold, and nothing runs on bad input."""

from __future__ import annotations

from typing import Any

import pytest

from executor.api import ApiConfig
from executor.api._queries import list_requests
from tests.api.conftest import Api


def _err(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    if code is not None:
        assert body["error"]["code"] == code
    err: dict[str, Any] = body["error"]
    return err


def _count(api: Api) -> int:
    return len(list_requests(api.steward.engine, limit=1000))


class TestErrorShape:
    def test_schema_violations_are_422(self, api: Api) -> None:
        """Unknown fields, wrong types, over-long strings and bad JSON are 422 invalid_request; nothing stored."""
        bad = [
            {"action": "lookup_account", "params": {}, "surprise": 1},
            {"action": 5},
            {"action": "x" * 65},
            {"action": "lookup_account", "context": {"agent_confidence": 2}},
            {"action": "lookup_account", "confirmation": {"channel": "fax", "quote": "y", "params_hash": "0"}},
            [],
        ]
        for body in bad:
            err = _err(api.client.post("/v1/actions", json=body, headers=api.h("agent")), 422, "invalid_request")
            assert err["details"] and "loc" in err["details"][0]
        r = api.client.post("/v1/actions", content=b"{not json", headers={**api.h("agent"),
                                                                           "Content-Type": "application/json"})
        _err(r, 422, "invalid_request")
        assert _count(api) == 0

    def test_invalid_params_and_unknown_action(self, api: Api) -> None:
        """Catalog-level refusals are 422 with the stored rejected request in the details."""
        err = _err(api.client.post("/v1/actions", headers=api.h("agent"), json={
            "action": "lookup_account", "params": {"account_id": "nope"}}), 422, "invalid_params")
        assert err["details"]["request"]["state"] == "rejected"
        err = _err(api.client.post("/v1/actions", headers=api.h("agent"), json={"action": "drop_tables"}),
                   422, "unknown_action")
        assert {r.state.value for r in list_requests(api.steward.engine)} == {"rejected"}

    def test_forbidden_and_halted(self, api: Api) -> None:
        """Policy-forbidden is 403, a kill switch in scope is 409 halted; both stored as rejected."""
        credit = {"action": "issue_credit", "params": {"account_id": "ACC-000042", "amount_cents": 75_000,
                                                       "reason": "Too much"}}
        _err(api.client.post("/v1/actions", headers=api.h("agent"), json=credit), 403, "forbidden")
        r = api.client.post("/v1/kill-switch", headers=api.h("operator"), json={"scope": "global", "reason": "drill"})
        assert r.status_code == 201, r.text
        assert api.client.get("/v1/kill-switch", headers=api.h("operator")).json()["kill_switches"][0]["scope"] \
            == "global"
        _err(api.client.post("/v1/actions", headers=api.h("agent"), json={
            "action": "lookup_account", "params": {"account_id": "ACC-000003"}}), 409, "halted")
        assert api.client.delete("/v1/kill-switch/global", params={"reason": "over"},
                                 headers=api.h("operator")).status_code == 200
        _err(api.client.delete("/v1/kill-switch/global", params={"reason": "again"}, headers=api.h("operator")),
             404, "not_found")
        _err(api.client.post("/v1/kill-switch", headers=api.h("operator"), json={"scope": "bogus", "reason": "r"}),
             400, "bad_request")
        assert {r.state.value for r in list_requests(api.steward.engine)} == {"rejected"}

    def test_framework_errors(self, api: Api) -> None:
        """Unknown routes 404, wrong methods 405, unknown requests 404, wrong states 409: all JSON."""
        _err(api.client.get("/v1/nope", headers=api.h("agent")), 404, "not_found")
        _err(api.client.get("/", headers=api.h("agent")), 404, "not_found")
        _err(api.client.put("/v1/actions", headers=api.h("agent")), 405, "method_not_allowed")
        _err(api.client.get("/v1/actions/req_missing", headers=api.h("operator")), 404, "not_found")
        _err(api.client.post("/v1/actions/req_missing/approve", headers=api.h("operator"), json={}), 404)
        _err(api.client.get("/v1/audit/proof/999999", headers=api.h("auditor")), 404, "not_found")
        _err(api.client.get("/v1/actions/x?wait=-1", headers=api.h("operator")), 422, "invalid_request")
        _err(api.client.get("/v1/audit/events?limit=0", headers=api.h("auditor")), 422)
        rid = api.client.post("/v1/actions", headers=api.h("agent"), json={
            "action": "lookup_account", "params": {"account_id": "ACC-000003"}}).json()["id"]
        _err(api.client.post(f"/v1/actions/{rid}/approve", headers=api.h("operator"), json={}), 409, "invalid_state")
        conf = {"channel": "chat", "quote": "yes", "params_hash": "0" * 64}
        _err(api.client.post(f"/v1/actions/{rid}/confirmation", headers=api.h("agent"), json=conf), 409)

    def test_openapi_documents_every_field(self, api: Api) -> None:
        """/openapi.json is public and every request-body field has a description."""
        spec = api.client.get("/openapi.json").json()
        assert "bearer" in str(spec["components"]["securitySchemes"]).lower()
        for name in ("SubmitRequest", "Confirmation", "RequestContext", "ApproveBody", "RejectBody", "KillBody"):
            props = spec["components"]["schemas"][name]["properties"]
            missing = [f for f, p in props.items() if "description" not in p and f != "context"]
            assert not missing, (name, missing)


class TestLimits:
    def test_body_cap_is_413(self, api: Api) -> None:
        """A body over 64 KiB is refused before parsing, declared or chunked."""
        big = b'{"action": "lookup_account", "params": {"x": "' + b"a" * 70_000 + b'"}}'
        _err(api.client.post("/v1/actions", content=big, headers={**api.h("agent"),
                                                                   "Content-Type": "application/json"}), 413,
             "payload_too_large")

        def chunks() -> Any:
            for _ in range(10):
                yield b"a" * 10_000

        _err(api.client.post("/v1/actions", content=chunks(), headers={**api.h("agent"),
                                                                       "Content-Type": "application/json"}), 413)
        assert _count(api) == 0

    def test_rate_limit_is_429_with_retry_after(self, build_api: Any, sqlite_url: str) -> None:
        """Past the burst a key gets 429 with Retry-After; other keys are not affected."""
        api = build_api(sqlite_url, ApiConfig(rate_per_s=0.5, burst=3))
        codes = [api.client.get("/v1/catalog", headers=api.h("agent")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = api.client.get("/v1/catalog", headers=api.h("agent"))
        _err(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1
        assert api.client.get("/v1/approvals", headers=api.h("operator")).status_code == 200

    @pytest.mark.parametrize("field", ["note", "reason"])
    def test_string_caps(self, api: Api, field: str) -> None:
        """Over-long notes and reasons are 422, not truncated silently."""
        verb = "approve" if field == "note" else "reject"
        _err(api.client.post(f"/v1/actions/req_x/{verb}", headers=api.h("operator"), json={field: "n" * 2001}), 422)

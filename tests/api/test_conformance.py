"""Schemathesis checks every response against the document: status codes, content types, headers and bodies.

On SQLite and PostgreSQL. The data is real: a request that ran in Chromium
(with evidence), one awaiting approval, one awaiting confirmation, an engaged
kill switch and a signed audit log. Each operation is called first with
inputs that succeed, then with generated inputs (valid and invalid, with
random and with real ids) under each role's key; every response must conform.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from executor.api import ApiConfig
from tests.api.conftest import Api

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = 3  # per operation, generation mode and id source: the whole run stays well under a minute
ROLES = ("agent", "operator", "auditor")


class _World:
    """The seeded data every operation is called against."""

    def __init__(self, api: Api, run_worker: Callable[..., Any]) -> None:
        agent = api.h("agent")
        post = api.client.post
        ran = post("/v1/actions", headers=agent, json={"action": "lookup_account",
                                                       "params": {"account_id": "ACC-000003"}}).json()
        run_worker(api.steward)
        self.ran = ran["id"]
        view = api.client.get(f"/v1/actions/{self.ran}", headers=agent).json()
        assert view["state"] == "succeeded", view
        self.screenshot = next(e["sha256"] for e in view["evidence"] if e["kind"] == "screenshot")
        credit = {"action": "issue_credit", "params": {"account_id": "ACC-000042", "amount_cents": 20_000,
                                                       "reason": "Double charge"},
                  "context": {"customer_goal": "Refund", "agent_confidence": 0.9}}
        self.to_approve = post("/v1/actions", headers=agent, json=credit).json()["id"]
        self.to_reject = post("/v1/actions", headers=agent, json={**credit, "idempotency_key": "other"}).json()["id"]
        email = post("/v1/actions", headers=agent, json={
            "action": "update_contact_email", "params": {"account_id": "ACC-000042", "new_email": "n@example.net"},
            "context": {"agent_confidence": 0.95}})
        self.to_confirm, self.params_hash = email.json()["id"], email.json()["params_hash"]
        self.to_cancel = post("/v1/actions", headers=agent, json={**credit, "idempotency_key": "third"}).json()["id"]
        # A rollback batch asked for by another operator (the operator key approves it: never its own).
        from executor.rollback import Window, rollback

        self.batch = rollback(api.steward, Window(0.0, 1.0), "rhea.ops", "drill").batch_id
        killed = post("/v1/kill-switch", headers=api.h("operator"),
                      json={"scope": "action:cancel_subscription", "reason": "incident 7"})
        assert killed.status_code == 201, killed.text
        api.steward.checkpoint()

    def succeeding(self) -> list[tuple[str, str, str, dict[str, Any]]]:
        """(method, path, role, Case arguments) that must answer 2xx."""
        req = {"request_id": self.ran}
        return [
            ("POST", "/v1/actions", "agent", {"body": {"action": "lookup_account",
                                                       "params": {"account_id": "ACC-000004"}}}),
            ("GET", "/v1/actions", "operator", {"query": {"limit": 10}}),
            ("GET", "/v1/actions/{request_id}", "auditor", {"path_parameters": req}),
            ("POST", "/v1/actions/{request_id}/confirmation", "agent", {
                "path_parameters": {"request_id": self.to_confirm},
                "body": {"channel": "chat", "quote": "yes", "params_hash": self.params_hash}}),
            ("POST", "/v1/actions/{request_id}/approve", "operator", {
                "path_parameters": {"request_id": self.to_approve}, "body": {"note": "checked"}}),
            ("POST", "/v1/actions/{request_id}/reject", "operator", {
                "path_parameters": {"request_id": self.to_reject}, "body": {"reason": "no"}}),
            ("POST", "/v1/actions/{request_id}/cancel", "agent", {
                "path_parameters": {"request_id": self.to_cancel}, "body": {"reason": "changed mind"}}),
            ("GET", "/v1/actions/{request_id}/evidence/{sha256}", "agent", {
                "path_parameters": {**req, "sha256": self.screenshot}}),
            ("GET", "/v1/approvals", "operator", {}),
            ("GET", "/v1/me", "auditor", {}),
            ("GET", "/v1/kill-switch", "operator", {}),
            ("DELETE", "/v1/kill-switch/{scope}", "operator", {
                "path_parameters": {"scope": "action:cancel_subscription"}, "query": {"reason": "fixed"}}),
            ("POST", "/v1/kill-switch", "operator", {"body": {"scope": "target:billing_console", "reason": "drill"}}),
            ("GET", "/v1/catalog", "agent", {}),
            ("GET", "/v1/audit/events", "auditor", {"query": {"limit": 5, "action_id": self.ran}}),
            ("GET", "/v1/audit/verify", "auditor", {}),
            ("GET", "/v1/audit/proof/{seq}", "auditor", {"path_parameters": {"seq": 1}}),
            ("GET", "/v1/audit/timeline/{request_id}", "operator", {"path_parameters": req}),
            ("GET", "/v1/audit/affected", "auditor", {"query": {"since": "2000-01-01"}}),
            ("GET", "/v1/audit/export", "auditor", {}),
            ("GET", "/v1/ops/overview", "auditor", {}),
            ("POST", "/v1/rollback", "operator", {"body": {
                "since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z", "reason": "drill", "dry_run": True}}),
            ("GET", "/v1/rollback/{batch_id}", "auditor", {"path_parameters": {"batch_id": self.batch}}),
            ("POST", "/v1/rollback/{batch_id}/approve", "operator", {
                "path_parameters": {"batch_id": self.batch}, "body": {"note": "ok"}}),
        ]

    def real_ids(self, path: str) -> dict[str, Any]:
        """Path parameters naming things that exist, for generated bodies and queries."""
        out: dict[str, Any] = {}
        if "{request_id}" in path:
            out["request_id"] = self.ran
        if "{sha256}" in path:
            out["sha256"] = self.screenshot
        if "{seq}" in path:
            out["seq"] = 0
        if "{scope}" in path:
            out["scope"] = "target:billing_console"
        if "{batch_id}" in path:
            out["batch_id"] = self.batch
        return out


def _check(api: Api, case: Any, role: str | None, failures: list[str], seen: set[int] | None = None) -> Any:
    response = case.call(headers=api.h(role) if role else {})
    if seen is not None:
        seen.add(response.status_code)
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as exc:  # collect them all, report the first few
        failures.append(f"{case.method} {case.path} as {role}: {str(exc)[:1500]}")
    return response


def _generated(api: Api, op: Any, failures: list[str], seen: set[int], mode: GenerationMode,
               ids: dict[str, Any]) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=mode, path_parameters=ids or None))
    def run(case: Any) -> None:
        for role in ROLES:
            _check(api, case, role, failures, seen)

    run()


class TestResponsesConform:
    def test_every_operation_every_status(self, db_url: str, build_api: Any, run_worker: Any, billing: Any) -> None:
        """Real successes and generated inputs under every role: no response outside the document."""
        api = build_api(db_url)
        world = _World(api, run_worker)
        schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
        operations = {(o.method.upper(), o.path): o for o in (r.ok() for r in schema.get_all_operations())}
        failures: list[str] = []
        seen: set[int] = set()

        cases = world.succeeding()
        missing = set(operations) - {(m, p) for m, p, _, _ in cases}
        assert not missing, f"add a succeeding case to _World.succeeding() for {sorted(missing)}"
        for method, path, role, kwargs in cases:
            response = _check(api, operations[(method, path)].Case(**kwargs), role, failures, seen)
            assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text[:300]}"
            _check(api, operations[(method, path)].Case(**kwargs), None, failures, seen)  # no key: 401

        for (_, path), op in operations.items():
            _generated(api, op, failures, seen, GenerationMode.POSITIVE, {})
            _generated(api, op, failures, seen, GenerationMode.NEGATIVE, {})
            if "{" in path:
                _generated(api, op, failures, seen, GenerationMode.POSITIVE, world.real_ids(path))
        assert not failures, "\n\n".join(failures[:3])
        assert {200, 201, 202, 401, 403, 404, 409, 422} <= seen, sorted(seen)


class TestLimitsConform:
    def test_429_and_413_as_documented(self, build_api: Any, sqlite_url: str) -> None:
        """A rate-limited call (with Retry-After) and an oversized body conform to the document."""
        api = build_api(sqlite_url, ApiConfig(rate_per_s=0.001, burst=1))
        schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
        me = schema["/v1/me"]["GET"].Case()
        failures: list[str] = []
        assert _check(api, me, "agent", failures).status_code == 200
        limited = _check(api, me, "agent", failures)
        assert limited.status_code == 429 and int(limited.headers["retry-after"][0]) >= 1
        big = schema["/v1/actions"]["POST"].Case(body={"action": "lookup_account", "params": {"x": "y" * 70_000}})
        assert _check(api, big, "operator", failures).status_code == 413
        assert not failures, failures


class TestChecksCanFail:
    def test_a_body_outside_the_document_is_reported(self, api: Api) -> None:
        """With the document tampered (role may only be 'nobody', 200 gone from getCatalog), both are caught."""
        app: Any = api.client.app
        doc = app.openapi()
        doc["components"]["schemas"]["Identity"]["properties"]["role"]["enum"] = ["nobody"]
        del doc["paths"]["/v1/catalog"]["get"]["responses"]["200"]
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        for path, role in (("/v1/me", "operator"), ("/v1/catalog", "agent")):
            failures: list[str] = []
            assert _check(api, schema[path]["GET"].Case(), role, failures).status_code == 200
            assert len(failures) == 1, path

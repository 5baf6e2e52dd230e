"""Schemathesis over /openapi.json: no 5xx for any generated input and nothing accepted on a 4xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis  # a dev dependency: this test never skips

from executor.api._queries import list_requests
from tests.api.conftest import Api

pytestmark = pytest.mark.slow

EXAMPLES = 40  # per operation and run; keeps the whole run within seconds


def _fuzz(api: Api, op: Any, accepted: set[str], failures: list[str]) -> None:
    """Run one operation's generated cases with each role's key."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        for who in ("agent", "operator", "auditor"):
            resp = case.call(headers=api.h(who))
            if resp.status_code >= 500:
                failures.append(f"{op.method.upper()} {op.path} as {who}: {resp.status_code} {resp.text[:200]}")
                continue
            if resp.status_code >= 400:
                assert set(resp.json()["error"]) == {"code", "message", "details"}, resp.text
            elif op.path == "/v1/actions" and op.method == "post":
                accepted.add(resp.json()["id"])

    run()


class TestSchemathesis:
    def test_no_server_errors_and_nothing_accepted_on_4xx(self, api: Api) -> None:
        """Every operation, every role: status < 500, JSON errors, and only 2xx submissions become requests."""
        app = api.client.app
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        accepted: set[str] = set()
        failures: list[str] = []
        operations = [r.ok() for r in schema.get_all_operations()]
        assert len(operations) >= 15

        for op in operations:
            _fuzz(api, op, accepted, failures)

        assert not failures, failures[:5]
        not_rejected = {r.id for r in list_requests(api.steward.engine, limit=100_000) if r.state.value != "rejected"}
        assert not_rejected <= accepted
        assert not [r for r in list_requests(api.steward.engine, limit=100_000)
                    if r.state.value in ("executing", "succeeded", "failed")]

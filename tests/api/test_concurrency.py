"""Idempotency and budgets under concurrent submits, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from executor.api._queries import list_requests
from executor.client import StewardAPIError, StewardClient
from tests.api.conftest import Api


def _submit_many(api: Api, bodies: list[dict[str, Any]], token: str = "agent") -> list[Any]:
    def one(body: dict[str, Any]) -> Any:
        with StewardClient(api.base_url, api.tokens[token]) as c:
            try:
                return c.submit(**body)
            except StewardAPIError as exc:
                return exc

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(one, bodies))


class TestIdempotencyUnderConcurrency:
    def test_one_key_one_request(self, db_url: str, live_api: Any) -> None:
        """Sixteen concurrent submits with one key create exactly one request; all return it."""
        api = live_api(db_url)
        body = {"action": "update_contact_email", "idempotency_key": "conv-42-email",
                "params": {"account_id": "ACC-000050", "new_email": "x@example.com"},
                "context": {"agent_confidence": 0.95}}
        results = _submit_many(api, [body] * 16)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len({r.id for r in results}) == 1
        assert sum(r.created for r in results) == 1
        recs = list_requests(api.steward.engine)
        assert len(recs) == 1 and recs[0].state.value == "awaiting_confirmation"
        received = api.steward.audit.entries(action_id=recs[0].id, types=["request.received"])
        assert len(received) == 1

    def test_same_key_other_params_conflict(self, db_url: str, live_api: Any) -> None:
        """Concurrent submits with one key and different parameters: one request, the rest 409."""
        api = live_api(db_url)
        bodies = [{"action": "lookup_account", "idempotency_key": "k-1",
                   "params": {"account_id": f"ACC-0000{60 + i}"}} for i in range(8)]
        results = _submit_many(api, bodies)
        ok = [r for r in results if not isinstance(r, Exception)]
        assert len(ok) == 1 and ok[0].created
        assert all(r.status == 409 and r.code == "idempotency_conflict" for r in results if isinstance(r, Exception))
        assert len(list_requests(api.steward.engine)) == 1

    def test_repeat_returns_200_with_original(self, db_url: str, live_api: Any) -> None:
        """A repeat is 200 with the original request; the first was 202."""
        import httpx

        api = live_api(db_url)
        body = {"action": "lookup_account", "idempotency_key": "k-2", "params": {"account_id": "ACC-000070"}}
        first = httpx.post(f"{api.base_url}/v1/actions", json=body, headers=api.h("agent"))
        again = httpx.post(f"{api.base_url}/v1/actions", json=body, headers=api.h("agent"))
        assert (first.status_code, again.status_code) == (202, 200)
        assert first.json()["id"] == again.json()["id"] and again.json()["created"] is False


class TestBudgetUnderConcurrency:
    def test_never_more_than_the_limit_runs_unattended(self, db_url: str, live_api: Any) -> None:
        """Twenty concurrent $25 credits against a $250 per-requester hour: at most $250 is queued unattended."""
        api = live_api(db_url)
        bodies = [{"action": "issue_credit", "idempotency_key": f"b-{i}",
                   "params": {"account_id": f"ACC-000{100 + i}", "amount_cents": 2500, "reason": "Goodwill"},
                   "context": {"account_tier": "pro", "agent_confidence": 0.9}} for i in range(20)]
        results = _submit_many(api, bodies)
        assert not [r for r in results if isinstance(r, Exception)], results
        unattended = [r for r in results if r.action_class == "autonomous"]
        assert sum(r.params["amount_cents"] for r in unattended) <= 25_000
        assert len(unattended) == 10
        held = [r for r in results if r.action_class == "human_approved"]
        assert len(held) == 10 and all(r.state == "awaiting_approval" for r in held)
        assert any("credit-budget-per-requester" in str(r.decision) for r in held)

"""Issue 17 item 7: an expired confirmation or approval is refused at decision time, even with no sweep running."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from executor.api import ApiConfig, create_app
from executor.clock import FakeClock
from executor.errors import Expired
from tests.api.conftest import Api, make_keys

CONFIRM_TTL = 15 * 60
APPROVAL_TTL = 24 * 3600


@pytest.fixture
def no_worker_api(make_steward: Callable[..., Any]) -> Iterator[Callable[[str], tuple[Api, FakeClock]]]:
    """An API with workers=0 (as `serve --no-workers`: no expiry sweep ever runs) on a clock the test moves."""
    clients: list[TestClient] = []

    def build(db_url: str) -> tuple[Api, FakeClock]:
        clock = FakeClock()
        steward = make_steward(db_url, clock=clock)
        client = TestClient(create_app(steward, config=ApiConfig(rate_per_s=0), workers=0))
        clients.append(client)
        return Api(steward=steward, client=client, tokens=make_keys(steward)), clock

    yield build
    for c in clients:
        c.close()


def _submit(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    r = api.client.post("/v1/actions", headers=api.h("agent"), json=body)
    assert r.status_code == 202, r.text
    out: dict[str, Any] = r.json()
    return out


def _email(account: str) -> dict[str, Any]:
    return {"action": "update_contact_email", "params": {"account_id": account, "new_email": "new@example.com"},
            "context": {"agent_confidence": 0.9}}


def _credit(account: str) -> dict[str, Any]:
    return {"action": "issue_credit", "params": {"account_id": account, "amount_cents": 20_000, "reason": "Refund"},
            "context": {"agent_confidence": 0.9}}


def _expired_events(api: Api, request_id: str) -> list[dict[str, Any]]:
    events = api.client.get("/v1/audit/events", params={"action_id": request_id, "limit": 100},
                            headers=api.h("auditor")).json()["events"]
    return [e for e in events if e["type"] == "request.expired"]


class TestConfirmationExpiry:
    def test_late_confirmation_is_409_expired_and_never_runs(
        self, db_url: str, no_worker_api: Callable[[str], tuple[Api, FakeClock]]
    ) -> None:
        """Past confirmation_ttl with no sweep: 409 `expired`, the request ends expired with its audit event,
        and no worker can claim it."""
        api, clock = no_worker_api(db_url)
        req = _submit(api, _email("ACC-000090"))
        clock.advance(CONFIRM_TTL + 1)
        late = api.client.post(f"/v1/actions/{req['id']}/confirmation", headers=api.h("agent"),
                               json={"channel": "chat", "quote": "yes", "params_hash": req["params_hash"]})
        assert late.status_code == 409 and late.json()["error"]["code"] == "expired", late.text
        rec = api.steward.get(req["id"])
        assert rec.state.value == "expired" and rec.confirmation is None
        (event,) = _expired_events(api, req["id"])
        assert event["actor"] == "system:expiry" and "arrived after" in event["payload"]["reason"]
        assert api.steward.store.claim_next("w", 30, lambda rec, switches: None) is None

    def test_confirmation_in_time_still_queues(
        self, db_url: str, no_worker_api: Callable[[str], tuple[Api, FakeClock]]
    ) -> None:
        """One second before the deadline the confirmation is accepted and the request is queued."""
        api, clock = no_worker_api(db_url)
        req = _submit(api, _email("ACC-000091"))
        clock.advance(CONFIRM_TTL - 1)
        r = api.client.post(f"/v1/actions/{req['id']}/confirmation", headers=api.h("agent"),
                            json={"channel": "chat", "quote": "yes", "params_hash": req["params_hash"]})
        assert r.status_code == 200 and r.json()["state"] == "queued", r.text
        clock.advance(APPROVAL_TTL * 10)  # queued work has no deadline left: it is claimed whenever a worker runs
        claimed = api.steward.store.claim_next("w", 30, lambda rec, switches: None)
        assert claimed is not None and claimed.id == req["id"]


class TestApprovalExpiry:
    @pytest.mark.parametrize("verb", ["approve", "reject"])
    def test_late_decision_is_409_expired(
        self, verb: str, db_url: str, no_worker_api: Callable[[str], tuple[Api, FakeClock]]
    ) -> None:
        """Past approval_ttl with no sweep, approving or rejecting answers 409 `expired` and the request expires."""
        api, clock = no_worker_api(db_url)
        req = _submit(api, _credit("ACC-000092"))
        assert req["state"] == "awaiting_approval"
        clock.advance(APPROVAL_TTL + 1)
        body = {"note": "fine"} if verb == "approve" else {"reason": "no"}
        late = api.client.post(f"/v1/actions/{req['id']}/{verb}", headers=api.h("operator"), json=body)
        assert late.status_code == 409 and late.json()["error"]["code"] == "expired", late.text
        rec = api.steward.get(req["id"])
        assert rec.state.value == "expired" and rec.approval is None
        assert len(_expired_events(api, req["id"])) == 1
        assert api.steward.store.claim_next("w", 30, lambda rec, switches: None) is None
        assert api.client.get("/v1/approvals", headers=api.h("operator")).json()["approvals"] == []

    def test_service_raises_expired_for_local_callers(
        self, db_url: str, no_worker_api: Callable[[str], tuple[Api, FakeClock]]
    ) -> None:
        """The CLI path (Steward.approve) refuses the same way: Expired, not retryable."""
        api, clock = no_worker_api(db_url)
        req = _submit(api, _credit("ACC-000093"))
        clock.advance(APPROVAL_TTL + 60)
        with pytest.raises(Expired) as caught:
            api.steward.approve(req["id"], "dana", "late")
        assert not caught.value.retryable and caught.value.status == 409
        assert api.steward.get(req["id"]).state.value == "expired"

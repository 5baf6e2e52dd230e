"""Rollback through the HTTP API: operators only, clear 4xx, one batch decision by another operator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from executor.api import ApiConfig, create_app
from executor.apikeys import KeyStore
from executor.states import RequestState
from tests.executor.conftest import AGENT, credit


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@pytest.fixture
def rig(make_steward: Any, tmp_path: Any) -> Iterator[tuple[Any, TestClient, dict[str, dict[str, str]]]]:
    steward = make_steward(f"sqlite:///{tmp_path / 'api.db'}")
    keys = KeyStore(steward.engine)
    heads = {}
    for name, role in (("agent-7", "agent"), ("olga", "operator"), ("sam", "operator"), ("audra", "auditor")):
        _, token = keys.create(name, role)
        heads[name] = {"Authorization": f"Bearer {token}"}
    client = TestClient(create_app(steward, config=ApiConfig(rate_per_s=0)), raise_server_exceptions=False)
    yield steward, client, heads
    client.close()


class TestRollbackRoutesRefuse:
    def test_only_operators(self, rig: Any) -> None:
        """Agents and auditors get 403; nothing is planned or recorded."""
        steward, client, heads = rig
        body = {"since": _iso(time.time() - 60), "until": _iso(time.time()), "reason": "x", "dry_run": True}
        size = steward.audit.size()
        for who in ("agent-7", "audra"):
            answer = client.post("/v1/rollback", json=body, headers=heads[who])
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
        assert client.post("/v1/rollback", json=body).status_code == 401
        assert steward.audit.size() == size

    def test_bad_input_is_a_clear_4xx(self, rig: Any) -> None:
        """An empty window is a 400, an unknown field or a missing reason a 422, an unknown batch a 404."""
        _, client, heads = rig
        now = time.time()
        empty = client.post("/v1/rollback", json={"since": _iso(now), "until": _iso(now - 1), "reason": "x"},
                            headers=heads["olga"])
        assert empty.status_code == 400 and "until must be after since" in empty.json()["error"]["message"]
        extra = client.post("/v1/rollback", json={"since": _iso(now - 1), "until": _iso(now), "reason": "x",
                                                  "force": True}, headers=heads["olga"])
        assert extra.status_code == 422
        missing = client.post("/v1/rollback", json={"since": _iso(now - 1), "until": _iso(now)},
                              headers=heads["olga"])
        assert missing.status_code == 422
        unknown = client.post("/v1/rollback/rb_00ff/approve", headers=heads["sam"])
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        bad_id = client.post("/v1/rollback/../approve", headers=heads["sam"])
        assert bad_id.status_code in (404, 422)


@pytest.mark.browser
class TestRollbackOverHttp:
    def test_plan_submit_and_batch_approval(self, rig: Any, run_worker: Any, billing: Any, accounts: Any) -> None:
        """Dry run, then the batch as olga; olga may not approve it, sam approves it and the credit is reversed."""
        steward, client, heads = rig
        since = time.time() - 0.5
        rec, _ = steward.submit(credit(accounts.take(), 275, "API rollback credit"), AGENT)
        run_worker(steward)
        original = steward.get(rec.id)
        assert original.state == RequestState.SUCCEEDED
        window = {"since": _iso(since), "until": _iso(time.time() + 0.5), "reason": "INC-9", "action": "issue_credit"}

        plan = client.post("/v1/rollback", json={**window, "dry_run": True}, headers=heads["olga"])
        assert plan.status_code == 200, plan.text
        assert plan.json()["dry_run"] is True and plan.json()["counts"] == {"compensate": 1}

        batch = client.post("/v1/rollback", json=window, headers=heads["olga"]).json()
        assert batch["counts"] == {"submitted": 1} and batch["plan_hash"] == plan.json()["plan_hash"]
        [item] = batch["items"]
        assert item["original_id"] == rec.id and item["compensation_state"] == "awaiting_approval"

        mine = client.post(f"/v1/rollback/{batch['batch_id']}/approve", json={"note": "mine"}, headers=heads["olga"])
        assert mine.status_code == 403 and mine.json()["error"]["code"] == "self_approval"
        ok = client.post(f"/v1/rollback/{batch['batch_id']}/approve", json={"note": "ok"}, headers=heads["sam"])
        assert ok.status_code == 200 and ok.json()["approved"] == [item["compensation_id"]]
        run_worker(steward)
        assert steward.get(item["compensation_id"]).state == RequestState.SUCCEEDED
        credit_id = original.outcome["extracted"]["credit_id"]
        assert [r.credit_id for r in billing.db.reversals()].count(credit_id) == 1

        view = client.get(f"/v1/rollback/{batch['batch_id']}", headers=heads["audra"])
        assert view.status_code == 200, view.text
        shown = view.json()
        assert shown["approved_by"] == "sam" and shown["plan_hash"] == batch["plan_hash"]
        assert [(i["status"], i["compensation_state"]) for i in shown["items"]] == [("submitted", "succeeded")]
        assert client.get(f"/v1/rollback/{batch['batch_id']}", headers=heads["agent-7"]).status_code == 403

"""Issue 17 item 5 (API part): GET /v1/actions/{id}/evidence/{sha256}, by role, re-hashed before serving."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from executor.api import ApiConfig, create_app
from tests.api.conftest import Api, make_keys

_ACCOUNTS = itertools.count(561)  # apart from the executor (30+) and API (401+) test pools


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, billing: Any, run_worker_module: Callable[..., Any]
        ) -> Iterator[tuple[Api, dict[str, Any], dict[str, Any]]]:
    """One autonomous credit run for real (Chromium, billing console): an API over its database,
    the request as agent-1 sees it, and agent-2's own request."""
    from executor.service import Steward
    from tests.helpers import settings_for

    folder = tmp_path_factory.mktemp("evidence")
    steward = Steward(settings_for(f"sqlite:///{folder / 'ev.db'}", folder / "home"))
    client = TestClient(create_app(steward, config=ApiConfig(rate_per_s=0)), raise_server_exceptions=False)
    api = Api(steward=steward, client=client, tokens=make_keys(steward))
    body = {"action": "issue_credit",
            "params": {"account_id": f"ACC-{next(_ACCOUNTS):06d}", "amount_cents": 700, "reason": "Late parcel"},
            "context": {"account_tier": "standard", "agent_confidence": 0.9}}
    mine = client.post("/v1/actions", headers=api.h("agent"), json=body)
    other = client.post("/v1/actions", headers=api.h("agent2"), json={"action": "lookup_account",
                                                                       "params": {"account_id": "ACC-000562"}})
    assert mine.status_code == 202 and other.status_code == 202, (mine.text, other.text)
    run_worker_module(steward)
    view = client.get(f"/v1/actions/{mine.json()['id']}", headers=api.h("agent")).json()
    assert view["state"] == "succeeded", view
    other_view = client.get(f"/v1/actions/{other.json()['id']}", headers=api.h("agent2")).json()
    yield api, view, other_view
    client.close()
    steward.close()


@pytest.fixture(scope="module")
def run_worker_module(loop_thread: Any, driver: Any) -> Callable[..., list[Any]]:
    """The shared run_worker fixture, at module scope (one real run serves every test here)."""
    from executor.worker import Worker

    def run(steward: Any) -> list[Any]:
        worker = Worker(steward, driver, concurrency=1, poll_s=0.02, lease_s=30)

        async def go() -> list[Any]:
            return await worker.run(once=True)

        return loop_thread.run(go())

    return run


def _of(view: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e for e in view["evidence"] if e["kind"] == kind)


def _get(api: Api, who: str, request_id: str, sha: str) -> Any:
    return api.client.get(f"/v1/actions/{request_id}/evidence/{sha}", headers=api.h(who))


class TestWhoReadsWhat:
    @pytest.mark.parametrize("who", ["operator", "auditor"])
    def test_operators_and_auditors_read_screenshots_and_traces(self, ran: Any, who: str) -> None:
        """Both kinds are served with their media type, and the bytes hash to the sha256 asked for."""
        api, view, _ = ran
        for kind, media in (("screenshot", "image/png"), ("trace", "application/zip")):
            item = _of(view, kind)
            r = _get(api, who, view["id"], item["sha256"])
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == media
            assert hashlib.sha256(r.content).hexdigest() == item["sha256"]
            assert r.headers["x-content-type-options"] == "nosniff"
        assert r.content[:2] == b"PK" and "attachment" in r.headers["content-disposition"]

    def test_an_agent_reads_only_its_own_screenshots(self, ran: Any) -> None:
        """Its own screenshot: 200; its own trace: 403; another agent's request: 404."""
        api, view, other = ran
        shot, trace = _of(view, "screenshot"), _of(view, "trace")
        ok = _get(api, "agent", view["id"], shot["sha256"])
        assert ok.status_code == 200 and ok.content[:8] == b"\x89PNG\r\n\x1a\n"
        no_trace = _get(api, "agent", view["id"], trace["sha256"])
        assert no_trace.status_code == 403 and no_trace.json()["error"]["code"] == "forbidden"
        assert _get(api, "agent2", view["id"], shot["sha256"]).status_code == 404
        other_shot = _of(other, "screenshot")
        assert _get(api, "agent2", other["id"], other_shot["sha256"]).status_code == 200
        assert _get(api, "agent", other["id"], other_shot["sha256"]).status_code == 404

    def test_a_sha_the_request_does_not_reference_is_404(self, ran: Any) -> None:
        """Evidence of another request, or any other hash, is not served under this request."""
        api, view, other = ran
        foreign = _of(other, "screenshot")["sha256"]
        for sha in (foreign, "0" * 64):
            r = _get(api, "operator", view["id"], sha)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        assert _get(api, "operator", view["id"], "NOT-A-SHA").status_code == 422
        assert _get(api, "auditor", "req_nope", foreign).status_code == 404


class TestRehash:
    def test_a_file_changed_on_disk_is_refused(self, ran: Any) -> None:
        """The file is hashed again before serving: changed bytes are a 409 evidence_corrupt, nothing sent."""
        api, view, _ = ran
        item = _of(view, "screenshot")
        path = Path(item["path"])
        original = path.read_bytes()
        try:
            path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
            r = _get(api, "auditor", view["id"], item["sha256"])
            assert r.status_code == 409 and r.json()["error"]["code"] == "evidence_corrupt", r.text
            path.unlink()
            gone = _get(api, "auditor", view["id"], item["sha256"])
            assert gone.status_code == 404 and gone.json()["error"]["code"] == "evidence_missing"
        finally:
            path.write_bytes(original)
        assert _get(api, "auditor", view["id"], item["sha256"]).status_code == 200

"""Issue 14, the API side of the console: list filters, kill-switch counts, timeline, affected, export, roles.

Runs in process (TestClient) on SQLite and on PostgreSQL; nothing here needs a browser.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import Api

_ACCOUNTS = itertools.count(541)  # apart from the other pools (401+ API, 561+ evidence, 581+ console pages)


@pytest.fixture
def filled(build_api: Callable[..., Api], db_url: str) -> Api:
    """An API with four requests: two credits awaiting approval (agent-1), a queued lookup (agent-2), a rejection."""
    api = build_api(db_url)
    for cents, customer in ((20_000, "C-7"), (30_000, "C-8")):
        body = {"action": "issue_credit", "params": {"account_id": f"ACC-{next(_ACCOUNTS):06d}",
                                                     "amount_cents": cents, "reason": "Double charge 50%_off"},
                "context": {"customer_id": customer, "conversation_id": f"conv-{customer}", "agent_confidence": 0.9}}
        assert api.client.post("/v1/actions", json=body, headers=api.h("agent")).status_code == 202
    look = {"action": "lookup_account", "params": {"account_id": "ACC-000542"}}
    assert api.client.post("/v1/actions", json=look, headers=api.h("agent2")).status_code == 202
    bad = {"action": "issue_credit", "params": {"account_id": "nope"}}
    assert api.client.post("/v1/actions", json=bad, headers=api.h("agent")).status_code == 422
    return api


def _list(api: Api, who: str = "operator", **params: Any) -> Any:
    return api.client.get("/v1/actions", params=params, headers=api.h(who))


def _ids(res: Any) -> list[str]:
    assert res.status_code == 200, res.text
    return [r["id"] for r in res.json()["requests"]]


class TestListFilters:
    def test_filters_combine_and_count(self, filled: Api) -> None:
        """State, class, action, target and requester narrow the list; total counts every match."""
        everything = _list(filled).json()
        assert everything["total"] == 4 and everything["next_offset"] is None
        waiting = _list(filled, state="awaiting_approval").json()
        assert waiting["total"] == 2 and {r["action"] for r in waiting["requests"]} == {"issue_credit"}
        assert len(_ids(_list(filled, **{"class": "human_approved"}))) == 2
        assert len(_ids(_list(filled, action="lookup_account"))) == 1
        assert len(_ids(_list(filled, target="billing_console", requester="agent-1"))) == 3
        assert _ids(_list(filled, state=["queued", "rejected"], sort="created_at")) == [
            r["id"] for r in reversed(everything["requests"]) if r["state"] in ("queued", "rejected")]

    def test_search_reads_ids_context_and_recorded_params(self, filled: Api) -> None:
        """q finds a customer, a conversation, a parameter value and an id prefix; LIKE wildcards are literal."""
        first = _list(filled).json()["requests"][-1]
        assert len(_ids(_list(filled, q="c-7"))) == 1
        assert len(_ids(_list(filled, q="conv-C-8"))) == 1
        assert len(_ids(_list(filled, q="50%_off"))) == 2
        assert _ids(_list(filled, q="5_%")) == []
        assert _ids(_list(filled, q=first["id"][:20])) == [first["id"]]

    def test_paging_and_sort(self, filled: Api) -> None:
        """limit/offset page through the matches; next_offset points at the next page."""
        one = _list(filled, limit=3, sort="created_at").json()
        two = _list(filled, limit=3, offset=3, sort="created_at").json()
        assert one["next_offset"] == 3 and two["next_offset"] is None and two["offset"] == 3
        assert [r["id"] for r in one["requests"] + two["requests"]] == list(reversed(_ids(_list(filled))))

    def test_owner_and_time_window(self, filled: Api) -> None:
        """owner selects the actions the catalog gives that owner; since/until bound created_at."""
        owner = filled.steward.catalog.owner_of("issue_credit")
        assert owner
        owned = {n for n in filled.steward.catalog.actions if filled.steward.catalog.owner_of(n) == owner}
        got = _list(filled, owner=owner).json()["requests"]
        assert got and {r["action"] for r in got} <= owned
        assert _ids(_list(filled, owner="nobody-owns-this")) == []
        assert len(_ids(_list(filled, since="2000-01-01"))) == 4
        assert _ids(_list(filled, until="2000-01-01T00:00:00Z")) == []

    @pytest.mark.parametrize(("params", "needle"), [
        ({"since": "yesterday"}, "since='yesterday' is not an ISO-8601"),
        ({"since": "2026-12-02", "until": "2026-12-01"}, "since must be before until"),
        ({"sort": "params"}, "sort"),
        ({"class": "sometimes"}, "class"),
        ({"state": "sleeping"}, "state"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ])
    def test_bad_filters_are_a_clear_422(self, filled: Api, params: dict[str, Any], needle: str) -> None:
        """A malformed filter is refused with the envelope naming it; nothing is listed."""
        res = _list(filled, **params)
        assert res.status_code == 422, res.text
        assert needle in str(res.json()["error"])

    def test_an_agent_sees_only_its_own(self, filled: Api) -> None:
        """Filters never widen an agent's view: another requester's name gives nothing."""
        assert len(_ids(_list(filled, "agent2"))) == 1
        assert _ids(_list(filled, "agent2", requester="agent-1")) == []
        assert _list(filled, "agent2", q="c-7").json()["total"] == 0


class TestOperatorViews:
    def test_kill_switch_list_counts_what_it_holds(self, filled: Api) -> None:
        """A switch reports the queued and executing requests in its scope."""
        for scope in ("global", "action:lookup_account", "action:issue_credit"):
            res = filled.client.post("/v1/kill-switch", json={"scope": scope, "reason": "drill"},
                                     headers=filled.h("operator"))
            assert res.status_code == 201, res.text
        got = {s["scope"]: (s["queued"], s["executing"]) for s in
               filled.client.get("/v1/kill-switch", headers=filled.h("operator")).json()["kill_switches"]}
        assert got == {"global": (1, 0), "action:lookup_account": (1, 0), "action:issue_credit": (0, 0)}

    def test_approvals_oldest_first(self, filled: Api) -> None:
        """order=oldest reverses the default newest-first inbox."""
        newest = filled.client.get("/v1/approvals", headers=filled.h("operator")).json()["approvals"]
        oldest = filled.client.get("/v1/approvals?order=oldest", headers=filled.h("operator")).json()["approvals"]
        assert [a["request"]["id"] for a in oldest] == [a["request"]["id"] for a in reversed(newest)]
        assert filled.client.get("/v1/approvals?order=random", headers=filled.h("operator")).status_code == 422

    def test_ops_overview(self, filled: Api) -> None:
        """The figures now match the database, the daily report counts the window's requests and is reused briefly."""
        data = filled.client.get("/v1/ops/overview", headers=filled.h("auditor")).json()
        assert data["now"]["queued"] == 1 and data["now"]["awaiting_approval"] == 2
        assert data["report"]["period"] == "daily" and data["report"]["current"]["requests"] == 4
        look = {"action": "lookup_account", "params": {"account_id": "ACC-000543"}}
        assert filled.client.post("/v1/actions", json=look, headers=filled.h("agent")).status_code == 202
        again = filled.client.get("/v1/ops/overview", headers=filled.h("operator")).json()
        assert again["now"]["queued"] == 2  # read afresh
        assert again["report"] == data["report"]  # the report is reused for REPORT_TTL_S

    def test_timeline_with_proofs(self, filled: Api) -> None:
        """Each event of a request with a summary; entries after the checkpoint are pending, then proven."""
        rid = _ids(_list(filled, action="lookup_account"))[0]
        filled.client.post(f"/v1/actions/{rid}/cancel", json={"reason": "late"}, headers=filled.h("operator"))
        before = filled.client.get(f"/v1/audit/timeline/{rid}", headers=filled.h("operator")).json()
        assert before["entries"][-1]["summary"] == "queued -> cancelled (late)"
        filled.steward.checkpoint()
        after = filled.client.get(f"/v1/audit/timeline/{rid}", headers=filled.h("operator")).json()
        assert after["checkpoint"]["signature"] == "verified" and after["verifier"]["key_id"]
        assert {e["inclusion"] for e in after["entries"]} == {"included"}
        assert after["entries"][0]["event"]["type"] == "request.received" and after["entries"][0]["proof"] is not None
        assert filled.client.get("/v1/audit/timeline/req_nope", headers=filled.h("operator")).status_code == 404


class TestAuditorDownloads:
    def test_affected_json_csv_and_bad_windows(self, filled: Api) -> None:
        """No commit happened: empty JSON and a header-only CSV; a bad window is a 422."""
        h = filled.h("auditor")
        data = filled.client.get("/v1/audit/affected?since=2000-01-01", headers=h).json()
        assert data["actions"] == [] and data["since"] == "2000-01-01T00:00:00.000Z"
        res = filled.client.get("/v1/audit/affected?since=2000-01-01&format=csv", headers=h)
        assert res.headers["content-type"].startswith("text/csv") and "attachment" in res.headers["content-disposition"]
        assert next(csv.reader(io.StringIO(res.text)))[:3] == ["committed_at", "action_id", "action"]
        for query in ("since=soon", "since=2026-12-02&until=2026-12-01", "since=2000-01-01&format=xml"):
            assert filled.client.get(f"/v1/audit/affected?{query}", headers=h).status_code == 422, query

    def test_export_zip_holds_every_entry(self, filled: Api) -> None:
        """The export is a zip of entries.jsonl (one line per entry), the manifest and the checkpoints."""
        filled.steward.checkpoint()
        res = filled.client.get("/v1/audit/export", headers=filled.h("auditor"))
        assert res.status_code == 200 and res.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(res.content)) as zf:
            assert len(zf.read("entries.jsonl").splitlines()) == filled.steward.audit.size()
            assert "evidence-manifest.json" in zf.namelist()
            assert any(n.startswith("checkpoints/") for n in zf.namelist())


ROUTES = [("GET", "/v1/approvals"), ("GET", "/v1/kill-switch"), ("GET", "/v1/ops/overview"),
          ("GET", "/v1/audit/timeline/req_x"), ("GET", "/v1/audit/affected?since=2000-01-01"),
          ("GET", "/v1/audit/export"), ("GET", "/v1/audit/verify")]
ALLOWED = {"/v1/approvals": {"operator"}, "/v1/kill-switch": {"operator"}, "/v1/ops/overview": {"operator", "auditor"},
           "/v1/audit/timeline/req_x": {"operator", "auditor"},
           "/v1/audit/affected?since=2000-01-01": {"operator", "auditor"},
           "/v1/audit/export": {"auditor"}, "/v1/audit/verify": {"auditor"}}


class TestRoles:
    @pytest.mark.parametrize(("method", "path"), ROUTES)
    def test_roles_are_enforced_by_the_api(self, api: Api, method: str, path: str) -> None:
        """Every console route refuses the roles it does not serve with 403 (an agent key never reads them)."""
        for who in ("agent", "operator", "auditor"):
            res = api.client.request(method, path, headers=api.h(who))
            if who in ALLOWED[path]:
                assert res.status_code in (200, 404), (who, path, res.text)
            else:
                assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden", (who, path)

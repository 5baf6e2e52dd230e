"""Issue 17 item 8: NaN, Infinity, 1e400, lone surrogates and NUL are 4xx, nothing stored (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from executor.api import ApiConfig, create_app
from executor.errors import InvalidInput
from executor.store.tables import kill_switches, requests
from tests.api.conftest import Api, make_keys

CREDIT = '"action": "issue_credit", "params": {"account_id": "ACC-000001", "amount_cents": %s, "reason": %s}'
OK = "{" + CREDIT % ("100", '"goodwill"')
# Raw JSON bodies: Python's json accepts NaN, Infinity, 1e400 (as inf) and "\ud800" escapes.
SUBMITS = {
    "NaN amount": "{" + CREDIT % ("NaN", '"goodwill"') + "}",
    "Infinity amount": "{" + CREDIT % ("Infinity", '"goodwill"') + "}",
    "1e400 amount": "{" + CREDIT % ("1e400", '"goodwill"') + "}",
    "-Infinity in metadata": OK + ', "context": {"metadata": {"x": -Infinity}}}',
    "1e400 deep in metadata": OK + ', "context": {"metadata": {"a": [{"b": 1e400}]}}}',
    "NaN confidence": OK + ', "context": {"agent_confidence": NaN}}',
    "lone surrogate in a param": "{" + CREDIT % ("100", '"good\\ud800will"') + "}",
    "lone surrogate in a metadata key": OK + ', "context": {"metadata": {"\\udc00": 1}}}',
    "lone surrogate in the action": '{"action": "issue_\\udfffcredit", "params": {}}',
    "NUL in the idempotency key": OK + ', "idempotency_key": "k\\u0000"}',
    "NUL in a param": "{" + CREDIT % ("100", '"good\\u0000will"') + "}",
    "NUL in the conversation id": OK + ', "context": {"conversation_id": "c\\u0000"}}',
}


@pytest.fixture
def bad_api(make_steward: Callable[..., Any]) -> Iterator[Callable[[str], Api]]:
    """An in-process API that answers 500s as responses (never raises them into the test)."""
    clients: list[TestClient] = []

    def build(db_url: str) -> Api:
        steward = make_steward(db_url)
        client = TestClient(create_app(steward, config=ApiConfig(rate_per_s=0)), raise_server_exceptions=False)
        clients.append(client)
        return Api(steward=steward, client=client, tokens=make_keys(steward))

    yield build
    for c in clients:
        c.close()


def stored(api: Api) -> tuple[int, int, int]:
    """(request rows, kill switch rows, audit entries) in the database."""
    with api.steward.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(requests)).scalar_one()
        halts = conn.execute(select(func.count()).select_from(kill_switches)).scalar_one()
    return rows, halts, api.steward.audit.size()


def refused(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


class TestSubmit:
    @pytest.mark.parametrize("body", list(SUBMITS.values()), ids=list(SUBMITS))
    def test_unstorable_submission_is_422_and_stores_nothing(self, db_url: str, bad_api: Callable[[str], Api],
                                                             body: str) -> None:
        """Each body is 422 invalid_request naming the field; no request row and no audit entry appear."""
        api = bad_api(db_url)
        before = stored(api)
        r = api.client.post("/v1/actions", content=body.encode(),
                            headers={**api.h("agent"), "Content-Type": "application/json"})
        refused(r)
        assert r.json()["error"]["details"][0]["msg"].startswith("Value error, ")
        assert stored(api) == before


class TestOperatorText:
    def test_nul_and_surrogates_in_decisions_halts_and_urls(self, db_url: str, bad_api: Callable[[str], Api]) -> None:
        """Kill reasons, approval notes, rejection reasons, quotes, cancel reasons and URLs: 422, nothing stored."""
        api = bad_api(db_url)
        ok = api.client.post("/v1/actions", headers=api.h("agent"), json={
            "action": "issue_credit", "params": {"account_id": "ACC-000002", "amount_cents": 20_000,
                                                 "reason": "refund"}, "context": {"agent_confidence": 0.9}})
        assert ok.status_code == 202, ok.text
        rid, phash = ok.json()["id"], ok.json()["params_hash"]
        before = stored(api)
        op, agent = {**api.h("operator"), "Content-Type": "application/json"}, api.h("agent")
        calls = [
            ("POST", "/v1/kill-switch", op, b'{"scope": "global", "reason": "a\\u0000b"}'),
            ("POST", "/v1/kill-switch", op, b'{"scope": "global", "reason": "a\\ud800b"}'),
            ("POST", "/v1/kill-switch", op, b'{"scope": "glo\\u0000bal", "reason": "drill"}'),
            ("POST", f"/v1/actions/{rid}/approve", op, b'{"note": "fine\\u0000"}'),
            ("POST", f"/v1/actions/{rid}/reject", op, b'{"reason": "no\\udbff"}'),
            ("POST", f"/v1/actions/{rid}/cancel", op, b'{"reason": "\\u0000"}'),
            ("POST", f"/v1/actions/{rid}/confirmation", {**agent, "Content-Type": "application/json"},
             b'{"channel": "chat", "quote": "yes\\u0000", "params_hash": "' + phash.encode() + b'"}'),
            ("GET", "/v1/actions/req%00x", api.h("agent"), None),
            ("GET", "/v1/audit/events?type=a%00b", api.h("auditor"), None),
            ("GET", "/v1/audit/events?action_id=%00", api.h("auditor"), None),
            ("DELETE", "/v1/kill-switch/global?reason=a%00b", api.h("operator"), None),
        ]
        for method, path, headers, body in calls:
            refused(api.client.request(method, path, headers=headers, content=body))
        assert stored(api) == before
        assert api.steward.get(rid).state.value == "awaiting_approval"

    def test_local_callers_are_refused_too(self, db_url: str, bad_api: Callable[[str], Api]) -> None:
        """The CLI path (Steward methods, argv decoded with surrogateescape) refuses the same text."""
        api = bad_api(db_url)
        before = stored(api)
        with pytest.raises(InvalidInput, match="lone surrogate"):
            api.steward.kill("global", "dana", "bad bytes \udcff from argv")
        with pytest.raises(InvalidInput, match="NUL"):
            api.steward.kill("global", "da\x00na", "drill")
        with pytest.raises(InvalidInput, match="lone surrogate"):
            api.steward.release("global", "dana", "\udc80")
        assert stored(api) == before

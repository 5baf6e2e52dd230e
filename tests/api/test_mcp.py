"""``steward mcp`` with the official MCP client: stdio (a real subprocess) and Streamable HTTP, against a live API."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult

from tests.api.conftest import Api

_LAUNCH = "import sys; from executor.cli import main; sys.argv[0] = 'steward'; main()"


def _stdio(api: Api) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-c", _LAUNCH, "mcp", "--server", api.base_url,
                                                                "--token", api.tokens["agent"]])


def _run(body: Callable[[Client], Any], server: Any) -> Any:
    async def go() -> Any:
        async with Client(server, read_timeout_seconds=90) as client:
            return await body(client)

    return anyio.run(go)


def _body(result: CallToolResult) -> dict[str, Any]:
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    assert result.structured_content is not None
    return result.structured_content


class TestStdio:
    def test_tools_have_schemas_hints_and_the_catalog_resource(self, live_api: Any, sqlite_url: str) -> None:
        """One tool per action plus three request tools, each with output schema and hints; the catalog resource."""
        api = live_api(sqlite_url)

        async def body(client: Client) -> Any:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            resources = (await client.list_resources()).resources
            catalog = await client.read_resource(resources[0].uri)
            return tools, resources, catalog

        tools, resources, catalog = _run(body, _stdio(api))
        actions = {a["name"]: a for a in api.client.get("/v1/catalog", headers=api.h("agent")).json()["actions"]}
        assert set(tools) == set(actions) | {"get_request", "attach_confirmation", "cancel_request"}
        for name, action in actions.items():
            tool = tools[name]
            assert tool.input_schema["properties"]["params"] == action["params_schema"]
            assert tool.input_schema["required"] == ["params", "idempotency_key"]
            assert tool.input_schema["additionalProperties"] is False
            assert tool.output_schema is not None and "created" in tool.output_schema["properties"]
            assert tool.annotations is not None
            assert tool.annotations.read_only_hint is action["read_only"]
            assert tool.annotations.destructive_hint is (not action["read_only"])
            assert tool.annotations.idempotent_hint is True  # the idempotency key makes a repeat the same request
        assert tools["get_request"].annotations is not None and tools["get_request"].annotations.read_only_hint
        assert tools["cancel_request"].annotations is not None and tools["cancel_request"].annotations.destructive_hint
        assert str(resources[0].uri) == "steward://catalog"
        served = json.loads(catalog.contents[0].text)
        assert {a["name"] for a in served["actions"]} == set(actions)

    def test_bad_calls_are_tool_errors_and_never_run(self, live_api: Any, sqlite_url: str, accounts: Any) -> None:
        """Unknown, missing or mistyped arguments and unknown tools are readable tool errors; nothing is stored."""
        api = live_api(sqlite_url)
        account = accounts.take()
        good = {"account_id": account, "amount_cents": 500, "reason": "Late delivery"}

        async def body(client: Client) -> list[CallToolResult]:
            return [
                await client.call_tool("issue_credit", {"params": good}),  # no idempotency_key
                await client.call_tool("issue_credit", {"params": good, "idempotency_key": "k", "sudo": True}),
                await client.call_tool("issue_credit", {"params": {**good, "amount": 5}, "idempotency_key": "k"}),
                await client.call_tool("issue_credit", {"params": {**good, "amount_cents": "lots"},
                                                        "idempotency_key": "k"}),
                await client.call_tool("get_request", {"request_id": "r", "wait_seconds": 999}),
                await client.call_tool("transfer_all_money", {}),
            ]

        missing, extra, misspelt, mistyped, waits, unknown = _run(body, _stdio(api))
        assert "idempotency_key" in _body(missing)["error"]["message"]
        assert "sudo" in _body(extra)["error"]["message"]
        assert "amount" in _body(misspelt)["error"]["message"]
        assert "lots" in _body(mistyped)["error"]["message"]
        assert "999" in _body(waits)["error"]["message"]
        for result in (missing, extra, misspelt, mistyped, waits):
            assert result.is_error and _body(result)["error"]["executed"] is False
        assert unknown.is_error
        listed = api.client.get("/v1/actions", headers=api.h("operator")).json()["requests"]
        assert listed == []  # none of them reached the API

    def test_submit_confirm_and_read_the_outcome(self, live_api: Any, sqlite_url: str, accounts: Any,
                                                 billing: Any) -> None:
        """A confirmed email change runs and its verified outcome is read; refusals and cancels are tool results."""
        api = live_api(sqlite_url, workers=1)
        account = accounts.take()
        email = f"mcp-{account.lower()}@example.com"

        async def body(client: Client) -> dict[str, Any]:
            out: dict[str, Any] = {}
            change = _body(await client.call_tool("update_contact_email", {
                "params": {"account_id": account, "new_email": email}, "idempotency_key": "mcp-email-1",
                "context": {"agent_confidence": 0.95}}))
            out["pending"] = change
            again = await client.call_tool("update_contact_email", {
                "params": {"account_id": account, "new_email": email}, "idempotency_key": "mcp-email-1",
                "context": {"agent_confidence": 0.95}})
            out["again"] = _body(again)
            out["wrong"] = await client.call_tool("attach_confirmation", {
                "request_id": change["id"], "quote": "yes", "params_hash": "0" * 64})
            out["right"] = _body(await client.call_tool("attach_confirmation", {
                "request_id": change["id"], "quote": f"Yes, change it to {email}",
                "params_hash": change["params_hash"]}))
            out["done"] = _body(await client.call_tool("get_request", {"request_id": change["id"],
                                                                       "wait_seconds": 60}))
            credit = _body(await client.call_tool("issue_credit", {
                "params": {"account_id": account, "amount_cents": 20_000, "reason": "Double charge"},
                "idempotency_key": "mcp-credit-1", "context": {"agent_confidence": 0.95}}))
            out["credit"] = credit
            out["cancelled"] = _body(await client.call_tool("cancel_request", {"request_id": credit["id"],
                                                                               "reason": "customer withdrew"}))
            out["missing"] = await client.call_tool("get_request", {"request_id": "req_does_not_exist"})
            return out

        out = _run(body, _stdio(api))
        assert out["pending"]["state"] == "awaiting_confirmation" and out["pending"]["created"] is True
        assert out["again"]["id"] == out["pending"]["id"] and out["again"]["created"] is False
        assert out["wrong"].is_error and _body(out["wrong"])["error"]["status"] in (409, 422)
        assert out["right"]["state"] == "queued"
        assert out["done"]["state"] == "succeeded"
        assert billing.db.account(account).email == email  # checked in the back-office's own database
        assert out["credit"]["state"] == "awaiting_approval"
        assert out["cancelled"]["state"] == "cancelled"
        assert out["missing"].is_error and _body(out["missing"])["error"]["status"] == 404
        assert billing.db.count_credits(account) == 0
        stored = api.client.get(f"/v1/actions/{out['pending']['id']}", headers=api.h("operator")).json()
        assert stored["requester"] == "agent-1" and stored["idempotency_key"] == "mcp-email-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def http_mcp(live_api: Any, sqlite_url: str) -> Iterator[tuple[str, Api]]:
    """``steward mcp --transport http`` as a subprocess on a free loopback port."""
    api = live_api(sqlite_url)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, "mcp", "--server", api.base_url, "--token",
                             api.tokens["agent"], "--transport", "http", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "steward mcp --transport http did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp", api
    finally:
        proc.terminate()
        proc.wait(30)
        if proc.stderr:
            proc.stderr.close()


class TestStreamableHttp:
    def test_lists_and_calls_over_http(self, http_mcp: tuple[str, Api], accounts: Any) -> None:
        """The same tools over Streamable HTTP; a submission reaches the API as the agent's request."""
        url, api = http_mcp

        async def body(client: Client) -> tuple[set[str], dict[str, Any]]:
            names = {t.name for t in (await client.list_tools()).tools}
            credit = _body(await client.call_tool("issue_credit", {
                "params": {"account_id": accounts.take(), "amount_cents": 20_000, "reason": "Double charge"},
                "idempotency_key": "http-1", "context": {"agent_confidence": 0.95}}))
            return names, credit

        names, credit = _run(body, url)
        assert {"issue_credit", "get_request", "attach_confirmation", "cancel_request"} <= names
        assert credit["state"] == "awaiting_approval"
        stored = api.client.get(f"/v1/actions/{credit['id']}", headers=api.h("operator")).json()
        assert stored["requester"] == "agent-1"

"""``steward mcp``: a real subprocess speaking MCP on stdio to a live API with an agent key."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Api

_LAUNCH = "import sys; from executor.cli import main; sys.argv[0] = 'steward'; main()"


class Session:
    """One ``steward mcp`` process; ``call`` sends a request and reads its answer."""

    def __init__(self, api: Api) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, "mcp", "--server", api.base_url, "--token", api.tokens["agent"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.next_id = 0

    def send(self, message: dict[str, Any] | str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((message if isinstance(message, str) else json.dumps(message)) + "\n")
        self.proc.stdin.flush()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"no answer; stderr: {self.proc.stderr.read() if self.proc.stderr else ''}"
        out: dict[str, Any] = json.loads(line)
        return out

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}})
        answer = self.read()
        assert answer["id"] == self.next_id
        return answer

    def tool(self, name: str, **arguments: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.call("tools/call", {"name": name, "arguments": arguments})["result"]
        assert json.loads(result["content"][0]["text"]) == result["structuredContent"]
        return result

    def close(self) -> int:
        assert self.proc.stdin is not None
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        code = self.proc.wait(30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code


@pytest.fixture
def mcp(live_api: Any, sqlite_url: str) -> Iterator[tuple[Session, Api]]:
    api = live_api(sqlite_url)
    session = Session(api)
    try:
        yield session, api
    finally:
        if session.proc.poll() is None:
            session.proc.kill()
        session.close()


def test_handshake_and_tools(mcp: tuple[Session, Api]) -> None:
    """initialize answers the asked version; tools are the catalog's actions plus three request tools."""
    session, api = mcp
    init = session.call("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                       "clientInfo": {"name": "test-host", "version": "0"}})["result"]
    assert init["protocolVersion"] == "2025-06-18" and init["serverInfo"]["name"] == "steward"
    assert "tools" in init["capabilities"]
    session.send({"jsonrpc": "2.0", "method": "notifications/initialized"})  # no answer to a notification
    assert session.call("ping")["result"] == {}
    tools = {t["name"]: t for t in session.call("tools/list")["result"]["tools"]}
    catalog = {a["name"]: a for a in api.client.get("/v1/catalog", headers=api.h("agent")).json()["actions"]}
    assert set(tools) == set(catalog) | {"get_request", "attach_confirmation", "cancel_request"}
    for name, action in catalog.items():
        assert tools[name]["inputSchema"]["properties"]["params"] == action["params_schema"]
        assert tools[name]["inputSchema"]["required"] == ["params", "idempotency_key"]
    old = session.call("initialize", {"protocolVersion": "1999-01-01"})["result"]
    assert old["protocolVersion"] == "2025-06-18"  # an unknown version gets the newest this server speaks
    assert session.close() == 0


def test_actions_run_under_policy_through_the_api(mcp: tuple[Session, Api], accounts: Any) -> None:
    """Submit (idempotent), confirm with the params hash, read, cancel; refusals are tool errors."""
    session, api = mcp
    session.call("initialize", {"protocolVersion": "2025-03-26"})
    account = accounts.take()
    credit = {"params": {"account_id": account, "amount_cents": 20_000, "reason": "Double charge"},
              "idempotency_key": "mcp-credit-1", "context": {"agent_confidence": 0.95}}
    first = session.tool("issue_credit", **credit)
    assert not first["isError"] and first["structuredContent"]["state"] == "awaiting_approval"
    request_id = first["structuredContent"]["id"]
    again = session.tool("issue_credit", **credit)
    assert again["structuredContent"]["id"] == request_id  # same key and params: the same request
    assert api.client.get(f"/v1/actions/{request_id}", headers=api.h("operator")).json()["requester"] == "agent-1"

    change = session.tool("update_contact_email", params={"account_id": account, "new_email": "new@example.com"},
                          idempotency_key="mcp-email-1", context={"agent_confidence": 0.95})
    pending = change["structuredContent"]
    assert pending["state"] == "awaiting_confirmation"
    wrong = session.tool("attach_confirmation", request_id=pending["id"], quote="yes please",
                         params_hash="0" * 64)
    assert wrong["isError"] and wrong["structuredContent"]["error"]["status"] in (409, 422)
    right = session.tool("attach_confirmation", request_id=pending["id"], quote="yes please",
                         params_hash=pending["params_hash"])
    assert not right["isError"] and right["structuredContent"]["state"] == "queued"

    read = session.tool("get_request", request_id=request_id, wait_seconds=0)
    assert read["structuredContent"]["state"] == "awaiting_approval"
    cancelled = session.tool("cancel_request", request_id=request_id, reason="customer withdrew")
    assert cancelled["structuredContent"]["state"] == "cancelled"

    bad = session.tool("issue_credit", params={"account_id": account, "amount_cents": "lots", "reason": "x"},
                       idempotency_key="mcp-bad")
    assert bad["isError"] and bad["structuredContent"]["error"]["status"] == 422
    missing = session.tool("get_request", request_id="req_does_not_exist")
    assert missing["isError"] and missing["structuredContent"]["error"]["status"] == 404
    assert session.close() == 0


def test_protocol_errors(mcp: tuple[Session, Api]) -> None:
    """Bad JSON, unknown methods, unknown tools and wrong arguments are JSON-RPC errors; the server goes on."""
    session, _ = mcp
    session.send("{not json")
    assert session.read()["error"]["code"] == -32700
    assert session.call("resources/list")["error"]["code"] == -32601
    unknown = session.call("tools/call", {"name": "transfer_all_money", "arguments": {}})
    assert unknown["error"]["code"] == -32602 and "unknown tool" in unknown["error"]["message"]
    extra = session.call("tools/call", {"name": "issue_credit", "arguments": {"params": {}, "sudo": True}})
    assert extra["error"]["code"] == -32602
    waits = session.call("tools/call", {"name": "get_request", "arguments": {"request_id": "r", "wait_seconds": 999}})
    assert waits["error"]["code"] == -32602
    assert session.call("ping")["result"] == {}
    assert session.close() == 0

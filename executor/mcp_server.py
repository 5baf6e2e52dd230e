"""An MCP server (Model Context Protocol, stdio transport) over the Steward HTTP API.

An agent's MCP host starts ``steward mcp --server URL --token KEY`` and talks
JSON-RPC 2.0, one message per line, on its stdin and stdout. Tools:

- one per catalog action (from ``GET /v1/catalog``): ``params``,
  ``idempotency_key`` and ``context``, exactly the body of ``POST /v1/actions``;
- ``get_request``: a request's state and outcome, optionally waiting for it;
- ``attach_confirmation``: the customer's confirmation of exactly these params;
- ``cancel_request``: cancel before execution.

Every call goes through the API with the agent's key, so policy, roles,
idempotency and the audit log apply unchanged. An API refusal is a tool
result with ``isError`` and the API's error (the model can read and react);
protocol misuse is a JSON-RPC error. Nothing but protocol messages is written
to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO, Any

from executor.client import StewardAPIError, StewardClient

__all__ = ["PROTOCOL_VERSIONS", "McpServer", "serve_stdio"]

PROTOCOL_VERSIONS = ("2025-06-18", "2025-03-26", "2024-11-05")  # newest first
_PARSE_ERROR, _INVALID_REQUEST, _NO_METHOD, _INVALID_PARAMS = -32700, -32600, -32601, -32602
_REQUEST_ID = {"type": "string", "minLength": 1, "maxLength": 64, "description": "The request id (req_...)."}

_FIXED_TOOLS: list[dict[str, Any]] = [
    {
        "name": "get_request",
        "description": "Read a Steward request: state, class, decision, outcome, extracted values. "
        "With wait_seconds, wait up to that long for a final state.",
        "inputSchema": {
            "type": "object", "additionalProperties": False, "required": ["request_id"],
            "properties": {"request_id": _REQUEST_ID,
                           "wait_seconds": {"type": "number", "minimum": 0, "maximum": 60}},
        },
    },
    {
        "name": "attach_confirmation",
        "description": "Attach the customer's confirmation to a request awaiting it. params_hash must be the "
        "request's params_hash: the customer confirmed exactly those parameters.",
        "inputSchema": {
            "type": "object", "additionalProperties": False,
            "required": ["request_id", "quote", "params_hash"],
            "properties": {
                "request_id": _REQUEST_ID,
                "quote": {"type": "string", "minLength": 1, "maxLength": 2000,
                          "description": "The customer's words."},
                "params_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "channel": {"enum": ["chat", "email", "voice", "sms", "web", "other"], "default": "chat"},
                "reference": {"type": "string", "maxLength": 500,
                              "description": "Message or call id holding the confirmation."},
            },
        },
    },
    {
        "name": "cancel_request",
        "description": "Cancel a request of yours before it executes (awaiting confirmation or approval, or queued).",
        "inputSchema": {
            "type": "object", "additionalProperties": False, "required": ["request_id"],
            "properties": {"request_id": _REQUEST_ID, "reason": {"type": "string", "maxLength": 2000}},
        },
    },
]


class _InvalidParams(Exception):
    """The tool call's arguments are not what the tool takes."""


def _action_tool(action: dict[str, Any]) -> dict[str, Any]:
    description = (action.get("description") or action["name"]).rstrip(".")
    return {
        "name": action["name"],
        "description": f"{description}. Runs under Steward policy (default class: {action['default_class']}); "
        "the result says whether it ran, waits for the customer's confirmation or a human's approval, "
        "or was refused. Follow up with get_request.",
        "inputSchema": {
            "type": "object", "additionalProperties": False, "required": ["params", "idempotency_key"],
            "properties": {
                "params": action["params_schema"],
                "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200,
                                    "description": "Reuse to retry safely; same key and params = same request."},
                "context": {"type": "object", "description": "What the agent knows: customer_goal, customer_id, "
                            "conversation_id, account_tier, agent_confidence (0..1), ..."},
            },
        },
    }


class McpServer:
    """Answers MCP JSON-RPC messages with calls to the Steward API through ``client``."""

    def __init__(self, client: StewardClient, *, version: str = "1") -> None:
        self._client = client
        self._version = version
        self._actions: dict[str, dict[str, Any]] | None = None

    def handle(self, message: Any) -> dict[str, Any] | None:
        """The response to one decoded message (None for notifications)."""
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or not isinstance(
            message.get("method"), str
        ):
            msg_id = message.get("id") if isinstance(message, dict) else None
            return _error(msg_id, _INVALID_REQUEST, "not a JSON-RPC 2.0 request")
        if "id" not in message:
            return None  # a notification (notifications/initialized, cancelled, ...): nothing to answer
        msg_id, method, params = message["id"], message["method"], message.get("params") or {}
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = {
            "initialize": self._initialize, "ping": lambda _: {},
            "tools/list": self._tools_list, "tools/call": self._tools_call,
        }.get(method)
        if handler is None:
            return _error(msg_id, _NO_METHOD, f"unknown method {method!r}")
        if not isinstance(params, dict):
            return _error(msg_id, _INVALID_PARAMS, "params must be an object")
        try:
            return {"jsonrpc": "2.0", "id": msg_id, "result": handler(params)}
        except _InvalidParams as exc:
            return _error(msg_id, _INVALID_PARAMS, str(exc))
        except StewardAPIError as exc:  # the catalog could not be read: the server cannot list or call tools
            return _error(msg_id, -32000, f"Steward API: {exc}")

    def _initialize(self, params: dict[str, Any]) -> dict[str, Any]:
        asked = params.get("protocolVersion")
        version = asked if asked in PROTOCOL_VERSIONS else PROTOCOL_VERSIONS[0]
        return {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "steward", "version": self._version},
            "instructions": "Each tool submits one back-office action to Steward, which decides under policy "
            "whether it runs now, after the customer's confirmation, after a human's approval, or never. "
            "Use an idempotency_key per intended action and follow up with get_request.",
        }

    def _catalog(self) -> dict[str, dict[str, Any]]:
        if self._actions is None:
            self._actions = {a.name: a.model_dump(mode="json") for a in self._client.catalog().actions}
        return self._actions

    def _tools_list(self, params: dict[str, Any]) -> dict[str, Any]:
        fixed = {t["name"] for t in _FIXED_TOOLS}
        actions = [_action_tool(a) for name, a in sorted(self._catalog().items()) if name not in fixed]
        return {"tools": actions + _FIXED_TOOLS}

    def _tools_call(self, params: dict[str, Any]) -> dict[str, Any]:
        name, args = params.get("name"), params.get("arguments") or {}
        if not isinstance(name, str) or not isinstance(args, dict):
            raise _InvalidParams("tools/call needs a tool name and an arguments object")
        try:
            result = self._call(name, args).model_dump(mode="json", exclude_unset=True)
        except StewardAPIError as exc:
            body = {"error": {"status": exc.status, "code": exc.code, "message": exc.message,
                              "details": exc.details}}
            return {"content": [{"type": "text", "text": json.dumps(body, default=str)}],
                    "structuredContent": body, "isError": True}
        return {"content": [{"type": "text", "text": json.dumps(result, default=str)}],
                "structuredContent": result, "isError": False}

    def _call(self, name: str, args: dict[str, Any]) -> Any:
        client = self._client
        if name == "get_request":
            wait = args.get("wait_seconds")
            if wait is not None and (not isinstance(wait, int | float) or not 0 <= wait <= 60):
                raise _InvalidParams("wait_seconds must be a number from 0 to 60")
            return client.get(_text(args, "request_id"), wait=wait)
        if name == "attach_confirmation":
            return client.confirm(
                _text(args, "request_id"), quote=_text(args, "quote"), params_hash=_text(args, "params_hash"),
                channel=args.get("channel", "chat"), reference=args.get("reference"),
            )
        if name == "cancel_request":
            return client.cancel(_text(args, "request_id"), str(args.get("reason", "")))
        if name not in self._catalog():
            raise _InvalidParams(f"unknown tool {name!r}")
        unknown = set(args) - {"params", "idempotency_key", "context"}
        if unknown:
            raise _InvalidParams(f"{name} takes params, idempotency_key and context, not {sorted(unknown)}")
        return client.submit(name, args.get("params") or {}, idempotency_key=args.get("idempotency_key"),
                             context=args.get("context"))


def _text(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value:
        raise _InvalidParams(f"{key} is required (a non-empty string)")
    return value


def _error(msg_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


def serve_stdio(server: McpServer, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> None:
    """Read one JSON-RPC message per line until end of input; answer each on its own line."""
    source, sink = stdin or sys.stdin, stdout or sys.stdout
    for line in source:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError as exc:
            response: dict[str, Any] | None = _error(None, _PARSE_ERROR, f"not JSON: {exc.msg}")
        else:
            response = server.handle(message)
        if response is not None:
            sink.write(json.dumps(response, default=str) + "\n")
            sink.flush()

"""Run a model's tool call against Steward: validate, submit, and answer with a tool result message.

::

    from executor.agents import StewardTools
    from executor.client import StewardClient

    with StewardClient(url, agent_key) as client:
        tools = StewardTools(client)                  # reads GET /v1/catalog once
        response = openai.chat.completions.create(model=..., messages=messages,
                                                  tools=tools.openai_tools())
        for call in response.choices[0].message.tool_calls or []:
            messages.append(tools.chat_message(call.id, call.function.name, call.function.arguments))

A call is checked before anything is sent: the arguments string must be a
JSON object, the tool must exist, and the arguments must match the tool's
input schema exactly (an unknown key, a missing required one or a wrong type
is refused). Nulls for optional arguments are accepted and dropped, since
strict-mode models send every key. A refused call, and any error the API
answers, becomes an ``{"error": ...}`` result the model can read and act on:
nothing is executed and nothing is raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from jsonschema import Draft202012Validator

from executor.agents.errors import StewardAPIError, StewardConnectionError, ToolCallError
from executor.agents.tools import ToolSpec, openai_tools, tool_specs
from executor.client import StewardClient
from executor.wire import Catalog

__all__ = ["StewardTools", "ToolResult"]


@dataclass(frozen=True)
class ToolResult:
    """What a tool call gave: ``body`` is the JSON the model reads; ``executed`` is False when it was refused."""

    tool: str
    body: dict[str, Any]
    is_error: bool
    executed: bool

    def text(self) -> str:
        return json.dumps(self.body, default=str, sort_keys=True)


def _drop_nulls(args: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Optional keys a strict-mode model set to null are left out (nested objects too); required ones stay."""
    required = set(schema.get("required", []))
    props = schema.get("properties", {})
    out: dict[str, Any] = {}
    for key, value in args.items():
        if value is None and key not in required:
            continue
        sub = props.get(key)
        if isinstance(value, dict) and isinstance(sub, dict) and sub.get("type") == "object":
            value = _drop_nulls(value, sub)
        out[key] = value
    return out


class StewardTools:
    """The agent tools of one Steward API, bound to a client (the agent's key)."""

    def __init__(self, client: StewardClient, catalog: Catalog | None = None) -> None:
        self.client = client
        self.catalog = catalog if catalog is not None else client.catalog()
        self.specs: dict[str, ToolSpec] = {s.name: s for s in tool_specs(self.catalog)}
        self._validators = {name: Draft202012Validator(spec.input_schema) for name, spec in self.specs.items()}

    def openai_tools(self, api: Literal["chat", "responses"] = "chat") -> list[dict[str, Any]]:
        """The tools as OpenAI strict function tools."""
        return openai_tools(self.catalog, api=api)

    def parse(self, name: str, arguments: str | dict[str, Any]) -> dict[str, Any]:
        """The call's arguments, checked against the tool's schema; ``ToolCallError`` says what is wrong."""
        spec = self.specs.get(name)
        if spec is None:
            raise ToolCallError(name, [f"unknown tool; the tools are {', '.join(sorted(self.specs))}"])
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError as exc:
                raise ToolCallError(name, [f"arguments are not JSON: {exc.msg} at position {exc.pos}"]) from exc
        if not isinstance(arguments, dict):
            raise ToolCallError(name, ["arguments must be a JSON object"])
        args = _drop_nulls(arguments, spec.input_schema)
        problems = []
        for error in sorted(self._validators[name].iter_errors(args), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{where}: {error.message}" if where else error.message)
        if problems:
            raise ToolCallError(name, problems)
        return args

    def call(self, name: str, arguments: str | dict[str, Any]) -> ToolResult:
        """Validate and run one call; never raises for a bad call or an API error."""
        try:
            args = self.parse(name, arguments)
        except ToolCallError as exc:
            body = {"error": {"code": "invalid_tool_call", "message": str(exc), "problems": exc.problems,
                              "executed": False}}
            return ToolResult(name, body, is_error=True, executed=False)
        try:
            result = self._run(self.specs[name], args)
        except StewardAPIError as exc:
            body = {"error": {"status": exc.status, "code": exc.code, "message": exc.message,
                              "details": exc.details, "retryable": exc.retryable}}
            return ToolResult(name, body, is_error=True, executed=True)
        except StewardConnectionError as exc:
            body = {"error": {"code": "unavailable", "message": str(exc), "retryable": True}}
            return ToolResult(name, body, is_error=True, executed=False)
        return ToolResult(name, result.model_dump(mode="json", exclude_unset=True), is_error=False, executed=True)

    def _run(self, spec: ToolSpec, args: dict[str, Any]) -> Any:
        client = self.client
        if spec.action is not None:
            return client.submit(spec.action, args["params"], idempotency_key=args["idempotency_key"],
                                 context=args.get("context"))
        if spec.name == "get_request":
            return client.get(args["request_id"], wait=args.get("wait_seconds"))
        if spec.name == "attach_confirmation":
            return client.confirm(args["request_id"], quote=args["quote"], params_hash=args["params_hash"],
                                  channel=args.get("channel", "chat"), reference=args.get("reference"))
        return client.cancel(args["request_id"], args.get("reason", ""))

    def chat_message(self, call_id: str, name: str, arguments: str | dict[str, Any]) -> dict[str, Any]:
        """The Chat Completions ``{"role": "tool", ...}`` message answering one tool call."""
        return {"role": "tool", "tool_call_id": call_id, "content": self.call(name, arguments).text()}

    def responses_output(self, call_id: str, name: str, arguments: str | dict[str, Any]) -> dict[str, Any]:
        """The Responses API ``function_call_output`` item answering one function call."""
        return {"type": "function_call_output", "call_id": call_id, "output": self.call(name, arguments).text()}

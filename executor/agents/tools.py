"""The agent tools, described once: one tool per catalog action plus three request tools.

``tool_specs(catalog)`` gives each tool's name, description (written for a
model), input schema, output schema and MCP hints. The MCP server publishes
them as they are; ``openai_tools`` turns them into OpenAI function tools in
strict mode, for Chat Completions (``api="chat"``) or the Responses API
(``api="responses"``).

Strict mode needs every property listed in ``required`` (an optional one
becomes nullable: ``"type": ["string", "null"]``), ``additionalProperties:
false`` on every object, and none of the keywords it does not support
(``propertyNames``, ``patternProperties``, ``minLength``, ``maxLength``,
``default``...); a dropped length limit is written into the description
instead, and the API still enforces it. The free ``context.metadata`` object
cannot be strict, so it is not offered to models.

The catalog is either the API's (``executor.wire.Catalog``, from
``GET /v1/catalog``) or a loaded ``action_classes.Catalog``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from executor.wire import ActionRequestView, SubmitResult

__all__ = [
    "ACTION_ENVELOPE",
    "REQUEST_TOOLS",
    "ToolSpec",
    "openai_tools",
    "strict_schema",
    "tool_specs",
]

ACTION_ENVELOPE = ("params", "idempotency_key", "context")
REQUEST_TOOLS = ("get_request", "attach_confirmation", "cancel_request")
_UNSUPPORTED = ("propertyNames", "patternProperties", "minLength", "maxLength", "default", "title", "examples",
                "minProperties", "maxProperties", "unevaluatedProperties", "if", "then", "else", "not")
_REQUEST_ID: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64,
                               "description": "The request id (req_...), as a submission returned it."}
_CONTEXT: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "description": "What the agent knows about the conversation; policy reads it.",
    "properties": {
        "conversation_id": {"type": "string", "maxLength": 200, "description": "The agent's conversation id."},
        "customer_id": {"type": "string", "maxLength": 200, "description": "The customer the action is for."},
        "account_tier": {"type": "string", "maxLength": 50,
                         "description": "Customer tier, e.g. starter, pro, enterprise."},
        "customer_goal": {"type": "string", "maxLength": 1000,
                          "description": "What the customer asked for, in a sentence; shown to approvers."},
        "agent_confidence": {"type": "number", "minimum": 0, "maximum": 1,
                             "description": "Your confidence that this is the right action (0..1)."},
    },
}


@dataclass(frozen=True)
class ToolSpec:
    """One agent tool. ``action`` is the catalog action a call submits (None for the request tools)."""

    name: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    action: str | None = None
    required: tuple[str, ...] = field(default=())

    def annotations(self) -> dict[str, bool]:
        """The MCP hints: ``readOnlyHint`` for reads, ``destructiveHint``/``idempotentHint`` where they hold."""
        if self.read_only:
            return {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True, "openWorldHint": True}
        return {"readOnlyHint": False, "destructiveHint": self.destructive, "idempotentHint": self.idempotent,
                "openWorldHint": True}


def _output(model: type[SubmitResult] | type[ActionRequestView]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization", by_alias=True)
    schema.pop("title", None)
    return schema


def _catalog_actions(catalog: Any) -> list[dict[str, Any]]:
    """(name, description, default class, read_only, params schema) of either kind of catalog, sorted."""
    if isinstance(catalog.actions, dict):  # action_classes.Catalog
        return [{"name": name, "description": a.description or name, "default_class": a.action_class.value,
                 "read_only": bool(a.read_only), "params_schema": a.params_json_schema()}
                for name, a in sorted(catalog.actions.items())]
    return [{"name": a.name, "description": a.description or a.name, "default_class": str(a.default_class),
             "read_only": bool(a.read_only), "params_schema": a.params_schema}
            for a in sorted(catalog.actions, key=lambda a: a.name)]


def _action_spec(action: dict[str, Any]) -> ToolSpec:
    read_only = action["read_only"]
    what = "Reads and changes nothing" if read_only else "Changes the back-office"
    description = (
        f"{action['description'].rstrip('.')}. {what}. Runs under Steward policy (default class: "
        f"{action['default_class']}): the result's state says whether it ran (succeeded, with extracted values "
        "and a verified outcome), waits for the customer's confirmation (awaiting_confirmation: ask the customer, "
        "then call attach_confirmation with their words and the params_hash), waits for a human's approval "
        "(awaiting_approval), or was refused (forbidden). Follow up with get_request."
    )
    schema = {
        "type": "object", "additionalProperties": False, "required": ["params", "idempotency_key"],
        "properties": {
            "params": action["params_schema"],
            "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200,
                                "description": "One key per intended action (e.g. conversation id + step); "
                                "retrying with the same key and params returns the same request, never a second."},
            "context": _CONTEXT,
        },
    }
    return ToolSpec(name=action["name"], description=description, input_schema=schema,
                    output_schema=_output(SubmitResult), read_only=read_only, destructive=not read_only,
                    idempotent=True, action=action["name"], required=("params", "idempotency_key"))


def _request_specs() -> list[ToolSpec]:
    view = _output(ActionRequestView)
    return [
        ToolSpec(
            name="get_request",
            description="Read a Steward request: state, decision, outcome (verified by re-reading the back-office) "
            "and extracted values. With wait_seconds, wait up to that long for a final state.",
            input_schema={"type": "object", "additionalProperties": False, "required": ["request_id"],
                          "properties": {"request_id": _REQUEST_ID,
                                         "wait_seconds": {"type": "number", "minimum": 0, "maximum": 60,
                                                          "description": "Seconds to wait for a final state "
                                                          "(0 to 60; none: answer now)."}}},
            output_schema=view, read_only=True, idempotent=True, required=("request_id",),
        ),
        ToolSpec(
            name="attach_confirmation",
            description="Attach the customer's confirmation to a request in awaiting_confirmation. Ask the customer "
            "first; quote is their exact words, params_hash the request's params_hash (they confirmed exactly "
            "those parameters). The request then runs.",
            input_schema={"type": "object", "additionalProperties": False,
                          "required": ["request_id", "quote", "params_hash"],
                          "properties": {
                              "request_id": _REQUEST_ID,
                              "quote": {"type": "string", "minLength": 1, "maxLength": 2000,
                                        "description": "The customer's words, quoted exactly."},
                              "params_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                                              "description": "The request's params_hash."},
                              "channel": {"type": "string",
                                          "enum": ["chat", "email", "voice", "sms", "web", "other"],
                                          "description": "Where the customer confirmed (default chat)."},
                              "reference": {"type": "string", "maxLength": 500,
                                            "description": "Message or call id holding the confirmation."},
                          }},
            output_schema=view, required=("request_id", "quote", "params_hash"),
        ),
        ToolSpec(
            name="cancel_request",
            description="Cancel a request of yours before it executes (awaiting confirmation or approval, or "
            "queued), e.g. when the customer changes their mind.",
            input_schema={"type": "object", "additionalProperties": False, "required": ["request_id"],
                          "properties": {"request_id": _REQUEST_ID,
                                         "reason": {"type": "string", "maxLength": 2000,
                                                    "description": "Why, for the audit log."}}},
            output_schema=view, destructive=True, idempotent=True, required=("request_id",),
        ),
    ]


def tool_specs(catalog: Any) -> list[ToolSpec]:
    """Every tool: the catalog's actions (sorted by name), then get_request, attach_confirmation, cancel_request."""
    actions = [_action_spec(a) for a in _catalog_actions(catalog) if a["name"] not in REQUEST_TOOLS]
    return actions + _request_specs()


def _limits(node: dict[str, Any]) -> str:
    low, high = node.get("minLength"), node.get("maxLength")
    if low is not None and high is not None and high < 4096:
        return f"{low} to {high} characters"
    if high is not None and high < 4096:
        return f"at most {high} characters"
    if low:
        return f"at least {low} characters"
    return ""


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` in OpenAI strict form: all properties required (optional ones nullable), objects closed."""
    node = copy.deepcopy(schema)
    limits = _limits(node)
    if limits:
        node["description"] = f"{node.get('description', '').rstrip('.')}{'. ' if node.get('description') else ''}" \
                              f"{limits[0].upper()}{limits[1:]}."
    for key in _UNSUPPORTED:
        node.pop(key, None)
    if node.get("type") == "object" or "properties" in node:
        props = node.get("properties", {})
        required = set(node.get("required", []))
        out: dict[str, Any] = {}
        for name, sub in props.items():
            strict = strict_schema(sub)
            out[name] = strict if name in required else _nullable(strict)
        node.update(type="object", properties=out, required=list(out), additionalProperties=False)
    if isinstance(node.get("items"), dict):
        node["items"] = strict_schema(node["items"])
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(node.get(key), list):
            node[key] = [strict_schema(s) for s in node[key]]
    return node


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        node["type"] = [*kind, "null"]
    elif isinstance(node.get("anyOf"), list):
        if {"type": "null"} not in node["anyOf"]:
            node["anyOf"] = [*node["anyOf"], {"type": "null"}]
    elif kind is None:
        return {"anyOf": [node, {"type": "null"}]}
    if "enum" in node and None not in node["enum"]:
        node["enum"] = [*node["enum"], None]
    return node


def openai_tools(catalog: Any, *, api: Literal["chat", "responses"] = "chat") -> list[dict[str, Any]]:
    """Every tool as an OpenAI function tool in strict mode, for Chat Completions or the Responses API."""
    tools: list[dict[str, Any]] = []
    for spec in tool_specs(catalog):
        function = {"name": spec.name, "description": spec.description,
                    "parameters": strict_schema(spec.input_schema), "strict": True}
        tools.append({"type": "function", "function": function} if api == "chat" else {"type": "function", **function})
    return tools

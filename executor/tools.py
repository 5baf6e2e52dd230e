"""Agent tool schemas generated from the catalog (OpenAI function-calling format).

Each action becomes one tool whose parameters are the action's JSON Schema plus
the request envelope an agent must send (idempotency key, context). The
descriptions come from the catalog and the edge models, so a tool call maps
one-to-one onto ``POST /v1/actions``.
"""

from __future__ import annotations

from typing import Any

from action_classes import Catalog
from executor.models import RequestContext

__all__ = ["openai_tools", "tool_call_to_submission"]


def _context_schema() -> dict[str, Any]:
    schema = RequestContext.model_json_schema()
    schema.pop("title", None)
    return schema


def openai_tools(catalog: Catalog) -> list[dict[str, Any]]:
    """One ``{"type": "function", ...}`` tool per action, sorted by name."""
    tools = []
    for name, action in sorted(catalog.actions.items()):
        params = action.params_json_schema()
        description = (action.description or name).rstrip(".")
        tools.append(
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": f"{description}. Runs under Steward policy (default class: "
                    f"{action.action_class.value}); the result says whether it ran, waits for the customer's "
                    "confirmation or a human's approval, or was refused.",
                    "parameters": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "params": params,
                            "idempotency_key": {
                                "type": "string",
                                "maxLength": 200,
                                "description": "Reuse to retry safely; same key and params = same request.",
                            },
                            "context": _context_schema(),
                        },
                        "required": ["params", "idempotency_key"],
                    },
                },
            }
        )
    return tools


def tool_call_to_submission(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The ``POST /v1/actions`` body for a tool call (validated by the API as usual)."""
    return {
        "action": name,
        "params": arguments.get("params", {}),
        "idempotency_key": arguments.get("idempotency_key"),
        "context": arguments.get("context", {}),
    }

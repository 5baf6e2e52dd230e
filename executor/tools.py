"""Agent tool schemas (kept for existing imports; the tools live in ``executor.agents.tools``).

``openai_tools(catalog)`` gives OpenAI function tools in strict mode;
``tool_call_to_submission`` turns one tool call into the ``POST /v1/actions``
body. Running tool calls against the API is ``executor.agents.StewardTools``.
"""

from __future__ import annotations

import json
from typing import Any

from executor.agents.errors import ToolCallError
from executor.agents.tools import openai_tools

__all__ = ["openai_tools", "tool_call_to_submission"]


def tool_call_to_submission(name: str, arguments: str | dict[str, Any]) -> dict[str, Any]:
    """The ``POST /v1/actions`` body for an action tool call; ``arguments`` may be the model's JSON string.

    Raises ``ToolCallError`` when the arguments are not a JSON object or hold
    keys other than ``params``, ``idempotency_key`` and ``context``; the API
    validates the rest. Nulls (a strict-mode model's "not given") are dropped.
    """
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ToolCallError(name, [f"arguments are not JSON: {exc.msg}"]) from exc
    if not isinstance(arguments, dict):
        raise ToolCallError(name, ["arguments must be a JSON object"])
    unknown = sorted(set(arguments) - {"params", "idempotency_key", "context"})
    if unknown:
        raise ToolCallError(name, [f"unknown arguments {unknown}"])
    context = {k: v for k, v in (arguments.get("context") or {}).items() if v is not None}
    body = {"action": name, "params": arguments.get("params") or {}, "context": context}
    if arguments.get("idempotency_key") is not None:
        body["idempotency_key"] = arguments["idempotency_key"]
    return body

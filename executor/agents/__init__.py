"""Everything an AI agent uses to work through Steward, in one package: ``executor.agents``.

- ``StewardClient`` / ``AsyncStewardClient`` (``executor.client``): the light, typed HTTP client;
- ``tool_specs`` / ``openai_tools``: the tools (one per catalog action, plus get_request,
  attach_confirmation, cancel_request), as OpenAI strict function tools;
- ``StewardTools``: runs a model's tool call (name + JSON arguments string) and
  returns the tool result message; a bad call is an error message, never an execution;
- ``build_mcp_server`` (``executor.agents.mcp_server``): the MCP server, stdio or Streamable HTTP;
- ``ResolutionAgent`` (``executor.agents.resolver``): the reference resolution agent
  behind ``steward agent``, on the ``openai`` client.

Names load on first use (PEP 562): ``import executor.client`` imports
``executor.agents.errors`` without the MCP SDK, jsonschema or openai.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from executor.agents.errors import (
        StewardAPIError,
        StewardClientError,
        StewardConnectionError,
        StewardRateLimited,
        ToolCallError,
    )
    from executor.agents.mcp_server import build_mcp_server
    from executor.agents.resolver import ResolutionAgent
    from executor.agents.toolcalls import StewardTools, ToolResult
    from executor.agents.tools import ToolSpec, openai_tools, strict_schema, tool_specs
    from executor.client import AsyncStewardClient, RetryPolicy, StewardClient

_SOURCES: dict[str, tuple[str, ...]] = {
    "executor.agents.errors": ("StewardAPIError", "StewardClientError", "StewardConnectionError",
                               "StewardRateLimited", "ToolCallError"),
    "executor.agents.mcp_server": ("build_mcp_server",),
    "executor.agents.resolver": ("ResolutionAgent",),
    "executor.agents.toolcalls": ("StewardTools", "ToolResult"),
    "executor.agents.tools": ("ToolSpec", "openai_tools", "strict_schema", "tool_specs"),
    "executor.client": ("AsyncStewardClient", "RetryPolicy", "StewardClient"),
}
_WHERE = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [
    "AsyncStewardClient",
    "ResolutionAgent",
    "RetryPolicy",
    "StewardAPIError",
    "StewardClient",
    "StewardClientError",
    "StewardConnectionError",
    "StewardRateLimited",
    "StewardTools",
    "ToolCallError",
    "ToolResult",
    "ToolSpec",
    "build_mcp_server",
    "openai_tools",
    "strict_schema",
    "tool_specs",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'executor.agents' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

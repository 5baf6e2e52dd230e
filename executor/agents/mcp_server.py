"""The MCP server (official ``mcp`` SDK, ``MCPServer``, formerly FastMCP) over the Steward HTTP API.

``steward mcp --server URL --token KEY`` serves it on stdio (an agent's MCP
host starts it) or, with ``--transport http``, over Streamable HTTP at
``/mcp``. It publishes:

- one tool per catalog action, taking ``params``, ``idempotency_key`` (required)
  and ``context``, exactly the body of ``POST /v1/actions``;
- ``get_request`` (status, and wait), ``attach_confirmation`` and ``cancel_request``;
- every tool with an ``outputSchema`` (the API's wire models) and the hints
  ``readOnlyHint``, ``destructiveHint`` and ``idempotentHint``;
- the catalog as the resource ``steward://catalog`` (JSON).

Arguments are checked against the published input schema before anything is
sent (``StewardTools.parse``): an unknown, missing or mistyped argument is a
tool error the model can read, and nothing runs. Every call goes through the
API with the agent's key, so policy, roles, idempotency and the audit log
apply unchanged; an API refusal is also a tool error, with the API's error.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import ConfigDict

from executor.agents.toolcalls import StewardTools
from executor.agents.tools import ToolSpec

__all__ = ["CATALOG_URI", "INSTRUCTIONS", "build_mcp_server", "serve"]

CATALOG_URI = "steward://catalog"
INSTRUCTIONS = (
    "Each action tool submits one back-office action to Steward, which decides under policy whether it runs now, "
    "after the customer's confirmation, after a human's approval, or never. Use one idempotency_key per intended "
    "action. When the state is awaiting_confirmation, ask the customer and pass their exact words to "
    "attach_confirmation. Tell the customer only what a succeeded request's verified outcome says; follow up with "
    "get_request (wait_seconds) for the final state."
)


def _result(tools: StewardTools, name: str, arguments: dict[str, Any]) -> CallToolResult:
    done = tools.call(name, arguments)
    return CallToolResult(content=[TextContent(type="text", text=done.text())], structured_content=done.body,
                          is_error=done.is_error)


class _RawArguments(ArgModelBase):
    """Hands the tool function the call's arguments as sent.

    The SDK's own argument model, built from a function's signature, ignores
    unknown keys; ``StewardTools.parse`` checks the arguments against the
    published schema instead, so a misspelled argument is refused, not dropped.
    """

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def _tool(tools: StewardTools, spec: ToolSpec) -> Tool:
    """An SDK tool publishing ``spec``'s input and output schemas and hints."""

    def run(**arguments: Any) -> CallToolResult:
        return _result(tools, spec.name, arguments)

    run.__name__ = spec.name
    hints = spec.annotations()
    tool = Tool.from_function(
        _no_arguments, name=spec.name, description=spec.description, structured_output=False,
        annotations=ToolAnnotations(read_only_hint=hints["readOnlyHint"], destructive_hint=hints["destructiveHint"],
                                    idempotent_hint=hints["idempotentHint"], open_world_hint=hints["openWorldHint"]),
    )
    tool.fn_metadata.output_schema = spec.output_schema  # advertised; results are the API's own wire models
    tool.fn_metadata.arg_model = _RawArguments
    return tool.model_copy(update={"fn": run, "parameters": spec.input_schema})


def _no_arguments() -> CallToolResult:
    """The signature the SDK inspects (a sync function with no declared arguments); ``run`` replaces it."""
    raise NotImplementedError


def build_mcp_server(tools: StewardTools, *, version: str = "1", host: str = "127.0.0.1", port: int = 8765,
                     ) -> MCPServer[Any]:
    """The MCP server for ``tools`` (a ``StewardTools`` bound to an agent's client)."""
    server: MCPServer[Any] = MCPServer(name="steward", instructions=INSTRUCTIONS, version=version,
                                       tools=[_tool(tools, s) for s in tools.specs.values()])

    @server.resource(CATALOG_URI, name="catalog", title="Steward catalog", mime_type="application/json",
                     description="The actions an agent may ask for, with their parameter schemas and classes.")
    def catalog() -> str:
        return json.dumps(tools.catalog.model_dump(mode="json"), sort_keys=True)

    return server


def serve(tools: StewardTools, transport: Literal["stdio", "http"] = "stdio", *, host: str = "127.0.0.1",
          port: int = 8765) -> None:
    """Serve until the host closes stdin (stdio) or the process is stopped (http, at ``http://host:port/mcp``)."""
    server = build_mcp_server(tools)
    if transport == "stdio":
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=port)

"""``steward mcp`` and ``steward agent``: the agent-facing interfaces of ``executor.agents`` on the command line."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from executor.cli._remote import ServerOption, TokenOption

__all__ = ["register"]


class McpTransport(StrEnum):
    """How ``steward mcp`` talks to the MCP host."""

    stdio = "stdio"
    http = "http"


def _need(server: str | None, token: str | None, command: str) -> tuple[str, str]:
    if not server or not token:
        raise typer.BadParameter(f"steward {command} needs --server and --token (or $STEWARD_SERVER, $STEWARD_TOKEN)")
    return server, token


def register(app: typer.Typer) -> None:
    """Add ``mcp`` and ``agent`` to ``app``."""

    @app.command("mcp")
    def mcp(
        server: ServerOption = None,
        token: TokenOption = None,
        transport: Annotated[McpTransport, typer.Option(help="stdio (an MCP host starts this process) or http "
                                                             "(Streamable HTTP at http://HOST:PORT/mcp).")]
        = McpTransport.stdio,
        host: Annotated[str, typer.Option(help="Address for --transport http.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port for --transport http.")] = 8765,
    ) -> None:
        """Serve MCP for an agent: one tool per catalog action (with output schemas and hints), plus
        get_request, attach_confirmation and cancel_request, and the catalog as a resource; all through the
        API with an agent key."""
        import httpx

        from executor.agents.mcp_server import serve
        from executor.agents.toolcalls import StewardTools
        from executor.client import StewardClient

        url, key = _need(server, token, "mcp")
        with httpx.Client(base_url=url, timeout=90.0) as http:
            serve(StewardTools(StewardClient(url, key, http=http)), transport.value, host=host, port=port)

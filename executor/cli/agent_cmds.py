"""``steward mcp`` and ``steward agent``: the agent-facing interfaces of ``executor.agents`` on the command line."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from executor.cli._common import (
    CatalogOption,
    DbOption,
    HomeOption,
    JsonOption,
    PolicyOption,
    emit_json,
    friendly_errors,
    open_steward,
)
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
    """Add ``mcp``, ``agent`` and ``handoff-summary`` to ``app``."""

    @app.command("handoff-summary")
    @friendly_errors
    def handoff_summary(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        model: Annotated[str | None, typer.Option(envvar="STEWARD_SUMMARY_MODEL",
                                                  help="The summarizing model (none: the packet alone).")] = None,
        db: DbOption = None, catalog: CatalogOption = None, policy: PolicyOption = None, home: HomeOption = None,
    ) -> None:
        """A request's handoff packet (JSON), with a model's summary when --model is set and the summary invents
        nothing; the model, the prompt's sha256 and the verdict are recorded as a handoff.summary audit event."""
        from executor.agents.handoff_summary import record_summary

        llm = None
        if model:
            from openai import OpenAI

            llm = OpenAI()
        with open_steward(db, catalog, policy, home, by="handoff-summary") as steward:
            emit_json(record_summary(steward, request_id, llm, model))

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

    @app.command("agent")
    def agent(
        transcript: Annotated[Path, typer.Argument(help="The conversation: a JSON list of chat messages (the customer "
                                                        "is 'user'); the agent's turn is appended to it.")],
        say: Annotated[str | None, typer.Option("--say", help="Append this customer message first.")] = None,
        server: ServerOption = None,
        token: TokenOption = None,
        model: Annotated[str | None, typer.Option(envvar="STEWARD_MODEL", help="The model's name.")] = None,
        stream: Annotated[bool, typer.Option("--stream/--no-stream", help="Stream the model's answers.")] = True,
        as_json: JsonOption = False,
    ) -> None:
        """The reference resolution agent: reads the conversation, works through Steward's tools, prints the
        reply for the customer. The model is any OpenAI-compatible server ($OPENAI_BASE_URL, $OPENAI_API_KEY)."""
        from openai import OpenAI

        from executor.agents.resolver import ResolutionAgent
        from executor.agents.toolcalls import StewardTools
        from executor.client import StewardClient

        url, key = _need(server, token, "agent")
        if not model:
            raise typer.BadParameter("steward agent needs --model (or $STEWARD_MODEL)")
        messages = json.loads(transcript.read_text()) if transcript.exists() else []
        if not isinstance(messages, list):
            raise typer.BadParameter(f"{transcript} must hold a JSON list of chat messages")
        if say:
            messages.append({"role": "user", "content": say})
        with StewardClient(url, key) as client:
            turn = ResolutionAgent(StewardTools(client), OpenAI(), model, stream=stream).respond(messages)
        transcript.write_text(json.dumps(turn.messages, indent=2) + "\n")
        if as_json:
            emit_json({"reply": turn.reply, "replaced": turn.replaced,
                       "requests": {k: {"action": v.get("action"), "state": v.get("state")}
                                    for k, v in turn.requests.items()}})
        else:
            typer.echo(turn.reply)

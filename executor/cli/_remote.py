"""Acting through the HTTP API instead of the local database (``--server URL --token T``).

With a server the identity is the API key's name: ``--requester`` and
``--operator`` are ignored there, because the server records who holds the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

__all__ = ["ServerOption", "TokenOption", "client_for", "remote_call"]

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server", envvar="STEWARD_SERVER", help="Act through this Steward API (e.g. http://127.0.0.1:8700)."
    ),
]
TokenOption = Annotated[
    str | None, typer.Option("--token", envvar="STEWARD_TOKEN", help="API key for --server (bearer token).")
]


def client_for(server: str | None, token: str | None) -> Any:
    """A StewardClient when --server is given, else None (local database)."""
    if not server:
        return None
    if not token:
        raise typer.BadParameter("--server needs --token (or $STEWARD_TOKEN)")
    import httpx

    from executor.cli._common import current_context
    from executor.client import StewardClient

    # A command makes a few calls: no keep-alive, so no socket outlives one.
    http = httpx.Client(base_url=server, timeout=90.0, limits=httpx.Limits(max_keepalive_connections=0))
    context = current_context()
    if context is not None:
        context.call_on_close(http.close)
    return StewardClient(server, token, http=http)


def remote_call(call: Callable[[], Any]) -> Any:
    """Run an API call; its result as the JSON body (a dict), and API errors as the CLI's one-line errors.

    The client returns wire models; the commands print the same JSON whether
    they read the local database or the API, so the model goes back to the
    dict the server sent (only the keys it sent: ``exclude_unset``).
    """
    from pydantic import BaseModel

    from executor.cli._common import fail
    from executor.client import StewardAPIError

    try:
        result = call()
    except StewardAPIError as exc:
        fail(f"{exc.status} {exc.code}: {exc.message}")
    return result.model_dump(mode="json", exclude_unset=True) if isinstance(result, BaseModel) else result

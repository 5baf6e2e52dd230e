"""``steward browser-server``: a Playwright browser server for workers on other machines.

Workers connect with ``steward worker --ws-endpoint ws://HOST:PORT/PATH``. The
server launches Chromium with the flags a local worker uses
(``executor.browser.launch.server_options``), so confinement does not depend
on what a client asks for. It holds no credentials and no state: the worker
logs in, keeps the session and writes the evidence.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from executor.cli._common import friendly_errors

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``browser-server`` to ``app``."""

    @app.command("browser-server")
    @friendly_errors
    def browser_server(
        host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 in a container).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the websocket.")] = 3000,
        path: Annotated[str, typer.Option(help="Websocket path; treat it as a shared secret.")] = "/steward",
    ) -> None:
        """Serve a hardened Chromium over Playwright's websocket protocol until stopped."""
        from executor.browser.launch import server_options

        if not path.startswith("/"):
            raise typer.BadParameter("must start with /", param_hint="--path")
        options = server_options(host=host, port=port, ws_path=path)
        with tempfile.TemporaryDirectory(prefix="steward-browser-") as folder:
            config = Path(folder) / "launch-server.json"
            config.write_text(json.dumps(options))
            command = [sys.executable, "-m", "playwright", "launch-server", "--browser", "chromium", "--config",
                       str(config)]
            try:
                code = subprocess.call(command, stdin=subprocess.DEVNULL)
            except KeyboardInterrupt:
                code = 0
        raise typer.Exit(code)

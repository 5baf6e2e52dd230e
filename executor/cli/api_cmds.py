"""``steward api openapi``: the HTTP API's OpenAPI document, as the server serves it at /openapi.json."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from executor.cli._common import fail, friendly_errors

__all__ = ["app", "render_openapi"]

app = typer.Typer(name="api", help="The HTTP API's contract: its OpenAPI document.", no_args_is_help=True)


def render_openapi() -> str:
    """The document as committed in docs/openapi.json: two-space JSON, keys in FastAPI's order, one final newline."""
    import json

    from executor.api.openapi import openapi_document

    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


@app.command("openapi")
@friendly_errors
def openapi(
    out: Annotated[Path | None, typer.Option("--out", help="Write it here (default: standard output).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when --out differs instead of writing it.")] = False,
) -> None:
    """Print or write the OpenAPI document (no database or server needed): `--out docs/openapi.json`."""
    text = render_openapi()
    if out is None:
        if check:
            fail("--check needs --out FILE")
        typer.echo(text, nl=False)
        return
    if check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            fail(f"{out} differs from the served document; run: steward api openapi --out {out}")
        typer.echo(f"{out} matches the served document")
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}", err=True)

"""``steward serve`` (the HTTP API with in-process workers), ``steward mcp`` (an MCP server for agents)
and ``steward keys create|list|revoke``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from executor.cli._common import (
    CatalogOption,
    CatalogPinOption,
    DbOption,
    EndMarkerOption,
    HomeOption,
    JsonOption,
    PolicyOption,
    PolicyPinOption,
    WitnessOption,
    emit_json,
    friendly_errors,
    open_steward,
    resolve_db,
)

__all__ = ["keys_app", "register"]

keys_app = typer.Typer(
    name="keys",
    help="API keys: bearer tokens with a role (agent, operator, auditor).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _keys(db: str | None) -> Any:
    from audit.engine import open_engine
    from executor.apikeys import KeyStore
    from executor.logs import configure_logging
    from executor.store.migrate import ensure_schema

    configure_logging("WARNING")
    engine = open_engine(resolve_db(db))
    ensure_schema(engine)
    return KeyStore(engine)


@keys_app.command("create")
@friendly_errors
def create(
    role: Annotated[str, typer.Option(help="agent, operator or auditor.")],
    name: Annotated[str, typer.Option(help="The identity recorded in the audit log (never reused).")],
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Create a key and print its token once; only a hash is stored."""
    key, token = _keys(db).create(name, role)
    if as_json:
        emit_json({**key.public(), "token": token})
        return
    typer.echo(token)
    typer.echo(f"created {key.role} key {key.name!r}; the token above is shown only once", err=True)


@keys_app.command("list")
@friendly_errors
def list_keys(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every key with its role and whether it is active (never the token)."""
    keys = _keys(db).list()
    if as_json:
        emit_json({"keys": [k.public() for k in keys]})
        return
    for k in keys:
        typer.echo(f"{k.name}  {k.role}  {'active' if k.active else 'revoked'}")


@keys_app.command("revoke")
@friendly_errors
def revoke(name: Annotated[str, typer.Argument(help="The key's name.")], db: DbOption = None) -> None:
    """Revoke a key at once; its name stays taken."""
    key = _keys(db).revoke(name)
    typer.echo(f"revoked {key.role} key {key.name!r}")


def register(app: typer.Typer) -> None:
    """Add ``serve`` to ``app`` (the lead mounts ``keys_app`` with ``app.add_typer``)."""

    @app.command()
    @friendly_errors
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
        workers: Annotated[bool, typer.Option("--workers/--no-workers",
                                              help="Run a worker (and Chromium) in this process.")] = True,
        concurrency: Annotated[int, typer.Option(min=1, max=64, help="Actions run at once by the worker.")] = 1,
        rate_limit: Annotated[float, typer.Option(min=0, help="Requests per second per key (0: off).")] = 20.0,
        burst: Annotated[int, typer.Option(min=1, help="Requests a key may send at once.")] = 40,
        max_body: Annotated[int, typer.Option(min=1024, help="Largest request body in bytes.")] = 64 * 1024,
        db: DbOption = None, catalog: CatalogOption = None, policy: PolicyOption = None, home: HomeOption = None,
        policy_sha256: PolicyPinOption = None, catalog_sha256: CatalogPinOption = None,
        require_end_marker: EndMarkerOption = False, witness: WitnessOption = None,
    ) -> None:
        """Serve the HTTP API (/openapi.json) and the web console (/console), with a worker unless --no-workers.

        Also /healthz, /readyz and /metrics (no API key: bind where only probes and the scraper reach).
        """
        import uvicorn

        from executor.allocator import pin_mmap_threshold
        from executor.api import ApiConfig, create_app

        pin_mmap_threshold()  # a long-running process: first thing, before start-up frees large buffers
        steward = open_steward(db, catalog, policy, home, by="serve", log_level="INFO", policy_sha256=policy_sha256,
                               catalog_sha256=catalog_sha256, require_end_marker=require_end_marker,
                               witness=witness)
        config = ApiConfig(max_body_bytes=max_body, rate_per_s=rate_limit, burst=burst)
        app = create_app(steward, config=config, workers=concurrency if workers else 0)
        typer.echo(f"steward API on http://{host}:{port}, console at http://{host}:{port}/console "
                   f"(workers: {concurrency if workers else 'off'})", err=True)
        # log_config=None: uvicorn's own loggers reach the root handler configure_logging set (JSON, secret filter).
        uvicorn.run(app, host=host, port=port, log_config=None)

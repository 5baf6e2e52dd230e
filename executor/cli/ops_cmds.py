"""Operator and runtime commands: kill, release, worker, catalog check, fixtures."""

from __future__ import annotations

from typing import Annotated

import typer

from executor.cli._common import (
    CatalogOption,
    DbOption,
    HomeOption,
    JsonOption,
    PolicyOption,
    emit_json,
    fail,
    friendly_errors,
    open_steward,
)
from executor.cli._remote import ServerOption, TokenOption, client_for, remote_call

__all__ = ["catalog_app", "fixtures_app", "register"]

catalog_app = typer.Typer(
    name="catalog", help="Check catalogs of targets and actions.", no_args_is_help=True, rich_markup_mode=None
)
fixtures_app = typer.Typer(
    name="fixtures", help="Fixture back-offices for demos and tests.", no_args_is_help=True, rich_markup_mode=None
)


@catalog_app.command("check")
@friendly_errors
def catalog_check(
    directory: Annotated[
        str | None, typer.Argument(help="Catalog directory or file (default: the shipped one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List every problem in a catalog with file and line; exit 1 if any."""
    from action_classes import check_catalog, load_catalog
    from executor.config import DEFAULT_CATALOG_DIR

    path = directory or str(DEFAULT_CATALOG_DIR)
    problems = check_catalog(path)
    if as_json:
        emit_json({"ok": not problems, "problems": [p.__dict__ for p in problems]})
    elif problems:
        for p in problems:
            typer.echo(str(p))
        typer.echo(f"{len(problems)} problem(s)", err=True)
    else:
        catalog = load_catalog(path)
        typer.echo(
            f"ok: {len(catalog.targets)} target(s), {len(catalog.actions)} action(s), version {catalog.version[:12]}"
        )
    if problems:
        raise typer.Exit(1)


@catalog_app.command("tools")
@friendly_errors
def catalog_tools(
    directory: Annotated[str | None, typer.Argument(help="Catalog directory (default: the shipped one).")] = None,
) -> None:
    """Print the catalog as OpenAI function-calling tool schemas (JSON)."""
    from action_classes import load_catalog
    from executor.config import DEFAULT_CATALOG_DIR
    from executor.tools import openai_tools

    emit_json({"tools": openai_tools(load_catalog(directory or DEFAULT_CATALOG_DIR))})


@fixtures_app.command("serve")
@friendly_errors
def fixtures_serve(
    db: Annotated[str, typer.Option("--db", help="SQLite file of the fixture's own state.")] = "billing_console.db",
    host: Annotated[str, typer.Option(help="Interface (loopback only by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
    user: Annotated[
        str, typer.Option(help="Operator user name (or $BILLING_USER).", envvar="BILLING_USER")
    ] = "steward-bot",
    password: Annotated[
        str | None, typer.Option(help="Operator password (or $BILLING_PASSWORD).", envvar="BILLING_PASSWORD")
    ] = None,
    save_delay_ms: Annotated[int, typer.Option(help="Server delay on saves.")] = 300,
) -> None:
    """Serve the billing console fixture in the foreground."""
    from fixtures.billing_console import serve

    if not password:
        fail("a password is required: --password or $BILLING_PASSWORD")
    serve(db, host, port, user, password, save_delay_ms)


def register(app: typer.Typer) -> None:
    """Add kill, release and worker to ``app``."""

    @app.command()
    @friendly_errors
    def kill(
        scope: Annotated[str | None, typer.Option(help="global, target:NAME, action:NAME or class:CLASS.")] = None,
        operator: Annotated[str | None, typer.Option(help="Who engages it (with --server: the key's name).")] = None,
        reason: Annotated[str | None, typer.Option(help="Why.")] = None,
        list_: Annotated[bool, typer.Option("--list", help="List engaged halts instead.")] = False,
        db: DbOption = None,
        home: HomeOption = None,
        server: ServerOption = None,
        token: TokenOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Engage the kill switch for a scope (immediate, durable, audited), or --list them."""
        client = client_for(server, token)
        if list_:
            if client is not None:
                switches = remote_call(client.kill_switches).get("kill_switches", [])
            else:
                switches = [s.public() for s in open_steward(db, home=home).store.kill_switches()]
            if as_json:
                emit_json({"kill_switches": switches})
            for s in [] if as_json else switches:
                typer.echo(f"{s['scope']}  by {s['operator']} at {s['engaged_at']}: {s['reason']}")
            if not switches and not as_json:
                typer.echo("no kill switch engaged")
            return
        if not (scope and reason and (operator or client is not None)):
            fail("kill needs --scope, --operator and --reason (or --list)")
        if client is not None:
            view = remote_call(lambda: client.kill(scope, reason))
        else:
            view = open_steward(db, home=home).kill(scope, operator or "", reason).public()
        if as_json:
            emit_json(view)
        else:
            typer.echo(f"engaged {view['scope']} by {view['operator']}: {view['reason']}")

    @app.command()
    @friendly_errors
    def release(
        scope: Annotated[str, typer.Argument(help="The scope to release.")],
        reason: Annotated[str, typer.Option(help="Why.")],
        operator: Annotated[str | None, typer.Option(help="Who releases it (with --server: the key's name).")] = None,
        db: DbOption = None,
        home: HomeOption = None,
        server: ServerOption = None,
        token: TokenOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Release an engaged kill switch (an explicit, audited act)."""
        client = client_for(server, token)
        if client is not None:
            remote_call(lambda: client.release(scope, reason))
            released = True
        else:
            if not operator:
                fail("--operator is required")
            released = open_steward(db, home=home).release(scope, operator, reason)
        if as_json:
            emit_json({"scope": scope, "released": released})
        elif released:
            typer.echo(f"released {scope}")
        else:
            fail(f"{scope} was not engaged")

    @app.command()
    @friendly_errors
    def worker(
        once: Annotated[bool, typer.Option(help="Drain the queue, then exit.")] = False,
        concurrency: Annotated[int, typer.Option(min=1, max=32, help="Actions at once.")] = 1,
        ws_endpoint: Annotated[str | None, typer.Option(help="Remote Playwright browser server.")] = None,
        lease_seconds: Annotated[
            float | None, typer.Option(min=1, help="Lease length (default $STEWARD_LEASE_S, else 30).")
        ] = None,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
    ) -> None:
        """Run a worker: claim queued requests and execute them in the browser."""
        import asyncio

        from executor.browser.playwright_driver import PlaywrightDriver
        from executor.logs import configure_logging
        from executor.worker import Worker

        configure_logging()
        steward = open_steward(db, catalog, policy, home, by="worker")

        async def main() -> int:
            driver = PlaywrightDriver(ws_endpoint=ws_endpoint)
            await driver.start()
            w = Worker(steward, driver, concurrency=concurrency, lease_s=lease_seconds)
            try:
                finished = await w.run(once=once)
            finally:
                await driver.close()
            return len(finished)

        try:
            count = asyncio.run(main())
        except KeyboardInterrupt:
            count = 0
        typer.echo(f"worker finished {count} request(s)", err=True)


def register_dry_run(app: typer.Typer) -> None:
    """Add ``dry-run`` to ``app``."""

    @app.command("dry-run")
    @friendly_errors
    def dry_run_cmd(
        action: Annotated[str, typer.Argument(help="Catalog action name.")],
        param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Parameter key=value (repeat).")] = None,
        catalog: CatalogOption = None,
        screenshot: Annotated[str | None, typer.Option(help="Write a PNG of the last page here.")] = None,
        as_json: JsonOption = False,
    ) -> None:
        """Perform an action's preconditions and steps in a real browser; locate, never click, the commit."""
        import asyncio
        from pathlib import Path

        from action_classes import coerce_text_params, load_catalog
        from executor.browser.playwright_driver import PlaywrightDriver
        from executor.cli._common import parse_pairs
        from executor.config import DEFAULT_CATALOG_DIR
        from executor.dryrun import DryRunReport, dry_run

        cat = load_catalog(catalog or DEFAULT_CATALOG_DIR)
        schema = cat.action(action).params
        params = coerce_text_params(schema, parse_pairs(param, "--param"))

        async def main() -> DryRunReport:
            driver = PlaywrightDriver()
            await driver.start()
            try:
                return await dry_run(cat, driver, action, params, screenshot=Path(screenshot) if screenshot else None)
            finally:
                await driver.close()

        report = asyncio.run(main())
        if as_json:
            emit_json(report.__dict__)
        else:
            for s in report.steps:
                mark = "ok " if s["ok"] else "BAD"
                typer.echo(f"{mark} {s['phase']:<22} {s['step']}" + (f"  ({s['error']})" if not s["ok"] else ""))
            for key, value in report.extracted.items():
                typer.echo(f"    {key} = {value}")
            typer.echo("dry run ok: the commit step was located, not performed" if report.ok else "dry run FAILED")
        if not report.ok:
            raise typer.Exit(1)

"""Operator and runtime commands: kill, release, worker, catalog check and draft, fixtures."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

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
    fail,
    friendly_errors,
    open_steward,
    warn_unauthenticated,
)
from executor.cli._remote import ServerOption, TokenOption, client_for, remote_call

__all__ = ["FixtureName", "catalog_app", "fixtures_app", "register"]

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
    sha256: Annotated[
        str | None, typer.Option("--sha256", help="Refuse a catalog of any other version ($STEWARD_CATALOG_SHA256).")
    ] = None,
    require_end_marker: EndMarkerOption = False,
    strict: Annotated[bool, typer.Option(help="Fail on safe-authoring warnings too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List every problem (file:line), then the safe-authoring warnings; else the version, counts and files.

    Exit 1 on a problem, and with --strict also on a warning.
    """
    from action_classes import check_catalog, load_catalog
    from executor.config import DEFAULT_CATALOG_DIR, Settings

    env = Settings()
    path = directory or str(DEFAULT_CATALOG_DIR)
    pin, marker = sha256 or env.catalog_sha256, require_end_marker or env.require_end_marker
    found = check_catalog(path, pin=pin, require_end_marker=marker, strict=True)
    problems = [p for p in found if p.severity == "error"]
    warnings = [p for p in found if p.severity == "warning"]
    failed = bool(problems) or (strict and bool(warnings))
    catalog = None if problems else load_catalog(path, pin=pin, require_end_marker=marker)
    if as_json:
        summary = {} if catalog is None else {
            "version": catalog.version, "files": catalog.files, "end_marker": catalog.end_marker,
            "target_count": len(catalog.targets), "action_count": len(catalog.actions),
            "targets": sorted(catalog.targets), "actions": sorted(catalog.actions)}
        emit_json({"ok": not failed, "problems": [p.__dict__ for p in problems],
                   "warnings": [p.__dict__ for p in warnings], **summary})
    else:
        for p in problems + warnings:
            typer.echo(str(p))
        if catalog is None:
            typer.echo(f"{len(problems)} problem(s), {len(warnings)} warning(s)", err=True)
        else:
            head = "FAILED (--strict)" if failed else "ok"
            tail = f", {len(warnings)} warning(s)" if warnings else ""
            counts = f"{len(catalog.targets)} target(s), {len(catalog.actions)} action(s)"
            typer.echo(f"{head}: {counts}, version {catalog.version}{tail}")
            ends = "every file ends with `end: true`" if catalog.end_marker else "no end marker (`end: true`)"
            typer.echo(f"files: {', '.join(catalog.files)}; {ends}")
            typer.echo(f"pin it with: STEWARD_CATALOG_SHA256={catalog.version}")
    if failed:
        raise typer.Exit(1)


@catalog_app.command("draft")
@friendly_errors
def catalog_draft(
    recording: Annotated[str, typer.Argument(help="A recording made with: playwright codegen --target python URL")],
    action: Annotated[str, typer.Option(help="Name of the new action (lower_snake_case).")] = "new_action",
    target: Annotated[str | None, typer.Option(help="Name of the target (default: from the recorded host).")] = None,
    out: Annotated[str | None, typer.Option(help="Write the YAML here instead of stdout.")] = None,
) -> None:
    """Turn a Playwright codegen recording into a draft catalog action (never runs the recording).

    Fills become parameters, a password fill becomes the target's login with env: credentials, the
    last click is proposed as the commit, and verification is left as a DRAFT_GAP that catalog check
    refuses until it is filled in.
    """
    from pathlib import Path

    from action_classes import DraftError, draft_catalog

    try:
        source = Path(recording).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {recording}: {exc.strerror}")
    try:
        text = draft_catalog(source, action=action, target=target)
    except DraftError as exc:
        fail(f"{recording}: {exc}")
    if out:
        Path(out).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}: fill in every DRAFT_GAP, then run steward catalog check --strict", err=True)
    else:
        typer.echo(text, nl=False)


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


class FixtureName(StrEnum):
    """The fixture back-offices ``steward fixtures serve`` can start."""

    billing = "billing"
    orders = "orders"


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@fixtures_app.command("serve")
@friendly_errors
def fixtures_serve(
    name: Annotated[
        FixtureName,
        typer.Argument(help="billing: the billing console; orders: the orders admin on the stock Django admin."),
    ] = FixtureName.billing,
    db: Annotated[
        str | None,
        typer.Option("--db", help="The fixture's own SQLite file (default billing_console.db / orders_admin.db)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface (loopback only by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
    user: Annotated[
        str | None, typer.Option(help="Operator user name (or $BILLING_USER / $ORDERS_USER; default steward-bot).")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="Operator password (or $BILLING_PASSWORD / $ORDERS_PASSWORD).")
    ] = None,
    save_delay_ms: Annotated[
        int | None, typer.Option(help="Billing console only: server delay on saves (default 300).")
    ] = None,
) -> None:
    """Serve a fixture back-office in the foreground (default: the billing console)."""
    import os

    if name is FixtureName.billing:
        from fixtures.billing_console import serve as serve_billing

        password = password or os.environ.get("BILLING_PASSWORD")
        if not password:
            fail("a password is required: --password or $BILLING_PASSWORD")
        user = user or os.environ.get("BILLING_USER") or "steward-bot"
        serve_billing(db or "billing_console.db", host, port, user, password,
                      300 if save_delay_ms is None else save_delay_ms)
        return
    from fixtures.orders_admin import serve as serve_orders

    if save_delay_ms is not None:
        fail("--save-delay-ms applies to the billing console only")
    password = password or os.environ.get("ORDERS_PASSWORD")
    # The documented default password is acceptable only where nobody else can reach it.
    if not password and host not in _LOOPBACK:
        fail(f"a password is required to serve on {host}: --password or $ORDERS_PASSWORD")
    serve_orders(db or "orders_admin.db", host, port, user or os.environ.get("ORDERS_USER"), password)


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
        catalog: CatalogOption = None,
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
                switches = [s.public() for s in open_steward(db, catalog, home=home).store.kill_switches()]
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
            view = open_steward(db, catalog, home=home).kill(scope, operator or "", reason).public()
            warn_unauthenticated("kill")  # after the act, so a refusal stays one error line
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
            if released:
                warn_unauthenticated("release")
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
        gate_host: Annotated[
            str | None,
            typer.Option(help="Address of this host the browser reaches the network gate on (default: the "
                              "address routing to the --ws-endpoint host, else 127.0.0.1)."),
        ] = None,
        lease_seconds: Annotated[
            float | None, typer.Option(min=1, help="Lease length (default $STEWARD_LEASE_S, else 30).")
        ] = None,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        policy_sha256: PolicyPinOption = None,
        catalog_sha256: CatalogPinOption = None,
        require_end_marker: EndMarkerOption = False,
        witness: WitnessOption = None,
        metrics_port: Annotated[
            int | None,
            typer.Option(min=0, max=65535, help="Serve /metrics, /healthz and /readyz on this port (0: any free one)."),
        ] = None,
        metrics_host: Annotated[str, typer.Option(help="Interface for --metrics-port.")] = "127.0.0.1",
    ) -> None:
        """Run a worker: claim queued requests and execute them in the browser."""
        import asyncio
        import contextlib
        import signal

        from executor.allocator import pin_mmap_threshold
        from executor.browser.launch import gate_host_for
        from executor.browser.playwright_driver import PlaywrightDriver
        from executor.health import HealthServer
        from executor.worker import Worker

        pin_mmap_threshold()  # first thing: before start-up frees its own large buffers (executor.allocator)
        steward = open_steward(db, catalog, policy, home, by="worker", log_level="INFO", policy_sha256=policy_sha256,
                               catalog_sha256=catalog_sha256, require_end_marker=require_end_marker,
                               witness=witness)

        async def main() -> int:
            driver = PlaywrightDriver(ws_endpoint=ws_endpoint, gate_host=gate_host or gate_host_for(ws_endpoint))
            await driver.start()
            w = Worker(steward, driver, concurrency=concurrency, lease_s=lease_seconds)
            # A container's stop (SIGTERM) drains like Ctrl-C: nothing new is claimed, running actions finish.
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError):  # Windows: no signal handlers on the loop
                    asyncio.get_running_loop().add_signal_handler(sig, w.stop)
            try:
                await w.run(once=once)
            finally:
                await driver.close()
            return w.finished_count

        with contextlib.ExitStack() as stack:
            if metrics_port is not None:
                server = stack.enter_context(HealthServer(steward, host=metrics_host, port=metrics_port))
                typer.echo(f"worker metrics on {server.url}/metrics (also /healthz, /readyz)", err=True)
            try:
                count = asyncio.run(main())
            except KeyboardInterrupt:
                count = 0
        steward.close()
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

        from executor.logs import configure_logging

        configure_logging("WARNING")  # logs go to stderr as JSON; stdout carries only the report

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
            if report.commit is not None:
                c = report.commit
                typer.echo(f'    commit -> {c["role"] or "?"} "{c["name"]}" <{c["tag"]}> text="{c["text"][:80]}"')
                for name in c["destructive_neighbours"]:
                    typer.echo(f'    warning: the same form also has "{name}"')
            for key, value in report.extracted.items():
                typer.echo(f"    {key} = {value}")
            typer.echo("dry run ok: the commit step was located, not performed" if report.ok else "dry run FAILED")
        if not report.ok:
            raise typer.Exit(1)

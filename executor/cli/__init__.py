"""The ``steward`` command line (Typer). Every error is one line and a non-zero exit."""

from __future__ import annotations

import sys

import typer

from executor.cli import ops_cmds, requests_cmds

__all__ = ["app", "main"]

app = typer.Typer(
    name="steward",
    help="Steward: governed execution of AI agents' actions in back-office web UIs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain click help: Rich's help renderer alone costs more start-up than the rest of --help.
    rich_markup_mode=None,
)
requests_cmds.register(app)
ops_cmds.register(app)
ops_cmds.register_dry_run(app)
app.add_typer(ops_cmds.catalog_app)
app.add_typer(ops_cmds.fixtures_app)


def _mount_optional() -> None:
    """Sub-apps that live in their own modules."""
    from executor.cli import (
        agent_cmds,
        api_cmds,
        audit_cmds,
        bench_cmds,
        browser_cmds,
        db_cmds,
        demo_cmd,
        patch_cmds,
        policy_cmds,
        report_cmds,
        rollback_cmds,
        serve_cmds,
    )

    serve_cmds.register(app)
    agent_cmds.register(app)
    ops_cmds.catalog_app.add_typer(patch_cmds.app)
    app.add_typer(serve_cmds.keys_app)
    app.add_typer(audit_cmds.app)
    app.add_typer(policy_cmds.app)
    app.add_typer(bench_cmds.app)
    app.add_typer(db_cmds.app)
    app.add_typer(api_cmds.app)
    demo_cmd.register(app)
    browser_cmds.register(app)
    report_cmds.register(app)
    rollback_cmds.register(app)


_mount_optional()


def main() -> None:
    """Console entry point: every error is one line on stderr and a non-zero exit."""
    from executor.cli._common import click_errors

    errors = click_errors()
    try:
        code = app(standalone_mode=False)
    except errors.UsageError as exc:
        sub = exc.ctx.command_path.partition(" ")[2] if exc.ctx else ""
        hint = f" (see: steward {sub + ' ' if sub else ''}--help)" if exc.ctx else ""
        sys.stderr.write(f"error: {exc.format_message()}{hint}\n")
        sys.exit(2)
    except errors.ClickException as exc:
        sys.stderr.write(f"error: {exc.format_message()}\n")
        sys.exit(exc.exit_code)
    except (errors.Abort, KeyboardInterrupt):
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # one line, never a traceback
        message = (str(exc) or type(exc).__name__).splitlines()[0]
        sys.stderr.write(f"error: {message}\n")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)

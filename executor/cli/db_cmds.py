"""``steward db upgrade|current``: the database schema's revision, and moving it forward."""

from __future__ import annotations

import typer

from executor.cli._common import DbOption, JsonOption, emit_json, fail, friendly_errors, resolve_db

__all__ = ["app"]

app = typer.Typer(name="db", help="Database schema: show its revision, upgrade it.", no_args_is_help=True)


@app.command("current")
@friendly_errors
def current(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The schema revision of the database and the one this Steward runs on; exit 1 when they differ."""
    from audit.engine import open_engine
    from executor.store.migrate import HEAD, status

    engine = open_engine(resolve_db(db))
    try:
        found = status(engine)
    finally:
        engine.dispose()
    state = "current" if found.current else ("empty" if found.empty else "needs attention")
    if as_json:
        emit_json({"revision": found.revision, "head": HEAD, "state": state, "missing": sorted(found.missing)})
    else:
        typer.echo(f"revision {found.revision or '(none)'}; this Steward runs on {HEAD}: {state}")
        if found.missing and not found.empty:
            typer.echo(f"missing tables: {', '.join(sorted(found.missing))}")
    if not found.current:
        raise typer.Exit(1)


@app.command("upgrade")
@friendly_errors
def upgrade(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Migrate the database to this Steward's schema (also adopts one made before migrations)."""
    from audit.engine import open_engine
    from executor.errors import SchemaMismatch
    from executor.logs import configure_logging
    from executor.store.migrate import upgrade as run_upgrade

    configure_logging("INFO")  # alembic's "Running upgrade ..." lines, as JSON on stderr
    engine = open_engine(resolve_db(db))
    try:
        before, after = run_upgrade(engine)
    except SchemaMismatch as exc:
        fail(exc.message)
    finally:
        engine.dispose()
    if as_json:
        emit_json({"before": before, "after": after})
    elif before == after:
        typer.echo(f"already at revision {after}")
    else:
        typer.echo(f"upgraded from {f'revision {before}' if before else 'no schema version'} to revision {after}")

"""``steward report``: the daily triage and the weekly review, as HTML, Markdown or JSON."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from executor.cli._common import CatalogOption, DbOption, PolicyOption, fail, friendly_errors, resolve_db

__all__ = ["register"]

FORMATS = ("html", "md", "json")
_BAD_INPUT = 2  # the exit code of a usage error: fix the command


def _when(text: str | None, flag: str) -> datetime | None:
    from audit.clock import parse_ts

    if text is None:
        return None
    try:
        return parse_ts(text)
    except ValueError:
        fail(f"{flag} {text[:60]!r} is not an ISO-8601 date or time (e.g. 2026-12-01 or 2026-12-01T09:00Z)",
             _BAD_INPUT)


def _format(fmt: str | None, out: Path) -> str:
    if fmt is None:
        fmt = {".md": "md", ".markdown": "md", ".json": "json"}.get(out.suffix.lower(), "html")
    if fmt not in FORMATS:
        fail(f"unknown format {fmt[:40]!r}: use html, md or json", _BAD_INPUT)
    return fmt


def _write(out: Path, text: str) -> None:
    """Write the whole file or nothing (a temporary file renamed into place)."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    """Add ``report`` to the CLI."""

    @app.command("report")
    @friendly_errors
    def report(
        out: Annotated[Path, typer.Option("--out", help="File to write (its suffix picks the format by default).")],
        since: Annotated[str | None, typer.Option("--since", help="Window start, ISO-8601 UTC (inclusive).")] = None,
        until: Annotated[str | None, typer.Option("--until", help="Window end, ISO-8601 UTC (default: now).")] = None,
        period: Annotated[str | None, typer.Option(
            "--period", help="daily or weekly: the last day or week ending at --until (or now).")] = None,
        fmt: Annotated[str | None, typer.Option("--format", help="html, md or json.")] = None,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
    ) -> None:
        """Write a review report: volume, outcomes, escalations, interventions, latency, budgets, changes.

        Every figure is shown beside the previous period's (the window of the same length just before).
        """
        from audit.engine import open_engine
        from executor.cli._common import settings_from
        from executor.integrity import load_catalog_for, load_policy_for
        from executor.reports import ReportInputError, build_report, render_html, render_markdown
        from executor.store.migrate import status

        chosen = _format(fmt, out)
        start, end = _when(since, "--since"), _when(until, "--until")
        if not out.parent.is_dir():
            fail(f"no such folder for --out: {out.parent}", _BAD_INPUT)
        url = resolve_db(db)
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            fail(f"no database at {url.removeprefix('sqlite:///')}", _BAD_INPUT)
        settings = settings_from(db, catalog, policy)
        loaded = load_catalog_for(settings)
        rules = load_policy_for(settings, loaded)
        engine = open_engine(url)
        try:
            found = status(engine)
            if found.empty:
                fail("the database holds no Steward data", _BAD_INPUT)
            if not found.current:
                fail("the database schema is not current: run `steward db upgrade` first")
            try:
                data = build_report(engine, loaded, rules, since=start, until=end, period=period)
            except ReportInputError as exc:
                fail(exc.message, _BAD_INPUT)
        finally:
            engine.dispose()
        if chosen == "json":
            text = data.model_dump_json(indent=2) + "\n"
        elif chosen == "md":
            text = render_markdown(data)
        else:
            text = render_html(data)
        _write(out, text)
        cur = data.current
        typer.echo(f"wrote {out} ({chosen}): {cur.window.since} to {cur.window.until}, {cur.requests} request(s), "
                   f"{sum(cur.escalations.values())} escalation(s)")

"""``steward demo``: the end-to-end walk through every class."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from executor.cli._common import (
    CatalogPinOption,
    EndMarkerOption,
    PolicyPinOption,
    WitnessOption,
    friendly_errors,
)

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command()
    @friendly_errors
    def demo(
        db: Annotated[str | None, typer.Option("--db", help="Database URL (default: a temporary SQLite file).")] = None,
        home: Annotated[str | None, typer.Option("--home", help="Evidence/keys folder (default: temporary).")] = None,
        policy_sha256: PolicyPinOption = None,
        catalog_sha256: CatalogPinOption = None,
        require_end_marker: EndMarkerOption = False,
        witness: WitnessOption = None,
    ) -> None:
        """Run the demo: autonomous, confirmed, approved and forbidden requests, a kill switch, audit verify."""
        from executor.demo import run_demo

        options: dict[str, Any] = {}
        if policy_sha256:
            options["policy_sha256"] = policy_sha256
        if catalog_sha256:
            options["catalog_sha256"] = catalog_sha256
        if require_end_marker:
            options["require_end_marker"] = True
        if witness:
            options["witness_dir"] = Path(witness).expanduser()
        result = run_demo(db=db, home=Path(home) if home else None, out=typer.echo, options=options)
        typer.echo("")
        head = f"{'case':<18} {'request':<31} {'class':<19} {'state':<10} {'expected':<10}"
        typer.echo(f"{head} check against the console's database")
        for r in result.rows:
            mark = "ok " if r.ok else "BAD"
            typer.echo(
                f"{r.label:<18} {r.request_id:<31} {r.action_class:<19} {r.state:<10} {r.expected:<10} {mark} {r.check}"
            )
        typer.echo("")
        typer.echo(f"audit log: {result.audit_entries} entries, verify {'ok' if result.audit_ok else 'FAILED'}")
        typer.echo(f"evidence ({len(result.evidence)} files, content-addressed by sha256):")
        for path in result.evidence:
            typer.echo(f"  {path}")
        typer.echo(f"demo {'passed' if result.ok else 'FAILED'} in {result.seconds:.1f} s")
        if not result.ok:
            raise typer.Exit(1)

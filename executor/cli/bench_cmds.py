"""``steward bench ...``: benchmarks that write their results to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from executor.cli._common import emit_json, friendly_errors

__all__ = ["app"]

app = typer.Typer(
    name="bench", help="Benchmarks (results written to files under bench-results/).", no_args_is_help=True
)


@app.command("e2e")
@friendly_errors
def bench_e2e(
    runs: Annotated[int, typer.Option(min=3, max=1000, help="Measured requests (after one warm-up).")] = 20,
    out: Annotated[Path, typer.Option(help="Result file.")] = Path("bench-results/e2e.json"),
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: temporary SQLite).")] = None,
) -> None:
    """Median submit-to-succeeded time of autonomous issue_credit against the fixture."""
    from executor.bench_e2e import run_e2e_bench

    result = run_e2e_bench(runs=runs, out=out, db=db, say=typer.echo)
    emit_json(result)
    typer.echo(f"wrote {out}", err=True)


def _mount_others() -> None:
    from executor.cli.audit_cmds import bench_audit
    from executor.cli.bench_api import bench_api
    from executor.cli.soak_cmd import soak

    app.command("audit")(bench_audit)
    app.command("api")(bench_api)
    app.command("soak")(soak)


_mount_others()

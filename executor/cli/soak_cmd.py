"""``steward bench soak``: many credits through a faulty console (mounted on the bench app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from executor.cli._common import emit_json, friendly_errors

__all__ = ["soak"]


@friendly_errors
def soak(
    actions: Annotated[int, typer.Option(min=1, max=100_000, help="Autonomous credits to run.")] = 500,
    out: Annotated[Path, typer.Option(help="Result file.")] = Path("bench-results/soak.json"),
) -> None:
    """Success rate, retries, double commits and memory over N credits with faults injected."""
    from executor.bench_soak import run_soak

    result = run_soak(actions=actions, out=out, say=lambda line: typer.echo(line, err=True))
    summary = {k: v for k, v in result.items() if k not in ("rss_samples", "failures")}
    emit_json(summary)
    typer.echo(f"wrote {out}", err=True)

"""``steward bench ...``: thin commands over the ``benchmarks`` package, which each writes a result file.

The benchmark code lives in ``benchmarks/`` so the product holds product code
only; every import of it happens inside a command, so ``steward --help`` and the
product never load it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from executor.cli._common import JsonOption, emit_json, friendly_errors

__all__ = ["app"]

app = typer.Typer(
    name="bench",
    help="Benchmarks (results written to files under bench-results/).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _wrote(out: Path) -> None:
    typer.echo(f"wrote {out}", err=True)


@app.command("e2e")
@friendly_errors
def bench_e2e(
    runs: Annotated[int, typer.Option(min=3, max=1000, help="Measured requests (after one warm-up).")] = 20,
    out: Annotated[Path, typer.Option(help="Result file.")] = Path("bench-results/e2e.json"),
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: temporary SQLite).")] = None,
) -> None:
    """Median submit-to-succeeded time of autonomous issue_credit against the fixture."""
    from benchmarks.e2e import run_e2e_bench

    emit_json(run_e2e_bench(runs=runs, out=out, db=db, say=typer.echo))
    _wrote(out)


@app.command("vs-raw")
@friendly_errors
def bench_vs_raw(
    runs: Annotated[int, typer.Option(min=1, max=8, help="Interleaved runs per side and action.")] = 5,
    per_level: Annotated[int, typer.Option(min=2, max=200, help="Actions per side at each concurrency.")] = 12,
    action: Annotated[
        list[str] | None, typer.Option("--action", help="Only these actions (repeatable; default: all ten).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Result file.")] = Path("bench-results/vs-raw.json"),
) -> None:
    """Steward next to hand-written Playwright scripts: every action, both fixtures, three raw modes."""
    from benchmarks.vs_raw import markdown, run_vs_raw_bench

    result = run_vs_raw_bench(runs=runs, per_level=per_level, out=out, actions=action, say=typer.echo)
    typer.echo(markdown(result), err=True)
    emit_json(result)
    _wrote(out)


@app.command("api")
@friendly_errors
def bench_api(
    seconds: Annotated[float, typer.Option("--seconds", min=1, max=3600, help="How long to submit.")] = 60.0,
    clients: Annotated[int, typer.Option(min=1, max=64, help="Concurrent clients.")] = 4,
    out: Annotated[Path, typer.Option(help="Result file.")] = Path("bench-results/api.json"),
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: temporary SQLite).")] = None,
) -> None:
    """Submissions per second over HTTP with concurrent clients, p50/p99 latency, exactly-once count."""
    from benchmarks.api import run_api_bench

    result = run_api_bench(seconds=seconds, clients=clients, out=out, db=db)
    emit_json(result)
    _wrote(out)
    if not result["exactly_once"]:
        raise typer.Exit(2)


@app.command("soak")
@friendly_errors
def bench_soak(
    actions: Annotated[int, typer.Option(min=1, max=100_000, help="Autonomous credits to run.")] = 500,
    out: Annotated[Path, typer.Option(help="Result file.")] = Path("bench-results/soak.json"),
) -> None:
    """Success rate, retries, double commits and memory over N credits with faults injected."""
    from benchmarks.soak import run_soak

    result = run_soak(actions=actions, out=out, say=lambda line: typer.echo(line, err=True))
    emit_json({k: v for k, v in result.items() if k not in ("rss_samples", "failures")})
    _wrote(out)


@app.command("audit")
@friendly_errors
def bench_audit(
    entries: Annotated[int, typer.Option("--entries", help="Log size for verify and proofs.")] = 1_000_000,
    appends: Annotated[int, typer.Option("--appends", help="Appends per throughput run.")] = 10_000,
    pg: Annotated[str | None, typer.Option("--pg", help="PostgreSQL URL (default: $STEWARD_TEST_PG).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Results file.")] = Path("bench-results/audit.json"),
    as_json: JsonOption = False,
) -> None:
    """Audit benchmark: appends/s (SQLite, PostgreSQL x4), verify entries/s, proof latency."""
    from benchmarks.audit import run_bench, summarize

    results = run_bench(
        entries=entries, appends=appends, pg_url=pg or os.environ.get("STEWARD_TEST_PG"), out=out,
        say=lambda msg: typer.echo(msg, err=True),
    )
    if as_json:
        emit_json(results)
    else:
        typer.echo(summarize(results))
        typer.echo(f"results written to {out}")
@app.command("policy")
@friendly_errors
def bench_policy(
    rules: Annotated[int, typer.Option(min=10, max=100_000, help="Generated rules for issue_credit.")] = 1000,
    decisions: Annotated[int, typer.Option(min=100, max=1_000_000, help="Decisions timed per run.")] = 3000,
    runs: Annotated[int, typer.Option(min=1, max=20, help="Runs; the best run is reported.")] = 3,
    out: Annotated[Path, typer.Option("--out", help="Results file.")] = Path("bench-results/policy.json"),
    as_json: JsonOption = False,
) -> None:
    """Policy decision time (p50/p95/p99) and load time: generated rules and the shipped default policy."""
    from benchmarks.policy import run_policy_bench, summarize

    result = run_policy_bench(rules=rules, decisions=decisions, runs=runs, out=out,
                              say=lambda msg: typer.echo(msg, err=True))
    if as_json:
        emit_json(result)
    else:
        typer.echo(summarize(result))
    _wrote(out)


@app.command("cli")
@friendly_errors
def bench_cli(
    runs: Annotated[int, typer.Option(min=3, max=200, help="Runs of each command; the median is reported.")] = 15,
    out: Annotated[Path, typer.Option("--out", help="Results file.")] = Path("bench-results/cli.json"),
    as_json: JsonOption = False,
) -> None:
    """Start-up time of `steward --help` and `steward status ID` (local and --server), in fresh processes."""
    from benchmarks.cli import run_cli_bench, summarize

    result = run_cli_bench(runs=runs, out=out, say=lambda msg: typer.echo(msg, err=True))
    if as_json:
        emit_json(result)
    else:
        typer.echo(summarize(result))
    _wrote(out)


@app.command("client-import")
@friendly_errors
def bench_client_import(
    runs: Annotated[int, typer.Option(min=3, max=200, help="Fresh interpreters per case (median reported).")] = 15,
    out: Annotated[Path, typer.Option("--out", help="Results file.")] = Path("bench-results/client-import.json"),
    as_json: JsonOption = False,
) -> None:
    """Import time of the light client `executor.client` (target <= 150 ms), and which heavy modules it loads."""
    from benchmarks.client_import import run_client_import_bench, summarize

    result = run_client_import_bench(runs=runs, out=out, say=lambda msg: typer.echo(msg, err=True))
    if as_json:
        emit_json(result)
    else:
        typer.echo(summarize(result))
    _wrote(out)


@app.command("fleet")
@friendly_errors
def bench_fleet(
    workers: Annotated[
        list[int] | None, typer.Option("--workers", min=1, max=16, help="Workers per level (repeat; default 1 2 4).")
    ] = None,
    actions: Annotated[int, typer.Option(min=1, max=10_000, help="Credits submitted at once per level.")] = 24,
    trials: Annotated[int, typer.Option(min=1, max=1000, help="Kill-switch trials per level.")] = 50,
    concurrency: Annotated[int, typer.Option(min=1, max=16, help="Actions at once per worker.")] = 2,
    pg: Annotated[str | None, typer.Option("--pg", help="PostgreSQL URL (default: $STEWARD_TEST_PG).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Results file.")] = Path("bench-results/fleet.json"),
    as_json: JsonOption = False,
) -> None:
    """Worker processes on one PostgreSQL: actions per minute, and kill switch engage-to-aborted p50/p99."""
    from benchmarks.fleet import run_fleet_bench, summarize

    result = run_fleet_bench(workers=tuple(workers or (1, 2, 4)), actions=actions, trials=trials,
                             concurrency=concurrency, pg_url=pg, out=out, say=lambda msg: typer.echo(msg, err=True))
    if as_json:
        emit_json(result)
    else:
        typer.echo(summarize(result))
    _wrote(out)

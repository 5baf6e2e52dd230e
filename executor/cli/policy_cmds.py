"""`steward policy ...`: check a policy and run its test cases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from executor.cli._common import JsonOption, emit_json, fail, friendly_errors
from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH

if TYPE_CHECKING:
    from action_classes import Catalog
    from policies import Policy

__all__ = ["app"]

app = typer.Typer(
    name="policy", help="Check policies and run policy test cases.", no_args_is_help=True, rich_markup_mode=None
)

PolicyOption = Annotated[
    list[Path] | None,
    typer.Option("--policy", help="Policy YAML file; repeat for several (default: shipped one)."),
]
CatalogOption = Annotated[
    Path, typer.Option("--catalog", help="Catalog directory or file (default: the shipped one).")
]


@app.callback()
def _group() -> None:
    """Check policies and run policy test cases."""


def _print_problems(problems: list[object]) -> None:
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)


def _load(policy: list[Path] | None, catalog: Path) -> tuple[Policy, Catalog]:
    from action_classes import CatalogError, load_catalog
    from policies import PolicyLoadError, load_policy

    try:
        loaded_catalog = load_catalog(catalog)
    except CatalogError as exc:
        _print_problems(list(exc.problems))
        fail(f"catalog {catalog} does not load")
    try:
        return load_policy(policy or [DEFAULT_POLICY_PATH], loaded_catalog), loaded_catalog
    except PolicyLoadError as exc:
        _print_problems(list(exc.problems))
        fail(f"policy does not load ({len(exc.problems)} problem(s))")


@app.command("test")
@friendly_errors
def test_cmd(
    file: Annotated[Path, typer.Argument(help="YAML file of cases: request -> expected class.")],
    policy: PolicyOption = None,
    catalog: CatalogOption = DEFAULT_CATALOG_DIR,
    json_out: JsonOption = False,
) -> None:
    """Run policy test cases; exit 1 when any case fails or the file is malformed."""
    from policies import CaseFileError, run_cases

    loaded, loaded_catalog = _load(policy, catalog)
    try:
        report = run_cases(file, loaded, loaded_catalog)
    except CaseFileError as exc:
        _print_problems(list(exc.problems))
        fail(f"case file {file} is invalid")
    if json_out:
        emit_json({
            "policy_version": loaded.version,
            "passed": report.passed,
            "failed": report.failed,
            "cases": [
                {"name": r.name, "line": r.line, "passed": r.passed, "message": r.message,
                 "class": r.decision.action_class.value if r.decision else None}
                for r in report.results
            ],
        })
    else:
        for r in report.results:
            mark = "PASS" if r.passed else "FAIL"
            typer.echo(f"{mark}  {r.name}")
            if not r.passed:
                typer.echo(f"      {r.file}:{r.line}: {r.message}")
        typer.echo(
            f"{len(report.results)} cases: {report.passed} passed, {report.failed} failed "
            f"(policy {loaded.version[:12]})"
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command("check")
@friendly_errors
def check_cmd(
    policy: PolicyOption = None,
    catalog: CatalogOption = DEFAULT_CATALOG_DIR,
    json_out: JsonOption = False,
) -> None:
    """Load a policy against the catalog; list every problem and exit 1 if any."""
    loaded, _ = _load(policy, catalog)
    if json_out:
        emit_json({"version": loaded.version, "files": list(loaded.files),
                   "rules": [r.id for r in loaded.rules], "limits": [x.id for x in loaded.limits]})
    else:
        counts = f"{len(loaded.rules)} rules, {len(loaded.limits)} limits"
        typer.echo(f"ok: {counts}, version {loaded.version}")

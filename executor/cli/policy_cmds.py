"""`steward policy ...`: check a policy and run its test cases (rollout commands: executor.cli.rollout_cmds).

Both commands honour the integrity guards of executor.integrity: a pinned
version (``--sha256`` or ``$STEWARD_POLICY_SHA256``) and the end marker
(``--require-end-marker`` or ``$STEWARD_REQUIRE_END_MARKER=1``), so an operator
can check a file exactly as a server will load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from executor.cli._common import EndMarkerOption, JsonOption, emit_json, fail, friendly_errors
from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH, NO_POLICY, Settings

if TYPE_CHECKING:
    from action_classes import Catalog
    from policies import Policy

__all__ = ["app"]

app = typer.Typer(
    name="policy", help="Check policies and run policy test cases.", no_args_is_help=True, rich_markup_mode=None
)

PolicyOption = Annotated[
    list[Path] | None,
    typer.Option("--policy", help="Policy YAML file; repeat for several (default: shipped one; 'none': no policy)."),
]
PinOption = Annotated[
    str | None,
    typer.Option("--sha256", help="Refuse a policy of any other version (default: $STEWARD_POLICY_SHA256)."),
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


def _load(policy: list[Path] | None, catalog: Path, pin: str | None,
          require_end_marker: bool) -> tuple[Policy, Catalog]:
    from action_classes import CatalogError, load_catalog
    from policies import PolicyLoadError, load_policy, no_policy

    env = Settings()
    pin = pin or env.policy_sha256
    marker = require_end_marker or env.require_end_marker
    try:
        loaded_catalog = load_catalog(catalog, require_end_marker=marker)
    except CatalogError as exc:
        _print_problems(list(exc.problems))
        fail(f"catalog {catalog} does not load")
    try:
        if policy and [str(p).lower() for p in policy] == [NO_POLICY]:
            loaded = no_policy()
            if pin and pin.strip().lower() != loaded.version:
                fail(f"policy version {loaded.version} (no policy) is not the pinned {pin.strip().lower()}")
            return loaded, loaded_catalog
        paths = policy or [DEFAULT_POLICY_PATH]
        return load_policy(paths, loaded_catalog, pin=pin, require_end_marker=marker), loaded_catalog
    except PolicyLoadError as exc:
        _print_problems(list(exc.problems))
        fail(f"policy does not load ({len(exc.problems)} problem(s))")


@app.command("test")
@friendly_errors
def test_cmd(
    file: Annotated[Path, typer.Argument(help="YAML file of cases: request -> expected class.")],
    policy: PolicyOption = None,
    catalog: CatalogOption = DEFAULT_CATALOG_DIR,
    sha256: PinOption = None,
    require_end_marker: EndMarkerOption = False,
    json_out: JsonOption = False,
) -> None:
    """Run policy test cases; exit 1 when any case fails, names a rule or limit the policy lacks,
    or the file is malformed."""
    from policies import CaseFileError, run_cases

    loaded, loaded_catalog = _load(policy, catalog, sha256, require_end_marker)
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
            "missing": report.missing,
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
    if report.missing:
        fail(report.missing_text())
    if not report.ok:
        raise typer.Exit(1)


@app.command("check")
@friendly_errors
def check_cmd(
    policy: PolicyOption = None,
    catalog: CatalogOption = DEFAULT_CATALOG_DIR,
    sha256: PinOption = None,
    require_end_marker: EndMarkerOption = False,
    json_out: JsonOption = False,
) -> None:
    """Load a policy against the catalog; print its version (sha256), rule and limit counts and files,
    or list every problem and exit 1."""
    loaded, _ = _load(policy, catalog, sha256, require_end_marker)
    if json_out:
        emit_json({"version": loaded.version, "files": list(loaded.files), "end_marker": loaded.end_marker,
                   "rule_count": len(loaded.rules), "limit_count": len(loaded.limits),
                   "rules": [r.id for r in loaded.rules], "limits": [x.id for x in loaded.limits]})
        return
    counts = f"{len(loaded.rules)} rules, {len(loaded.limits)} limits"
    typer.echo(f"ok: {counts}, version {loaded.version}")
    if not loaded.files:
        typer.echo("files: none (no policy: each action runs at its catalog class)")
    else:
        ends = "every file ends with `end: true`" if loaded.end_marker else "no end marker (`end: true`)"
        typer.echo(f"files: {', '.join(loaded.files)}; {ends}")
    typer.echo(f"pin it with: STEWARD_POLICY_SHA256={loaded.version}")


def _register_rollout() -> None:
    from executor.cli.rollout_cmds import register

    register(app)


_register_rollout()

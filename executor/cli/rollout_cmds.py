"""`steward policy shadow|canary|promote|rollback|rollout`: change control of the policy (executor.rollout).

They act on the database that every server and worker reads; a running fleet
picks the change up within seconds, without a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from executor.cli._common import (
    CatalogOption,
    DbOption,
    HomeOption,
    JsonOption,
    PolicyOption,
    emit_json,
    fail,
    friendly_errors,
    open_steward,
)

__all__ = ["register"]

OperatorOption = Annotated[str, typer.Option("--operator", help="Who makes the change (recorded in the audit log).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")]
CasesOption = Annotated[
    Path | None,
    typer.Option("--cases", help="Policy test cases for the gates (default: NAME_cases.yaml beside the candidate, "
                 "else policies/default_cases.yaml)."),
]


def _control(db: str | None, catalog: str | None, policy: str | None, home: str | None) -> Any:
    from executor.policy_control import PolicyControl

    return PolicyControl(open_steward(db, catalog, policy, home, by="cli"))


def _run(work: Any) -> Any:
    """Run a rollout step; print a policy's load problems one per line."""
    from policies import PolicyLoadError

    try:
        return work()
    except PolicyLoadError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        fail(f"the candidate policy does not load ({len(exc.problems)} problem(s)); nothing changed")


def _tests_line(result: Any) -> str:
    return f"tests ({result.cases}): {'ok' if result.ok else 'NOT ok'}: {result.summary()}"


def _start(mode: str, file: Path, percent: float | None, operator: str, reason: str, cases: Path | None,
           db: str | None, catalog: str | None, policy: str | None, home: str | None, as_json: bool) -> None:
    control = _control(db, catalog, policy, home)
    row, result = _run(lambda: control.start(mode, file, percent=percent, operator=operator, reason=reason,
                                             cases=cases))
    if as_json:
        emit_json({**row.public(), "tests": result.payload()})
        return
    share = "beside the active policy, deciding nothing" if mode == "shadow" else f"deciding {row.percent:g}%"
    typer.echo(f"{mode}: candidate {row.sha256} {share} (active {control.steward.policy.version[:12]})")
    typer.echo(_tests_line(result))


def register(app: typer.Typer) -> None:
    """Add shadow, canary, promote, rollback and rollout to the ``policy`` group."""

    @app.command("shadow")
    @friendly_errors
    def shadow_cmd(
        file: Annotated[Path, typer.Argument(help="The candidate policy YAML file.")],
        operator: OperatorOption,
        reason: ReasonOption,
        cases: CasesOption = None,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Evaluate a candidate policy beside the active one on every request; it changes nothing.

        Both decisions are recorded (policy.decided); a differing one adds a policy.shadow_diff event."""
        _start("shadow", file, None, operator, reason, cases, db, catalog, policy, home, as_json)

    @app.command("canary")
    @friendly_errors
    def canary_cmd(
        file: Annotated[Path, typer.Argument(help="The candidate policy YAML file.")],
        percent: Annotated[float, typer.Option("--percent", help="Share of requests it decides (0-100].")],
        operator: OperatorOption,
        reason: ReasonOption,
        cases: CasesOption = None,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Let a candidate policy decide a deterministic share of requests, split by conversation or customer."""
        _start("canary", file, percent, operator, reason, cases, db, catalog, policy, home, as_json)

    @app.command("promote")
    @friendly_errors
    def promote_cmd(
        operator: OperatorOption,
        reason: ReasonOption,
        cases: CasesOption = None,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Make the candidate the active policy: every case must pass on it (evaluation gate) and no case that
        passes on the active policy may fail on it (regression gate); exit 1 otherwise, nothing changed."""
        from executor.errors import PromotionRefused

        control = _control(db, catalog, policy, home)
        previous = control.steward.policy.version
        try:
            row, result = _run(lambda: control.promote(operator=operator, reason=reason, cases=cases))
        except PromotionRefused as exc:
            if as_json:
                emit_json({"promoted": False, "message": exc.message, "tests": exc.details})
                raise typer.Exit(1) from None
            fail(exc.message)
        if as_json:
            emit_json({"promoted": True, **row.public(), "previous": previous, "tests": result.payload()})
            return
        typer.echo(f"promoted: {row.sha256} is the active policy (was {previous[:12]})")
        typer.echo(_tests_line(result))

    @app.command("rollback")
    @friendly_errors
    def rollback_cmd(
        operator: OperatorOption,
        reason: ReasonOption,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """End the candidate's shadow or canary; the active policy decides alone again."""
        control = _control(db, catalog, policy, home)
        row = _run(lambda: control.rollback(operator=operator, reason=reason))
        if as_json:
            emit_json({"rolled_back": True, **row.public(), "active": control.steward.policy.version})
            return
        typer.echo(f"rolled back: candidate {row.sha256} ({row.mode}) ended; "
                   f"active policy {control.steward.policy.version[:12]}")

    @app.command("rollout")
    @friendly_errors
    def rollout_cmd(
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Show the active policy and the candidate in shadow or canary, if any."""
        state = _control(db, catalog, policy, home).status()
        if as_json:
            emit_json(state)
            return
        promoted = state["promoted"]
        source = f"promoted by {promoted['operator']} at {promoted['started_at']}" if promoted else "its file"
        typer.echo(f"active: {state['active']} ({source})")
        cand = state["candidate"]
        if cand is None:
            typer.echo("candidate: none")
        else:
            share = f" {cand['percent']:g}%" if cand["mode"] == "canary" else ""
            typer.echo(f"candidate: {cand['sha256']} {cand['mode']}{share}, started by {cand['operator']} "
                       f"at {cand['started_at']}: {cand['reason']}")

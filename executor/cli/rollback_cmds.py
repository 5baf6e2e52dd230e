"""`steward rollback`, `rollback-status` and `rollback-approve`: undo a window under policy (executor.rollback)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from executor.cli._common import (
    CatalogOption,
    DbOption,
    HomeOption,
    JsonOption,
    PolicyOption,
    emit_json,
    friendly_errors,
    open_steward,
)

__all__ = ["format_plan", "register"]

_NEEDS_PERSON = ("no_inverse", "cannot_fill", "rejected")


def format_plan(plan: Any) -> str:
    """The plan (or batch) as text: one line per original, then who must look at what."""
    head = "DRY RUN (nothing changed)" if plan.dry_run else f"batch {plan.batch_id}"
    filters = " ".join(f"{k}={v}" for k, v in plan.filters.items())
    lines = [
        f"rollback {head}: [{plan.since}, {plan.until}) {filters}".rstrip(),
        f"by {plan.requester}: {plan.reason}",
        f"plan sha256 {plan.plan_hash}",
        "counts: " + (", ".join(f"{k} {v}" for k, v in sorted(plan.counts.items())) or "nothing in the window"),
    ]
    for item in plan.items:
        what = f"{item.inverse} {item.inverse_params}" if item.inverse_params is not None else (item.inverse or "-")
        link = f" -> {item.compensation_id} ({item.compensation_state})" if item.compensation_id else ""
        lines.append(f"  {item.original_id} {item.action} [{item.status}] {what}{link}")
        if item.note:
            lines.append(f"      {item.note}")
    person = [i for i in plan.items if i.status in _NEEDS_PERSON]
    if person:
        lines.append(f"for a person ({len(person)}): nothing runs for these; their evidence:")
        for item in person:
            shas = ", ".join(str(e.get("sha256", ""))[:16] for e in item.evidence) or "no evidence stored"
            lines.append(f"  {item.original_id} {item.action}: {shas}")
    if not plan.dry_run and plan.counts.get("submitted"):
        lines.append(f"next: another operator approves the batch: steward rollback-approve {plan.batch_id} "
                     "--operator NAME")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add ``rollback``, ``rollback-status`` and ``rollback-approve`` to the top-level command group."""

    @app.command("rollback")
    @friendly_errors
    def rollback_cmd(
        since: Annotated[str, typer.Option("--since", help="Window start, ISO-8601 (UTC if no offset).")],
        until: Annotated[str, typer.Option("--until", help="Window end, exclusive.")],
        operator: Annotated[str, typer.Option("--operator", help="Who asks for the rollback (its requester).")],
        reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log and every request).")],
        action: Annotated[str | None, typer.Option("--action", help="Only requests for this action.")] = None,
        target: Annotated[str | None, typer.Option("--target", help="Only requests on this target.")] = None,
        requester: Annotated[str | None, typer.Option("--requester", help="Only requests from this requester.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Undo what succeeded in [since, until): each compensation goes through policy, approved as one batch."""
        from audit import parse_ts
        from executor.rollback import Window, rollback

        window = Window(parse_ts(since).timestamp(), parse_ts(until).timestamp(), action, target, requester)
        with open_steward(db, catalog, policy, home, by="cli") as steward:
            plan = rollback(steward, window, operator, reason, dry_run=dry_run)
        if as_json:
            emit_json(plan.model_dump(mode="json"))
        else:
            typer.echo(format_plan(plan))

    @app.command("rollback-status")
    @friendly_errors
    def rollback_status_cmd(
        batch_id: Annotated[str, typer.Argument(metavar="BATCH", help="The rollback batch id.")],
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """A rollback batch now: its plan, who approved it, and the state of each compensation."""
        from executor.rollback import batch_view

        with open_steward(db, catalog, policy, home, by="cli") as steward:
            plan = batch_view(steward, batch_id)
        if as_json:
            emit_json(plan.model_dump(mode="json"))
            return
        typer.echo(format_plan(plan))
        typer.echo(f"approved by {plan.approved_by} at {plan.approved_at}" if plan.approved_by else "not approved yet")

    @app.command("rollback-approve")
    @friendly_errors
    def rollback_approve_cmd(
        batch_id: Annotated[str, typer.Argument(metavar="BATCH", help="The rollback batch id.")],
        operator: Annotated[str, typer.Option("--operator", help="Who approves (never the rollback's requester).")],
        note: Annotated[str, typer.Option("--note", help="Recorded with the decision.")] = "",
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Approve every compensating request of a rollback batch in one decision."""
        from executor.rollback import approve_batch

        with open_steward(db, catalog, policy, home, by="cli") as steward:
            decision = approve_batch(steward, batch_id, operator, note)
        if as_json:
            emit_json(decision.model_dump(mode="json"))
            return
        typer.echo(f"batch {decision.batch_id}: {len(decision.approved)} approved by {decision.operator}")
        for request_id, state in decision.skipped.items():
            typer.echo(f"  skipped {request_id}: {state}")

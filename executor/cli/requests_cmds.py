"""Commands that act on requests: submit, status, confirm, approve, reject, cancel."""

from __future__ import annotations

import json
import time
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
    parse_pairs,
)

__all__ = ["register"]


def _show(rec: Any, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    data = {**rec.public(), **(extra or {})}
    if as_json:
        emit_json(data)
        return
    typer.echo(f"{rec.id}  {rec.action}  state={rec.state.value}  class={rec.action_class or '-'}")
    if rec.decision:
        typer.echo(f"  decision: {rec.decision.get('explanation')}")
    if rec.error_message:
        typer.echo(f"  reason: {rec.error_message}")
    outcome = rec.outcome or {}
    if outcome.get("extracted"):
        typer.echo("  extracted: " + json.dumps(outcome["extracted"], sort_keys=True))
    for item in outcome.get("evidence", []):
        typer.echo(f"  evidence: {item['kind']} {item['label']}: {item.get('path', item['sha256'])}")
    for key, value in (extra or {}).items():
        typer.echo(f"  {key}: {json.dumps(value, sort_keys=True, default=str)}")


def _wait(steward: Any, request_id: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    rec = steward.get(request_id)
    while not rec.terminal and time.monotonic() < deadline:
        time.sleep(0.2)
        rec = steward.get(request_id)
    return rec


def register(app: typer.Typer) -> None:
    """Add the request commands to ``app``."""

    @app.command()
    @friendly_errors
    def submit(
        action: Annotated[str, typer.Argument(help="Catalog action name, e.g. issue_credit.")],
        param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Parameter key=value (repeat).")] = None,
        requester: Annotated[str, typer.Option(help="Who asks (recorded in the audit log).")] = "cli",
        idempotency_key: Annotated[str | None, typer.Option(help="Same key + same params = same request.")] = None,
        context: Annotated[
            list[str] | None, typer.Option("--context", "-c", help="Context key=value (repeat).")
        ] = None,
        wait: Annotated[bool, typer.Option(help="Wait until the request is terminal (a worker must run).")] = False,
        timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait.")] = 120.0,
        db: DbOption = None,
        catalog: CatalogOption = None,
        policy: PolicyOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Submit an action request; prints its id, state and class."""
        from action_classes import coerce_text_params
        from executor.models import RequestContext, SubmitRequest

        steward = open_steward(db, catalog, policy, home)
        raw_ctx: dict[str, Any] = dict(parse_pairs(context, "--context"))
        known = set(RequestContext.model_fields) - {"metadata"}
        ctx: dict[str, Any] = {k: v for k, v in raw_ctx.items() if k in known}
        if "agent_confidence" in ctx:
            try:
                ctx["agent_confidence"] = float(ctx["agent_confidence"])
            except ValueError:
                fail("--context agent_confidence must be a number between 0 and 1")
        ctx["metadata"] = {k: v for k, v in raw_ctx.items() if k not in known}
        params = parse_pairs(param, "--param")
        schema = steward.catalog.actions[action].params if action in steward.catalog.actions else {}
        body = SubmitRequest(
            action=action,
            params=coerce_text_params(schema, params),
            idempotency_key=idempotency_key,
            context=RequestContext(**ctx),
        )
        rec, created = steward.submit(body, requester)
        if wait and not rec.terminal:
            rec = _wait(steward, rec.id, timeout)
        extra: dict[str, Any] = {"created": created}
        if rec.state.value in ("awaiting_approval",) or rec.action_class == "forbidden":
            extra["handoff"] = steward.handoff(rec)
        _show(rec, as_json, extra if as_json or not created else None)
        if rec.state.value in ("rejected", "failed", "aborted", "unverified", "denied", "expired"):
            raise typer.Exit(2)

    @app.command()
    @friendly_errors
    def status(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        wait: Annotated[float, typer.Option(help="Wait up to this many seconds for a terminal state.")] = 0.0,
        db: DbOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Show a request: state, class, decision, outcome, evidence."""
        steward = open_steward(db, home=home)
        rec = _wait(steward, request_id, wait) if wait else steward.get(request_id)
        _show(rec, as_json)

    @app.command()
    @friendly_errors
    def confirm(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        quote: Annotated[str, typer.Option(help="The customer's words confirming the action.")],
        channel: Annotated[str, typer.Option(help="chat, email, voice, sms, web or other.")] = "chat",
        reference: Annotated[str | None, typer.Option(help="Message or call id.")] = None,
        params_hash: Annotated[
            str | None, typer.Option(help="Hash of the params the customer saw (default: the request's).")
        ] = None,
        actor: Annotated[str, typer.Option(help="Who attaches it.")] = "cli",
        db: DbOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Attach a customer confirmation bound to the request's parameters."""
        from executor.models import Confirmation

        steward = open_steward(db, home=home)
        rec = steward.get(request_id)
        conf = Confirmation(
            channel=channel, quote=quote, reference=reference, params_hash=params_hash or rec.params_hash or ""
        )
        _show(steward.confirm(request_id, conf, f"agent:{actor}"), as_json)

    @app.command()
    @friendly_errors
    def approve(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        operator: Annotated[str, typer.Option(help="Your name; must differ from the requester.")],
        note: Annotated[str, typer.Option(help="Why you approve.")] = "",
        db: DbOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Approve a request that awaits approval."""
        _show(open_steward(db, home=home).approve(request_id, operator, note), as_json)

    @app.command()
    @friendly_errors
    def reject(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        operator: Annotated[str, typer.Option(help="Your name; must differ from the requester.")],
        reason: Annotated[str, typer.Option(help="Why it must not run.")],
        db: DbOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Deny a request that awaits approval; it never runs."""
        _show(open_steward(db, home=home).reject(request_id, operator, reason), as_json)

    @app.command()
    @friendly_errors
    def cancel(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        actor: Annotated[str, typer.Option(help="Who cancels.")] = "cli",
        reason: Annotated[str, typer.Option(help="Why.")] = "",
        db: DbOption = None,
        home: HomeOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Cancel a request before it executes."""
        _show(open_steward(db, home=home).cancel(request_id, actor, reason), as_json)

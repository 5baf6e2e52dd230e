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
    resolve_db,
    warn_unauthenticated,
)
from executor.cli._remote import ServerOption, TokenOption, client_for, remote_call

__all__ = ["register"]


def _show(rec: Any, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    """Print a request: a local record or an API response, the same way."""
    view = rec if isinstance(rec, dict) else rec.public()
    data = {**view, **(extra or {})}
    if as_json:
        emit_json(data)
        return
    typer.echo(f"{view['id']}  {view['action']}  state={view['state']}  class={view.get('class') or '-'}")
    if view.get("ref"):
        typer.echo(f"  ref: {view['ref']}")
    if view.get("trace_id"):
        typer.echo(f"  trace: {view['trace_id']}")
    if view.get("decision"):
        typer.echo(f"  decision: {view['decision'].get('explanation')}")
    if view.get("policy_version"):
        track = f" ({view['policy_rollout']})" if view.get("policy_rollout") else ""
        typer.echo(f"  policy: {view['policy_version']}{track}")
    if view.get("error"):
        typer.echo(f"  reason: {view['error'].get('message')}")
    outcome = view.get("outcome") or {}
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


def _context(pairs: list[str] | None) -> dict[str, Any]:
    from executor.models import RequestContext

    raw: dict[str, Any] = dict(parse_pairs(pairs, "--context"))
    known = set(RequestContext.model_fields) - {"metadata"}
    ctx: dict[str, Any] = {k: v for k, v in raw.items() if k in known}
    if "agent_confidence" in ctx:
        try:
            ctx["agent_confidence"] = float(ctx["agent_confidence"])
        except ValueError:
            fail("--context agent_confidence must be a number between 0 and 1")
    ctx["metadata"] = {k: v for k, v in raw.items() if k not in known}
    return ctx


def _remote_schema(client: Any, action: str) -> dict[str, Any]:
    """Parameter types from the server's catalog, for k=v conversion."""
    from action_classes import ParamSpec

    for item in remote_call(client.catalog).get("actions", []):
        if item.get("name") == action:
            props = item.get("params_schema", {}).get("properties", {})
            return {k: ParamSpec(type=v.get("type", "string")) for k, v in props.items()}
    return {}


def _decide(
    verb: str,
    request_id: str,
    operator: str | None,
    text: str,
    db: str | None,
    home: str | None,
    server: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """approve or reject, locally (named operator) or through the API (the key's name)."""
    client = client_for(server, token)
    if client is not None:
        _show(remote_call(lambda: getattr(client, verb)(request_id, text)), as_json)
        return
    if not operator:
        fail("--operator is required (with --server the key's name is the operator)")
    _show(getattr(open_steward(db, home=home), verb)(request_id, operator, text), as_json)
    warn_unauthenticated(verb)  # after the act, so a refusal stays one error line


_BAD_END = ("rejected", "failed", "aborted", "unverified", "denied", "expired")


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
        server: ServerOption = None,
        token: TokenOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Submit an action request; prints its id, state and class (exit 2 when it ends badly)."""
        from action_classes import coerce_text_params
        from executor.models import RequestContext, SubmitRequest

        ctx = _context(context)
        params = parse_pairs(param, "--param")
        client = client_for(server, token)
        if client is not None:
            typed = coerce_text_params(_remote_schema(client, action), params)
            view = remote_call(lambda: client.submit(action, typed, idempotency_key=idempotency_key, context=ctx))
            if wait and not view.get("terminal"):
                view = remote_call(lambda: client.get(view["id"], wait=min(timeout, 60.0)))
            _show(view, as_json)
            if view["state"] in _BAD_END:
                raise typer.Exit(2)
            return
        steward = open_steward(db, catalog, policy, home)
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
        if rec.state.value == "awaiting_approval" or rec.action_class == "forbidden":
            extra["handoff"] = steward.handoff(rec)
        _show(rec, as_json, extra if as_json or not created else None)
        if rec.state.value in _BAD_END:
            raise typer.Exit(2)

    @app.command()
    @friendly_errors
    def status(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        wait: Annotated[float, typer.Option(help="Wait up to this many seconds for a terminal state.")] = 0.0,
        db: DbOption = None,
        home: HomeOption = None,
        server: ServerOption = None,
        token: TokenOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Show a request: state, class, decision, outcome, evidence."""
        client = client_for(server, token)
        if client is not None:
            _show(remote_call(lambda: client.get(request_id, wait=min(wait, 60.0) or None)), as_json)
            return
        # A read: the row itself, without opening the service (catalog, policy, audit log).
        from executor.cli._lookup import read_request

        url = resolve_db(db)
        view = read_request(url, request_id)
        deadline = time.monotonic() + wait
        while wait and not view["terminal"] and time.monotonic() < deadline:
            time.sleep(0.2)
            view = read_request(url, request_id)
        _show(view, as_json)

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
        server: ServerOption = None,
        token: TokenOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Attach a customer confirmation bound to the request's parameters."""
        from executor.models import Confirmation

        client = client_for(server, token)
        if client is not None:
            digest = params_hash or remote_call(lambda: client.get(request_id))["params_hash"]
            view = remote_call(
                lambda: client.confirm(
                    request_id, quote=quote, params_hash=digest, channel=channel, reference=reference
                )
            )
            _show(view, as_json)
            return
        steward = open_steward(db, home=home)
        rec = steward.get(request_id)
        conf = Confirmation.model_validate(
            {
                "channel": channel,
                "quote": quote,
                "reference": reference,
                "params_hash": params_hash or rec.params_hash or "",
            }
        )
        _show(steward.confirm(request_id, conf, f"agent:{actor}"), as_json)

    @app.command()
    @friendly_errors
    def approve(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        operator: Annotated[str | None, typer.Option(help="Your name; must differ from the requester.")] = None,
        note: Annotated[str, typer.Option(help="Why you approve.")] = "",
        db: DbOption = None,
        home: HomeOption = None,
        server: ServerOption = None,
        token: TokenOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Approve a request that awaits approval (never your own)."""
        _decide("approve", request_id, operator, note, db, home, server, token, as_json)

    @app.command()
    @friendly_errors
    def reject(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        reason: Annotated[str, typer.Option(help="Why it must not run.")],
        operator: Annotated[str | None, typer.Option(help="Your name; must differ from the requester.")] = None,
        db: DbOption = None,
        home: HomeOption = None,
        server: ServerOption = None,
        token: TokenOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Deny a request that awaits approval; it never runs."""
        _decide("reject", request_id, operator, reason, db, home, server, token, as_json)

    @app.command()
    @friendly_errors
    def cancel(
        request_id: Annotated[str, typer.Argument(help="Request id.")],
        actor: Annotated[str, typer.Option(help="Who cancels.")] = "cli",
        reason: Annotated[str, typer.Option(help="Why.")] = "",
        db: DbOption = None,
        home: HomeOption = None,
        server: ServerOption = None,
        token: TokenOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Cancel a request before it executes."""
        client = client_for(server, token)
        if client is not None:
            _show(remote_call(lambda: client.cancel(request_id, reason)), as_json)
            return
        _show(open_steward(db, home=home).cancel(request_id, actor, reason), as_json)

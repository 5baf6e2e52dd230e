"""The handoff packet: what a person needs to decide without opening five tools."""

from __future__ import annotations

from typing import Any

from executor.clock import iso
from executor.store.records import RequestRecord

__all__ = ["handoff_packet"]


def handoff_packet(
    rec: RequestRecord, *, description: str = "", preconditions: dict[str, Any] | None = None,
    owner: str | None = None, reviewers: list[str] | None = None,
) -> dict[str, Any]:
    """Summarise a request for an approver or a human team.

    ``rec.params`` must already be the recorded (redacted) parameters;
    ``owner`` and ``reviewers`` are the action's (or its target's) from the catalog.
    """
    decision = rec.decision or {}
    ctx = rec.context or {}
    if rec.state.value == "rejected" and rec.action_class == "forbidden":
        nobody = "Nothing executes: policy forbids this action. Hand the case to the team named in the reasons."
    elif rec.expires_at is not None:
        nobody = f"The request expires at {iso(rec.expires_at)} and nothing executes."
    else:
        nobody = "The request waits; nothing executes until someone decides."
    return {
        "request_id": rec.id,
        "goal": ctx.get("customer_goal"),
        "customer_id": ctx.get("customer_id"),
        "conversation_id": ctx.get("conversation_id"),
        "requester": rec.requester,
        "action": {"name": rec.action, "target": rec.target, "description": description},
        "owner": owner,
        "reviewers": list(reviewers or []),
        "params": rec.params,
        "class": rec.action_class,
        "why": _why(decision),
        "limits": decision.get("limits", []),
        "explanation": decision.get("explanation"),
        "preconditions": preconditions or {},
        "if_nobody_decides": nobody,
        "expires_at": iso(rec.expires_at),
    }


def _why(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules and limits behind the class; the action's default when none raised it."""
    why = [
        {"rule": r.get("id"), "class": r.get("class"), "reason": r.get("reason")}
        for r in decision.get("rules", [])
        if r.get("decisive", True)
    ]
    why += [
        {"rule": lim.get("id"), "class": lim.get("class"), "reason": lim.get("reason")}
        for lim in decision.get("limits", [])
        if lim.get("decisive")
    ]
    if not why and decision:
        why.append(
            {
                "rule": "catalog-default",
                "class": decision.get("default_class"),
                "reason": f"{decision.get('action')} is {decision.get('default_class')} by default in the catalog",
            }
        )
    return why

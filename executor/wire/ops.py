"""Operator and reference views: pending approvals, kill switches, the catalog, the caller's identity."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from executor.wire._base import WireModel
from executor.wire.actions import ActionClassName, ActionRequest, HandoffPacket

__all__ = [
    "Approval",
    "ApprovalList",
    "Catalog",
    "CatalogAction",
    "HeldKillSwitch",
    "Identity",
    "KillSwitch",
    "KillSwitchList",
    "KillSwitchRelease",
    "OpsNow",
    "OpsOverview",
]

_TIME = "2026-12-02T14:03:27.512Z"


class Approval(WireModel):
    """A request awaiting approval with the packet an approver reads."""

    request: ActionRequest = Field(description="The request.")
    handoff: HandoffPacket = Field(description="Everything needed to decide.")
    caller_is_requester: bool = Field(False, description="True when the calling key names the same identity as the "
                                      "requester (compared as `executor.identity` folds names): the API refuses "
                                      "this caller's approval or rejection, as the approver is never the requester.",
                                      examples=[False])


class ApprovalList(WireModel):
    """Pending approvals, newest first (or oldest first with ``order=oldest``)."""

    approvals: list[Approval] = Field(description="Requests in awaiting_approval.", examples=[[]])


class KillSwitch(WireModel):
    """An engaged halt."""

    scope: str = Field(description="global, target:NAME, action:NAME or class:CLASS.", examples=["class:autonomous"])
    operator: str = Field(description="Who engaged it (the operator key's name).", examples=["olga"])
    reason: str = Field(description="Why everything in scope must stop.", examples=["incident 42"])
    engaged_at: str = Field(description="When it was engaged (UTC, ISO-8601).", examples=[_TIME],
                            json_schema_extra={"format": "date-time"})


class HeldKillSwitch(KillSwitch):
    """An engaged halt with what it is holding back right now."""

    queued: int = Field(description="Queued requests in scope: they wait until it is released.", examples=[3])
    executing: int = Field(description="Requests in scope still executing (each stops before its commit step).",
                           examples=[0])


class KillSwitchList(WireModel):
    """Every engaged kill switch."""

    kill_switches: list[HeldKillSwitch] = Field(description="Engaged halts, with who, why and what they hold back.",
                                                examples=[[]])


class KillSwitchRelease(WireModel):
    """A released kill switch."""

    scope: str = Field(description="The scope released.", examples=["class:autonomous"])
    released: bool = Field(description="Always true: a scope that was not engaged is a 404.", examples=[True])
    operator: str = Field(description="Who released it.", examples=["olga"])


class Identity(WireModel):
    """Who the API takes the calling key for."""

    name: str = Field(description="The key's name: the identity in the audit log.", examples=["olga"])
    role: Literal["agent", "operator", "auditor"] = Field(description="The key's role.", examples=["operator"])


class CatalogAction(WireModel):
    """An action an agent may ask for."""

    name: str = Field(description="The action's name: the `action` of a submission.", examples=["issue_credit"])
    description: str = Field(description="What it does, for people and models.",
                             examples=["Give an account a credit"])
    target: str = Field(description="The back-office target it runs on.", examples=["billing_console"])
    category: str = Field(description="Its category, for reports.", examples=["billing"])
    default_class: ActionClassName = Field(description="Its class before policy.", examples=["human_approved"])
    read_only: bool = Field(description="True when it changes nothing (no commit step).", examples=[False])
    params_schema: dict[str, Any] = Field(
        description="JSON Schema of its parameters (a submission's params must match it).",
        examples=[{"type": "object", "additionalProperties": False, "required": ["account_id"],
                   "properties": {"account_id": {"type": "string", "pattern": "^ACC-[0-9]{6}$"}}}],
    )
    confirmation_ttl_s: int = Field(description="How long a customer_confirmed request waits for a confirmation.",
                                      examples=[900])
    approval_ttl_s: int = Field(description="How long a human_approved request waits for a decision.",
                                  examples=[86400])


class Catalog(WireModel):
    """The catalog an agent may use."""

    version: str = Field(description="sha256 of the catalog files.",
                         examples=["5d41402abc4b2a76b9719d911017c592ae1f2b3c4d5e6f708192a3b4c5d6e7f8"])
    actions: list[CatalogAction] = Field(description="Every action, by name.", examples=[[]])


class OpsNow(WireModel):
    """The queue and the people in the loop, read now."""

    queued: int = Field(description="Requests waiting for a worker.", examples=[4])
    oldest_queued_age_s: float | None = Field(description="Age of the oldest queued request, in seconds.",
                                              examples=[12.5])
    awaiting_approval: int = Field(description="Requests waiting for an operator.", examples=[2])
    awaiting_confirmation: int = Field(description="Requests waiting for a customer's confirmation.", examples=[1])
    kill_switches: list[str] = Field(description="Engaged scopes.", examples=[["action:issue_credit"]])


class OpsOverview(WireModel):
    """The operations view: figures read now, and the daily report of the last 24 hours."""

    now: OpsNow = Field(description="The queue and the people in the loop, read now.")
    report: dict[str, Any] = Field(description="The daily report (`steward report --period daily`, JSON form: "
                                   "`current` and `previous` periods of identical shape; see docs/reports.md).",
                                   examples=[{"period": "daily", "generated_at": _TIME,
                                              "current": {"requests": 42, "success_rate": 0.95},
                                              "previous": {"requests": 38, "success_rate": 0.92}}])

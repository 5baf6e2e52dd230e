"""The review report as data (pydantic): what ``--format json`` writes and both renderers read.

A report holds two ``Period`` objects of the same shape, the window asked for
and the one just before it, so every figure can be shown beside the previous
period's. Counts are over requests *created* in the window (their state as
of the report); audit-event figures (kill switch, changes, shadow diffs) are
over events *written* in the window.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ESCALATION_KINDS",
    "Budget",
    "Change",
    "Escalation",
    "Group",
    "KillSwitchEvent",
    "Latency",
    "LocatorCount",
    "Period",
    "Report",
    "RollbackBatch",
    "ShadowDiff",
    "ShadowSummary",
    "StepCount",
    "Window",
]

ESCALATION_KINDS: tuple[str, ...] = ("forbidden", "unverified", "aborted", "failed", "expired")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Model):
    """A half-open time window [since, until), UTC."""

    since: str = Field(description="Start (inclusive), ISO-8601 UTC.")
    until: str = Field(description="End (exclusive), ISO-8601 UTC.")


class Group(_Model):
    """Volume and outcomes of one action, category, class or owner."""

    requests: int = Field(description="Requests created in the window.")
    succeeded: int = Field(description="Of them, succeeded.")
    escalated: int = Field(description="Of them, escalated (forbidden, unverified, aborted, failed, expired).")
    states: dict[str, int] = Field(description="Requests by current state.")


class Escalation(_Model):
    """Escalations of one kind, category and reason."""

    kind: str = Field(description="forbidden, unverified, aborted, failed or expired.")
    category: str = Field(description="The action's category.")
    reason: str = Field(description="The deciding rule, the error code, or what did not arrive in time.")
    count: int


class StepCount(_Model):
    """A step that failed (outcome.step), with how often."""

    action: str
    step: str = Field(description="The step as the audit log describes it (phase, index, kind and locator).")
    count: int


class LocatorCount(_Model):
    """A locator (or goto path) that failed, across actions: UI drift shows up here."""

    locator: str
    count: int
    actions: list[str]


class Latency(_Model):
    """Approval latency (submission to the operator's decision) of one action or of all."""

    decided: int = Field(description="Approvals and rejections decided in the window's requests.")
    p50_s: float | None = Field(description="Median, seconds (nearest rank).")
    p90_s: float | None = Field(description="90th percentile, seconds (nearest rank).")
    ttl_s: int | None = Field(description="The approval TTL (the smallest among the actions, for all).")
    expired: int = Field(description="Approvals that never came: requests expired awaiting approval.")


class Budget(_Model):
    """One policy limit as the window's decisions saw it."""

    scope: str
    per: str
    max: float
    checked: int = Field(description="Requests the limit applied to.")
    exceeded: int = Field(description="Requests that found it exceeded (made stricter).")
    peak: float = Field(description="Highest window usage a request saw, its own amount included.")
    peak_share: float = Field(description="peak / max.")
    added: float = Field(description="Amounts added by requests still counting against the budget.")


class KillSwitchEvent(_Model):
    """An engagement or release."""

    ts: str
    type: str
    scope: str
    operator: str
    reason: str


class RollbackBatch(_Model):
    """A rollback batch (``steward rollback``): who, why, the window it undid, the plan, the batch decision."""

    ts: str
    batch_id: str
    by: str
    reason: str
    since: str
    until: str
    plan_hash: str
    counts: dict[str, int] = Field(description="Originals by status: submitted, no_inverse, already_compensated...")
    approved_by: str | None = Field(None, description="Who approved the batch in one decision (None: not yet).")
    approved: int = Field(0, description="Compensating requests that decision approved.")


class Change(_Model):
    """A catalog or policy event: a version loaded, a rollout started, promoted, rolled back or refused."""

    ts: str
    type: str
    version: str | None
    owner: str | None
    by: str | None
    reason: str | None
    summary: str | None


class ShadowDiff(_Model):
    """One request where a shadow policy would have decided otherwise."""

    ts: str
    request_id: str | None
    action: str | None
    active: str | None = Field(description="The active policy's class.")
    candidate: str | None = Field(description="The candidate policy's class.")
    candidate_sha256: str | None


class ShadowSummary(_Model):
    """What a shadow policy would have changed (from ``policy.shadow_diff`` events)."""

    ran: bool = Field(description="A shadow policy ran in the window (diff or rollout events seen).")
    diffs: int
    by_action: dict[str, int]
    by_change: dict[str, int] = Field(description="'active -> candidate' class pairs.")
    examples: list[ShadowDiff] = Field(description="The first diffs, at most 20.")


class Period(_Model):
    """Every figure of one window."""

    window: Window
    requests: int
    states: dict[str, int]
    by_action: dict[str, Group]
    by_category: dict[str, Group]
    by_class: dict[str, Group]
    by_owner: dict[str, Group]
    executed: int = Field(description="Requests that ran: succeeded, failed, aborted or unverified.")
    succeeded: int
    success_rate: float | None = Field(description="succeeded / executed.")
    committed: int = Field(description="Executed requests whose commit step started.")
    verified: int = Field(description="Committed requests that verification confirmed (succeeded).")
    verified_rate: float | None = Field(description="verified / committed.")
    escalations: dict[str, int] = Field(description="By kind.")
    escalations_by_category: dict[str, dict[str, int]]
    escalation_reasons: list[Escalation]
    failing_steps: list[StepCount] = Field(description="Top 10.")
    failing_locators: list[LocatorCount] = Field(description="Top 10.")
    approvals: int
    rejections: int
    confirmations: int
    intervention_rate: float | None = Field(description="(approvals + rejections + confirmations) / requests.")
    approval_latency: Latency
    approval_latency_by_action: dict[str, Latency]
    budgets: dict[str, Budget]
    kill_switch_events: list[KillSwitchEvent]
    halted: int = Field(description="Requests rejected at intake by a kill switch.")
    aborted_by_kill_switch: int = Field(description="Requests stopped before their commit by a kill switch.")
    changes: list[Change]
    shadow: ShadowSummary
    rollbacks: list[RollbackBatch] = Field(default_factory=list, description="Rollback batches made in the window.")


class Report(_Model):
    """A review report: the window and the one before it."""

    generated_at: str
    period: Literal["daily", "weekly", "custom"]
    catalog_version: str
    policy_version: str
    policy_owner: str | None
    owners: dict[str, str | None] = Field(description="Action -> owner, as the catalog names them.")
    current: Period
    previous: Period

"""Rollback: what an operator sends to undo a window of work, the plan Steward answers with, the batch decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from executor.wire._base import WireModel

__all__ = [
    "ItemStatus",
    "RollbackApproval",
    "RollbackBatchDecision",
    "RollbackItem",
    "RollbackPlan",
    "RollbackRequest",
]

ItemStatus = Literal["compensate", "submitted", "no_inverse", "cannot_fill", "rejected", "already_compensated"]
_TIME = "2026-12-02T14:03:27.512Z"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=4096)


class RollbackRequest(_Body):
    """Undo the requests that succeeded in a window (their commit started in ``[since, until)``)."""

    since: datetime = Field(description="Window start, ISO-8601 (UTC when no offset).", examples=[_TIME])
    until: datetime = Field(description="Window end, exclusive.", examples=["2026-12-02T15:00:00Z"])
    action: str | None = Field(None, max_length=64, description="Only requests for this action.")
    target: str | None = Field(None, max_length=64, description="Only requests on this target.")
    requester: str | None = Field(None, max_length=200, description="Only requests from this requester.")
    reason: str = Field(min_length=1, max_length=2000, description="Why: goes into the audit log and every request.")
    dry_run: bool = Field(False, description="Only plan: nothing is submitted, recorded or changed.")


class RollbackApproval(_Body):
    """One decision that approves every compensating request of a batch."""

    note: str = Field("", max_length=2000, description="Shown in the audit log with the decision.")


class RollbackItem(WireModel):
    """One original request in the window and what the rollback does with it."""

    original_id: str = Field(description="The request that succeeded in the window.")
    action: str = Field(description="Its action.")
    target: str | None = Field(description="Its target.")
    requester: str = Field(description="Who asked for it.")
    committed_at: str | None = Field(description="When its commit started.", examples=[_TIME])
    status: ItemStatus = Field(
        description="compensate (dry run: would be submitted), submitted, no_inverse and cannot_fill (listed for a "
        "person, nothing runs), rejected (intake refused the compensation), already_compensated (never twice)."
    )
    inverse: str | None = Field(None, description="The compensating action.")
    inverse_params: dict[str, Any] | None = Field(None, description="Its parameters (secrets redacted).")
    compensation_id: str | None = Field(None, description="The compensating request, once submitted.")
    compensation_state: str | None = Field(None, description="Its state.")
    note: str | None = Field(None, description="Why no compensation runs, or what intake said.")
    evidence: list[dict[str, Any]] = Field(default_factory=list, description="The original's evidence refs.")


class RollbackPlan(WireModel):
    """The plan (dry run) or the batch that was submitted."""

    batch_id: str | None = Field(description="The batch (None on a dry run).")
    dry_run: bool = Field(description="True when nothing was submitted.")
    requester: str = Field(description="The operator who asked for the rollback.")
    reason: str = Field(description="Why.")
    since: str = Field(description="Window start.", examples=[_TIME])
    until: str = Field(description="Window end (exclusive).", examples=[_TIME])
    filters: dict[str, str] = Field(description="action, target, requester when given.")
    plan_hash: str = Field(description="sha256 of the plan: originals, inverses and their parameter hashes.")
    items: list[RollbackItem] = Field(description="Every succeeded request in the window.")
    counts: dict[str, int] = Field(description="Items by status.")
    approved_by: str | None = Field(None, description="Who approved the batch in one decision (None: not yet).")
    approved_at: str | None = Field(None, description="When.", examples=[_TIME])


class RollbackBatchDecision(WireModel):
    """The outcome of a batch approval."""

    batch_id: str = Field(description="The batch.")
    operator: str = Field(description="Who approved (never the rollback's requester).")
    approved: list[str] = Field(description="Compensating requests now queued.")
    skipped: dict[str, str] = Field(description="Requests not awaiting approval, with their state.")

"""Rollback for operators: plan or submit the undoing of a window, approve a batch in one decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request

from executor.api.auth import Caller, require, state_of
from executor.api.openapi import errors
from executor.wire import exact
from executor.wire.rollback import RollbackApproval, RollbackBatchDecision, RollbackPlan, RollbackRequest

__all__ = ["router"]

router = APIRouter(prefix="/v1/rollback", tags=["rollback"])

BatchId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^rb_[0-9a-f]{1,37}$",
                              description="A rollback batch id (rb_...).")]


@router.post("", summary="Roll back a window (or plan it with dry_run)", operation_id="rollbackWindow",
             response_model=RollbackPlan, responses=errors(described={
                 400: "The window is empty (until is not after since), more than 5,000 requests fall in it, or a "
                 "value is blank: `bad_request`.",
             }))
def rollback_window(request: Request, body: RollbackRequest,
                    caller: Annotated[Caller, Depends(require("operator"))]) -> RollbackPlan:
    """Every request that succeeded in ``[since, until)`` with what undoes it.

    Unless ``dry_run``, the batch is recorded (who, why, window, plan hash) and each compensating request is
    submitted as the caller, under policy (the default policy sends them to ``human_approved``); requests
    without an inverse are listed for a person and nothing runs for them; an original is compensated once.
    """
    from executor.rollback import Window, rollback

    window = Window(body.since.timestamp(), body.until.timestamp(), body.action, body.target, body.requester)
    plan = rollback(state_of(request).steward, window, caller.name, body.reason, dry_run=body.dry_run)
    return exact(RollbackPlan, plan.model_dump())


@router.get("/{batch_id}", summary="A rollback batch and the state of each compensation",
            operation_id="getRollbackBatch", response_model=RollbackPlan, responses=errors(404))
def get_rollback_batch(request: Request, batch_id: BatchId,
                       caller: Annotated[Caller, Depends(require("operator", "auditor"))]) -> RollbackPlan:
    """Who asked, why, the window, the plan hash, who approved, and every original with its compensation now."""
    from executor.rollback import batch_view

    return exact(RollbackPlan, batch_view(state_of(request).steward, batch_id).model_dump())


@router.post("/{batch_id}/approve", summary="Approve a rollback batch in one decision",
             operation_id="approveRollbackBatch", response_model=RollbackBatchDecision, responses=errors(404))
def approve_rollback_batch(request: Request, batch_id: BatchId,
                           caller: Annotated[Caller, Depends(require("operator"))],
                           body: Annotated[RollbackApproval | None, Body()] = None) -> RollbackBatchDecision:
    """Approves every compensating request of the batch still awaiting approval; one audit event names them all.

    The caller may be neither the rollback's requester nor the requester of any original (403 `self_approval`).
    """
    from executor.rollback import approve_batch

    decision = approve_batch(state_of(request).steward, batch_id, caller.name, (body or RollbackApproval()).note)
    return exact(RollbackBatchDecision, decision.model_dump())

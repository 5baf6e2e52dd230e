"""Operator and agent reference routes: pending approvals, kill switch, the operations view, catalog, identity."""

from __future__ import annotations

import time
import weakref
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from executor.api._queries import count_held, list_requests
from executor.api.auth import Caller, require, state_of
from executor.api.errors import RETRY_AFTER_503_S, ApiError
from executor.api.openapi import errors
from executor.api.schemas import KillBody
from executor.errors import NotFound
from executor.identity import same_identity
from executor.states import RequestState
from executor.wire import (
    ApprovalList,
    Catalog,
    Identity,
    KillSwitch,
    KillSwitchList,
    KillSwitchRelease,
    OpsOverview,
    exact,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1")

REPORT_TTL_S = 30.0
"""The overview's daily report is rebuilt at most this often per Steward (it reads two days of requests and events;
``generated_at`` says when it was built). The figures under ``now`` are always read afresh."""
_REPORTS: weakref.WeakKeyDictionary[Any, tuple[float, dict[str, Any]]] = weakref.WeakKeyDictionary()


@router.get("/approvals", tags=["approvals"], summary="Pending approvals with their handoff packet",
            operation_id="listApprovals", response_model=ApprovalList, response_model_exclude_unset=True,
            responses=errors())
def approvals(request: Request, caller: Annotated[Caller, Depends(require("operator"))],
              limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
              order: Annotated[Literal["newest", "oldest"], Query(
                  description="newest first (default) or oldest first (the inbox: the closest to expiry on top)."
              )] = "newest",
              ) -> ApprovalList:
    """Requests awaiting approval, each with the packet an approver reads."""
    steward = state_of(request).steward
    recs = list_requests(steward.engine, states=[RequestState.AWAITING_APPROVAL], limit=limit,
                         oldest_first=order == "oldest")
    return exact(ApprovalList, {"approvals": [
        {"request": r.public(), "handoff": steward.handoff(r),
         "caller_is_requester": same_identity(r.requester, caller.name)} for r in recs]})


@router.get("/me", tags=["identity"], summary="The calling key's name and role", operation_id="whoAmI",
            response_model=Identity, responses=errors())
def me(caller: Annotated[Caller, Depends(require("agent", "operator", "auditor"))]) -> Identity:
    """Who the API takes this key for (the web console uses it to pick its view)."""
    return exact(Identity, {"name": caller.name, "role": caller.role})


@router.post("/kill-switch", tags=["kill-switch"], status_code=201, summary="Engage a kill switch",
             operation_id="engageKillSwitch", response_model=KillSwitch, response_model_exclude_unset=True,
             responses=errors(described={
                 422: "The body does not match the schema (`invalid_request`), or the scope is malformed or names "
                 "no known target, action or class (`unknown_scope`)."}))
def engage(request: Request, body: KillBody, caller: Annotated[Caller, Depends(require("operator"))]) -> KillSwitch:
    """Immediate and durable; in scope, new requests are rejected and queued ones wait."""
    switch = state_of(request).steward.kill(body.scope, caller.name, body.reason)
    return exact(KillSwitch, switch.public())


@router.delete("/kill-switch/{scope}", tags=["kill-switch"], summary="Release a kill switch",
               operation_id="releaseKillSwitch", response_model=KillSwitchRelease, response_model_exclude_unset=True,
               responses=errors(404, described={404: "That scope is not engaged (`not_found`)."}))
def release(request: Request, caller: Annotated[Caller, Depends(require("operator"))],
            scope: Annotated[str, Path(min_length=1, max_length=200, description="The engaged scope.",
                                       examples=["class:autonomous"])],
            reason: Annotated[str, Query(min_length=1, max_length=2000, description="Why it may run again.")],
            ) -> KillSwitchRelease:
    """An explicit operator act; 404 when that scope is not engaged."""
    if not state_of(request).steward.release(scope, caller.name, reason):
        raise NotFound(f"kill switch {scope!r} is not engaged")
    return exact(KillSwitchRelease, {"scope": scope, "released": True, "operator": caller.name})


@router.get("/kill-switch", tags=["kill-switch"], summary="Engaged kill switches", operation_id="listKillSwitches",
            response_model=KillSwitchList, response_model_exclude_unset=True, responses=errors())
def switches(request: Request, caller: Annotated[Caller, Depends(require("operator"))]) -> KillSwitchList:
    """Every engaged halt with who and why, and the queued and executing requests in its scope."""
    steward = state_of(request).steward
    engaged = steward.store.kill_switches()
    return exact(KillSwitchList, {"kill_switches": [
        {**s.public(), **count_held(steward.engine, s.scope, steward.catalog)} for s in engaged]})


@router.get("/ops/overview", tags=["operations"], summary="Key figures now and the daily report",
            operation_id="getOpsOverview", response_model=OpsOverview, response_model_exclude_unset=True,
            responses=errors(described={503: "The requests or the audit log cannot be read (`unavailable`)."}))
def overview(request: Request, caller: Annotated[Caller, Depends(require("operator", "auditor"))]) -> OpsOverview:
    """The queue and the people in the loop now, and the daily report of the 24 hours ending now (at most 30 s old)."""
    from executor.reports import ReportReadError, build_report

    steward = state_of(request).steward
    snap = steward.store.snapshot()
    now = time.time()
    cached = _REPORTS.get(steward)
    if cached is not None and now - cached[0] < REPORT_TTL_S:
        report = cached[1]
    else:
        try:
            report = build_report(steward.engine, steward.catalog, steward.policy, period="daily").model_dump(
                mode="json")
        except ReportReadError as exc:
            raise ApiError(503, "unavailable", str(exc), headers={"Retry-After": str(RETRY_AFTER_503_S)}) from exc
        _REPORTS[steward] = (now, report)
    return exact(OpsOverview, {
        "now": {"queued": snap.queued, "awaiting_approval": snap.awaiting_approval,
                "awaiting_confirmation": snap.awaiting_confirmation, "kill_switches": list(snap.kill_switches),
                "oldest_queued_age_s": round(now - snap.oldest_queued_at, 3) if snap.oldest_queued_at else None},
        "report": report})


@router.get("/catalog", tags=["catalog"], summary="Actions with their parameter schemas", operation_id="getCatalog",
            response_model=Catalog, response_model_exclude_unset=True, responses=errors())
def catalog(request: Request, caller: Annotated[Caller, Depends(require("agent"))]) -> Catalog:
    """What an agent may ask for: every action, its default class and its JSON-Schema parameters."""
    cat = state_of(request).steward.catalog
    actions = [{"name": a.name, "description": a.description, "target": a.target, "category": a.category,
                "default_class": a.action_class.value, "read_only": a.read_only,
                "params_schema": a.params_json_schema(),
                "confirmation_ttl_s": a.confirmation_ttl_s, "approval_ttl_s": a.approval_ttl_s}
               for _, a in sorted(cat.actions.items())]
    return exact(Catalog, {"version": cat.version, "actions": actions})

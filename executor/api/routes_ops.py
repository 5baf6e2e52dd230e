"""Operator and agent reference routes: pending approvals, kill switch, catalog."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from executor.api._queries import list_requests
from executor.api.auth import Caller, require, state_of
from executor.api.schemas import KillBody
from executor.errors import NotFound
from executor.states import RequestState

__all__ = ["router"]

router = APIRouter(prefix="/v1")


@router.get("/approvals", tags=["operators"], summary="Pending approvals with their handoff packet")
def approvals(request: Request, caller: Annotated[Caller, Depends(require("operator"))],
              limit: Annotated[int, Query(ge=1, le=500, description="At most this many, newest first.")] = 100,
              ) -> dict[str, Any]:
    """Requests awaiting approval, each with the packet an approver reads."""
    steward = state_of(request).steward
    recs = list_requests(steward.engine, states=[RequestState.AWAITING_APPROVAL], limit=limit)
    return {"approvals": [{"request": r.public(), "handoff": steward.handoff(r)} for r in recs]}


@router.get("/me", tags=["agents", "operators", "auditors"], summary="The calling key's name and role")
def me(caller: Annotated[Caller, Depends(require("agent", "operator", "auditor"))]) -> dict[str, str]:
    """Who the API takes this key for (the web console uses it to pick its view)."""
    return {"name": caller.name, "role": caller.role}


@router.post("/kill-switch", tags=["operators"], status_code=201, summary="Engage a kill switch")
def engage(request: Request, body: KillBody, caller: Annotated[Caller, Depends(require("operator"))]) -> Any:
    """Immediate and durable; in scope, new requests are rejected and queued ones wait."""
    switch = state_of(request).steward.kill(body.scope, caller.name, body.reason)
    return switch.public()


@router.delete("/kill-switch/{scope}", tags=["operators"], summary="Release a kill switch")
def release(request: Request, caller: Annotated[Caller, Depends(require("operator"))],
            scope: Annotated[str, Path(min_length=1, max_length=200, description="The engaged scope.")],
            reason: Annotated[str, Query(min_length=1, max_length=2000, description="Why it may run again.")],
            ) -> dict[str, Any]:
    """An explicit operator act; 404 when that scope is not engaged."""
    if not state_of(request).steward.release(scope, caller.name, reason):
        raise NotFound(f"kill switch {scope!r} is not engaged")
    return {"scope": scope, "released": True, "operator": caller.name}


@router.get("/kill-switch", tags=["operators"], summary="Engaged kill switches")
def switches(request: Request, caller: Annotated[Caller, Depends(require("operator"))]) -> dict[str, Any]:
    """Every engaged halt with who and why."""
    return {"kill_switches": [s.public() for s in state_of(request).steward.store.kill_switches()]}


@router.get("/catalog", tags=["agents"], summary="Actions with their parameter schemas")
def catalog(request: Request, caller: Annotated[Caller, Depends(require("agent"))]) -> dict[str, Any]:
    """What an agent may ask for: every action, its default class and its JSON-Schema parameters."""
    cat = state_of(request).steward.catalog
    actions = [{"name": a.name, "description": a.description, "target": a.target, "category": a.category,
                "default_class": a.action_class.value, "read_only": a.read_only,
                "params_schema": a.params_json_schema(),
                "confirmation_ttl_s": a.confirmation_ttl_s, "approval_ttl_s": a.approval_ttl_s}
               for _, a in sorted(cat.actions.items())]
    return {"version": cat.version, "actions": actions}

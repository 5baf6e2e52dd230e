"""Routes for action requests: submit, read (with long-poll), confirm, decide, cancel."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from audit import parse_ts
from executor.api._queries import RequestFilter, search_requests
from executor.api.auth import Caller, require, state_of
from executor.api.errors import ApiError, error_response
from executor.api.openapi import errors
from executor.api.schemas import ApproveBody, CancelBody, RejectBody
from executor.errors import NotFound
from executor.models import Confirmation, SubmitRequest
from executor.states import RequestState
from executor.tracing import SpanKind, span
from executor.wire import ActionList, ActionRequest, ActionRequestView, SubmitResult, exact

__all__ = ["router"]

router = APIRouter(prefix="/v1/actions", tags=["actions"])

RequestId = Annotated[str, Path(min_length=1, max_length=64, description="The request id (req_...).",
                                examples=["req_019c1f2a3b4c5d6e7f8a9b0c"])]
TraceParent = Annotated[str | None, Header(max_length=256, description=(
    "W3C Trace Context: the request's trace continues this one (intake, policy, every browser step, commit and "
    "verification); its trace id is stored on the request and in its audit events. Invalid values are ignored."),
    examples=["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])]
# Intake rejections stored as `rejected` records, and the status each is answered with.
_REJECTED_STATUS = {"unknown_action": 422, "invalid_params": 422, "forbidden": 403, "halted": 409,
                    "policy_error": 503}
_REJECTED_DETAILS = " The request is stored as rejected; `details.request` is its view."


def _view_data(steward: Any, rec: Any, **extra: Any) -> dict[str, Any]:
    data = rec.public()
    seqs = steward.audit.seq_range(rec.id)
    data["audit_range"] = {"first_seq": seqs[0], "last_seq": seqs[1]} if seqs else None
    return {**data, **extra}


def _view(steward: Any, rec: Any) -> ActionRequestView:
    return exact(ActionRequestView, _view_data(steward, rec))


def _visible(request: Request, caller: Caller, request_id: str) -> Any:
    """The record; an agent gets 404 for requests it did not submit (existence is not revealed)."""
    rec = state_of(request).steward.get(request_id)
    if caller.role == "agent" and rec.requester != caller.name:
        raise NotFound(f"no request {request_id!r}")
    return rec


@router.post(
    "", status_code=202, summary="Submit an action request", operation_id="submitAction",
    response_model=SubmitResult, response_model_exclude_unset=True,
    responses={
        200: {"model": SubmitResult,
              "description": "The same idempotency key and parameters: the original request (created is false)."},
        202: {"description": "Created: validated, decided and stored (queued, or waiting for a confirmation or an "
              "approval)."},
        **errors(409, described={
            403: "The key is not an agent's (`forbidden`), or policy forbids the action (`forbidden`)."
            + _REJECTED_DETAILS,
            409: "The idempotency key was used with other parameters (`idempotency_conflict`), or a kill switch "
            "halts the action (`halted`)." + _REJECTED_DETAILS,
            422: "The body does not match the schema (`invalid_request`), the action is unknown "
            "(`unknown_action`) or the parameters do not match its schema (`invalid_params`)." + _REJECTED_DETAILS,
            503: "The policy could not decide (`policy_error`, stored as rejected), or the audit log cannot be "
            "written: nothing was done; wait `Retry-After` seconds.",
        }),
    },
)
def submit(request: Request, response: Response, body: SubmitRequest,
           caller: Annotated[Caller, Depends(require("agent"))], traceparent: TraceParent = None) -> Any:
    """Validate, decide and queue; 202 when created, 200 with the original for a repeated key."""
    with span("POST /v1/actions", traceparent=traceparent, kind=SpanKind.SERVER,
              attributes={"http.request.method": "POST", "http.route": "/v1/actions"}) as current:
        result = _submit(request, response, body, caller)
        status = result.status_code if isinstance(result, Response) else response.status_code
        current.set_attribute("http.response.status_code", status)
        return result


def _submit(request: Request, response: Response, body: SubmitRequest, caller: Caller) -> Any:
    state = state_of(request)
    steward = state.steward
    if steward.policies.limits_for(body.action):
        with state.budget_lock:
            rec, created = steward.submit(body, caller.name)
    else:
        rec, created = steward.submit(body, caller.name)
    data = _view_data(steward, rec, created=created)
    if rec.state == RequestState.AWAITING_APPROVAL:
        data["handoff"] = steward.handoff(rec)
    if rec.state == RequestState.REJECTED and rec.error_code in _REJECTED_STATUS:
        exact(SubmitResult, data)
        return error_response(_REJECTED_STATUS[rec.error_code], rec.error_code, rec.error_message or "rejected",
                              {"request": data})
    response.status_code = 202 if created else 200
    return exact(SubmitResult, data)


ClassName = Literal["autonomous", "customer_confirmed", "human_approved", "forbidden"]
SortKey = Literal["created_at", "-created_at", "updated_at", "-updated_at", "action", "-action", "state", "-state",
                  "requester", "-requester", "expires_at", "-expires_at"]


def _instant(name: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_ts(text).timestamp()
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"{name}={text[:40]!r} is not an ISO-8601 date or date-time",
                       details={"parameter": name}) from exc


@router.get("", summary="List and search requests (agents see only their own)", operation_id="listActions",
            response_model=ActionList, response_model_exclude_unset=True,
            responses=errors(described={422: "A filter is malformed (`invalid_request`): an unknown state, class "
                                        "or sort key, a time that does not parse, or `since` not before `until`."}))
def list_all(request: Request, caller: Annotated[Caller, Depends(require("agent", "operator", "auditor"))],
             state: Annotated[list[RequestState] | None, Query(description="Only these states.")] = None,
             limit: Annotated[int, Query(ge=1, le=500, description="At most this many per page.")] = 50,
             offset: Annotated[int, Query(ge=0, le=10**7, description="Skip this many matches (paging).")] = 0,
             q: Annotated[str | None, Query(min_length=1, max_length=200, description=(
                 "Search: a substring (any case) of the id, action, requester, idempotency key, context (customer, "
                 "conversation, ...) or the parameters as recorded (PII HMAC'd, secrets masked)."))] = None,
             class_: Annotated[list[ClassName] | None, Query(alias="class", description="Only these classes.")
                               ] = None,
             action: Annotated[list[str] | None, Query(max_length=50, description="Only these actions.")] = None,
             target: Annotated[list[str] | None, Query(max_length=50, description="Only these targets.")] = None,
             owner: Annotated[str | None, Query(min_length=1, max_length=200, description=(
                 "Only actions this team owns (the catalog's owner of the action, else of its target)."))] = None,
             requester: Annotated[str | None, Query(min_length=1, max_length=200,
                                                    description="Only this requester's.")] = None,
             since: Annotated[str | None, Query(max_length=40, description="Created at or after (ISO-8601, UTC "
                                                "unless a zone is given).")] = None,
             until: Annotated[str | None, Query(max_length=40, description="Created before (ISO-8601).")] = None,
             sort: Annotated[SortKey, Query(description="Sort key; a leading `-` sorts descending.")
                             ] = "-created_at",
             ) -> ActionList:
    """Newest first by default; filters combine with AND; an agent key lists only the requests it submitted."""
    steward = state_of(request).steward
    start, end = _instant("since", since), _instant("until", until)
    if start is not None and end is not None and start >= end:
        raise ApiError(422, "invalid_request", "since must be before until", details={"since": since, "until": until})
    owned = None
    if owner is not None:
        cat = steward.catalog
        owned = tuple(name for name in sorted(cat.actions) if cat.owner_of(name) == owner)
    if caller.role == "agent":
        if requester is not None and requester != caller.name:
            return ActionList(requests=[], total=0, offset=offset, next_offset=None)
        requester = caller.name
    filters = RequestFilter(q=q, states=tuple(state or ()), classes=tuple(class_ or ()), actions=tuple(action or ()),
                            targets=tuple(target or ()), owner_actions=owned, requester=requester,
                            since=start, until=end)
    recs, total = search_requests(steward.engine, filters, sort=sort, limit=limit, offset=offset)
    more = offset + len(recs) < total
    return ActionList(requests=[exact(ActionRequest, r.public()) for r in recs], total=total, offset=offset,
                      next_offset=offset + len(recs) if more else None)


@router.get("/{request_id}", summary="Read a request; optionally wait for its outcome", operation_id="getAction",
            response_model=ActionRequestView, response_model_exclude_unset=True, responses=errors(404))
async def get_request(request: Request, request_id: RequestId,
                      caller: Annotated[Caller, Depends(require("agent", "operator", "auditor"))],
                      wait: Annotated[float, Query(ge=0, le=3600, description="Long-poll: wait up to this many "
                                                   "seconds (capped by the server) for a terminal state.")] = 0,
                      ) -> ActionRequestView:
    """State, class, decision, outcome, extracted values, evidence refs and the audit range."""
    state = state_of(request)
    rec = await run_in_threadpool(_visible, request, caller, request_id)
    deadline = time.monotonic() + min(wait, state.config.max_wait_s)
    while not rec.terminal and time.monotonic() < deadline:
        if await request.is_disconnected():
            break
        await asyncio.sleep(min(state.config.poll_interval_s, max(0.0, deadline - time.monotonic())))
        rec = await run_in_threadpool(state.steward.get, request_id)
    view: ActionRequestView = await run_in_threadpool(_view, state.steward, rec)
    return view


@router.post("/{request_id}/confirmation", summary="Attach the customer's confirmation",
             operation_id="confirmAction", response_model=ActionRequestView, response_model_exclude_unset=True,
             responses=errors(404, 409, described={
                 422: "The body does not match the schema (`invalid_request`), or the confirmation is for other "
                 "parameters (`confirmation_mismatch`: its params_hash differs)."}))
def confirm(request: Request, request_id: RequestId, body: Confirmation,
            caller: Annotated[Caller, Depends(require("agent"))]) -> ActionRequestView:
    """Accepted only while awaiting confirmation and only for the request's params_hash."""
    _visible(request, caller, request_id)
    steward = state_of(request).steward
    return _view(steward, steward.confirm(request_id, body, caller.actor))


@router.post("/{request_id}/approve", summary="Approve (operator; never the requester)",
             operation_id="approveAction", response_model=ActionRequestView,
             response_model_exclude_unset=True, responses=errors(404, 409))
def approve(request: Request, request_id: RequestId, caller: Annotated[Caller, Depends(require("operator"))],
            body: Annotated[ApproveBody | None, Body()] = None) -> ActionRequestView:
    """The request is queued; the key's name is the approver and must differ from the requester."""
    steward = state_of(request).steward
    return _view(steward, steward.approve(request_id, caller.name, (body or ApproveBody()).note))


@router.post("/{request_id}/reject", summary="Deny (operator; never the requester)",
             operation_id="rejectAction", response_model=ActionRequestView,
             response_model_exclude_unset=True, responses=errors(404, 409))
def reject(request: Request, request_id: RequestId, body: RejectBody,
           caller: Annotated[Caller, Depends(require("operator"))]) -> ActionRequestView:
    """The request ends denied and never runs."""
    steward = state_of(request).steward
    return _view(steward, steward.reject(request_id, caller.name, body.reason))


@router.post("/{request_id}/cancel", summary="Cancel before execution", operation_id="cancelAction",
             response_model=ActionRequestView, response_model_exclude_unset=True, responses=errors(404, 409))
def cancel(request: Request, request_id: RequestId,
           caller: Annotated[Caller, Depends(require("agent", "operator"))],
           body: Annotated[CancelBody | None, Body()] = None) -> ActionRequestView:
    """Only while awaiting confirmation or approval, or queued; an agent only its own."""
    _visible(request, caller, request_id)
    steward = state_of(request).steward
    return _view(steward, steward.cancel(request_id, caller.actor, (body or CancelBody()).reason))

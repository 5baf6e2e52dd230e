"""What a submission stores: the request row's values and its first audit events.

The intake gates (:mod:`executor.intake`) decide; this turns their
``Submission`` into the row and the events ``Store.create`` writes in one
transaction: ``request.received``, ``policy.decided`` (with the rollout track
and, in shadow, the candidate's decision), ``policy.shadow_diff`` when the
candidate decides otherwise, ``confirmation.attached``, and the first
transition (``rejected``, ``queued`` or waiting for a person).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from action_classes import ActionClass
from executor.intake import Submission
from executor.redaction import Redaction
from executor.rollout import decision_differs
from executor.states import RequestState
from executor.tracing import current_ids

__all__ = ["Versions", "brief", "submission_record"]

Event = tuple[str, dict[str, Any]]
S = RequestState


@dataclass(frozen=True)
class Versions:
    """What decided, as recorded with the request."""

    catalog: str
    policy: str  # the active policy's sha256 (a rollout may have decided with another)
    candidate: str | None = None  # the candidate policy's sha256 while a rollout runs


def brief(decision: Any) -> dict[str, Any]:
    """A decision's class and matching rules (what a shadow diff compares)."""
    return {"class": decision.action_class.value, "rules": sorted(r.id for r in decision.rules)}


def _rollout(sub: Submission, candidate: str | None) -> dict[str, Any]:
    """What ``policy.decided`` says of a rollout: the track and, in shadow, the candidate's decision."""
    if sub.rollout is None:
        return {}
    out: dict[str, Any] = {"rollout": sub.rollout}
    if sub.rollout == "shadow":
        out["shadow"] = {"candidate_sha256": sub.shadow_version, "error": sub.shadow_error,
                         **(brief(sub.shadow) if sub.shadow is not None else {"class": None, "rules": []})}
    elif candidate is not None:
        out["candidate_sha256"] = sub.shadow_version or candidate
    return out


def _shadow_diff(sub: Submission) -> dict[str, Any]:
    assert sub.decision is not None
    candidate = brief(sub.shadow) if sub.shadow is not None else {"class": None, "rules": []}
    if sub.shadow_error is not None:
        candidate["error"] = sub.shadow_error
    return {"request_id": sub.request_id, "action": sub.body.action[:64], "active": brief(sub.decision),
            "candidate": candidate, "candidate_sha256": sub.shadow_version}


def _decided(sub: Submission, candidate: str | None) -> tuple[dict[str, Any], list[Event]]:
    """The decision's columns and events (none when no policy decided: a rejection before it)."""
    if sub.decision is None:
        return {}, []
    decision = sub.decision.model_dump(mode="json")
    events: list[Event] = [("policy.decided", {
        "class": decision["class"], "default_class": decision["default_class"], "rules": decision["rules"],
        "limits": decision["limits"], "policy_version": decision["policy_version"],
        "explanation": decision["explanation"], **_rollout(sub, candidate),
    })]
    if sub.shadow_error is not None or (sub.shadow is not None and decision_differs(sub.decision, sub.shadow)):
        events.append(("policy.shadow_diff", _shadow_diff(sub)))
    return {"action_class": sub.decision.action_class.value, "decision": decision}, events


def submission_record(sub: Submission, *, redaction: Redaction, versions: Versions, now: float,
                      confirmation: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[Event]]:
    """The request row's values and its first events; ``confirmation`` is the attached one, as recorded."""
    action, body = sub.action, sub.body
    received = {
        "action": body.action[:64],
        "target": action.target if action else None,
        "params": redaction.params(sub.params) if sub.params is not None else None,
        "params_hash": sub.params_hash,
        "requester": sub.requester,
        "idempotency_key": body.idempotency_key,
        "context": body.context.model_dump(exclude_none=True),
        "catalog_version": versions.catalog,
    }
    trace_id, traceparent = current_ids()  # the intake span: the worker's spans become its children
    values: dict[str, Any] = {
        "trace_id": trace_id,
        "traceparent": traceparent,
        "id": sub.request_id,
        "action": body.action[:64],
        "requester": sub.requester,
        "idempotency_key": body.idempotency_key,
        "params": sub.params,
        "params_hash": sub.params_hash,
        "context": body.context.model_dump(mode="json", exclude_none=True),
        "target": action.target if action else None,
        "category": action.category if action else None,
        "catalog_version": versions.catalog,
        "policy_version": sub.policy_version or versions.policy,
        "policy_rollout": sub.rollout,
    }
    columns, decided = _decided(sub, versions.candidate)
    values.update(columns)
    events: list[Event] = [("request.received", received), *decided]
    if sub.rejection:
        code, message, details = sub.rejection
        values.update(state=S.REJECTED.value, error_code=code, error_message=message,
                      outcome={"details": details} if details else None)
        events.append(("request.rejected", {"from": "received", "to": "rejected", "reason": message, "code": code}))
        return values, events
    assert action is not None and sub.decision is not None
    cls = sub.decision.action_class
    if cls == ActionClass.HUMAN_APPROVED:
        state, expires = S.AWAITING_APPROVAL, now + action.approval_ttl_s
    elif cls == ActionClass.CUSTOMER_CONFIRMED and body.confirmation is None:
        state, expires = S.AWAITING_CONFIRMATION, now + action.confirmation_ttl_s
    else:
        state, expires = S.QUEUED, None
    if confirmation is not None:
        values["confirmation"] = confirmation
        events.append(("confirmation.attached", confirmation))
    values.update(state=state.value, expires_at=expires)
    events.append((f"request.{state.value}", {"from": "received", "to": state.value,
                                              "reason": sub.decision.explanation}))
    return values, events

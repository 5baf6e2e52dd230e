"""The stored view of a request, as the rest of the executor reads it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from executor.clock import iso
from executor.states import TERMINAL, RequestState
from executor.store.view import public_view

__all__ = ["KillSwitch", "RequestRecord", "Snapshot"]


class RequestRecord(BaseModel):
    """One row of ``steward_requests``."""

    model_config = ConfigDict(frozen=True)

    id: str
    action: str
    target: str | None
    category: str | None
    requester: str
    idempotency_key: str | None
    params: dict[str, Any] | None
    params_hash: str | None
    context: dict[str, Any]
    state: RequestState
    action_class: str | None
    decision: dict[str, Any] | None
    confirmation: dict[str, Any] | None
    approval: dict[str, Any] | None
    outcome: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    catalog_version: str | None
    policy_version: str | None
    created_at: float
    updated_at: float
    expires_at: float | None
    queued_at: float | None
    lease_owner: str | None
    lease_expires_at: float | None
    attempts: int
    commit_started_at: float | None
    commit_done_at: float | None
    trace_id: str | None = None
    traceparent: str | None = None
    policy_rollout: str | None = None

    @property
    def terminal(self) -> bool:
        """True once the request can never change again."""
        return self.state in TERMINAL

    def public(self) -> dict[str, Any]:
        """The fields shown to agents, operators and the CLI."""
        return public_view({name: getattr(self, name) for name in type(self).model_fields})


class KillSwitch(BaseModel):
    """An engaged halt."""

    model_config = ConfigDict(frozen=True)

    scope: str
    operator: str
    reason: str
    engaged_at: float

    def public(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "operator": self.operator,
            "reason": self.reason,
            "engaged_at": iso(self.engaged_at),
        }


class Snapshot(BaseModel):
    """What the queue and the people in the loop look like right now (metrics read it at scrape time)."""

    model_config = ConfigDict(frozen=True)

    queued: int
    oldest_queued_at: float | None
    awaiting_approval: int
    awaiting_confirmation: int
    kill_switches: tuple[str, ...]

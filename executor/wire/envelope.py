"""The one error body every 4xx and 5xx carries: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from executor.wire._base import WireModel

__all__ = ["ErrorEnvelope", "ErrorInfo", "ValidationIssue"]


class ValidationIssue(WireModel):
    """One schema violation of a 422 ``invalid_request`` (``details`` is a list of these)."""

    loc: list[str] = Field(description="Where the problem is: body, query, path or header, then the field path.",
                           examples=[["body", "params", "amount_cents"]])
    msg: str = Field(description="What is wrong, for people.", examples=["Input should be a valid integer"])
    type: str = Field(description="pydantic's error type.", examples=["int_parsing"])


class ErrorInfo(WireModel):
    """What went wrong; ``code`` is stable and meant for programs, ``message`` for people."""

    code: str = Field(
        description="Stable machine-readable code, e.g. unauthorized, forbidden, not_found, invalid_request, "
        "invalid_params, unknown_action, idempotency_conflict, invalid_state, expired, halted, self_approval, "
        "confirmation_mismatch, payload_too_large, rate_limited, policy_error, audit_unavailable.",
        examples=["invalid_state"],
    )
    message: str = Field(description="One sentence for people; never holds a secret.",
                         examples=["request req_0193a1b2c3d4e5f6a7b8c9d0 is denied, not awaiting_approval"])
    details: Any = Field(
        description="Context for programs, or null: a list of ValidationIssue for 422 invalid_request; "
        "{\"request\": ActionRequestView} when a submission was stored as rejected (unknown_action, "
        "invalid_params, forbidden, halted, policy_error); {\"retry_after_s\": number} for 429.",
        examples=[{"state": "denied"}],
    )


class ErrorEnvelope(WireModel):
    """The body of every error response. Nothing was executed when the status is 4xx."""

    error: ErrorInfo = Field(description="The error.", examples=[{
        "code": "not_found", "message": "no request 'req_nope'", "details": None}])

"""Strict models at the edges: what agents and operators send.

The field descriptions become the OpenAPI documentation and the agent tool
schemas, so they are written for the reader of those.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from executor.inputs import json_problem

__all__ = ["Confirmation", "RequestContext", "SubmitRequest"]

_MAX_META_BYTES = 8192


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=4096)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        """NUL, lone surrogates and non-finite numbers anywhere in the input are a 422, never stored."""
        why = json_problem(data)
        if why:
            raise ValueError(why)
        return data


class RequestContext(_Strict):
    """Where a request comes from; policy conditions read it as ``context``."""

    conversation_id: str | None = Field(None, max_length=200, description="The agent's conversation id.")
    customer_id: str | None = Field(None, max_length=200, description="The customer the action is for.")
    account_tier: str | None = Field(None, max_length=50, description="Customer tier, e.g. starter, pro, enterprise.")
    customer_goal: str | None = Field(
        None, max_length=1000, description="What the customer asked for, in a sentence; shown to approvers."
    )
    agent_confidence: float | None = Field(
        None, ge=0, le=1, description="The agent's confidence that this is the right action (0..1)."
    )
    metadata: dict[str, Any] = Field(default_factory=dict, description="Free key-value data, at most 8 KiB as JSON.")

    @field_validator("metadata")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        import json

        if len(json.dumps(value, default=str)) > _MAX_META_BYTES:
            raise ValueError("metadata is larger than 8 KiB")
        return value

    def for_policy(self) -> dict[str, Any]:
        """Only the fields that are set (CEL: test with ``has(context.x)``)."""
        return self.model_dump(exclude_none=True)


class Confirmation(_Strict):
    """Evidence that the customer agreed to exactly these parameters."""

    channel: Literal["chat", "email", "voice", "sms", "web", "other"] = Field(
        description="Where the customer confirmed."
    )
    quote: str = Field(
        min_length=1, max_length=2000, description="The customer's words, quoted, or a transcript excerpt."
    )
    reference: str | None = Field(None, max_length=500, description="Message or call id that holds the confirmation.")
    confirmed_at: datetime | None = Field(None, description="When the customer confirmed (default: now).")
    params_hash: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="sha256 of the canonical parameters the customer saw; must equal the request's params_hash.",
    )


class SubmitRequest(_Strict):
    """An action request from a resolution agent."""

    action: str = Field(min_length=1, max_length=64, description="Catalog action name, e.g. issue_credit.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Parameters, validated against the action's schema."
    )
    idempotency_key: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The same key and parameters return the same request; other parameters are a 409.",
    )
    context: RequestContext = Field(
        default_factory=RequestContext,
        description="Where the request comes from; policy conditions read it as context.",
    )
    confirmation: Confirmation | None = Field(None, description="Customer confirmation, when already collected.")

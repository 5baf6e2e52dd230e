"""Request bodies of the operator and agent routes (strict, described for OpenAPI)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from executor.inputs import json_problem

__all__ = ["ApproveBody", "CancelBody", "KillBody", "RejectBody"]


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


class ApproveBody(_Strict):
    """An operator's approval."""

    note: str = Field("", max_length=2000, description="Why you approve (kept in the audit log).")


class RejectBody(_Strict):
    """An operator's denial; the request never runs."""

    reason: str = Field(min_length=1, max_length=2000, description="Why it must not run.")


class CancelBody(_Strict):
    """Cancel a request before it executes."""

    reason: str = Field("", max_length=2000, description="Why it is cancelled.")


class KillBody(_Strict):
    """Engage a kill switch."""

    scope: str = Field(min_length=1, max_length=200,
                       description="global, target:NAME, action:NAME or class:CLASS.")
    reason: str = Field(min_length=1, max_length=2000, description="Why everything in scope must stop.")

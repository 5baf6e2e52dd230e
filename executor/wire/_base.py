"""The base of every wire model: tolerant when a client reads, exact when the server writes.

A client built against this version must keep working when a newer server
adds fields (SPEC section 7: fields may be added, never removed or renamed),
so reading ignores unknown keys. The server, on the other hand, must never
drop a field silently: it validates what it sends with ``context=EXACT``,
and a key the model does not declare is then an error (a 500 in tests,
long before a client could miss the field).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

__all__ = ["EXACT", "WireModel", "exact"]

EXACT: dict[str, bool] = {"exact": True}
_M = TypeVar("_M", bound="WireModel")


class WireModel(BaseModel):
    """A JSON object the API sends; field names are the JSON names (``class`` has the alias)."""

    # defer_build: a model's validator is built on its first use, not at import (the light client imports them all).
    model_config = ConfigDict(
        extra="ignore", frozen=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True,
        defer_build=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _no_undeclared(cls, data: Any, info: ValidationInfo) -> Any:
        """With the EXACT context (the server's side), keys the model does not declare are an error."""
        if not (info.context or {}).get("exact") or not isinstance(data, dict):
            return data
        if cls.model_config.get("extra") == "allow":
            return data
        known = set(cls.model_fields)
        known |= {f.alias for f in cls.model_fields.values() if f.alias}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ValueError(f"{cls.__name__} does not declare {unknown}: add them to the wire model")
        return data


def exact(model: type[_M], data: Any) -> _M:
    """``data`` as ``model``, refusing any key the model (or a nested one) does not declare."""
    return model.model_validate(data, context=EXACT)

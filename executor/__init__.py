"""The Steward worker: intake, queue, Playwright runtime, verification, kill switch, CLI.

Most callers need only the service facade and the edge models::

    from executor import Steward, Settings, SubmitRequest

Names load on first use (PEP 562), so ``import executor.cli`` or
``executor.states`` does not pull in the service, SQLAlchemy, the policy
engine or Playwright: every CLI command starts with only what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from executor.config import Settings
    from executor.errors import (
        ConfirmationMismatch,
        ExecutionError,
        FailClosed,
        Forbidden,
        IdempotencyConflict,
        InvalidState,
        NotFound,
        RequestError,
        SelfApproval,
        StewardError,
    )
    from executor.models import Confirmation, RequestContext, SubmitRequest
    from executor.service import Steward
    from executor.states import TERMINAL, RequestState

_SOURCES: dict[str, tuple[str, ...]] = {
    "executor.config": ("Settings",),
    "executor.errors": (
        "ConfirmationMismatch",
        "ExecutionError",
        "FailClosed",
        "Forbidden",
        "IdempotencyConflict",
        "InvalidState",
        "NotFound",
        "RequestError",
        "SelfApproval",
        "StewardError",
    ),
    "executor.models": ("Confirmation", "RequestContext", "SubmitRequest"),
    "executor.service": ("Steward",),
    "executor.states": ("TERMINAL", "RequestState"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = [
    "TERMINAL",
    "Confirmation",
    "ConfirmationMismatch",
    "ExecutionError",
    "FailClosed",
    "Forbidden",
    "IdempotencyConflict",
    "InvalidState",
    "NotFound",
    "RequestContext",
    "RequestError",
    "RequestState",
    "SelfApproval",
    "Settings",
    "Steward",
    "StewardError",
    "SubmitRequest",
]


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'executor' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""The Steward worker: intake, queue, Playwright runtime, verification, kill switch, CLI.

Most callers need only the service facade and the edge models::

    from executor import Steward, Settings, SubmitRequest
"""

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

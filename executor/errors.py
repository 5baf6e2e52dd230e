"""Errors of the executor package.

Hierarchy::

    StewardError                       base; ``code`` is the stable API error code
    ├── RequestError                   the caller's input is wrong (HTTP 4xx); never retryable
    │   ├── NotFound                   no such request (404)
    │   ├── IdempotencyConflict        same key, other parameters (409)
    │   ├── InvalidState               the request is not in a state that allows this (409)
    │   ├── Expired                    the confirmation or approval came after the request's
    │   │                              time ran out; the request is now expired (409)
    │   ├── InvalidInput               text or numbers that cannot be stored (NUL, lone
    │   │                              surrogates, NaN/Infinity) or a name that may not act (422)
    │   ├── UnknownScope               a kill switch scope names an action or target the
    │   │                              catalog lacks (422)
    │   ├── ConfirmationMismatch       confirmation does not bind these parameters (422)
    │   ├── SelfApproval               the approver is the requester (403)
    │   ├── PromotionRefused           a candidate policy failed its promotion gates (evaluation
    │   │                              or regression); nothing changed (409)
    │   └── Forbidden                  the caller may not do this (403)
    ├── ExecutionError                 a browser run failed; ``retryable`` says if a retry may help
    │   ├── TransientFault             timeouts, 5xx pages, network errors: retryable
    │   ├── SessionLost                the login session ended mid-run: retryable after login
    │   ├── LocatorError               missing or ambiguous locator: not retryable
    │   ├── ExpectationFailed          an expect step did not hold: not retryable
    │   ├── NavigationBlocked          the page tried to leave the allowed origins: not retryable
    │   ├── LoginFailed                the target refused the credentials: not retryable
    │   ├── TimedOut                   the action's time budget ran out: not retryable
    │   └── Halted                     a kill switch stopped the run: not retryable
    ├── FailClosed                     a guard could not be evaluated (audit, kill switch,
    │                                  policy): nothing executes; retryable once it is fixed
    └── SchemaMismatch                 the database schema is not the one this release runs on
                                       (older, newer or damaged): nothing starts; the message
                                       names the command to run; not retryable as is
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfirmationMismatch",
    "ExecutionError",
    "ExpectationFailed",
    "Expired",
    "FailClosed",
    "Forbidden",
    "Halted",
    "IdempotencyConflict",
    "InvalidInput",
    "InvalidState",
    "LocatorError",
    "LoginFailed",
    "NavigationBlocked",
    "NotFound",
    "PromotionRefused",
    "RequestError",
    "SchemaMismatch",
    "SelfApproval",
    "SessionLost",
    "StewardError",
    "TimedOut",
    "TransientFault",
    "UnknownScope",
]


class StewardError(Exception):
    """Base class: ``code`` for APIs, ``retryable`` for callers, ``details`` for context."""

    code = "steward_error"
    status = 500
    retryable = False

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class RequestError(StewardError):
    """The request or command is wrong; nothing was executed."""

    code, status = "bad_request", 400


class NotFound(RequestError):
    code, status = "not_found", 404


class IdempotencyConflict(RequestError):
    code, status = "idempotency_conflict", 409


class InvalidState(RequestError):
    code, status = "invalid_state", 409


class Expired(RequestError):
    """Too late: the request expired (it is now ``expired``); submit a new one."""

    code, status = "expired", 409


class InvalidInput(RequestError):
    """Input that cannot be stored or a name that may not act; nothing was stored."""

    code, status = "invalid_request", 422


class UnknownScope(RequestError):
    """A kill switch scope naming no action or target of the catalog (a typo would halt nothing)."""

    code, status = "unknown_scope", 422


class ConfirmationMismatch(RequestError):
    code, status = "confirmation_mismatch", 422


class SelfApproval(RequestError):
    code, status = "self_approval", 403


class PromotionRefused(RequestError):
    """The candidate policy failed a promotion gate; it stays a candidate (fix it, or roll it back)."""

    code, status = "promotion_refused", 409


class Forbidden(RequestError):
    code, status = "forbidden", 403


class ExecutionError(StewardError):
    """A browser run failed; ``step`` names where, when known."""

    code = "execution_failed"

    def __init__(self, message: str, *, step: str | None = None, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.step = step


class TransientFault(ExecutionError):
    code, retryable = "transient_fault", True


class SessionLost(ExecutionError):
    code, retryable = "session_lost", True


class LocatorError(ExecutionError):
    code = "locator_error"


class ExpectationFailed(ExecutionError):
    code = "expectation_failed"


class NavigationBlocked(ExecutionError):
    code = "navigation_blocked"


class LoginFailed(ExecutionError):
    """Signing in (or the session check after it) failed; ``step`` names the step.

    ``screenshot`` is a PNG of the page it failed on, secret fields masked,
    when one could be taken; the runner stores it as evidence.
    """

    code = "login_failed"

    def __init__(
        self, message: str, *, step: str | None = None, details: Any = None, screenshot: bytes | None = None
    ) -> None:
        super().__init__(message, step=step, details=details)
        self.screenshot = screenshot


class TimedOut(ExecutionError):
    code = "timed_out"


class Halted(ExecutionError):
    code = "halted"


class FailClosed(StewardError):
    """A safety guard could not be evaluated, so nothing runs."""

    code, status, retryable = "fail_closed", 503, True


class SchemaMismatch(StewardError):
    """The database schema is older, newer or damaged: refuse to start and say what to run."""

    code, status = "schema_mismatch", 503

"""Retry policy as data (STYLE 6)."""

from __future__ import annotations

from dataclasses import dataclass

from action_classes import RetrySpec
from executor.errors import (
    ExpectationFailed,
    Halted,
    LocatorError,
    LoginFailed,
    NavigationBlocked,
    StewardError,
)

__all__ = ["NEVER_RETRY", "RetryPolicy"]

# Errors whose retry cannot help and might hurt: decisions and page facts.
NEVER_RETRY: tuple[type[StewardError], ...] = (
    Halted,
    NavigationBlocked,
    LocatorError,
    ExpectationFailed,
    LoginFailed,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry the steps before the commit step.

    attempts: total tries including the first (default 3).
    backoff_s: the first wait; each next wait doubles (default 0.5 s).
    max_backoff_s: the cap on one wait (default 5 s).
    Only errors with ``retryable = True`` (transient faults, a lost session)
    are retried; ``NEVER_RETRY`` types never are, whatever they say.
    """

    attempts: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 5.0

    @classmethod
    def from_spec(cls, spec: RetrySpec) -> RetryPolicy:
        return cls(spec.attempts, spec.backoff_s, spec.max_backoff_s)

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """True when ``error`` on try number ``attempt`` (1-based) deserves another try."""
        if attempt >= self.attempts or isinstance(error, NEVER_RETRY):
            return False
        return bool(getattr(error, "retryable", False))

    def delay(self, attempt: int) -> float:
        """Seconds to wait after try number ``attempt`` failed."""
        return float(min(self.max_backoff_s, self.backoff_s * (2 ** (attempt - 1))))

"""Where the log gets its time from: a Protocol, the system clock and a fake.

Timestamps in the log are UTC ISO-8601 with milliseconds and a ``Z``
(``2025-01-02T03:04:05.678Z``); that fixed width makes them sort as text.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock", "format_ts", "parse_ts"]


@runtime_checkable
class Clock(Protocol):
    """Anything that can tell the current time as an aware datetime."""

    def now(self) -> datetime:
        """The current time (timezone-aware)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """``datetime.now(UTC)``."""
        return datetime.now(UTC)


class FakeClock:
    """A clock for tests: starts at ``start`` and moves only when told (or by ``step`` per call)."""

    def __init__(
        self,
        start: datetime | None = None,
        *,
        step: timedelta = timedelta(0),
    ) -> None:
        self._now = start or datetime(2025, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current fake time; then advance by ``step``."""
        with self._lock:
            current = self._now
            self._now = current + self._step
            return current

    def advance(self, seconds: float = 0.0, **kwargs: float) -> None:
        """Move the clock forward (``advance(5)``, ``advance(minutes=2)``)."""
        with self._lock:
            self._now += timedelta(seconds=seconds, **kwargs)

    def set(self, when: datetime) -> None:
        """Jump to ``when``."""
        with self._lock:
            self._now = when


def format_ts(when: datetime) -> str:
    """``2025-01-02T03:04:05.678Z`` for an aware datetime (naive means UTC)."""
    if when.tzinfo is not UTC:  # naive means UTC; other zones convert
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_ts(text: str) -> datetime:
    """Parse an ISO-8601 date or date-time (naive means UTC) into an aware datetime."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)

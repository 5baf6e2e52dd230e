"""Structured JSON logs (structlog) with a last line of defence against secrets."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["SecretFilter", "configure_logging"]

_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|credential|api[_-]?key|authorization|cookie", re.I)


class SecretFilter:
    """structlog processor: blanks values whose key looks secret, at any depth."""

    def __call__(self, logger: Any, name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        return {k: self._clean(k, v) for k, v in event.items()}

    def _clean(self, key: str, value: Any) -> Any:
        if key != "event" and _SECRET_KEYS.search(key):
            return "[secret]"
        if isinstance(value, dict):
            return {k: self._clean(str(k), v) for k, v in value.items()}
        return value


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time (test runners and CliRunner swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, stream: Any = None, json: bool = True) -> None:
    """JSON lines to stderr (or ``stream``); call once per process."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        SecretFilter(),
    ]
    processors.append(structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream or _CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )

"""Structured JSON logs (structlog) with a last line of defence against secrets.

Every command that logs calls ``configure_logging``: one JSON object per line
on stderr, with ``timestamp``, ``level``, ``event``, the ``trace_id`` and
``span_id`` of the current OpenTelemetry span when there is one, and the
``SecretFilter``. Libraries that log through the standard library (uvicorn,
alembic) go through the same processors, so ``steward serve`` logs JSON too.
``STEWARD_LOG_LEVEL`` overrides a command's level.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["SecretFilter", "add_trace_ids", "configure_logging"]

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


def add_trace_ids(logger: Any, name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace and span ids (W3C hex), to join logs and traces."""
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event.setdefault("trace_id", f"{ctx.trace_id:032x}")
        event.setdefault("span_id", f"{ctx.span_id:016x}")
    return event


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time (test runners and CliRunner swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, stream: Any = None, json: bool = True) -> None:
    """JSON lines to stderr (or ``stream``) at ``level`` (``STEWARD_LOG_LEVEL`` wins); call once per command."""
    level = (os.environ.get("STEWARD_LOG_LEVEL") or level).upper()
    numeric = logging.getLevelName(level)
    if not isinstance(numeric, int):
        numeric, level = logging.INFO, "INFO"
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
        SecretFilter(),
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream or _CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    _route_stdlib(shared, renderer, numeric, stream)


def _route_stdlib(shared: list[Any], renderer: Any, level: int, stream: Any) -> None:
    """Standard-library loggers (uvicorn, alembic) through the same processors; replaces only our own handler."""
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(), *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or _CurrentStderr())
    handler.setFormatter(formatter)
    handler.set_name("steward-json")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "steward-json"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO on every migration: noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(level, logging.WARNING))

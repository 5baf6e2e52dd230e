"""OpenTelemetry traces: a request's W3C trace context from ``POST /v1/actions`` to verification.

The API continues the caller's ``traceparent`` (or starts a trace), intake and
policy run in child spans, and the request row keeps the trace id and the
``traceparent`` of its intake span. The worker resumes that context, so every
browser step, the commit and the verification are spans of the same trace,
and every audit event of the request carries the same ``trace_id``.

Every request gets a trace id even when nothing exports spans (no SDK
configured): then Steward mints a root context itself, so the id still ties the
audit log, the logs and the caller's own trace together.

Export: ``configure_tracing`` installs the SDK with an OTLP/HTTP exporter when
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is
set; the exporter reads the standard ``OTEL_EXPORTER_OTLP_*`` variables
(headers, timeout, compression) and ``OTEL_SERVICE_NAME`` names the service.
Span attributes never carry parameters, page text or credentials: only the
request id, action, class, state and the step's phase, index and kind.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, Status, StatusCode, TraceFlags

__all__ = [
    "SpanKind",
    "configure_tracing",
    "current_ids",
    "parse_traceparent",
    "span",
    "use_provider",
]

_TRACER_NAME = "steward"
# W3C Trace Context, version 00: version-traceid-parentid-flags, lower-case hex, no all-zero ids.
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_provider: Any = None  # a TracerProvider set by configure_tracing or a test; None: the global one


def use_provider(provider: Any) -> None:
    """Send Steward's spans to ``provider`` (None: back to OpenTelemetry's global provider)."""
    global _provider
    _provider = provider


def _current_provider() -> Any:
    return _provider if _provider is not None else trace.get_tracer_provider()


_cached: tuple[Any, Any] = (None, None)  # (provider, its tracer)


def _tracer() -> Any:
    global _cached
    provider = _current_provider()
    if _cached[0] is not provider:
        _cached = (provider, provider.get_tracer(_TRACER_NAME))
    return _cached[1]


def _exports() -> bool:
    """True when spans go somewhere (an SDK provider); False for the no-op default."""
    return not isinstance(_current_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def configure_tracing(service: str = "steward") -> bool:
    """Install the SDK with OTLP/HTTP export when ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`` is set.

    True when an exporter was installed (or already is); False leaves tracing
    as ids only. Spans are flushed at exit.
    """
    if _provider is not None:
        return True
    if not (os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": service}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use_provider(provider)
    atexit.register(provider.shutdown)
    return True


def parse_traceparent(value: str | None) -> SpanContext | None:
    """The remote span context of a W3C ``traceparent``; None when absent or invalid (W3C: then ignore it)."""
    if not value:
        return None
    match = _TRACEPARENT.match(value.strip())
    if match is None or match.group(1) == "ff":
        return None
    trace_id, span_id = int(match.group(2), 16), int(match.group(3), 16)
    if not trace_id or not span_id:
        return None
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(match.group(4), 16) & 0x01))


def _minted_root() -> SpanContext:
    return SpanContext(
        secrets.randbits(128) or 1, secrets.randbits(64) or 1, is_remote=False, trace_flags=TraceFlags(0)
    )


def _parent(traceparent: str | None) -> otel_context.Context:
    """The context a new span starts in: the ``traceparent``, else the current span, else a minted root."""
    remote = parse_traceparent(traceparent)
    if remote is not None:
        return trace.set_span_in_context(NonRecordingSpan(remote))
    current = otel_context.get_current()
    if trace.get_current_span(current).get_span_context().is_valid or _exports():
        return current  # a real provider starts a new trace on its own
    return trace.set_span_in_context(NonRecordingSpan(_minted_root()), current)


@contextmanager
def span(
    name: str,
    *,
    traceparent: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, str | int | float | bool] | None = None,
) -> Iterator[Span]:
    """A current span named ``name``: a child of ``traceparent`` when given, else of the current span.

    An exception marks the span as an error with the exception's type and
    Steward error code only: messages can quote page text, so they stay out.
    """
    tracer = _tracer()
    with tracer.start_as_current_span(
        name, context=_parent(traceparent), kind=kind, attributes=dict(attributes or {}),
        record_exception=False, set_status_on_exception=False,
    ) as current:
        try:
            yield current
        except BaseException as exc:
            code = getattr(exc, "code", None)
            current.set_attribute("error.type", type(exc).__name__)
            if isinstance(code, str):
                current.set_attribute("steward.error_code", code)
            current.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def current_ids() -> tuple[str | None, str | None]:
    """(trace id, traceparent) of the current span in W3C hex; (None, None) outside any span."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    trace_id = f"{ctx.trace_id:032x}"
    return trace_id, f"00-{trace_id}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"

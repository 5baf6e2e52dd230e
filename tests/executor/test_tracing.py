"""OpenTelemetry: a traceparent on POST /v1/actions is continued to verification; the audit log holds its trace id.

Spans are read from the SDK's in-memory exporter, and once over the wire from a
loopback OTLP/HTTP receiver that decodes the protobuf the exporter sends.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from executor import tracing
from executor.api import ApiConfig, create_app
from tests.api.conftest import make_keys
from tests.helpers import CANARY_PASSWORD

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT}-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Steward's spans go to an in-memory exporter for the test."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    yield exporter
    tracing.use_provider(None)
    provider.shutdown()


def _api(steward: Any) -> tuple[TestClient, dict[str, str]]:
    tokens = make_keys(steward)
    return TestClient(create_app(steward, config=ApiConfig(rate_per_s=0))), tokens


def _credit(account: str, cents: int = 1100) -> dict[str, Any]:
    return {"action": "issue_credit", "params": {"account_id": account, "amount_cents": cents,
                                                  "reason": "Trace goodwill"},
            "context": {"account_tier": "pro", "agent_confidence": 0.95}}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from executor.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          check=False)


def _by_name(finished: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in finished if s.name == name]


@pytest.mark.browser
class TestTraceToVerification:
    def test_traceparent_continued_to_verification(self, db_url: str, make_steward: Any, run_worker: Any,
                                                   accounts: Any, spans: InMemorySpanExporter,
                                                   tmp_path: Any) -> None:
        """One trace from the HTTP request to verification; the request, its audit events and the CLI show its id."""
        steward = make_steward(db_url)
        client, tokens = _api(steward)
        acc = accounts.take()
        resp = client.post("/v1/actions", json=_credit(acc),
                           headers={"Authorization": f"Bearer {tokens['agent']}", "traceparent": TRACEPARENT})
        assert resp.status_code == 202, resp.text
        request_id = resp.json()["id"]
        assert resp.json()["trace_id"] == TRACE_ID
        run_worker(steward)
        rec = steward.get(request_id)
        assert rec.state.value == "succeeded", rec.error_message
        assert rec.trace_id == TRACE_ID

        finished = spans.get_finished_spans()
        assert {f"{s.context.trace_id:032x}" for s in finished} == {TRACE_ID}
        names = [s.name for s in finished]
        for name in ("POST /v1/actions", "steward.intake", "steward.policy", "steward.execute",
                     "steward.step precondition", "steward.step step", "steward.commit", "steward.verify",
                     "steward.step verify"):
            assert name in names, names
        server = _by_name(finished, "POST /v1/actions")[0]
        intake = _by_name(finished, "steward.intake")[0]
        execute = _by_name(finished, "steward.execute")[0]
        assert server.parent is not None and f"{server.parent.span_id:016x}" == PARENT
        assert intake.parent is not None and intake.parent.span_id == server.context.span_id
        assert _by_name(finished, "steward.policy")[0].attributes["steward.class"] == "autonomous"
        # The worker resumed the context stored at intake: its run is a child of the intake span.
        assert execute.parent is not None and execute.parent.span_id == intake.context.span_id
        assert execute.attributes["steward.state"] == "succeeded"
        for name in ("steward.commit", "steward.verify"):
            child = _by_name(finished, name)[0]
            assert child.parent is not None and child.parent.span_id == execute.context.span_id
        steps = [s for s in finished if s.name.startswith("steward.step")]
        assert len(steps) == len(steward.audit.entries(action_id=request_id, types=["step.completed"]))
        # Nothing of the parameters or credentials goes into span attributes.
        for s in finished:
            for value in (s.attributes or {}).values():
                assert acc not in str(value) and "Trace goodwill" not in str(value)
                assert CANARY_PASSWORD not in str(value)

        entries = steward.audit.entries(action_id=request_id)
        assert entries and {e.payload.get("trace_id") for e in entries} == {TRACE_ID}
        assert "commit.started" in {e.type for e in entries}

        shown = _cli("status", request_id, "--db", db_url)
        assert shown.returncode == 0, shown.stderr
        assert f"trace: {TRACE_ID}" in shown.stdout
        audit = _cli("audit", "show", request_id, "--db", db_url, "--json")
        assert audit.returncode == 0, audit.stderr
        assert f'"trace_id": "{TRACE_ID}"' in audit.stdout
        text = _cli("audit", "show", request_id, "--db", db_url)
        assert f"trace: {TRACE_ID}" in text.stdout


    def test_failed_step_marks_its_span_without_the_message(self, make_steward: Any, run_worker: Any,
                                                             spans: InMemorySpanExporter, tmp_path: Any) -> None:
        """A precondition that fails marks its span as an error by type and code; no exception text is kept."""
        steward = make_steward(f"sqlite:///{tmp_path / 'fail.db'}")
        client, tokens = _api(steward)
        resp = client.post("/v1/actions", json=_credit("ACC-000007"),  # suspended in the seed
                           headers={"Authorization": f"Bearer {tokens['agent']}", "traceparent": TRACEPARENT})
        assert resp.status_code == 202, resp.text
        run_worker(steward)
        rec = steward.get(resp.json()["id"])
        assert rec.state.value == "failed" and rec.error_code == "expectation_failed", rec.error_message
        finished = spans.get_finished_spans()
        failed = [s for s in finished if s.status.status_code.name == "ERROR"]
        assert [s.name for s in failed] == ["steward.step precondition"]
        assert failed[0].attributes["error.type"] == "ExpectationFailed"
        assert failed[0].attributes["steward.error_code"] == "expectation_failed"
        assert all(not s.events for s in finished)  # no exception events: messages quote page text
        assert _by_name(finished, "steward.execute")[0].attributes["steward.state"] == "failed"


class TestTraceIds:
    def test_minted_without_sdk_or_traceparent(self, db_url: str, make_steward: Any) -> None:
        """With no exporter and no traceparent a request still gets a trace id, the same in all its events."""
        steward = make_steward(db_url)
        client, tokens = _api(steward)
        resp = client.post("/v1/actions", json=_credit("ACC-000031", 60_000),
                           headers={"Authorization": f"Bearer {tokens['agent']}"})
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
        request_id = resp.json()["error"]["details"]["request"]["id"]
        rec = steward.get(request_id)
        assert rec.trace_id is not None and len(rec.trace_id) == 32 and int(rec.trace_id, 16)
        assert rec.traceparent is not None and rec.traceparent.split("-")[1] == rec.trace_id
        assert {e.payload.get("trace_id") for e in steward.audit.entries(action_id=request_id)} == {rec.trace_id}

    def test_invalid_traceparent_is_ignored(self, db_url: str, make_steward: Any) -> None:
        """A malformed or all-zero traceparent starts a new trace (W3C) instead of failing the request."""
        steward = make_steward(db_url)
        client, tokens = _api(steward)
        seen = set()
        for bad in ("00-nothex-00f067aa0ba902b7-01", f"00-{'0' * 32}-{PARENT}-01", f"ff-{TRACE_ID}-{PARENT}-01"):
            resp = client.post("/v1/actions", json=_credit("ACC-000032", 60_000),
                               headers={"Authorization": f"Bearer {tokens['agent']}", "traceparent": bad})
            assert resp.status_code == 403
            trace_id = steward.get(resp.json()["error"]["details"]["request"]["id"]).trace_id
            assert trace_id and trace_id not in (TRACE_ID, "0" * 32)
            seen.add(trace_id)
        assert len(seen) == 3

    def test_parse_traceparent(self) -> None:
        """Only the W3C version-00 shape with non-zero ids is accepted."""
        ctx = tracing.parse_traceparent(TRACEPARENT)
        assert ctx is not None and f"{ctx.trace_id:032x}" == TRACE_ID and ctx.is_remote and ctx.trace_flags == 1
        for bad in (None, "", "garbage", TRACEPARENT.upper(), f"00-{TRACE_ID}-{'0' * 16}-01", TRACEPARENT + "-x"):
            assert tracing.parse_traceparent(bad) is None


class _Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector endpoint: stores each POST /v1/traces body and answers 200."""

    bodies: list[tuple[str, str, bytes]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.bodies.append(  # type: ignore[attr-defined]
            (self.path, self.headers.get("Content-Type", ""), self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.bodies = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(10)


class TestOtlpExport:
    def test_spans_reach_a_loopback_otlp_receiver(self, make_steward: Any, tmp_path: Any,
                                                  receiver: ThreadingHTTPServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        """With OTEL_EXPORTER_OTLP_ENDPOINT set, the intake spans arrive as OTLP protobuf with the trace id."""
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{receiver.server_port}")
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        tracing.use_provider(None)
        assert tracing.configure_tracing("steward-test")
        provider = tracing._provider
        try:
            steward = make_steward(f"sqlite:///{tmp_path / 'otlp.db'}")
            client, tokens = _api(steward)
            trace_id = secrets.token_hex(16)
            resp = client.post("/v1/actions", json=_credit("ACC-000033", 60_000),
                               headers={"Authorization": f"Bearer {tokens['agent']}",
                                        "traceparent": f"00-{trace_id}-{PARENT}-01"})
            assert resp.status_code == 403
            assert provider.force_flush(30_000)
        finally:
            tracing.use_provider(None)
            provider.shutdown()
        bodies = receiver.bodies  # type: ignore[attr-defined]
        assert bodies and {path for path, _, _ in bodies} == {"/v1/traces"}
        assert {ctype for _, ctype, _ in bodies} == {"application/x-protobuf"}
        received: list[tuple[str, str, str]] = []
        for _, _, body in bodies:
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
                for scope_spans in resource_spans.scope_spans:
                    for s in scope_spans.spans:
                        received.append((s.name, s.trace_id.hex(), service))
        assert {name for name, _, _ in received} >= {"POST /v1/actions", "steward.intake", "steward.policy"}
        assert {tid for _, tid, _ in received} == {trace_id}
        assert {service for _, _, service in received} == {"steward-test"}
        stored = steward.get(resp.json()["error"]["details"]["request"]["id"])
        assert stored.trace_id == trace_id

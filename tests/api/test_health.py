"""/healthz, /readyz and /metrics on the API server: no API key, readiness fails closed and names the check."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Api


def _rename(api: Api, table: str, to: str) -> None:
    with api.steward.engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE {table} RENAME TO {to}"))


class TestHealth:
    def test_alive_without_a_key(self, api: Api) -> None:
        """/healthz answers 200 to anyone: a liveness probe holds no API key."""
        resp = api.client.get("/healthz")
        assert resp.status_code == 200 and resp.json() == {"status": "alive"}

    def test_ready_names_every_check(self, db_url: str, build_api: Any) -> None:
        """/readyz is 200 with database, audit log and kill-switch state each ok."""
        api = build_api(db_url)
        resp = api.client.get("/readyz")
        assert resp.status_code == 200
        assert resp.json() == {"status": "ready",
                               "checks": {"database": "ok", "audit_log": "ok", "kill_switches": "ok"}}

    def test_unreadable_kill_switches_fail_closed(self, db_url: str, build_api: Any) -> None:
        """With the kill-switch table unreadable /readyz is 503 and names that check (and only it)."""
        api = build_api(db_url)
        _rename(api, "steward_kill_switches", "steward_kill_switches_moved")
        resp = api.client.get("/readyz")
        assert resp.status_code == 503
        error = resp.json()["error"]
        assert error["code"] == "not_ready" and "kill_switches" in error["message"]
        checks = error["details"]["checks"]
        assert checks["kill_switches"].startswith("failed") and checks["audit_log"] == "ok"
        assert checks["database"].startswith("failed")  # a table of the schema is missing too
        assert "steward_kill_switches" not in resp.text  # details go to the log, not to the caller

    def test_unreadable_audit_log_fails_closed(self, api: Api) -> None:
        """With the audit log unreadable /readyz is 503 naming audit_log."""
        _rename(api, "audit_entries", "audit_entries_moved")
        resp = api.client.get("/readyz")
        assert resp.status_code == 503
        assert resp.json()["error"]["details"]["checks"]["audit_log"].startswith("failed")
        assert "audit_log" in resp.json()["error"]["message"]


class TestMetricsRoute:
    def test_scrapes_without_a_key(self, api: Api) -> None:
        """/metrics is Prometheus text that the official parser reads, with steward_ metrics."""
        api.client.post("/v1/actions", headers=api.h("agent"),
                        json={"action": "no_such_action", "params": {}})
        resp = api.client.get("/metrics")
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
        families = {f.name: f for f in text_string_to_metric_families(resp.text)}
        assert {"steward_requests", "steward_queue_depth", "steward_audit_append_duration_seconds",
                "steward_browser_contexts_open", "steward_kill_switches_engaged"} <= set(families)
        rejected = [s for s in families["steward_requests"].samples
                    if s.name == "steward_requests_total" and s.labels["state"] == "rejected"]
        assert [(s.labels["action"], s.value) for s in rejected] == [("unknown", 1.0)]

    def test_optional_token(self, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
        """With STEWARD_METRICS_TOKEN set, /metrics needs that bearer token; API keys do not open it."""
        monkeypatch.setenv("STEWARD_METRICS_TOKEN", "scrape-secret")
        assert api.client.get("/metrics").status_code == 401
        assert api.client.get("/metrics", headers=api.h("operator")).status_code == 401
        assert api.client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 200
        assert api.client.get("/healthz").status_code == 200  # probes stay open

    def test_outside_the_api_contract(self, api: Api) -> None:
        """Probes and the scraper are not API clients: the routes answer but stay out of the OpenAPI contract."""
        paths = api.client.get("/openapi.json").json()["paths"]
        assert not {"/healthz", "/readyz", "/metrics"} & set(paths)
        assert all(api.client.get(p).status_code == 200 for p in ("/healthz", "/metrics"))


class TestServeProcess:
    def test_serve_logs_json_and_answers_probes(self, tmp_path: Any) -> None:
        """`steward serve` logs only JSON lines on stderr (its own and uvicorn's) and answers the three routes."""
        import json
        import os
        import signal
        import subprocess
        import sys
        import threading
        import time

        import httpx

        from executor.api._server import free_port

        port = free_port()
        env = {**os.environ, "STEWARD_DB": str(tmp_path / "serve.db"), "STEWARD_HOME": str(tmp_path / "home")}
        proc = subprocess.Popen(
            [sys.executable, "-c", "from executor.cli import main; main()", "serve", "--no-workers",
             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        try:
            for _ in range(600):  # start-up: at most about a minute
                if proc.poll() is not None or any("Application startup complete" in line for line in lines):
                    break
                time.sleep(0.1)
            base = f"http://127.0.0.1:{port}"
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200, lines
            assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
            assert "steward_queue_depth" in httpx.get(f"{base}/metrics", timeout=10).text
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            reader.join(10)
            proc.stdout.close()  # type: ignore[union-attr]
            proc.stderr.close()  # type: ignore[union-attr]
        logged = [line for line in lines if not line.startswith("steward API on ")]  # the one plain banner
        assert logged, lines
        entries = [json.loads(line) for line in logged]  # every other line is JSON
        assert {"uvicorn.error"} <= {e.get("logger") for e in entries}
        assert any(e["event"] == "Application startup complete." for e in entries)

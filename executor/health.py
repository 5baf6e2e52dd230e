"""Liveness, readiness and the metrics endpoint, shared by the API server and ``steward worker --metrics-port``.

Readiness fails closed: the process is ready only when the database answers
at this release's schema, the audit log can be read and the kill-switch state
can be read (a worker that cannot read the kill switches must not take work;
a load balancer must not send requests to an API that cannot). The answer names
each check; the details of a failure go to the log, not to the unauthenticated
caller.

``/metrics`` needs no API key: it is meant to be bound where only the scraper
reaches. Setting ``STEWARD_METRICS_TOKEN`` makes it require
``Authorization: Bearer <that token>`` as well.

The worker's server is the standard library's WSGI server in a daemon thread
(as prometheus_client's own ``start_http_server``), so scrapes never wait on
the worker's event loop.
"""

from __future__ import annotations

import hmac
import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import structlog

from executor.metrics import CONTENT_TYPE

__all__ = ["HealthServer", "Readiness", "metrics_authorized", "readiness"]

log = structlog.get_logger("steward.health")


@dataclass(frozen=True)
class Readiness:
    """Each check's result (``ok`` or ``failed: <error type>``) and whether all passed."""

    checks: dict[str, str]

    @property
    def ok(self) -> bool:
        return all(v == "ok" for v in self.checks.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, v in self.checks.items() if v != "ok"]

    def body(self) -> dict[str, Any]:
        """200: ``{"status": "ready", "checks"}``; else the API's error shape, naming the failing checks."""
        if self.ok:
            return {"status": "ready", "checks": self.checks}
        return {"error": {"code": "not_ready", "message": f"not ready: {', '.join(self.failing)} failed",
                          "details": {"checks": self.checks}}}


def _database(steward: Any) -> None:
    from executor.store.migrate import HEAD, status

    found = status(steward.engine)
    if not found.current:
        raise RuntimeError(f"schema at revision {found.revision}, missing {sorted(found.missing)}; needs {HEAD}")


def readiness(steward: Any) -> Readiness:
    """Run every check now; a check that raises fails (fail closed)."""
    probes: dict[str, Callable[[], object]] = {
        "database": lambda: _database(steward),
        "audit_log": steward.audit.size,
        "kill_switches": steward.store.kill_switches,
    }
    checks: dict[str, str] = {}
    for name, probe in probes.items():
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:
            cause = exc.__cause__ or exc
            checks[name] = f"failed: {type(cause).__name__}"
            log.error("readiness.failed", check=name, error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    return Readiness(checks)


def metrics_authorized(authorization: str | None) -> bool:
    """True when no ``STEWARD_METRICS_TOKEN`` is set, or the header carries it."""
    token = os.environ.get("STEWARD_METRICS_TOKEN", "").strip()
    if not token:
        return True
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


# -- the worker's server ------------------------------------------------------------


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes every few seconds: not worth a line each
        pass


def _json(start: Callable[..., Any], status: str, body: dict[str, Any]) -> Iterable[bytes]:
    start(status, [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


class HealthServer:
    """``/metrics``, ``/healthz`` and ``/readyz`` of one process on ``host:port``, in a daemon thread."""

    def __init__(self, steward: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.steward = steward
        self._server = make_server(host, port, self._app, server_class=_Server, handler_class=_Quiet)
        self.port = int(self._server.server_port)
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="steward-metrics", daemon=True)

    def __enter__(self) -> HealthServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def _app(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            return _json(start, "405 Method Not Allowed",
                         {"error": {"code": "method_not_allowed", "message": "GET only", "details": None}})
        if path == "/healthz":
            return _json(start, "200 OK", {"status": "alive"})
        if path == "/readyz":
            ready = readiness(self.steward)
            return _json(start, "200 OK" if ready.ok else "503 Service Unavailable", ready.body())
        if path == "/metrics":
            if not metrics_authorized(environ.get("HTTP_AUTHORIZATION")):
                return _json(start, "401 Unauthorized",
                             {"error": {"code": "unauthorized", "message": "a metrics bearer token is required",
                                        "details": None}})
            start("200 OK", [("Content-Type", CONTENT_TYPE)])
            return [self.steward.metrics.exposition()]
        return _json(start, "404 Not Found", {"error": {"code": "not_found", "message": "not found", "details": None}})

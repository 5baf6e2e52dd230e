"""JSON errors for every failure the API returns.

Every 4xx and 5xx body is ``{"error": {"code", "message", "details"}}``:
Steward's own errors keep their ``code`` and ``status``; FastAPI's validation
errors become 422 ``invalid_request``; Starlette's 404/405 keep their status.
An unexpected exception is a 500 ``internal_error`` with no details (it is a
bug, never the caller's fault, and the traceback stays in the server log).
Every 503 carries ``Retry-After``. The body is the ``ErrorEnvelope`` wire
model (``executor.wire``), which the OpenAPI document lists on every route.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from executor.errors import StewardError

__all__ = ["ApiError", "error_body", "error_response", "install_error_handlers"]

log = structlog.get_logger("steward.api")

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "rate_limited", 501: "not_implemented", 503: "unavailable",
}


class ApiError(Exception):
    """An HTTP-level refusal raised by the API layer (auth, roles, limits); never retryable as is."""

    def __init__(self, status: int, code: str, message: str, *, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": code, "message": message, "details": details}}


RETRY_AFTER_503_S = 5
"""Retry-After on a 503: long enough for a database fail-over or a stuck audit writer to clear."""


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The error envelope with ``status``; a 503 always says when to retry (``Retry-After``)."""
    if status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_503_S), **(headers or {})}
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only loc/msg/type: ``input`` can echo large or sensitive values, ``ctx`` may not be JSON.
    out = []
    for err in exc.errors()[:50]:
        out.append({"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", ""))[:500],
                    "type": str(err.get("type", ""))})
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def steward_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StewardError)
        status = exc.status if 400 <= exc.status < 600 else 500
        return error_response(status, exc.code, exc.message, exc.details)

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, "invalid_request", "the request does not match the schema",
                              _validation_details(exc))

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, None, dict(exc.headers or {}) or None)

    async def audit_error(_: Request, exc: Exception) -> JSONResponse:
        from audit.errors import AuditReadError, ProofUnavailableError

        if isinstance(exc, ProofUnavailableError):
            return error_response(404, "not_found", str(exc))
        if isinstance(exc, AuditReadError) and "no audit entry" in str(exc):
            return error_response(404, "not_found", str(exc))
        log.error("api.audit_error", error=f"{type(exc).__name__}: {exc}"[:300])
        return error_response(503, "audit_unavailable", "the audit log could not be read", None)

    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("api.internal_error", error=f"{type(exc).__name__}: {exc}"[:300])
        return error_response(500, "internal_error", "internal error (logged on the server)")

    from audit.errors import AuditError

    app.add_exception_handler(StewardError, steward_error)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(AuditError, audit_error)
    app.add_exception_handler(Exception, unexpected)

"""The OpenAPI document as a contract: one error schema, every status a route can return, stable names.

``errors(...)`` gives a route's ``responses=``: the statuses every
authenticated route can answer (400, 401, 403, 413, 422, 429, 500, 503) plus
the route's own (404, 409), each with the one error envelope. ``custom_openapi``
builds the document and removes what FastAPI adds on its own (its
``HTTPValidationError`` 422 body, which this server never sends), so the
document describes exactly what goes over the wire. ``openapi_document()``
gives it without a database, for ``steward api openapi`` and the
committed ``docs/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from executor.wire import ErrorEnvelope, ValidationIssue

__all__ = ["TAGS", "custom_openapi", "errors", "openapi_document"]

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Whole seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "examples": [2]},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with.",
        "required": True,
        "schema": {"type": "string", "examples": ["Bearer"]},
    }
}

_STATUS: dict[int, str] = {
    400: "Malformed request (bad Content-Length, or a value that is blank once trimmed): `bad_request`.",
    401: "No, unknown or revoked API key: `unauthorized` (with `WWW-Authenticate: Bearer`).",
    403: "The key's role may not do this (`forbidden`), or, for decisions, the operator is the requester "
    "(`self_approval`).",
    404: "No such request, or not one this agent submitted (`not_found`); existence is never revealed.",
    409: "The request is not in a state that allows this (`invalid_state`, `expired`).",
    413: "The body is larger than the server's cap (64 KiB by default): `payload_too_large`.",
    422: "The request does not match the schema (`invalid_request`, details: a list of ValidationIssue), or "
    "holds a value that cannot be stored (NUL, lone surrogates).",
    429: "Too many requests for this key (`rate_limited`): wait `Retry-After` seconds.",
    500: "A bug on the server (`internal_error`); the details stay in the server log.",
    503: "The server cannot serve this now (`audit_unavailable`, `fail_closed`, `schema_mismatch`): nothing was "
    "done; wait `Retry-After` seconds.",
}
COMMON = (400, 401, 403, 413, 422, 429, 500, 503)

TAGS: list[dict[str, str]] = [
    {"name": "actions", "description": "Submit, read, confirm, decide and cancel action requests (agents, "
     "operators; auditors read)."},
    {"name": "approvals", "description": "Requests waiting for a human decision, with their handoff packet "
     "(operators)."},
    {"name": "kill-switch", "description": "Halt and release everything in a scope (operators)."},
    {"name": "rollback", "description": "Undo a window of completed work under policy, approved as one batch "
     "(operators)."},
    {"name": "catalog", "description": "The actions an agent may ask for, with parameter schemas (agents)."},
    {"name": "audit", "description": "Read, verify, export and prove the append-only audit log (auditors); a "
     "request's timeline and the requests an incident window affected (operators too)."},
    {"name": "operations", "description": "Key figures now and the daily report (operators, auditors)."},
    {"name": "identity", "description": "Who the API takes the calling key for (every role)."},
]


def errors(*extra: int, described: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: COMMON plus ``extra`` statuses, each with the error envelope."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*COMMON, *extra}):
        entry: dict[str, Any] = {"model": ErrorEnvelope,
                                 "description": (described or {}).get(status, _STATUS[status])}
        if status in (429, 503):
            entry["headers"] = _RETRY_AFTER
        elif status == 401:
            entry["headers"] = _WWW_AUTHENTICATE
        out[status] = entry
    return out


_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def _strip_fastapi_validation(doc: dict[str, Any]) -> None:
    """Replace any 422 FastAPI documented on its own by the envelope, and drop its schemas."""
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path in doc.get("paths", {}).values():
        for op in path.values():
            response = op.get("responses", {}).get("422")
            if response is None:
                continue
            response["description"] = _STATUS[422] if "HTTPValidationError" in str(response) else \
                response["description"]
            response["content"] = {"application/json": {"schema": envelope}}
    schemas = doc.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)


def custom_openapi(app: FastAPI) -> dict[str, Any]:
    """The document of ``app``, built once and cached on it like FastAPI's own."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, openapi_version=app.openapi_version,
                      summary=app.summary, description=app.description, routes=app.routes, tags=TAGS,
                      servers=app.servers, separate_input_output_schemas=app.separate_input_output_schemas)
    _strip_fastapi_validation(doc)
    # Named in ErrorInfo.details for 422 invalid_request; listed so generated clients get the type.
    doc.setdefault("components", {}).setdefault("schemas", {})["ValidationIssue"] = ValidationIssue.model_json_schema()
    app.openapi_schema = doc
    return doc


def openapi_document() -> dict[str, Any]:
    """The document the server serves at /openapi.json, built without a database."""
    from executor.api._app import build_app

    return build_app().openapi()

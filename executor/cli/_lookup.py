"""Reading one request for ``steward status`` without starting the service.

``status`` only reads a row, so it does not open the whole ``Steward``
(catalog, policy, audit log, schema checks): on a SQLite file it reads
``steward_requests`` with the standard library's ``sqlite3``, read-only, and
shapes the row with the same ``public_view`` the API uses. Other databases go
through SQLAlchemy and the store's table. Either way nothing is created or
written, and a missing database or request is the same NotFound.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from executor.errors import NotFound, SchemaMismatch
from executor.store.view import public_view

__all__ = ["read_request"]

_COLUMNS = (
    "id", "action", "target", "requester", "idempotency_key", "params", "params_hash", "context", "state",
    "action_class", "decision", "confirmation", "approval", "outcome", "error_code", "error_message",
    "created_at", "updated_at", "expires_at", "trace_id", "policy_version", "policy_rollout",
)
_JSON = frozenset({"params", "context", "decision", "confirmation", "approval", "outcome"})


def _sqlite_file(db_url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything else (memory, options, other drivers)."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        return None
    path = db_url[len(prefix) :]
    if not path or path == ":memory:" or "?" in path:
        return None
    return Path(path)


def read_request(db_url: str, request_id: str) -> dict[str, Any]:
    """The public view of one request (as ``RequestRecord.public()``); NotFound when there is none."""
    path = _sqlite_file(db_url)
    if path is None:
        return _read_with_sqlalchemy(db_url, request_id)
    missing = NotFound(f"no request {request_id!r}")
    if not path.is_file():
        raise missing
    query = f"SELECT {', '.join(_COLUMNS)} FROM steward_requests WHERE id = ?"
    # mode=ro: a status check never creates or changes a database; the timeout rides out a writer.
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        try:
            row = conn.execute(query, (request_id,)).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise missing from None
            if "no such column" in str(exc):
                older = f"{exc}: the database schema is older than this Steward; run `steward db upgrade`"
                raise SchemaMismatch(older) from None
            raise
    finally:
        conn.close()
    if row is None:
        raise missing
    values = dict(zip(_COLUMNS, row, strict=True))
    for name in _JSON:
        if values[name] is not None:
            values[name] = json.loads(values[name])
    return public_view(values)


def _read_with_sqlalchemy(db_url: str, request_id: str) -> dict[str, Any]:
    from sqlalchemy import inspect, select

    from audit import open_engine
    from executor.store.tables import requests

    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(requests.name):
                raise NotFound(f"no request {request_id!r}")
            row = conn.execute(select(requests).where(requests.c.id == request_id)).mappings().first()
    finally:
        engine.dispose()
    if row is None:
        raise NotFound(f"no request {request_id!r}")
    return public_view(dict(row))

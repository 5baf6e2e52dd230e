"""``open_engine``: the one SQLAlchemy engine factory the whole project uses.

SQLite is tuned for one file shared by threads and processes: WAL journal,
``synchronous=NORMAL``, a 30 s busy timeout, foreign keys and recursive
triggers on, and every transaction opened with ``BEGIN IMMEDIATE`` (pysqlite's
own transaction handling is switched off so that SQLAlchemy's ``begin`` event
decides). Taking the write lock at BEGIN is what serializes read-then-append
across threads and processes; a plain deferred BEGIN would let two writers
read the same head and then fail with SQLITE_BUSY when both try to write.

Lookups that never write (a key, a request, the kill switches) use
``read_connection``: a deferred transaction that does not queue for that lock.

Long read-only work (verifying, exporting) opts out with
``snapshot_connection``: a deferred transaction on SQLite (WAL readers do not
block writers), REPEATABLE READ on PostgreSQL, so it sees one consistent state.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from audit.errors import SchemaError

__all__ = ["BUSY_TIMEOUT_S", "normalize_url", "open_engine", "read_connection", "snapshot_connection"]

BUSY_TIMEOUT_S = 30.0
_BEGIN_OPTION = "audit_sqlite_begin"


def normalize_url(url: str) -> str:
    """Accept a bare path, ``sqlite:///...``, ``postgresql://`` or ``postgresql+psycopg://``."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def open_engine(url: str, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine for ``url`` with the project's SQLite or PostgreSQL settings."""
    parsed = make_url(normalize_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S, "isolation_level": None}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    raise SchemaError(f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://")


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA recursive_triggers = ON")  # REPLACE deletes then fire DELETE triggers
    finally:
        cur.close()


def _sqlite_on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")


def snapshot_connection(engine: Engine) -> Connection:
    """A connection whose transaction reads one consistent state without taking the write lock."""
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
    else:
        conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def read_connection(engine: Engine) -> Connection:
    """A connection for a read that never writes: no write lock on SQLite, the default isolation elsewhere.

    Every other transaction on SQLite starts ``BEGIN IMMEDIATE`` and waits for
    the one write lock; a lookup (a key, a request, the kill switches) need not.
    """
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
    return conn

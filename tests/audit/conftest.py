"""Fixtures for the audit tests: SQLite files, fresh PostgreSQL schemas, logs, keys.

PostgreSQL tests fail (never skip) when the server is unreachable: the schema
fixture simply raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from _audit_support import PgSchemas
from sqlalchemy import Engine

from audit import AuditLog, FakeClock, Signer, install_schema, open_engine


@pytest.fixture
def pg_schemas() -> Iterator[PgSchemas]:
    """Fresh PostgreSQL schemas for one test (dropped afterwards)."""
    schemas = PgSchemas()
    try:
        yield schemas
    finally:
        schemas.close()


@pytest.fixture
def pg_url(pg_schemas: PgSchemas) -> str:
    """A URL whose connections live in a fresh PostgreSQL schema."""
    return pg_schemas.new()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'audit.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test runs on a SQLite file and on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    schemas: PgSchemas = request.getfixturevalue("pg_schemas")
    return schemas.new()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine with the audit schema installed."""
    eng = open_engine(db_url)
    install_schema(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def clock() -> FakeClock:
    """A clock that moves one millisecond per reading."""
    return FakeClock(step=timedelta(milliseconds=1))


@pytest.fixture
def log(engine: Engine, clock: FakeClock) -> Iterator[AuditLog]:
    """An empty audit log on ``engine``."""
    audit_log = AuditLog(engine, clock=clock)
    try:
        yield audit_log
    finally:
        audit_log.close()


@pytest.fixture(scope="session")
def signer() -> Signer:
    """A checkpoint signing key for tests."""
    return Signer.generate("test-audit")

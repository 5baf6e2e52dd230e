"""The PostgreSQL append path: SQL literals built by hand read back exactly; a lost connection fails closed."""

from __future__ import annotations

import psycopg
import pytest
from _audit_support import PG_URL
from sqlalchemy.engine import make_url

from audit import AuditLog, AuditStorageError, install_schema, open_engine
from audit._writer import _pg_run, _Quoter

VALUES = [
    "plain", "it's", "back\\slash", "both '\\' kinds", "$$dollar$$", "é€😀\u2028", "'; DROP TABLE x; --",
    "\\'", "'\\", "", 0, -7, 2**62, b"\x00\x01\xfe\xff", b"", None,
]


@pytest.fixture
def pg() -> psycopg.Connection:
    url = make_url(PG_URL)
    conn = psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database,
                           autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


@pytest.mark.postgres
@pytest.mark.parametrize("conforming", ["on", "off"])
def test_literals_read_back_exactly(pg: psycopg.Connection, conforming: str) -> None:
    """Every value comes back unchanged, whatever standard_conforming_strings says."""
    pg.execute(f"SET standard_conforming_strings = {conforming}")
    pg.execute("SET escape_string_warning = off")
    quote = _Quoter(pg)
    for value in VALUES:
        row = pg.execute(b"SELECT " + quote(value)).fetchone()
        assert row is not None and row[0] == value, value


@pytest.mark.postgres
def test_nul_is_refused(pg: psycopg.Connection) -> None:
    """PostgreSQL text cannot hold NUL: refused before any SQL is built."""
    with pytest.raises(psycopg.DataError, match="NUL"):
        _Quoter(pg)("a\x00b")


@pytest.mark.postgres
def test_errors_keep_their_sqlstate(pg: psycopg.Connection) -> None:
    """A failing statement raises psycopg's class for its SQLSTATE, and the session stays usable."""
    with pytest.raises(psycopg.errors.UndefinedTable):
        _pg_run(pg, b"BEGIN; SELECT * FROM no_such_table_here; COMMIT")
    pg.execute("ROLLBACK")
    assert _pg_run(pg, b"SELECT 1").get_value(0, 0) == b"1"


@pytest.mark.postgres
def test_lost_connection_fails_closed_then_recovers(pg_url: str) -> None:
    """The writer's connection is killed: that append raises, nothing half-written, the next one works."""
    engine = open_engine(pg_url)
    install_schema(engine)
    log = AuditLog(engine)
    try:
        log.append("t.first", actor="a")
        held = log._writer._held  # the connection kept for the next append
        assert held is not None
        with engine.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({held.driver_connection.info.backend_pid})")
        with pytest.raises(AuditStorageError):
            log.append("t.second", actor="a")
        third = log.append("t.third", actor="a")
        assert third.seq == 1 and [e.type for e in log.entries()] == ["t.first", "t.third"]
        assert log.verify().ok
    finally:
        log.close()
        engine.dispose()

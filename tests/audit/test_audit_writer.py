"""The PostgreSQL append path: values stored exactly, errors keep their SQLSTATE, a lost connection fails closed."""

from __future__ import annotations

import psycopg
import pytest
from _audit_support import PG_URL
from sqlalchemy.engine import make_url

from audit import AuditLog, AuditStorageError, install_schema, open_engine
from audit._pg import run as _pg_run

TRICKY = ["it's", "back\\slash", "both '\\' kinds", "$$dollar$$", "é€😀\u2028", "'; DROP TABLE x; --", "\\'", "$1"]


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
def test_values_are_stored_exactly(pg_url: str, conforming: str) -> None:
    """Quotes, backslashes, dollar signs and astral characters are stored as given and hash the same,
    whatever standard_conforming_strings says."""
    url = make_url(pg_url)
    options = f"{url.query['options']} -cstandard_conforming_strings={conforming} -cescape_string_warning=off"
    engine = open_engine(url.update_query_dict({"options": options}).render_as_string(hide_password=False))
    install_schema(engine)
    log = AuditLog(engine)
    try:
        for text in TRICKY:
            log.append("t.tricky", actor=text, action_id=text, payload={text: text})
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW standard_conforming_strings").scalar() == conforming
        got = log.entries()
        assert [(e.actor, e.action_id, e.payload) for e in got] == [(t, t, {t: t}) for t in TRICKY]
        assert all(e.hash == e.computed_hash() for e in got) and log.verify().ok
    finally:
        log.close()
        engine.dispose()


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
        held = log._writer._pipe_raw  # the connection kept for the next append
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

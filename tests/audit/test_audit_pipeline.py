"""PostgreSQL appends in libpq pipeline mode: ordered results, isolated failures, safe prediction."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from _audit_support import PG_URL
from sqlalchemy.engine import make_url

from audit import AuditLog, install_schema, open_engine
from audit._pg import Pipeline, rows, text_param

pytestmark = pytest.mark.postgres


def _connect() -> psycopg.Connection:
    url = make_url(PG_URL)
    return psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database,
                           autocommit=True)


@pytest.fixture
def pipe() -> Iterator[Pipeline]:
    conn = _connect()
    try:
        yield Pipeline(conn)
    finally:
        conn.close()


def _value(pipe: Pipeline, sql: bytes, params: list[bytes | None] | None = None) -> bytes | None:
    return pipe.wait(pipe.send([(sql, params or [])]))[0].get_value(0, 0)


def test_transactions_sent_back_to_back_each_get_their_own_results(pipe: Pipeline) -> None:
    """Three transactions in flight at once; a failing one does not touch the others."""
    first = pipe.send([(b"SELECT $1::int + 1", [b"1"])])
    failing = pipe.send([(b"SELECT 1 / $1::int", [b"0"]), (b"SELECT $1::int", [b"9"])])
    third = pipe.send([(b"SELECT $1::text || 'c'", [b"ab"])])
    assert pipe.wait(third)[0].get_value(0, 0) == b"abc"  # reads the earlier two on the way
    assert pipe.wait(first)[0].get_value(0, 0) == b"2"
    with pytest.raises(psycopg.errors.DivisionByZero):
        pipe.wait(failing)
    assert not pipe.broken and pipe.idle


def test_statements_larger_than_the_socket_buffer_are_sent_whole(pipe: Pipeline) -> None:
    """psycopg's connections are non-blocking: a batch bigger than the socket takes at once is still sent.

    With a 4 kB send buffer one flush sends a sliver of a 2 MB batch; the rest used to stay in libpq's
    buffer while the reader waited forever for results (four threads appending 1 MB payloads on a busy
    machine hung that way).
    """
    import socket

    with socket.socket(fileno=pipe._pgconn.socket) as sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            blob = b"x" * 1_000_000
            outcome: list[object] = []

            def send_and_wait() -> None:
                try:
                    ticket = pipe.send([(b"SELECT length($1::text)", [blob]), (b"SELECT length($1::text)", [blob])])
                    outcome.extend(r.get_value(0, 0) for r in pipe.wait(ticket))
                except BaseException as exc:  # reported below
                    outcome.append(exc)

            worker = threading.Thread(target=send_and_wait, daemon=True)
            worker.start()
            worker.join(60)
            assert not worker.is_alive(), "the pipeline hung: a partly flushed batch never reached the server"
            assert outcome == [b"1000000", b"1000000"]
            assert not pipe.broken and pipe.idle
        finally:
            sock.detach()  # the connection still owns the descriptor


def test_a_failed_transaction_is_rolled_back_and_its_statements_stay_prepared(pipe: Pipeline) -> None:
    """A Sync ends each transaction; a statement first prepared in a failing one can be used again."""
    pipe.wait(pipe.send([(b"CREATE TEMP TABLE t (x int PRIMARY KEY)", [])]))
    insert = b"INSERT INTO t VALUES ($1::int)"
    with pytest.raises(psycopg.errors.UniqueViolation):
        pipe.wait(pipe.send([(insert, [b"1"]), (insert, [b"1"])]))
    pipe.wait(pipe.send([(insert, [b"2"])]))
    assert _value(pipe, b"SELECT string_agg(x::text, ',') FROM t") == b"2"


def test_an_open_transaction_holds_its_lock_until_the_sync(pipe: Pipeline) -> None:
    """Statements sent without a Sync stay in one transaction, so an advisory lock is held across them."""
    pipe.wait(pipe.send([(b"SELECT pg_advisory_xact_lock(4242)", [])], sync=False))
    with _connect() as other:
        assert other.execute("SELECT pg_try_advisory_xact_lock(4242)").fetchone() == (False,)
        pipe.wait(pipe.send([(b"SELECT 1", [])]))  # the Sync commits
        assert other.execute("SELECT pg_try_advisory_xact_lock(4242)").fetchone() == (True,)


def test_threads_share_one_pipeline(pipe: Pipeline) -> None:
    """Four threads send and wait at once; each reads back exactly its own values."""
    errors: list[str] = []

    def work(n: int) -> None:
        for i in range(100):
            got = _value(pipe, b"SELECT $1::text", [f"{n}:{i}".encode()])
            if got != f"{n}:{i}".encode():
                errors.append(f"{n}:{i} read {got!r}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_close_leaves_a_clean_connection() -> None:
    """After close() the connection is out of pipeline mode and our prepared statements are gone."""
    conn = _connect()
    try:
        pipe = Pipeline(conn)
        pipe.wait(pipe.send([(b"SELECT $1::int", [b"5"])]))
        assert pipe.close()
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'steward_audit_%'"
                            ).fetchone() == (0,)
    finally:
        conn.close()


def test_a_killed_connection_fails_every_pending_ticket(pipe: Pipeline) -> None:
    """The backend is terminated mid-flight: waiting tickets fail, the pipeline reports itself broken."""
    pid = _value(pipe, b"SELECT pg_backend_pid()")
    slow = pipe.send([(b"SELECT pg_sleep(0.5)", [])])
    after = pipe.send([(b"SELECT 1", [])])
    with _connect() as admin:
        time.sleep(0.1)
        admin.execute("SELECT pg_terminate_backend(%s)", (int(pid or b"0"),))
    with pytest.raises(psycopg.OperationalError):
        pipe.wait(slow)
    with pytest.raises(psycopg.OperationalError):
        pipe.wait(after)
    assert pipe.broken
    with pytest.raises(psycopg.OperationalError):
        pipe.send([(b"SELECT 1", [])])


def test_rows_come_back_as_python_values(pipe: Pipeline) -> None:
    """Integers, bytea, text and NULL from a text-format result."""
    res = pipe.wait(pipe.send([("SELECT 7::int8, 3::int2, '\\x00ff'::bytea, 'é'::text, NULL::text".encode(), [])]))[0]
    assert rows(res) == [(7, 3, b"\x00\xff", "é", None)]


def test_text_params() -> None:
    """Values become libpq text parameters; NUL (which would cut a text parameter short) is refused."""
    assert text_param("é'\\") == "é'\\".encode()
    assert text_param(12) == b"12"
    assert text_param(b"\x00\xff") == b"\\x00ff"
    assert text_param(None) is None
    with pytest.raises(psycopg.DataError, match="NUL"):
        text_param("a\x00b")
    with pytest.raises(TypeError):
        text_param(1.5)


def test_predicted_appends_refused_after_another_writer_are_rewritten(pg_url: str) -> None:
    """Appends hashed on a predicted head queue behind another writer's transaction; when it commits
    they are refused by the insert guard and rewritten on the real head: one gapless, verifying chain."""
    engine = open_engine(pg_url)
    install_schema(engine)
    log, other = AuditLog(engine), AuditLog(engine)
    try:
        log.append("t.first", actor="a")  # gives the log a predicted head
        with engine.connect() as conn:
            other.append("t.other", actor="b", conn=conn)  # holds the lock until this transaction commits
            threads = [threading.Thread(target=log.append, args=("t.queued",), kwargs={"actor": f"w{n}"})
                       for n in range(4)]
            for t in threads:
                t.start()
            time.sleep(0.3)  # their transactions are sent and wait for the lock
            assert log.size() == 1
            conn.commit()
        for t in threads:
            t.join()
        entries = log.entries()
        assert [e.seq for e in entries] == list(range(6))
        assert [e.type for e in entries[:2]] == ["t.first", "t.other"]
        assert sorted(e.actor for e in entries[2:]) == ["w0", "w1", "w2", "w3"]
        assert log.verify().ok
        assert log._writer._contended > 0  # it noticed the other writer and reads the head first for a while
    finally:
        log.close()
        other.close()
        engine.dispose()

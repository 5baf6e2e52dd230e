"""AuditLog: appending, reading, proofs from the stored tree, failing closed."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from audit import (
    AuditLog,
    AuditPayloadError,
    AuditStorageError,
    AuditWriteError,
    Event,
    FakeClock,
    HmacFields,
    Redactor,
    SecretScrub,
    install_schema,
    open_engine,
)
from audit.merkle import leaf_hash, merkle_root
from audit.models import ZERO_HASH

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class TestAppend:
    """Appending events."""

    def test_first_entries_chain(self, log: AuditLog) -> None:
        """seq starts at 0, prev_hash starts at zero and links every entry to the previous one."""
        a = log.append("request.received", actor="agent:bot-1", action_id="req_1", payload={"x": 1})
        b = log.append("request.queued", actor="system", action_id="req_1")
        assert (a.seq, b.seq) == (0, 1)
        assert a.prev_hash == ZERO_HASH and b.prev_hash == a.hash
        assert a.computed_hash() == a.hash and b.payload == {}

    def test_hash_is_the_merkle_leaf(self, log: AuditLog) -> None:
        """An entry's hash is SHA-256(0x00 || canonical JSON without hash)."""
        e = log.append("a.b", actor="x", payload={"k": [1, 2.5, "é"]})
        assert e.hash == leaf_hash(e.body().encode()).hex()
        assert log.root() == bytes.fromhex(e.hash)

    def test_timestamps_from_the_clock(self, engine: Engine) -> None:
        """ts comes from the injected clock, UTC with milliseconds and Z."""
        clock = FakeClock(datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC))
        log = AuditLog(engine, clock=clock)
        e = log.append("a.b", actor="x")
        assert e.ts == "2030-05-06T07:08:09.123Z" and TS.match(e.ts)
        log.close()

    def test_entries_read_back_equal(self, log: AuditLog) -> None:
        """What append returns is what entries() and get() read back."""
        written = [log.append("t.e", actor="a", action_id=f"r{i % 2}", payload={"i": i}) for i in range(5)]
        assert log.entries() == written
        assert log.get(3) == written[3]
        assert log.size() == 5

    def test_entries_filters(self, log: AuditLog, clock: FakeClock) -> None:
        """entries() filters by action, seq, types, ts window and limit."""
        for i in range(6):
            log.append("x.even" if i % 2 == 0 else "x.odd", actor="a", action_id=f"r{i % 3}")
        assert [e.seq for e in log.entries(action_id="r0")] == [0, 3]
        assert [e.seq for e in log.entries(after_seq=3)] == [4, 5]
        assert [e.seq for e in log.entries(types=["x.odd"], limit=2)] == [1, 3]
        ts = [e.ts for e in log.entries()]
        assert [e.seq for e in log.entries(since=ts[2], until=ts[4])] == [2, 3]

    def test_seq_range_is_the_first_and_last_of_an_action(self, log: AuditLog) -> None:
        for i in range(7):
            log.append("x.event", actor="a", action_id=f"r{i % 3}")
        for action in ("r0", "r1", "r2"):
            seqs = [e.seq for e in log.entries(action_id=action)]
            assert log.seq_range(action) == (min(seqs), max(seqs))
        assert log.seq_range("r0") == (0, 6)
        assert log.seq_range("nobody") is None

    def test_append_many_is_atomic_and_ordered(self, log: AuditLog) -> None:
        """append_many writes a batch in order under one lock."""
        out = log.append_many(Event("b.c", "a", {"i": i}, f"r{i}") for i in range(300))
        assert [e.seq for e in out] == list(range(300))
        assert log.verify().ok

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"type": "NoDots"}, "dotted"),
            ({"type": "a.b", "actor": ""}, "actor"),
            ({"type": "a.b", "action_id": ""}, "action_id"),
            ({"type": "a.b", "actor": "bot\x00"}, "without NUL"),
            ({"type": "a.b", "action_id": "req_\x00"}, "without NUL"),
            ({"type": "a.b", "payload": {"x": float("nan")}}, "cannot be logged"),
            ({"type": "a.b", "payload": {"x": b"bytes"}}, "cannot be logged"),
            ({"type": "a.b", "payload": {"x": "y" * 1_000_001}}, "limit"),
        ],
    )
    def test_invalid_events_refused(self, log: AuditLog, kwargs: dict[str, Any], message: str) -> None:
        """Invalid events raise AuditPayloadError and write nothing."""
        args = {"actor": "x", **kwargs}
        with pytest.raises(AuditPayloadError, match=message):
            log.append(args.pop("type"), **args)
        assert log.size() == 0


class TestFailClosed:
    """Any failure to write raises AuditWriteError."""

    def test_missing_tables(self, tmp_path: Any) -> None:
        """A database without the audit tables refuses the write."""
        engine = open_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        log = AuditLog(engine)
        with pytest.raises(AuditStorageError):
            log.append("a.b", actor="x")
        engine.dispose()

    def test_failing_redactor_blocks_the_write(self, engine: Engine) -> None:
        """If redaction fails the event is not written in the clear."""
        def broken(payload: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("boom")

        log = AuditLog(engine, redactor=broken)
        with pytest.raises(AuditWriteError, match="redaction failed"):
            log.append("a.b", actor="x", payload={"email": "a@b.c"})
        log.close()

    def test_database_refusal(self, log: AuditLog) -> None:
        """When the database refuses the insert, append raises AuditStorageError (retryable)."""
        log.append("a.b", actor="x")
        with log.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(
                    "CREATE TRIGGER refuse BEFORE INSERT ON audit_entries "
                    "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
                )
            else:
                conn.exec_driver_sql(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
                )
                conn.exec_driver_sql(
                    "CREATE TRIGGER refuse BEFORE INSERT ON audit_entries "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
        with pytest.raises(AuditStorageError, match="disk full") as info:
            log.append("a.b", actor="x")
        assert info.value.retryable
        assert log.size() == 1


class TestCallerTransaction:
    """append(conn=...) joins the caller's transaction."""

    def test_commits_with_the_caller(self, log: AuditLog) -> None:
        """The event becomes visible when the caller commits."""
        with log.engine.begin() as conn:
            e = log.append("state.changed", actor="x", conn=conn)
        assert log.get(e.seq) == e

    def test_rolls_back_with_the_caller(self, log: AuditLog) -> None:
        """If the caller rolls back, the event is gone and the next append reuses its seq."""
        log.append("a.b", actor="x")
        conn = log.engine.connect()
        conn.begin()
        ghost = log.append("a.b", actor="x", payload={"ghost": True}, conn=conn)
        conn.rollback()
        conn.close()
        real = log.append("a.b", actor="x", payload={"real": True})
        assert ghost.seq == real.seq == 1
        assert real.prev_hash == log.get(0).hash
        assert log.verify().ok

    def test_state_change_and_event_are_atomic(self, log: AuditLog) -> None:
        """A state change and its audit event commit together or not at all."""
        with log.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t_state (v INTEGER)")
        with pytest.raises(RuntimeError), log.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t_state VALUES (1)")
            log.append("state.changed", actor="x", conn=conn)
            raise RuntimeError("crash before commit")
        with log.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM t_state")).scalar() == 0
        assert log.size() == 0


class TestSharedDatabase:
    """Several AuditLog objects (as in several processes) share one database."""

    def test_interleaved_logs_stay_one_chain(self, engine: Engine) -> None:
        """Two logs alternating appends keep one gapless chain and a correct tree."""
        a, b = AuditLog(engine), AuditLog(engine)
        for i in range(40):
            (a if i % 3 else b).append("x.y", actor="a" if i % 3 else "b", payload={"i": i})
        report = a.verify()
        assert report.ok and report.entries == 40
        assert a.root() == merkle_root(bytes.fromhex(e.hash) for e in a.entries())
        a.close()
        b.close()

    def test_threads_share_one_log(self, log: AuditLog) -> None:
        """Threads appending through one log (group commit) get distinct seqs, all committed."""
        results: list[int] = []
        lock = threading.Lock()

        def work(n: int) -> None:
            for i in range(25):
                e = log.append("t.x", actor=f"t{n}", payload={"i": i})
                with lock:
                    results.append(e.seq)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == list(range(100))
        assert log.verify().ok


class TestProofs:
    """Roots and proofs come from the stored tree in O(log n) reads."""

    def test_roots_and_proofs_match_the_reference(self, log: AuditLog) -> None:
        """Every root, inclusion and consistency proof from the database verifies."""
        entries = log.append_many(Event("p.q", "a", {"i": i}) for i in range(37))
        leaves = [bytes.fromhex(e.hash) for e in entries]
        for n in (1, 2, 5, 16, 37):
            assert log.root(n) == merkle_root(leaves[:n])
        for seq in (0, 1, 17, 36):
            proof = log.inclusion_proof(seq)
            assert proof.tree_size == 37
            proof.verify()
        for old in (1, 8, 20, 36, 37):
            log.consistency_proof(old, 37).verify()


class TestRedaction:
    """Redaction runs before anything is hashed or stored."""

    def test_pii_and_secrets_never_stored(self, engine: Engine) -> None:
        """Secrets are dropped and PII fields HMAC'd before the write."""
        key = b"k" * 32
        log = AuditLog(engine, redactor=Redactor([SecretScrub(), HmacFields(["email"], key)]))
        e = log.append("request.received", actor="a", payload={
            "params": {"email": "alice@example.com", "password": "hunter2"}, "note": "ok",
        })
        assert "password" not in e.payload["params"]
        assert e.payload["params"]["email"].startswith("hmac-sha256:")
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT payload FROM audit_entries")).scalar()
        assert "alice" not in stored and "hunter2" not in stored
        log.close()


def test_fake_clock_steps() -> None:
    """FakeClock advances by its step and on demand."""
    clock = FakeClock(datetime(2025, 1, 1, tzinfo=UTC), step=timedelta(seconds=1))
    assert clock.now().second == 0 and clock.now().second == 1
    clock.advance(minutes=1)
    assert clock.now().minute == 1


def test_appended_entries_equal_the_validated_model(engine: Engine) -> None:
    """The writer builds entries without validation; they must be indistinguishable from validated ones."""
    from audit.models import AuditEntry, trusted_entry

    log = AuditLog(engine)
    entry = log.append("t.model", actor="tester", action_id="a1", payload={"n": 1, "s": ["x", None]})
    validated = AuditEntry.model_validate(entry.model_dump())
    assert entry == validated and entry.model_dump() == validated.model_dump()
    assert entry.model_fields_set == validated.model_fields_set
    assert entry.computed_hash() == entry.hash and log.entries() == [entry]
    with pytest.raises(Exception, match="frozen"):
        entry.seq = 5  # type: ignore[misc]
    built = trusted_entry(0, "t", "a.b", None, "x", {}, ZERO_HASH, "h")
    assert built == AuditEntry.model_construct(
        seq=0, ts="t", type="a.b", action_id=None, actor="x", payload={}, prev_hash=ZERO_HASH, hash="h"
    )
    log.close()


def test_timestamps_are_utc_whatever_zone_the_clock_gives() -> None:
    from audit.clock import format_ts

    moment = datetime(2026, 11, 21, 22, 30, 5, 123456, tzinfo=UTC)
    assert format_ts(moment) == "2026-11-21T22:30:05.123Z"
    assert format_ts(moment.replace(tzinfo=None)) == "2026-11-21T22:30:05.123Z"
    from datetime import timezone

    assert format_ts(moment.astimezone(timezone(timedelta(hours=-5)))) == "2026-11-21T22:30:05.123Z"
    assert format_ts(moment.replace(tzinfo=timezone(timedelta(0)))) == "2026-11-21T22:30:05.123Z"


def test_sqlite_appends_on_a_stale_predicted_head_are_rewritten(sqlite_url: str) -> None:
    """Two logs on one file (as two processes would be): each one's predicted head goes stale
    whenever the other appends; the insert guard refuses the stale append and it is rewritten."""
    engines = [open_engine(sqlite_url), open_engine(sqlite_url)]
    install_schema(engines[0])
    first, second = (AuditLog(e) for e in engines)
    try:
        for i in range(6):
            first.append("t.first", actor="a", payload={"i": i})  # predicted after the first few
        assert first._writer._contended == 0 and first._writer._tail == (6, first.entries()[-1].hash)
        other = second.append("t.second", actor="b")  # the first log's prediction is now stale
        entry = first.append("t.first", actor="a", payload={"i": 6})
        assert other.seq == 6 and entry.seq == 7 and entry.prev_hash == other.hash
        assert first._writer._contended > 0  # it reads the head first for a while now
        for i in range(20):
            (first if i % 3 else second).append("t.mixed", actor="c", payload={"i": i})
        report = first.verify()
        assert report.ok and report.entries == 28
    finally:
        first.close()
        second.close()
        for e in engines:
            e.dispose()


def test_payloads_that_cannot_be_utf8_or_are_too_big_are_refused(engine: Engine) -> None:
    """A lone surrogate has no UTF-8 form; the size limit counts UTF-8 bytes, not characters."""
    from audit.log import MAX_PAYLOAD_BYTES

    log = AuditLog(engine)
    with pytest.raises(AuditPayloadError, match="cannot be logged"):
        log.append("t.bad", actor="a", payload={"x": "\ud800"})
    with pytest.raises(AuditPayloadError, match="limit"):  # fewer characters than the limit, more bytes
        log.append("t.big", actor="a", payload={"x": "é" * (MAX_PAYLOAD_BYTES // 2)})
    log.append("t.ok", actor="a", payload={"x": "é" * 10})
    assert log.size() == 1
    log.close()

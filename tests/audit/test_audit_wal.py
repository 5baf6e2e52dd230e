"""SQLite WAL checkpoints off the append path: they run, keep the log bounded, and never fail an append."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from audit import AuditLog, install_schema, open_engine
from audit._wal import SQLITE_DEFAULT_AUTOCHECKPOINT, WalCheckpointer


def _log(tmp_path: Path, **wal: float) -> tuple[AuditLog, Path]:
    path = tmp_path / "audit.db"
    engine = open_engine(f"sqlite:///{path}")
    install_schema(engine)
    log = AuditLog(engine)
    if wal:
        log._writer._wal = WalCheckpointer(str(path), **wal)  # type: ignore[arg-type]
    return log, path


def _append(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.append("t.wal", actor="tester", action_id=f"a{i}", payload={"i": i, "text": "x" * 300})


def _autocheckpoint(raw: object) -> int:
    cursor = raw.cursor()  # type: ignore[attr-defined]
    try:
        return int(cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    finally:
        cursor.close()


def test_checkpoints_run_in_the_background_and_connections_go_back_as_they_came(tmp_path: Path) -> None:
    log, _ = _log(tmp_path)
    wal = log._writer._wal
    assert wal is not None
    _append(log, 300)
    held = log._writer._idle[-1][0]
    assert _autocheckpoint(held) == 0  # the writer's own connection leaves checkpoints to the thread
    deadline = time.monotonic() + 10
    while wal.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert wal.checkpoints > 0 and wal.last_error is None
    log.close()
    assert wal._thread is None  # close() waited for the last checkpoint
    raw = log.engine.raw_connection()  # the pool hands back the connection the writer used
    try:
        assert _autocheckpoint(raw) == SQLITE_DEFAULT_AUTOCHECKPOINT
    finally:
        raw.close()
    assert log.verify().ok
    log.engine.dispose()


FRAME = 4096 + 24  # a page and its frame header


def _wal_bytes(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


@pytest.mark.parametrize("catch_up", [True, False])
def test_the_writer_catch_up_starts_the_log_over(tmp_path: Path, catch_up: bool) -> None:
    """A background checkpoint alone never lets the log rewind under load; the writer's catch-up does.

    Driven step by step, the thread kept asleep: a reader's snapshot stands in for the appends a
    busy writer makes while the thread copies, so the thread's checkpoint cannot copy everything.
    """
    log, path = _log(tmp_path, every_commits=10**9, catch_up_frames=200, idle_s=600)
    wal = log._writer._wal
    assert wal is not None
    _append(log, 300)  # no checkpoint copies anything yet
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM audit_entries").fetchone()  # holds its snapshot
    _append(log, 50)
    conn = wal._checkpoint(None)  # what the thread does; it copies up to the reader's snapshot only
    assert conn is not None and wal.catch_up
    reader.execute("ROLLBACK")
    reader.close()
    before = _wal_bytes(path)
    wal.catch_up = catch_up
    _append(log, 20)  # the first commit's catch-up copies the rest; the second begins the log anew
    grown = (_wal_bytes(path) - before) // FRAME
    if catch_up:  # only the first commit (about 3 frames) lands at the end; then the log starts over
        assert wal.catch_ups == 1 and grown < 10, grown
    else:  # without it the log never starts over while appends keep coming: 20 commits' frames
        assert wal.catch_ups == 0 and grown > 40, grown
    conn.close()
    log.close()
    assert log.size() == 370 and log.verify().ok
    log.engine.dispose()


def test_sustained_appends_ask_for_catch_ups(tmp_path: Path) -> None:
    log, _ = _log(tmp_path, every_commits=8, catch_up_frames=200)
    wal = log._writer._wal
    assert wal is not None
    _append(log, 3000)
    log.close()
    assert wal.catch_ups > 0 and wal.checkpoints > 0 and wal.last_error is None
    assert log.size() == 3000 and log.verify().ok
    log.engine.dispose()


def test_a_failing_checkpointer_never_fails_an_append(tmp_path: Path) -> None:
    log, _ = _log(tmp_path)
    log._writer._wal = WalCheckpointer(str(tmp_path / "missing" / "dir" / "audit.db"), every_commits=4)
    _append(log, 60)
    log.close()
    wal = log._writer._wal
    assert wal.last_error is not None and "OperationalError" in wal.last_error
    assert log.size() == 60 and log.verify().ok
    log.engine.dispose()


def test_the_thread_stops_when_appends_stop_and_starts_again(tmp_path: Path) -> None:
    log, path = _log(tmp_path, every_commits=1000, idle_s=0.05)
    wal = log._writer._wal
    assert wal is not None
    _append(log, 20)
    deadline = time.monotonic() + 10
    while wal._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert wal._thread is None and wal.checkpoints >= 1  # idle: a last checkpoint, then gone
    with sqlite3.connect(path) as conn:  # everything is in the database file, not only the log
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and frames == copied
    _append(log, 5)
    assert wal._thread is not None or wal.checkpoints >= 2
    log.close()
    assert log.size() == 25
    log.engine.dispose()


def test_memory_databases_have_no_checkpointer() -> None:
    engine = open_engine("sqlite://")
    try:
        install_schema(engine)
        log = AuditLog(engine)
        assert log._writer._wal is None
        log.append("t.wal", actor="tester")
        log.close()
    finally:
        engine.dispose()

"""The append hot path: lock, read the head, hash, insert entries and tree nodes.

It talks DB-API directly: SQLAlchemy's per-statement overhead is several times
the cost of a SQLite transaction. On PostgreSQL it goes one level lower, to
libpq (``audit._pg``).

PostgreSQL appends are pipelined. Every synchronous commit holds the
single-writer lock through its WAL flush, so a writer that waited for each
transaction before hashing the next would leave the CPU idle during every
flush and the server idle during every hash. Instead, up to two group-commit
leaders write at once over one connection in libpq pipeline mode: the second
hashes its batch on top of the first one's predicted head while the first is
still in flight, and sends its transaction (lock, inserts, Sync) straight
away; the server runs it the moment the first commits. Batches are hashed
and sent in one order (``_order``). The prediction is only an optimisation:
the insert guard refuses an entry whose seq is not max(seq)+1 or whose
prev_hash does not link to the committed head, so if the transaction it was
built on failed, or another process appended in between, it is refused as a
whole and rewritten on the head read under the lock (``_send_on_read_head``).
SQLite appends predict the same way (``_write_own_sqlite``). Nothing returns
before its own commit.

The Merkle frontier of every recent head this process computed is cached, so
a warm append hashes only its own leaf and the nodes it completes. On SQLite
WAL checkpoints run off the append path (``audit._wal``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine

from audit import _pg, _tree
from audit._statements import insert_statements, pipeline_reader, prepared_inserts
from audit._wal import WalCheckpointer
from audit.clock import Clock, format_ts
from audit.merkle import Frontier
from audit.models import ZERO_HASH, AuditEntry, entry_body, entry_leaf, trusted_entry

__all__ = ["Prepared", "Writer"]

# One advisory lock per entries table (so per schema), held until commit.
LOCK_SQL = f"SELECT pg_advisory_xact_lock({0x53544557 << 32} | 'audit_entries'::regclass::oid::bigint)"
HEAD_SQL = "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1"
_LOCK, _HEAD = LOCK_SQL.encode(), HEAD_SQL.encode()
_HOLD_S = 1.0  # a held connection idle longer than this goes back through the pool
_FRONTIERS = 16  # recent heads whose Merkle frontier is kept
_REFUSED = (psycopg.errors.UniqueViolation, psycopg.errors.RaiseException)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated, redacted event ready to be hashed and written."""

    type: str
    action_id: str | None
    actor: str
    payload_text: str


Head = tuple[int, str]  # (size, hash of the last entry)


@dataclass(frozen=True, slots=True)
class _Computed:
    entry_rows: list[tuple[Any, ...]]
    node_rows: list[tuple[Any, ...]]
    entries: list[AuditEntry]
    head: Head  # the head once these rows are in


class Writer:
    """Appends prepared events to the log in ``engine``."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._pg = engine.dialect.name == "postgresql"
        self._lock = threading.Lock()  # guards the fields below
        self._settled = threading.Condition(self._lock)  # notified when nothing is in flight
        self._order = threading.Lock()  # PostgreSQL: batches are hashed and sent in this order
        self._frontiers: OrderedDict[Head, tuple[bytes, ...]] = OrderedDict()
        self._tail: Head | None = None  # the head once every transaction sent has committed
        self._inflight = 0  # transactions sent, result not read yet
        self._contended = 0  # > 0: other processes write too; read the head under the lock first
        # PostgreSQL: the connection in pipeline mode, kept while appends keep coming.
        self._pipe: _pg.Pipeline | None = None
        self._pipe_raw: Any = None
        self._pipe_at = 0.0
        # SQLite: connections of recent appends, kept for the next ones if they come
        # within _HOLD_S (saves the pool's checks on busy logs).
        self._idle: list[tuple[Any, float]] = []
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        self._wal = WalCheckpointer(path) if path and path != ":memory:" and not path.startswith("file:") else None

    def close(self) -> None:
        """Return held connections to the pool."""
        with self._lock:
            idle, self._idle = self._idle, []
            pipe = self._pipe
        for raw, _ in idle:
            self._release(raw)
        if pipe is not None:
            self._drop_pipeline(pipe)
        if self._wal is not None:
            self._wal.close()

    # -- SQLite connections -------------------------------------------------------------------

    def _checkout(self) -> Any:
        now = time.monotonic()
        while True:
            with self._lock:
                raw, at = self._idle.pop() if self._idle else (None, 0.0)
            if raw is None:
                raw = self._engine.raw_connection()
                if self._wal is not None:
                    try:
                        self._wal.attach(raw)  # checkpoints run in the background (audit._wal)
                    except BaseException:
                        raw.invalidate()
                        raise
                return raw
            if now - at <= _HOLD_S:
                return raw
            self._release(raw)  # idle too long: back through the pool

    def _checkin(self, raw: Any) -> None:
        with self._lock:
            self._idle.append((raw, time.monotonic()))

    def _release(self, raw: Any) -> None:
        """Return a SQLite connection to the pool as the pool handed it out."""
        if self._wal is not None:
            try:
                self._wal.detach(raw)
            except Exception:  # a connection in a bad state is not put back
                raw.invalidate()
                return
        raw.close()

    # -- appending in a transaction of our own ------------------------------------------------

    def write_own(self, items: Sequence[Prepared]) -> list[AuditEntry]:
        """Append ``items`` in a transaction of their own; return them once committed."""
        if self._pg:
            return self._write_own_pg(items)
        raw = self._checkout()
        try:
            out = self._write_own_sqlite(raw, items)
        except BaseException:
            self._release(raw)  # after a failure the pool gets it back (and checks it next time)
            raise
        if self._wal is not None:
            self._wal.committed(raw)
        self._checkin(raw)
        return out

    def _write_own_sqlite(self, raw: Any, items: Sequence[Prepared]) -> list[AuditEntry]:
        """Like PostgreSQL, build on the predicted head; the insert guard refuses a wrong one."""
        cursor = raw.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")  # the SQLite single-writer lock
            with self._lock:
                tail = self._tail if self._contended == 0 else None
                known = None if tail is None else self._frontiers.get(tail)
            computed = None
            if tail is not None and known is not None:
                computed = self._compute((tail[0] - 1, tail[1]), items, _tree.no_reads, Frontier(tail[0], known))
                try:
                    self._insert(cursor, "?", computed)
                except sqlite3.IntegrityError:  # another process appended: start over on the real head
                    raw.rollback()
                    cursor.execute("BEGIN IMMEDIATE")
                    computed = None
            if computed is None:
                computed = self._write(cursor, "sqlite", items)
            raw.commit()
        except BaseException:
            with self._lock:
                self._tail = None
            raw.rollback()
            raise
        finally:
            cursor.close()
        with self._lock:
            self._tail = computed.head
        return computed.entries

    def _write_own_pg(self, items: Sequence[Prepared]) -> list[AuditEntry]:
        pipe: _pg.Pipeline | None = None
        try:
            with self._order:
                pipe = self._pipeline()
                sent = self._send_predicted(pipe, items) if self._contended == 0 else None
            if sent is not None:
                out = self._land(pipe, *sent, refusable=True)
                if out is not None:
                    return out
            with self._order:
                pipe = self._pipeline()
                sent = self._send_on_read_head(pipe, items)
            out = self._land(pipe, *sent, refusable=False)
            assert out is not None
            return out
        finally:
            if pipe is not None and pipe.broken:
                self._drop_pipeline(pipe)

    def _pipeline(self) -> _pg.Pipeline:
        """The connection in pipeline mode (under ``_order``); a fresh one if it broke or idled."""
        with self._lock:
            pipe, raw, fresh = self._pipe, self._pipe_raw, time.monotonic() - self._pipe_at <= _HOLD_S
            self._pipe_at = time.monotonic()
        if pipe is not None and not pipe.broken and (fresh or not pipe.idle):
            return pipe
        if pipe is not None:
            self._drop_pipeline(pipe)  # idle too long: let the pool check a connection (pre-ping) again
        raw = self._engine.raw_connection()
        try:
            pg = raw.driver_connection
            assert isinstance(pg, psycopg.Connection)
            pg.autocommit = True  # the pipeline's Syncs end its transactions
            pipe = _pg.Pipeline(pg)
        except BaseException:
            raw.invalidate()
            raise
        with self._lock:
            self._pipe, self._pipe_raw = pipe, raw
        return pipe

    def _drop_pipeline(self, pipe: _pg.Pipeline) -> None:
        with self._lock:
            if self._pipe is not pipe:
                return
            raw, self._pipe, self._pipe_raw = self._pipe_raw, None, None
        if not pipe.close():
            raw.invalidate()
            return
        try:
            raw.driver_connection.autocommit = False  # as the pool handed it out
        except psycopg.Error:
            raw.invalidate()
        raw.close()

    def _send_predicted(self, pipe: _pg.Pipeline, items: Sequence[Prepared]) -> tuple[_pg.Ticket, _Computed] | None:
        """Hash and send ``items`` on top of the predicted head, without reading it (under ``_order``)."""
        with self._lock:
            tail = self._tail
            known = None if tail is None else self._frontiers.get(tail)
        if tail is None or known is None:
            return None
        computed = self._compute((tail[0] - 1, tail[1]), items, _tree.no_reads, Frontier(tail[0], known))
        return self._send(pipe, [(_LOCK, ())], computed), computed

    def _send_on_read_head(self, pipe: _pg.Pipeline, items: Sequence[Prepared]) -> tuple[_pg.Ticket, _Computed]:
        """Once nothing is in flight, take the lock, read the head, hash and send (under ``_order``)."""
        with self._lock:
            while self._inflight:
                self._settled.wait()
        ticket = pipe.send([(_LOCK, ()), (_HEAD, ())], sync=False)
        try:
            head = pipe.wait(ticket)[1]
            seq, last = (head.get_value(0, 0), head.get_value(0, 1)) if head.ntuples else (None, None)
            row = None if seq is None or last is None else (int(seq), last.decode())
            self._note_contention(row)
            computed = self._compute(row, items, pipeline_reader(pipe))
            return self._send(pipe, [], computed), computed
        except BaseException:
            if not pipe.broken:  # end the open transaction: it holds the lock, or failed and blocks the pipeline
                pipe.wait(pipe.send([], sync=True))
            raise

    def _send(self, pipe: _pg.Pipeline, first: list[_pg.Statement], computed: _Computed) -> _pg.Ticket:
        """Send the batch's transaction (under ``_order``); it is in flight until ``_land``."""
        ticket = pipe.send([*first, *prepared_inserts(computed.entry_rows, computed.node_rows)])
        with self._lock:
            self._inflight += 1
            self._tail = computed.head
        return ticket

    def _land(
        self, pipe: _pg.Pipeline, ticket: _pg.Ticket, computed: _Computed, *, refusable: bool
    ) -> list[AuditEntry] | None:
        """Wait for a sent transaction. None if it was refused (``refusable``): built on a wrong head.

        Only definite refusals (the primary key or the insert guard) count; if
        the commit itself may have failed, the error propagates (the events may
        exist).
        """
        failed: BaseException | None = None
        try:
            pipe.wait(ticket)
        except BaseException as exc:  # settled below, then re-raised or retried
            failed = exc
        with self._lock:
            self._inflight -= 1
            if failed is not None:
                self._tail = None  # whatever was built on it will be refused too
            if not self._inflight:
                self._settled.notify_all()
        if failed is None:
            return computed.entries
        if refusable and isinstance(failed, _REFUSED):
            return None
        raise failed

    def _note_contention(self, head_row: Any) -> None:
        """Did someone else append since our last commit? Then read the head first for a while."""
        head = None if head_row is None else (int(head_row[0]) + 1, str(head_row[1]))
        with self._lock:
            mine = head is None or head in self._frontiers  # empty, or last written by this process
        self._contended = max(0, self._contended - 8) if mine else 32

    # -- appending inside the caller's transaction ------------------------------------------

    def write_in(self, conn: Connection, items: Sequence[Prepared]) -> list[AuditEntry]:
        """Append ``items`` inside the caller's transaction on ``conn``."""
        if not conn.in_transaction():
            conn.begin()  # the caller commits, as with any autobegun SQLAlchemy transaction
        cursor = conn.connection.cursor()
        try:
            computed = self._write(cursor, conn.dialect.name, items)
        finally:
            cursor.close()
        with self._lock:
            self._tail = None  # the caller commits (or not) later: predict nothing from it
        return computed.entries

    def _write(self, cursor: Any, dialect: str, items: Sequence[Prepared]) -> _Computed:
        """Take the lock (PostgreSQL; SQLite's came with BEGIN IMMEDIATE), read the head, hash, insert."""
        if dialect == "postgresql":
            cursor.execute(LOCK_SQL)
        cursor.execute(HEAD_SQL)
        row = cursor.fetchone()
        self._note_contention(row)
        computed = self._compute(row, items, _tree.cursor_reader(cursor, dialect))
        self._insert(cursor, "%s" if dialect == "postgresql" else "?", computed)
        return computed

    @staticmethod
    def _insert(cursor: Any, mark: str, computed: _Computed) -> None:
        for sql, values in insert_statements(mark, computed.entry_rows, computed.node_rows):
            cursor.execute(sql, values)

    # -- hashing -------------------------------------------------------------------------------

    def _compute(
        self, head_row: Any, items: Sequence[Prepared], read: _tree.Reader, known: Frontier | None = None
    ) -> _Computed:
        size, prev = (0, ZERO_HASH) if head_row is None else (int(head_row[0]) + 1, str(head_row[1]))
        frontier = known if known is not None else self._frontier(read, size, prev)
        entry_rows: list[tuple[Any, ...]] = []
        node_rows: list[tuple[Any, ...]] = []
        out: list[AuditEntry] = []
        seq = size
        for it in items:
            ts = format_ts(self._clock.now())
            leaf = entry_leaf(entry_body(seq, ts, it.type, it.action_id, it.actor, it.payload_text, prev))
            for level, node in enumerate(frontier.push(leaf), start=1):
                node_rows.append((seq, level, node))
            h = leaf.hex()
            entry_rows.append((seq, ts, it.type, it.action_id, it.actor, it.payload_text, prev, h))
            out.append(trusted_entry(seq, ts, it.type, it.action_id, it.actor, json.loads(it.payload_text), prev, h))
            prev = h
            seq += 1
        head = (seq, prev)
        with self._lock:  # valid whether or not it commits: the frontier of exactly these entries
            self._frontiers[head] = frontier.nodes
            if len(self._frontiers) > _FRONTIERS:
                self._frontiers.popitem(last=False)
        return _Computed(entry_rows, node_rows, out, head)

    def _frontier(self, read: _tree.Reader, size: int, last_hash: str) -> Frontier:
        with self._lock:
            nodes = self._frontiers.get((size, last_hash))
        return Frontier(size, nodes) if nodes is not None else _tree.frontier_at(read, size)

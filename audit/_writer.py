"""The append hot path: lock, read the head, hash, insert entries and tree nodes.

It talks DB-API directly: SQLAlchemy's per-statement overhead is several times
the cost of a SQLite transaction. On PostgreSQL it goes one level lower, to
libpq through ``psycopg.pq``: a transaction of its own is one multi-statement
query (``BEGIN; lock; inserts; COMMIT``) whose values are quoted by libpq's
``PQescapeLiteral``, which costs a third of the CPU of psycopg's client-side
binding; libpq runs the query with the GIL released.

The head's Merkle frontier is cached between appends and used only when the
head read under the lock matches it (same size and last hash), so appends from
other processes, or a rolled-back caller transaction, just cost a reload.
"""

from __future__ import annotations

import codecs
import functools
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import Connection, Engine

from audit import _tree
from audit.clock import Clock, format_ts
from audit.merkle import Frontier
from audit.models import ZERO_HASH, AuditEntry, entry_body, entry_leaf

__all__ = ["Prepared", "Writer"]

# One advisory lock per entries table (so per schema), held until commit.
LOCK_SQL = f"SELECT pg_advisory_xact_lock({0x53544557 << 32} | 'audit_entries'::regclass::oid::bigint)"
HEAD_SQL = "SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1"
_HOLD_S = 1.0  # a held connection idle longer than this goes back through the pool
_ENTRY_COLS = "seq, ts, type, action_id, actor, payload, prev_hash, hash"


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated, redacted event ready to be hashed and written."""

    type: str
    action_id: str | None
    actor: str
    payload_text: str


@dataclass(frozen=True, slots=True)
class _Head:
    size: int
    last_hash: str
    frontier: tuple[bytes, ...]
    committed: bool = False  # True once our own transaction that wrote it has committed


_Computed = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[AuditEntry]]


def _no_reads(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    raise AssertionError("the optimistic path must not read")  # pragma: no cover


@functools.lru_cache(maxsize=256)
def _insert_sql(table: str, cols: str, mark: str, width: int, count: int) -> str:
    row = "(" + ", ".join([mark] * width) + ")"
    return f"INSERT INTO {table} ({cols}) VALUES {', '.join([row] * count)}"


def _insert_statements(
    mark: str, entry_rows: list[tuple[Any, ...]], node_rows: list[tuple[Any, ...]]
) -> list[tuple[str, list[Any]]]:
    """Multi-row INSERTs: one statement per table and 100 rows, whatever the batch size."""
    out: list[tuple[str, list[Any]]] = []
    for table, cols, rows in (
        ("audit_entries", _ENTRY_COLS, entry_rows),
        ("audit_tree_nodes", "seq, level, hash", node_rows),
    ):
        for start in range(0, len(rows), 100):
            chunk = rows[start : start + 100]
            sql = _insert_sql(table, cols, mark, len(chunk[0]), len(chunk))
            out.append((sql, [v for r in chunk for v in r]))
    return out


class _Quoter:
    """SQL literals for one connection: libpq quotes strings, numbers and bytes are spelled out.

    A UTF-8 string without a quote or a backslash needs no escaping: ``'...'``
    reads the same whatever ``standard_conforming_strings`` is, and so does
    ``decode('..', 'hex')``. Everything else goes through ``PQescapeLiteral``.
    """

    __slots__ = ("_encoding", "_escape", "_utf8")

    def __init__(self, pg: psycopg.Connection[Any]) -> None:
        self._escape = pq.Escaping(pg.pgconn).escape_literal
        self._encoding = pg.info.encoding
        self._utf8 = codecs.lookup(self._encoding).name == "utf-8"

    def __call__(self, value: Any) -> bytes:
        if type(value) is str:
            if "\x00" in value:
                raise psycopg.DataError("PostgreSQL text cannot contain NUL (0x00) characters")
            if self._utf8 and "'" not in value and "\\" not in value:
                return b"'" + value.encode("utf-8") + b"'"
            return self._escape(value.encode(self._encoding))
        if type(value) is int:
            return str(value).encode()
        if type(value) is bytes:
            return b"decode('" + value.hex().encode() + b"', 'hex')"
        if value is None:
            return b"NULL"
        raise TypeError(f"cannot write {type(value).__name__} to the audit log")


def _pg_run(pg: psycopg.Connection[Any], sql: bytes) -> pq.abc.PGresult:
    """Run ``sql`` (one or more statements) with libpq; return the last result or raise psycopg's error."""
    res = pg.pgconn.exec_(sql)
    if res.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return res
    state = res.error_field(pq.DiagnosticField.SQLSTATE)
    message = (res.error_message or pg.pgconn.error_message).decode("utf-8", "replace").strip()
    error: type[psycopg.Error] = psycopg.OperationalError
    if state:
        try:
            error = psycopg.errors.lookup(state.decode())
        except KeyError:
            error = psycopg.DatabaseError
    raise error(message or "the PostgreSQL connection failed")


class Writer:
    """Appends prepared events to the log in ``engine``."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._head: _Head | None = None
        self._lock = threading.Lock()
        self._conn_lock = threading.Lock()
        # The pooled connection of the last append, kept for the next one if it comes
        # within _HOLD_S (saves the pool's pre-ping round trip on busy logs).
        self._held: Any = None
        self._held_at = 0.0
        self._contended = 0  # > 0: other processes write too; skip the optimistic attempt

    def close(self) -> None:
        """Return a held connection to the pool."""
        with self._conn_lock:
            held, self._held = self._held, None
        if held is not None:
            held.close()

    def write_own(self, items: Sequence[Prepared]) -> list[AuditEntry]:
        """Append ``items`` in a transaction of their own; return them once committed."""
        with self._conn_lock:
            raw, self._held = self._held, None
            if raw is not None and time.monotonic() - self._held_at > _HOLD_S:
                raw.close()  # idle too long: let the pool check it (pre-ping) again
                raw = None
            if raw is None:
                raw = self._engine.raw_connection()
            try:
                if self._engine.dialect.name == "postgresql":
                    out = self._write_own_pg(raw, items)
                else:
                    out = self._write_own_sqlite(raw, items)
            except BaseException:
                raw.close()  # after a failure the pool gets it back (and checks it next time)
                raise
            self._held, self._held_at = raw, time.monotonic()
        return out

    def _write_own_sqlite(self, raw: Any, items: Sequence[Prepared]) -> list[AuditEntry]:
        cursor = raw.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")  # the SQLite single-writer lock
            out = self._write(cursor, "sqlite", items)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            cursor.close()
        return out

    def _write_own_pg(self, raw: Any, items: Sequence[Prepared]) -> list[AuditEntry]:
        pg: psycopg.Connection[Any] = raw.driver_connection
        pg.autocommit = True  # we send BEGIN/COMMIT ourselves, batched with real work
        try:
            out = self._try_optimistic_pg(pg, items) if self._contended == 0 else None
            if out is None:
                res = _pg_run(pg, f"BEGIN; {LOCK_SQL}; {HEAD_SQL}".encode())
                seq, last = (res.get_value(0, 0), res.get_value(0, 1)) if res.ntuples else (None, None)
                row = None if seq is None or last is None else (int(seq), last.decode())
                self._note_contention(row)
                with pg.cursor() as cursor:  # reads tree nodes only when the cached frontier is stale
                    computed = self._compute(row, items, _tree.cursor_reader(cursor, "postgresql"))
                self._commit_pg(pg, computed)
                out = computed[2]
        except BaseException:
            try:
                pg.execute("ROLLBACK")
            except Exception:  # the connection may be gone; the pool will notice
                raw.invalidate()
            raise
        finally:
            if raw.is_valid:
                pg.autocommit = False
        return out

    def _note_contention(self, head_row: Any) -> None:
        """Other writers appended since our last commit? Then skip the optimistic try for a while."""
        with self._lock:
            mine = self._head is not None and self._head.committed and head_row is not None and (
                self._head.size == int(head_row[0]) + 1 and self._head.last_hash == head_row[1]
            )
        self._contended = max(0, self._contended - 8) if mine else 32

    def _try_optimistic_pg(self, pg: psycopg.Connection[Any], items: Sequence[Prepared]) -> list[AuditEntry] | None:
        """One round trip when our last commit is still the head; None when it is not.

        The advisory lock is still taken; the primary key (and the insert guard)
        refuse the insert if another writer appended since, and we start over
        with a fresh head read. Only definite refusals fall back: if COMMIT
        itself may have failed, the error propagates (the event may exist).
        """
        with self._lock:
            head = self._head if self._head is not None and self._head.committed else None
        if head is None:
            return None
        computed = self._compute((head.size - 1, head.last_hash), items, _no_reads, head)
        try:
            self._commit_pg(pg, computed, begin=True)
        except (psycopg.errors.UniqueViolation, psycopg.errors.RaiseException):
            pg.execute("ROLLBACK")
            with self._lock:
                self._head = None
            self._contended = 32  # another process is writing too: read the head first for a while
            return None
        return computed[2]

    def _commit_pg(self, pg: psycopg.Connection[Any], computed: _Computed, *, begin: bool = False) -> None:
        entry_rows, node_rows, _ = computed
        quote = _Quoter(pg)
        parts = [b"BEGIN", LOCK_SQL.encode()] if begin else []
        for table, cols, rows in (
            (b"audit_entries", _ENTRY_COLS.encode(), entry_rows),
            (b"audit_tree_nodes", b"seq, level, hash", node_rows),
        ):
            if rows:
                values = b", ".join(b"(" + b", ".join(map(quote, r)) + b")" for r in rows)
                parts.append(b"INSERT INTO " + table + b" (" + cols + b") VALUES " + values)
        parts.append(b"COMMIT")
        _pg_run(pg, b"; ".join(parts))
        self._mark_committed(entry_rows)

    def _mark_committed(self, entry_rows: list[tuple[Any, ...]]) -> None:
        last_seq, last_hash = entry_rows[-1][0], entry_rows[-1][7]
        with self._lock:
            h = self._head
            if h is not None and h.size == last_seq + 1 and h.last_hash == last_hash:
                self._head = _Head(h.size, h.last_hash, h.frontier, True)

    def write_in(self, conn: Connection, items: Sequence[Prepared]) -> list[AuditEntry]:
        """Append ``items`` inside the caller's transaction on ``conn``."""
        if not conn.in_transaction():
            conn.begin()  # the caller commits, as with any autobegun SQLAlchemy transaction
        cursor = conn.connection.cursor()
        try:
            return self._write(cursor, conn.dialect.name, items)
        finally:
            cursor.close()

    def _write(self, cursor: Any, dialect: str, items: Sequence[Prepared]) -> list[AuditEntry]:
        if dialect == "postgresql":
            cursor.execute(LOCK_SQL)
        cursor.execute(HEAD_SQL)
        entry_rows, node_rows, out = self._compute(
            cursor.fetchone(), items, _tree.cursor_reader(cursor, dialect)
        )
        self._insert(cursor, "%s" if dialect == "postgresql" else "?", entry_rows, node_rows)
        return out

    @staticmethod
    def _insert(
        cursor: Any, mark: str, entry_rows: list[tuple[Any, ...]], node_rows: list[tuple[Any, ...]]
    ) -> None:
        for sql, values in _insert_statements(mark, entry_rows, node_rows):
            cursor.execute(sql, values)

    def _compute(
        self, head_row: Any, items: Sequence[Prepared], read: _tree.Reader, known: _Head | None = None
    ) -> _Computed:
        size, prev = (0, ZERO_HASH) if head_row is None else (int(head_row[0]) + 1, str(head_row[1]))
        frontier = (
            Frontier(known.size, known.frontier) if known is not None else self._frontier(read, size, prev)
        )
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
            out.append(AuditEntry.model_construct(
                seq=seq, ts=ts, type=it.type, action_id=it.action_id, actor=it.actor,
                payload=json.loads(it.payload_text), prev_hash=prev, hash=h,
            ))
            prev = h
            seq += 1
        # Valid only once committed; the next append checks it against the real head.
        with self._lock:
            self._head = _Head(seq, prev, frontier.nodes)
        return entry_rows, node_rows, out

    def _frontier(self, read: _tree.Reader, size: int, last_hash: str) -> Frontier:
        with self._lock:
            head = self._head
        if head is not None and head.size == size and head.last_hash == last_hash:
            return Frontier(size, head.frontier)
        return _tree.frontier_at(read, size)

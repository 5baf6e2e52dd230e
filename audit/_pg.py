"""libpq, one level below psycopg, for the PostgreSQL append path.

``Pipeline`` keeps one connection in libpq pipeline mode. A transaction is a
run of prepared statements closed by a Sync (the server commits the implicit
transaction there, or rolls it back if a statement failed), and the next one
can be sent before the first one's results are read: the server starts it the
moment the first one has committed, while the client hashes the one after.
Values go as text parameters, so nothing is quoted or parsed per append.

Results are awaited in ``poll`` with the GIL released. A failing statement
raises psycopg's exception class for its SQLSTATE, as psycopg itself would.
"""

from __future__ import annotations

import codecs
import select
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import pq

__all__ = ["Pipeline", "Statement", "Ticket", "rows", "run", "text_param"]

_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)
# A reader re-checks libpq's buffer at least this often: a sender flushing a large batch may have read the
# results off the socket already (see Pipeline._flush), and then no data wakes the reader's poll.
_READ_POLL_MS = 100


def _error(pg: psycopg.Connection[Any], res: pq.abc.PGresult | None) -> psycopg.Error:
    state = None if res is None else res.error_field(pq.DiagnosticField.SQLSTATE)
    text = (res.error_message if res is not None else b"") or pg.pgconn.error_message
    message = text.decode("utf-8", "replace").strip() or "the PostgreSQL connection failed"
    if not state:
        return psycopg.OperationalError(message)
    try:
        return psycopg.errors.lookup(state.decode())(message)
    except KeyError:
        return psycopg.DatabaseError(message)


def run(pg: psycopg.Connection[Any], sql: bytes) -> pq.abc.PGresult:
    """Run ``sql`` (one or more statements) outside pipeline mode; return the last result or raise."""
    res = pg.pgconn.exec_(sql)
    if res.status not in _OK:
        raise _error(pg, res)
    return res


def text_param(value: Any) -> bytes | None:
    """``value`` as a text-format parameter (libpq passes those NUL-terminated)."""
    if type(value) is str:
        if "\x00" in value:
            raise psycopg.DataError("PostgreSQL text cannot contain NUL (0x00) characters")
        return value.encode("utf-8")
    if type(value) is int:
        return str(value).encode()
    if type(value) is bytes:
        return b"\\x" + value.hex().encode()
    if value is None:
        return None
    raise TypeError(f"cannot write {type(value).__name__} to the audit log")


Statement = tuple[bytes, Sequence[bytes | None]]  # SQL with $n placeholders, text parameters

_INT_OIDS = frozenset({20, 21, 23})  # int8, int2, int4
_BYTEA_OID = 17


def rows(res: pq.abc.PGresult) -> list[tuple[Any, ...]]:
    """A text-format result as Python values: integers, bytes (bytea) and strings."""
    kinds = [res.ftype(c) for c in range(res.nfields)]
    out: list[tuple[Any, ...]] = []
    for r in range(res.ntuples):
        row: list[Any] = []
        for c, kind in enumerate(kinds):
            v = res.get_value(r, c)
            if v is None:
                row.append(None)
            elif kind in _INT_OIDS:
                row.append(int(v))
            elif kind == _BYTEA_OID:
                row.append(bytes.fromhex(v[2:].decode()))  # hex output: \x...
            else:
                row.append(v.decode("utf-8"))
        out.append(tuple(row))
    return out


class Ticket:
    """The results of statements sent on a ``Pipeline``, filled in by whoever reads them."""

    __slots__ = ("done", "error", "prepared", "results", "statements", "sync")

    def __init__(self, statements: int, sync: bool, prepared: bytes | None = None) -> None:
        self.statements = statements
        self.sync = sync  # closed by a Sync (a whole transaction) or left open
        self.prepared = prepared  # the SQL a prepare-only ticket prepared
        self.done = False
        self.error: psycopg.Error | None = None
        self.results: list[pq.abc.PGresult] = []


class Pipeline:
    """One connection in libpq pipeline mode, shared by the threads of one writer.

    libpq calls on the connection are serialized by ``_conn``; a reader waits
    for data in ``poll`` without it, so another thread can send meanwhile.
    Results come back in the order statements were sent: whoever waits reads
    them in that order, filling in other threads' tickets on the way. Once
    the connection breaks, every pending and later ticket fails.
    """

    def __init__(self, pg: psycopg.Connection[Any]) -> None:
        self._pg = pg
        self._pgconn = pg.pgconn
        self._conn = threading.Lock()
        self._reading = threading.Lock()
        self._pending: deque[Ticket] = deque()
        self._names: dict[bytes, bytes] = {}
        self._broken: psycopg.Error | None = None
        if codecs.lookup(pg.info.encoding).name != "utf-8":
            run(pg, b"SET client_encoding TO 'UTF8'")  # text parameters are sent as UTF-8
        self._pgconn.enter_pipeline_mode()
        self._poller = select.poll()
        self._poller.register(self._pgconn.socket, select.POLLIN)

    @property
    def idle(self) -> bool:
        """Nothing sent is still waiting to be read."""
        with self._conn:
            return not self._pending

    @property
    def broken(self) -> bool:
        """The connection failed; it cannot be used again."""
        return self._broken is not None

    def close(self) -> bool:
        """Leave pipeline mode and drop our prepared statements; True if the connection is clean again.

        Only an idle, healthy pipeline can be closed cleanly; the caller drops
        the connection otherwise.
        """
        with self._conn:
            if self._broken is not None or self._pending:
                return False
            try:
                self._pgconn.exit_pipeline_mode()
                if self._names:
                    run(self._pg, b"; ".join(b"DEALLOCATE " + n for n in self._names.values()))
            except psycopg.Error:
                return False
            self._names.clear()
            return True

    def send(self, statements: Sequence[Statement], *, sync: bool = True) -> Ticket:
        """Send ``statements``; with ``sync`` they end the transaction, else it stays open.

        A statement seen for the first time is prepared just before: nothing
        can fail ahead of it in its transaction (a transaction left open has
        had its results read), so the preparation always happens.
        """
        with self._conn:
            if self._broken is not None:
                raise self._broken
            try:
                names = [self._name(sql) for sql, _ in statements]
                for name, (_, params) in zip(names, statements, strict=True):
                    self._pgconn.send_query_prepared(name, params)
                if sync:
                    self._pgconn.pipeline_sync()
                else:
                    self._pgconn.send_flush_request()
                self._flush()
            except psycopg.Error as exc:
                self._break(exc)
                raise self._broken from exc  # type: ignore[misc]
            ticket = Ticket(len(statements), sync)
            self._pending.append(ticket)
        return ticket

    def _flush(self) -> None:
        """Send everything buffered; the caller holds ``_conn``.

        psycopg's connections are non-blocking, so one ``flush`` sends only what
        the socket takes: with large payloads on a busy server the rest stayed
        in libpq's buffer while the reader waited for results of statements the
        server never fully received (a hang, seen with four threads appending
        1 MB payloads on a loaded machine). Until the buffer is empty this
        waits for the socket to take more, and reads what the server sends
        meanwhile, so the server never blocks writing results to us.
        """
        sock = self._pgconn.socket
        while self._pgconn.flush() == 1:
            readable, _, _ = select.select([sock], [sock], [], 1.0)
            if readable:
                self._pgconn.consume_input()

    def _name(self, sql: bytes) -> bytes:
        name = self._names.get(sql)
        if name is None:
            name = self._names[sql] = b"steward_audit_%d" % len(self._names)
            self._pgconn.send_prepare(name, sql)
            self._pending.append(Ticket(1, False, prepared=sql))
        return name

    def wait(self, ticket: Ticket) -> list[pq.abc.PGresult]:
        """The results of ``ticket``'s statements, once read; raises the first failure."""
        with self._reading:
            while not ticket.done:
                with self._conn:
                    head = self._pending[0]
                self._read(head)
                with self._conn:
                    self._pending.popleft()
                    if head.prepared is not None and head.error is not None:
                        self._names.pop(head.prepared, None)  # prepare it again next time
                head.done = True
        if ticket.error is not None:
            raise ticket.error
        return ticket.results

    def _read(self, ticket: Ticket) -> None:
        try:
            for _ in range(ticket.statements):
                res = self._next()
                if res is None:
                    raise psycopg.OperationalError("PostgreSQL sent no result for a statement")
                if res.status not in _OK and ticket.error is None:
                    ticket.error = _error(self._pg, res)
                    if isinstance(ticket.error, psycopg.OperationalError):  # e.g. the server shut it down
                        self._break(ticket.error)
                ticket.results.append(res)
                if self._next() is not None:  # the end of that statement's results
                    raise psycopg.OperationalError("PostgreSQL sent more results than statements")
            if ticket.sync:
                res = self._next()
                if res is None or res.status != pq.ExecStatus.PIPELINE_SYNC:
                    raise psycopg.OperationalError("PostgreSQL did not close the transaction")
        except psycopg.Error as exc:
            self._break(exc)
        if self._broken is not None and ticket.error is None:
            ticket.error = self._broken

    def _next(self) -> pq.abc.PGresult | None:
        """The next result (None between statements), waiting for it in ``poll``."""
        if self._broken is not None:
            raise self._broken
        while True:
            with self._conn:
                self._pgconn.consume_input()
                if not self._pgconn.is_busy():
                    return self._pgconn.get_result()
            self._poller.poll(_READ_POLL_MS)

    def _break(self, exc: psycopg.Error) -> None:
        if self._broken is None:
            self._broken = exc

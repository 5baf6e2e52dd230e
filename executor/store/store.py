"""Durable request state, with every change and its audit event in one transaction.

A transition reads the row under a lock (SQLite: the BEGIN IMMEDIATE write
transaction that ``audit.open_engine`` configures; PostgreSQL: ``FOR UPDATE``),
checks the lifecycle allows it, updates the row and appends the audit event
before committing. If the audit append fails the whole transaction rolls back:
the state does not move without its record (fail closed).

Observers (``Store.observers``, e.g. the metrics) hear about each audit append's
duration and, after the commit only, about the events and the request as it
now is. Every event of a request carries the request's ``trace_id`` (the one
stored on its row, else the current span's: see ``executor.tracing``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from action_classes import request_ref
from audit import AuditLog, read_connection
from executor.clock import Clock, SystemClock
from executor.errors import FailClosed, InvalidState, NotFound
from executor.notify import HUB, KILL, QUEUE, publish
from executor.redaction import recordable
from executor.states import TERMINAL, RequestState, can_move
from executor.store.records import KillSwitch, RequestRecord, Snapshot
from executor.store.tables import kill_switches, requests
from executor.tracing import current_ids

if TYPE_CHECKING:
    from executor.metrics import StoreObserver

__all__ = ["Event", "Store"]

Event = tuple[str, dict[str, Any]]
T = TypeVar("T")
log = structlog.get_logger("steward.store")


class Store:
    """Requests, kill switches and their audit events."""

    def __init__(self, engine: Engine, audit: AuditLog, clock: Clock | None = None) -> None:
        self.engine = engine
        self.audit = audit
        self.clock = clock or SystemClock()
        self._pg = engine.dialect.name == "postgresql"
        # Called after a transaction that made a request terminal has committed.
        self.after_terminal: Callable[[RequestRecord], None] | None = None
        self.observers: list[StoreObserver] = []

    def _committed(self, rec: RequestRecord | None, events: list[Event]) -> None:
        """After the commit: tell the observers (a broken observer never undoes or fails a change)."""
        for observer in self.observers:
            try:
                observer.committed(rec, events)
            except Exception as exc:
                log.warning("store.observer_failed", error=f"{type(exc).__name__}: {exc}"[:300])

    def _terminal(self, rec: RequestRecord, events: list[Event] | None = None) -> RequestRecord:
        """After the commit: observers, terminal-state hooks, and wake the workers for a newly queued request."""
        if events is not None:
            self._committed(rec, events)
        if rec.state == RequestState.QUEUED:
            HUB.fire(QUEUE)
        if rec.terminal and self.after_terminal is not None:
            self.after_terminal(rec)
        return rec

    # -- transactions ---------------------------------------------------------

    def _tx(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction; audit failures fail closed."""
        try:
            with self.engine.begin() as conn:
                return work(conn)
        except (InvalidState, NotFound, IntegrityError):
            raise
        except FailClosed:
            raise
        except Exception as exc:
            if _is_audit_error(exc):
                raise FailClosed(f"audit log write failed, nothing changed: {exc}") from exc
            raise

    def _append(
        self, conn: Connection, events: Iterable[Event], request_id: str | None, actor: str,
        trace_id: str | None = None,
    ) -> None:
        trace_id = trace_id or current_ids()[0]
        for event_type, payload in events:
            if trace_id and "trace_id" not in payload:
                payload = {**payload, "trace_id": trace_id}
            started = time.perf_counter()
            try:
                # Payloads carry page text; a lone surrogate in it must not be able to fail the write.
                self.audit.append(event_type, action_id=request_id, actor=actor, payload=recordable(payload), conn=conn)
            except Exception as exc:
                raise FailClosed(f"audit log write failed, nothing changed: {exc}") from exc
            took = time.perf_counter() - started
            for observer in self.observers:
                with suppress(Exception):  # a broken observer never fails a change
                    observer.appended(took)

    def _row(self, conn: Connection, request_id: str, *, lock: bool) -> RequestRecord:
        query = select(requests).where(requests.c.id == request_id)
        if lock and self._pg:
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"no request {request_id!r}")
        return RequestRecord.model_validate(dict(row))

    # -- requests -------------------------------------------------------------

    @contextmanager
    def budget_lock(self) -> Iterator[Connection]:
        """One transaction in which budget usage is read and the request inserted.

        SQLite's BEGIN IMMEDIATE already excludes other writers; PostgreSQL takes
        a transaction-scoped advisory lock, so concurrent submits from any number
        of processes never both spend the same budget.
        """
        with self.engine.begin() as conn:
            if self._pg:
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('steward-budget'))"))
            yield conn

    def create(
        self, values: Mapping[str, Any], events: list[Event], actor: str, conn: Connection | None = None
    ) -> RequestRecord:
        """Insert a request and its first events atomically (inside ``conn`` when given)."""
        now = self.clock.now()
        row = {"attempts": 0, "created_at": now, "updated_at": now, **values}
        if row.get("state") == RequestState.QUEUED:
            row.setdefault("queued_at", now)

        def work(conn: Connection) -> RequestRecord:
            conn.execute(insert(requests).values(**row))
            self._append(conn, events, row["id"], actor, row.get("trace_id"))
            if row.get("state") == RequestState.QUEUED:
                publish(conn, QUEUE)
            return self._row(conn, row["id"], lock=False)

        if conn is not None:
            return work(conn)  # the caller commits, then calls finish_create
        return self._terminal(self._tx(work), events)

    def finish_create(self, rec: RequestRecord, events: list[Event] | None = None) -> RequestRecord:
        """After the caller's transaction committed: observers and terminal-state hooks."""
        if events is None:
            events = [(f"request.{rec.state.value}", {"from": "received", "to": rec.state.value})]
        return self._terminal(rec, events)

    def get(self, request_id: str) -> RequestRecord:
        """The request, or NotFound."""
        with read_connection(self.engine) as conn:
            return self._row(conn, request_id, lock=False)

    def find_idempotent(self, requester: str, key: str) -> RequestRecord | None:
        """The request submitted earlier by ``requester`` under ``key``."""
        with read_connection(self.engine) as conn:
            row = (
                conn.execute(
                    select(requests).where(requests.c.requester == requester, requests.c.idempotency_key == key)
                )
                .mappings()
                .first()
            )
        return RequestRecord.model_validate(dict(row)) if row else None

    def recent(
        self, *, states: Iterable[RequestState] | None = None, limit: int = 100, requester: str | None = None
    ) -> list[RequestRecord]:
        """Newest first, optionally filtered."""
        query = select(requests).order_by(requests.c.created_at.desc()).limit(limit)
        if states is not None:
            query = query.where(requests.c.state.in_([s.value for s in states]))
        if requester is not None:
            query = query.where(requests.c.requester == requester)
        with read_connection(self.engine) as conn:
            return [RequestRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]

    def window(
        self,
        since: float,
        *,
        states: Iterable[RequestState],
        requester: str | None = None,
        actions: Iterable[str] | None = None,
        conn: Connection | None = None,
    ) -> list[tuple[str, str]]:
        """(id, action) of the requests created at or after ``since`` in ``states`` (budget windows)."""
        query = select(requests.c.id, requests.c.action).where(
            requests.c.created_at >= since, requests.c.state.in_([s.value for s in states])
        )
        if requester is not None:
            query = query.where(requests.c.requester == requester)
        if actions is not None:
            query = query.where(requests.c.action.in_(sorted(actions)))
        if conn is not None:
            return [(r[0], r[1]) for r in conn.execute(query)]
        with read_connection(self.engine) as own:
            return [(r[0], r[1]) for r in own.execute(query)]

    def inputs(self, ids: Iterable[str], *, conn: Connection | None = None) -> dict[str, dict[str, Any]]:
        """What a policy reads of each request (action, params, context, requester), by id."""
        wanted = list(ids)
        cols = (requests.c.id, requests.c.action, requests.c.params, requests.c.context, requests.c.requester)
        found: dict[str, dict[str, Any]] = {}
        with ExitStack() as stack:
            db = conn if conn is not None else stack.enter_context(read_connection(self.engine))
            for start in range(0, len(wanted), 500):  # stay under every database's bound-parameter limit
                query = select(*cols).where(requests.c.id.in_(wanted[start : start + 500]))
                found.update({r["id"]: dict(r) for r in db.execute(query).mappings()})
        return found

    def transition(
        self,
        request_id: str,
        to: RequestState,
        *,
        actor: str,
        reason: str = "",
        expect: Iterable[RequestState] | None = None,
        updates: Mapping[str, Any] | None = None,
        events: list[Event] | None = None,
        check: Callable[[RequestRecord], None] | None = None,
    ) -> RequestRecord:
        """Move a request to ``to`` with its audit events; InvalidState if it may not move.

        ``events`` are appended before the state event; ``check`` may raise to
        refuse the move after the row is locked (e.g. approver == requester).
        """
        allowed = set(expect) if expect is not None else None
        appended: list[Event] = []

        def work(conn: Connection) -> RequestRecord:
            rec = self._row(conn, request_id, lock=True)
            if (allowed is not None and rec.state not in allowed) or not can_move(rec.state, to):
                raise InvalidState(
                    f"request {request_id} is {rec.state.value}; it cannot become {to.value}",
                    details={"state": rec.state.value},
                )
            if check is not None:
                check(rec)
            now = self.clock.now()
            values: dict[str, Any] = {"state": to.value, "updated_at": now, **(updates or {})}
            if to == RequestState.QUEUED:
                values.setdefault("queued_at", now)
            if to in TERMINAL or to == RequestState.QUEUED:
                values.setdefault("lease_owner", None)
                values.setdefault("lease_expires_at", None)
            conn.execute(update(requests).where(requests.c.id == request_id).values(**values))
            state_event = (f"request.{to.value}", {"from": rec.state.value, "to": to.value, "reason": reason})
            appended[:] = [*(events or []), state_event]
            self._append(conn, appended, request_id, actor, rec.trace_id)
            if to == RequestState.QUEUED:
                publish(conn, QUEUE)
            return self._row(conn, request_id, lock=False)

        return self._terminal(self._tx(work), appended)

    def record(
        self, request_id: str | None, events: list[Event], actor: str, updates: Mapping[str, Any] | None = None
    ) -> None:
        """Append events (and optional row updates) without a state change."""

        def work(conn: Connection) -> None:
            if updates and request_id:
                conn.execute(update(requests).where(requests.c.id == request_id).values(**updates))
            self._append(conn, events, request_id, actor)

        self._tx(work)
        self._committed(None, events)

    def record_with(self, work: Callable[[Connection], T], events: Callable[[T], list[Event]], actor: str) -> T:
        """Run ``work`` and append the events made from its result in one transaction (fail closed)."""
        made: list[Event] = []

        def tx(conn: Connection) -> T:
            result = work(conn)
            made[:] = events(result)
            self._append(conn, made, None, actor)
            return result

        result = self._tx(tx)
        self._committed(None, made)
        return result

    # -- the queue --------------------------------------------------------------

    def claim_next(
        self, worker: str, lease_s: float, is_halted: Callable[[RequestRecord, list[KillSwitch]], object]
    ) -> RequestRecord | None:
        """Move the oldest runnable queued request to executing under a lease.

        Queued requests in the scope of an engaged kill switch are skipped (they
        wait). PostgreSQL uses FOR UPDATE SKIP LOCKED so workers never collide.
        """

        def work(conn: Connection) -> RequestRecord | None:
            switches = self._switches(conn)
            query = (
                select(requests)
                .where(requests.c.state == RequestState.QUEUED.value)
                .order_by(requests.c.queued_at, requests.c.id)
                .limit(25)
            )
            if self._pg:
                query = query.with_for_update(skip_locked=True)
            for row in conn.execute(query).mappings().all():
                rec = RequestRecord.model_validate(dict(row))
                if is_halted(rec, switches):
                    continue
                now = self.clock.now()
                conn.execute(
                    update(requests)
                    .where(requests.c.id == rec.id)
                    .values(
                        state=RequestState.EXECUTING.value,
                        updated_at=now,
                        lease_owner=worker,
                        lease_expires_at=now + lease_s,
                        attempts=rec.attempts + 1,
                    )
                )
                self._append(
                    conn,
                    [
                        (
                            "request.executing",
                            {
                                "from": "queued",
                                "to": "executing",
                                "reason": "claimed by worker",
                                "worker": worker,
                                "attempt": rec.attempts + 1,
                                "ref": request_ref(rec.id),  # what {request.ref} writes into the back-office
                            },
                        )
                    ],
                    rec.id,
                    f"worker:{worker}",
                    rec.trace_id,
                )
                return self._row(conn, rec.id, lock=False)
            return None

        return self._tx(work)

    def renew_lease(self, request_id: str, worker: str, lease_s: float) -> bool:
        """Extend the lease; False when this worker no longer holds it."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(requests)
                .where(
                    requests.c.id == request_id,
                    requests.c.lease_owner == worker,
                    requests.c.state.in_([RequestState.EXECUTING.value, RequestState.IN_DOUBT.value]),
                )
                .values(lease_expires_at=self.clock.now() + lease_s)
            )
            return bool(result.rowcount)

    def boundary(
        self,
        request_id: str,
        worker: str,
        lease_s: float,
        events: list[Event],
        actor: str,
        *,
        read_kill_switches: bool = True,
    ) -> list[KillSwitch] | None:
        """A step boundary in one transaction: append the run's events so far, read the kill switches, renew the lease.

        Returns the engaged switches (empty without ``read_kill_switches``), or None when ``worker`` no longer
        holds the lease. If the audit log cannot be written or the switches cannot be read, nothing of it is
        written (FailClosed): the caller stops before the next step.
        """

        def work(conn: Connection) -> list[KillSwitch] | None:
            if events:
                self._append(conn, events, request_id, actor)
            switches = self.switches_in(conn) if read_kill_switches else []
            renewed = conn.execute(
                update(requests)
                .where(
                    requests.c.id == request_id,
                    requests.c.lease_owner == worker,
                    requests.c.state.in_([RequestState.EXECUTING.value, RequestState.IN_DOUBT.value]),
                )
                .values(lease_expires_at=self.clock.now() + lease_s)
            )
            return switches if renewed.rowcount else None

        return self._tx(work)

    def mark_commit_started(self, request_id: str, worker: str, event: Event, actor: str) -> bool:
        """Record ``commit.started`` durably, only while ``worker`` holds an unexpired lease.

        False (nothing written) when the lease expired or moved: a recovering
        worker may already have requeued the request, so committing would risk
        a second commit.
        """

        def work(conn: Connection) -> bool:
            now = self.clock.now()
            result = conn.execute(
                update(requests)
                .where(
                    requests.c.id == request_id,
                    requests.c.lease_owner == worker,
                    requests.c.state == RequestState.EXECUTING.value,
                    requests.c.lease_expires_at >= now,
                )
                .values(commit_started_at=now, updated_at=now)
            )
            if not result.rowcount:
                return False
            self._append(conn, [event], request_id, actor)
            return True

        return self._tx(work)

    def expired_leases(self) -> list[RequestRecord]:
        """Executing or in-doubt requests whose worker stopped renewing."""
        now = self.clock.now()
        with read_connection(self.engine) as conn:
            rows = (
                conn.execute(
                    select(requests).where(
                        requests.c.state.in_([RequestState.EXECUTING.value, RequestState.IN_DOUBT.value]),
                        requests.c.lease_expires_at < now,
                    )
                )
                .mappings()
                .all()
            )
        return [RequestRecord.model_validate(dict(r)) for r in rows]

    def take_lease(self, request_id: str, worker: str, lease_s: float, expired_before: float) -> bool:
        """Take over an expired lease (for recovery); False if someone else did."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(requests)
                .where(
                    requests.c.id == request_id,
                    requests.c.lease_expires_at < expired_before,
                )
                .values(lease_owner=worker, lease_expires_at=self.clock.now() + lease_s)
            )
            return bool(result.rowcount)

    def due_expiry(self) -> list[RequestRecord]:
        """Requests waiting for a person whose time ran out."""
        now = self.clock.now()
        waiting = [RequestState.AWAITING_APPROVAL.value, RequestState.AWAITING_CONFIRMATION.value]
        with read_connection(self.engine) as conn:
            rows = (
                conn.execute(
                    select(requests).where(
                        requests.c.state.in_(waiting),
                        requests.c.expires_at < now,
                    )
                )
                .mappings()
                .all()
            )
        return [RequestRecord.model_validate(dict(r)) for r in rows]

    def snapshot(self) -> Snapshot:
        """Queue depth, oldest queued time, people-waiting counts and engaged scopes, read now."""
        waiting = [RequestState.QUEUED.value, RequestState.AWAITING_APPROVAL.value,
                   RequestState.AWAITING_CONFIRMATION.value]
        query = (
            select(requests.c.state, func.count(), func.min(requests.c.queued_at))
            .where(requests.c.state.in_(waiting))
            .group_by(requests.c.state)
        )
        with read_connection(self.engine) as conn:
            counts = {row[0]: (int(row[1]), row[2]) for row in conn.execute(query)}
            scopes = tuple(conn.execute(select(kill_switches.c.scope).order_by(kill_switches.c.scope)).scalars())
        queued, oldest = counts.get(RequestState.QUEUED.value, (0, None))
        return Snapshot(
            queued=queued,
            oldest_queued_at=oldest,
            awaiting_approval=counts.get(RequestState.AWAITING_APPROVAL.value, (0, None))[0],
            awaiting_confirmation=counts.get(RequestState.AWAITING_CONFIRMATION.value, (0, None))[0],
            kill_switches=scopes,
        )

    # -- kill switches ------------------------------------------------------------

    def _switches(self, conn: Connection) -> list[KillSwitch]:
        rows = conn.execute(select(kill_switches).order_by(kill_switches.c.engaged_at)).mappings()
        return [KillSwitch.model_validate(dict(r)) for r in rows]

    def switches_in(self, conn: Connection) -> list[KillSwitch]:
        """Engaged halts read inside the caller's transaction; FailClosed when unreadable."""
        try:
            with conn.begin_nested():
                return self._switches(conn)
        except Exception as exc:
            raise FailClosed(f"kill switch state cannot be read: {exc}") from exc

    def kill_switches(self) -> list[KillSwitch]:
        """Every engaged halt; raises FailClosed when the state cannot be read."""
        try:
            with read_connection(self.engine) as conn:
                return self._switches(conn)
        except Exception as exc:
            raise FailClosed(f"kill switch state cannot be read: {exc}") from exc

    def engage(self, scope: str, operator: str, reason: str) -> KillSwitch:
        """Engage (or re-assert) a halt; durable and audited."""
        now = self.clock.now()

        def work(conn: Connection) -> KillSwitch:
            conn.execute(delete(kill_switches).where(kill_switches.c.scope == scope))
            conn.execute(insert(kill_switches).values(scope=scope, operator=operator, reason=reason, engaged_at=now))
            self._append(
                conn,
                [("killswitch.engaged", {"scope": scope, "operator": operator, "reason": reason})],
                None,
                f"operator:{operator}",
            )
            publish(conn, KILL)
            return KillSwitch(scope=scope, operator=operator, reason=reason, engaged_at=now)

        switch = self._tx(work)
        HUB.fire(KILL)
        return switch

    def release(self, scope: str, operator: str, reason: str) -> bool:
        """Release a halt; False when that scope was not engaged."""

        def work(conn: Connection) -> bool:
            gone = conn.execute(delete(kill_switches).where(kill_switches.c.scope == scope)).rowcount
            if gone:
                self._append(
                    conn,
                    [("killswitch.released", {"scope": scope, "operator": operator, "reason": reason})],
                    None,
                    f"operator:{operator}",
                )
                publish(conn, KILL)
            return bool(gone)

        released = self._tx(work)
        if released:
            HUB.fire(KILL)
        return released


def _is_audit_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("audit")

"""A run's records: every database write of one request's run, off the event loop.

The runner drives the browser; this keeps the books. Step records wait in
``Run.pending`` and go out with the next write, so each step boundary is one
transaction: the previous step's ``step.completed``, the kill-switch read and
the lease renewal together (``guard`` before the commit, ``renew`` after it,
when only the lease is checked). A terminal state is written in one
transaction with whatever is still pending (``finish``). When a write fails
the pending records are kept for the next one: nothing is lost, and nothing
runs past a write that did not happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import structlog

from action_classes import Action, Target
from executor.errors import FailClosed, Halted, TimedOut
from executor.killswitch import halted_by
from executor.redaction import page_text, scrub_text
from executor.run_evidence import RunEvidence
from executor.states import RequestState
from executor.store import KillSwitch, RequestRecord, Store

__all__ = ["LeaseLost", "Run", "RunBook"]

log = structlog.get_logger("steward.runner")
S = RequestState


class LeaseLost(Exception):
    """Another worker owns this request now; stop touching it."""


@dataclass
class Run:
    """One request's run as the runner sees it: what it rendered, holds and has not written yet."""

    rec: RequestRecord
    action: Action
    target: Target
    values: dict[str, dict[str, Any]]
    deadline: float
    evidence: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    pii: list[str] = field(default_factory=list)
    pii_names: set[str] = field(default_factory=set)
    committed: bool = False  # commit.started is durable: only verification may decide from here
    step_task: asyncio.Future[Any] | None = None  # the pre-commit wait a kill switch may cut short
    halt: Halted | FailClosed | None = None
    # step.completed events not yet written: they go with the next boundary's transaction (one per step).
    pending: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    files: RunEvidence | None = None  # set by the runner; stores into ``evidence``

    @property
    def extracted(self) -> dict[str, Any]:
        return self.values["extracted"]


class RunBook:
    """The database side of a worker's runs: records, step boundaries, terminal states."""

    def __init__(self, store: Store, worker_id: str, lease_s: float) -> None:
        self.store = store
        self.worker_id = worker_id
        self.actor = f"worker:{worker_id}"
        self.lease_s = lease_s

    async def record(self, run: Run, events: list[tuple[str, dict[str, Any]]], **updates: Any) -> None:
        pending, run.pending = run.pending, []
        try:
            await asyncio.to_thread(self.store.record, run.rec.id, [*pending, *events], self.actor, updates or None)
        except BaseException:
            run.pending = pending + run.pending
            raise

    async def flush(self, run: Run) -> None:
        """Write the events still pending (before a state change or a commit)."""
        if run.pending:
            await self.record(run, [])

    async def boundary(self, run: Run, *, read_kill_switches: bool) -> list[KillSwitch]:
        """Pending events, kill switches and lease in one transaction; LeaseLost when another worker owns it."""
        pending, run.pending = run.pending, []
        try:
            switches = await asyncio.to_thread(
                self.store.boundary, run.rec.id, self.worker_id, self.lease_s, pending, self.actor,
                read_kill_switches=read_kill_switches,
            )
        except BaseException:
            run.pending = pending + run.pending
            raise
        if switches is None:
            raise LeaseLost(run.rec.id)
        return switches

    async def finish(
        self,
        run: Run,
        state: RequestState,
        reason: str,
        *,
        code: str | None = None,
        step: str | None = None,
        events: list[tuple[str, dict[str, Any]]] | None = None,
        **extra: Any,
    ) -> RequestRecord:
        """The terminal state, in one transaction with the pending records and ``events``."""
        reason = page_text(scrub_text(reason, run.secrets)) or ""
        outcome = {"reason": reason, "step": step, "extracted": dict(run.extracted), "evidence": run.evidence, **extra}
        updates: dict[str, Any] = {"outcome": outcome}
        if code:
            updates.update(error_code=code, error_message=reason)
        pending, run.pending = run.pending, []
        try:
            rec = await asyncio.to_thread(
                self.store.transition,
                run.rec.id,
                state,
                actor=self.actor,
                reason=reason,
                expect={S.EXECUTING, S.IN_DOUBT},
                updates=updates,
                events=[*pending, *(events or [])],
            )
        except BaseException as exc:
            run.pending = pending + run.pending
            if isinstance(exc, Exception):  # the steps that ran are still recorded if the record can be written
                with contextlib.suppress(Exception):
                    await self.flush(run)
            raise
        log.info("request.finished", request_id=rec.id, action=rec.action, state=state.value, step=step)
        return rec

    async def guard(self, run: Run, where: str) -> None:
        """Step boundary before the commit: the last step's record, kill switch, lease, time budget.

        One transaction: the previous step's ``step.completed`` is durable before the next step starts,
        and a kill switch that cannot be read (or an audit log that cannot be written) stops the run here.
        """
        switches = await self.boundary(run, read_kill_switches=True)  # FailClosed if unreadable
        hit = halted_by(run.rec, switches)
        if hit is not None:
            raise Halted(f"kill switch {hit.scope} engaged by {hit.operator}: {hit.reason}", step=where)
        if time.monotonic() > run.deadline:
            raise TimedOut(f"action timed out after {run.action.timeout_s:g} s before {where}", step=where)

    async def renew(self, run: Run) -> None:
        """After the commit only the lease is checked (with the pending records): verification always runs."""
        await self.boundary(run, read_kill_switches=False)

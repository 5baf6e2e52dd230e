"""Recovery of requests whose worker stopped renewing its lease (SPEC section 10).

Every couple of seconds (and when it starts) a worker looks for expired
leases and takes each one over atomically (``Store.take_lease``), then:

- ``executing`` without ``commit_started_at``: nothing was committed, so the
  request goes back to ``queued`` and runs again from its first step. The move
  re-checks ``commit_started_at`` under the row lock, and ``commit.started`` is
  only written under an unexpired lease, so a slow original worker cannot
  commit after the request was requeued.
- ``executing`` with ``commit_started_at``: the commit may have happened. The
  request becomes ``in_doubt`` and is settled by a verify-only run
  (``Runner.settle``): the action's verification steps in a fresh page, with
  the values read before the commit (recorded in ``commit.started``) and the
  ``after_commit`` values recorded in the ``commit.completed`` audit event.
  The commit step is never run again.

How a verify-only run decides:

- verification confirms -> ``succeeded``;
- it ran and did not confirm, and ``commit.completed`` was never recorded
  (the worker died between marking the commit and finishing it) -> ``failed``:
  the commit did not take effect;
- it did not confirm although ``commit.completed`` was recorded -> ``unverified``
  (the same answer a live run gives), with a hand-off;
- it cannot be rendered because a value it needs (e.g. ``{extracted.credit_id}``)
  was never recorded -> ``unverified``: fail closed, a person checks. Guessing
  with a looser query could confirm someone else's identical change;
- it cannot run at all (the target is down, 5xx, a timeout) -> stays
  ``in_doubt``; the lease taken for it expires and a later sweep tries again.

``crash_point`` is a fault-injection hook for the chaos tests: when the
environment variable ``STEWARD_CRASH_AT`` names a boundary (``before:precondition:0``,
``before:step:2``, ``before:commit``, ``during:commit``, ``after:click``,
``after:commit``, ``during:verify``) the process SIGKILLs itself there. It is
inert when the variable is unset; never set it in production.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import structlog

from executor.errors import InvalidState, NotFound
from executor.states import RequestState
from executor.store import RequestRecord

if TYPE_CHECKING:
    from executor.runner import Runner

__all__ = ["CRASH_ENV", "IN_DOUBT_REASON", "REQUEUE_REASON", "Recovery", "crash_point", "recorded_after_commit"]

log = structlog.get_logger("steward.recovery")
S = RequestState

CRASH_ENV = "STEWARD_CRASH_AT"
REQUEUE_REASON = "lease expired before the commit step; requeued"
IN_DOUBT_REASON = "worker lost after the commit step started"


def crash_point(where: str) -> None:
    """Test-only fault injection: SIGKILL this process at ``where`` when STEWARD_CRASH_AT names it."""
    wanted = os.environ.get(CRASH_ENV)
    if wanted and wanted == where:
        log.warning("crash_point.fired", where=where)
        os.kill(os.getpid(), signal.SIGKILL)


def recorded_after_commit(steward: Any, request_id: str) -> dict[str, Any]:
    """Values recorded around the commit (missing ones left out): those read before it, from
    ``commit.started``, then the ``after_commit`` values of the last ``commit.completed``."""
    values: dict[str, Any] = {}
    for kind, key in (("commit.started", "extracted"), ("commit.completed", "after_commit")):
        entries = steward.audit.entries(action_id=request_id, types=[kind])
        if entries:
            values.update(entries[-1].payload.get(key) or {})
    return {k: v for k, v in values.items() if v is not None}


class Recovery:
    """Takes over expired leases: requeue before the commit, verify-only after it."""

    def __init__(self, runner: Runner, *, every_s: float = 2.0) -> None:
        self.runner = runner
        self.steward = runner.steward
        self.store = runner.store
        self.every_s = every_s
        self.actor = runner.actor
        self._last = 0.0

    async def sweep(self, busy: Collection[str], limit: int) -> list[RequestRecord]:
        """Recover expired leases; returns up to ``limit`` in-doubt requests to settle now."""
        if time.monotonic() - self._last < self.every_s:
            return []
        self._last = time.monotonic()
        to_settle: list[RequestRecord] = []
        for stale in await asyncio.to_thread(self.store.expired_leases):
            if stale.id in busy:  # our own run is slow, not lost
                continue
            if stale.state == S.IN_DOUBT and len(to_settle) >= limit:
                continue
            rec = await asyncio.to_thread(self._take, stale)
            if rec is not None and rec.state == S.IN_DOUBT:
                to_settle.append(rec)
        return to_settle

    def _take(self, stale: RequestRecord) -> RequestRecord | None:
        """Take one expired lease and move the request; None when another worker got there first."""
        worker = self.runner.worker_id
        if not self.store.take_lease(stale.id, worker, self.runner.lease_s, self.store.clock.now()):
            return None
        rec = self.store.get(stale.id)
        if rec.state != S.EXECUTING:
            return rec
        log.warning("lease.expired", request_id=rec.id, owner=stale.lease_owner, commit_started=rec.commit_started_at)

        def still_ours_before_commit(locked: RequestRecord) -> None:
            if locked.lease_owner != worker or locked.commit_started_at is not None:
                raise InvalidState(f"request {locked.id} changed while being recovered")

        try:
            if rec.commit_started_at is None:
                return self.store.transition(
                    rec.id,
                    S.QUEUED,
                    actor=self.actor,
                    reason=REQUEUE_REASON,
                    expect={S.EXECUTING},
                    check=still_ours_before_commit,
                    updates={"lease_owner": None, "lease_expires_at": None},
                )
            return self.store.transition(
                rec.id, S.IN_DOUBT, actor=self.actor, reason=IN_DOUBT_REASON, expect={S.EXECUTING}
            )
        except (InvalidState, NotFound) as exc:
            log.info("recovery.skipped", request_id=rec.id, why=str(exc)[:200])
            return None

    async def settle(self, rec: RequestRecord) -> RequestRecord | None:
        """Verify-only run of an in-doubt request (never the commit step)."""
        extracted = await asyncio.to_thread(recorded_after_commit, self.steward, rec.id)
        log.info("request.settling", request_id=rec.id, recorded=sorted(extracted))
        return await self.runner.settle(rec, extracted)

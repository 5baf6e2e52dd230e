"""Change control of the policy: start a candidate (shadow or canary), promote it, roll it back.

The state lives in the database (``executor.rollout``), so every server and
worker of the fleet sees it within seconds (``executor.reload``). Each step is
one transaction: the row and its audit event (operator, reason, content hash,
the gates' test result) commit together or not at all.

Audit events: ``policy.shadow_started``, ``policy.canary_started``,
``policy.promoted``, ``policy.promotion_refused``, ``policy.rolled_back``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from executor.errors import RequestError
from executor.identity import check_operator
from executor.inputs import check_text
from executor.rollout import (
    ACTIVE,
    CANDIDATE,
    GateResult,
    StoredPolicy,
    check_mode,
    clear_slot,
    default_cases_for,
    load_stored,
    no_candidate,
    other_candidate,
    read_slots,
    refuse,
    run_gate,
    write_slot,
)
from policies import load_policy

if TYPE_CHECKING:
    from executor.service import Steward

__all__ = ["PolicyControl"]


def _who(operator: str, reason: str, what: str) -> tuple[str, str]:
    if not operator.strip() or not reason.strip():
        raise RequestError(f"{what} needs an operator and a reason")
    return check_operator(operator.strip()), check_text(reason, "the reason").strip()[:2000]


class PolicyControl:
    """The operator's commands on the policy rollout of one Steward database."""

    def __init__(self, steward: Steward) -> None:
        self.steward = steward

    def status(self) -> dict[str, Any]:
        """The promoted active policy (if any), the candidate (if any), and what this process decides with."""
        slots = read_slots(self.steward.engine)
        return {
            "active": self.steward.policy.version,
            "promoted": slots[ACTIVE].public() if ACTIVE in slots else None,
            "candidate": slots[CANDIDATE].public() if CANDIDATE in slots else None,
        }

    def start(self, mode: str, path: Path, *, percent: float | None, operator: str, reason: str,
              cases: Path | None = None) -> tuple[StoredPolicy, GateResult]:
        """Put the policy at ``path`` in shadow or canary beside the active one.

        The same candidate may move from shadow to canary or change its percent; another
        one is refused while one runs. The gates run and their result is recorded (they
        only block promotion). PolicyLoadError when the file does not load against the catalog.
        """
        steward = self.steward
        percent = check_mode(mode, percent)
        operator, reason = _who(operator, reason, f"starting a {mode}")
        candidate = load_policy(path, steward.catalog, require_end_marker=steward.settings.require_end_marker)
        content = path.read_bytes()
        result = run_gate(cases or default_cases_for(str(path)), candidate, steward.policy, steward.catalog)
        row = StoredPolicy(
            slot=CANDIDATE, mode=mode, percent=percent, name=path.name, content=content.decode(),
            sha256=candidate.version, source=str(path.resolve()), operator=operator, reason=reason,
            started_at=steward.clock.now(),
        )

        def work(conn: Connection) -> StoredPolicy:
            running = read_slots(conn).get(CANDIDATE)
            if running is not None and running.sha256 != row.sha256:
                raise other_candidate(running)
            write_slot(conn, row)
            return row

        steward.store.record_with(work, lambda r: [(f"policy.{mode}_started", {
            "operator": operator, "reason": reason, "sha256": r.sha256, "percent": r.percent,
            "active_sha256": steward.policy.version, "file": r.name, "tests": result.payload(),
        })], f"operator:{operator}")
        steward.reloader.check()
        return row, result

    def promote(self, *, operator: str, reason: str, cases: Path | None = None) -> tuple[StoredPolicy, GateResult]:
        """Make the candidate the active policy once both gates pass; PromotionRefused otherwise."""
        steward = self.steward
        operator, reason = _who(operator, reason, "a promotion")
        running = read_slots(steward.engine).get(CANDIDATE)
        if running is None:
            raise no_candidate()
        candidate = load_stored(running, steward.catalog, require_end_marker=steward.settings.require_end_marker)
        result = run_gate(cases or default_cases_for(running.source), candidate, steward.policy, steward.catalog)
        facts = {"operator": operator, "reason": reason, "sha256": running.sha256, "mode": running.mode,
                 "previous_sha256": steward.policy.version, "tests": result.payload()}
        if not result.ok:
            steward.store.record(None, [("policy.promotion_refused", facts)], f"operator:{operator}")
            raise refuse(result)
        promoted = StoredPolicy(**{**running.__dict__, "slot": ACTIVE, "mode": ACTIVE, "percent": 100.0,
                                   "operator": operator, "reason": reason, "started_at": steward.clock.now()})

        def work(conn: Connection) -> StoredPolicy:
            now = read_slots(conn).get(CANDIDATE)
            if now is None or now.sha256 != running.sha256:  # rolled back or replaced meanwhile
                raise no_candidate() if now is None else other_candidate(now)
            clear_slot(conn, CANDIDATE)
            write_slot(conn, promoted)
            return promoted

        steward.store.record_with(work, lambda _: [("policy.promoted", facts)], f"operator:{operator}")
        steward.reloader.check()
        return promoted, result

    def rollback(self, *, operator: str, reason: str) -> StoredPolicy:
        """End the candidate's shadow or canary: the active policy decides alone again."""
        steward = self.steward
        operator, reason = _who(operator, reason, "a rollback")
        running = read_slots(steward.engine).get(CANDIDATE)
        if running is None:
            raise no_candidate()
        try:
            candidate = load_stored(running, steward.catalog)
            tests: dict[str, Any] = run_gate(default_cases_for(running.source), candidate, steward.policy,
                                             steward.catalog).payload()
        except Exception as exc:  # a candidate that no longer loads can always be rolled back
            tests = {"ok": False, "error": str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__}

        def work(conn: Connection) -> StoredPolicy:
            if not clear_slot(conn, CANDIDATE):
                raise no_candidate()
            return running

        steward.store.record_with(work, lambda r: [("policy.rolled_back", {
            "operator": operator, "reason": reason, "sha256": r.sha256, "mode": r.mode, "percent": r.percent,
            "active_sha256": steward.policy.version, "tests": tests,
        })], f"operator:{operator}")
        steward.reloader.check()
        return running

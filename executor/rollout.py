"""Policy rollout: a candidate policy in shadow or canary beside the active one, promoted or rolled back.

- ``shadow``: the active policy decides every request; the candidate is
  evaluated beside it and changes nothing. Both decisions go into the
  request's ``policy.decided`` event; when they differ (class or matching
  rules) a ``policy.shadow_diff`` event follows.
- ``canary``: the candidate decides a deterministic ``percent`` of requests.
  The split hashes the request's ``context.conversation_id``, else its
  ``context.customer_id``, else requester + idempotency key, else nothing
  stable is known and the request id decides (see ``split_key``), so one
  conversation or customer always sees one policy while the percent holds.
  The bucket does not depend on the candidate, so raising the percent only adds
  customers to the canary.
- ``promote`` runs the gates (``run_gate``): every case of the cases file
  passes on the candidate and no case that passes on the active policy fails
  on it. The candidate then becomes the active policy, stored in the database
  (slot ``active``), which every server and worker loads (``executor.reload``).
- ``rollback`` ends the candidate; the active policy decides alone again.

Every start, promotion (and refused promotion) and rollback is an audit event
with the operator, reason, content hash and the gate's test result.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from action_classes import Catalog
from executor.errors import InvalidState, PromotionRefused, RequestError
from executor.store.tables import policy_rollout
from policies import CaseFileError, Decision, Policy, load_policy, run_cases

__all__ = [
    "ACTIVE",
    "CANDIDATE",
    "MODES",
    "GateResult",
    "Policies",
    "StoredPolicy",
    "bucket_of",
    "decision_differs",
    "default_cases_for",
    "load_stored",
    "read_slots",
    "run_gate",
    "split_key",
]

ACTIVE = "active"
CANDIDATE = "candidate"
MODES = ("shadow", "canary")
DEFAULT_CASES = Path(__file__).resolve().parent.parent / "policies" / "default_cases.yaml"
_BUCKETS = 10_000  # percent has two decimals of resolution


@dataclass(frozen=True)
class StoredPolicy:
    """One row of ``steward_policy_rollout``: a candidate (shadow/canary) or the promoted active policy."""

    slot: str
    mode: str
    percent: float
    name: str
    content: str
    sha256: str
    source: str | None
    operator: str
    reason: str
    started_at: float

    def public(self) -> dict[str, Any]:
        from executor.clock import iso

        return {"slot": self.slot, "mode": self.mode, "percent": self.percent, "sha256": self.sha256,
                "name": self.name, "source": self.source, "operator": self.operator, "reason": self.reason,
                "started_at": iso(self.started_at)}


def read_slots(engine_or_conn: Engine | Connection) -> dict[str, StoredPolicy]:
    """The rollout rows by slot (empty when no candidate runs and nothing was ever promoted)."""
    query = select(policy_rollout)
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            rows = conn.execute(query).mappings().all()
    else:
        rows = engine_or_conn.execute(query).mappings().all()
    return {row["slot"]: StoredPolicy(**dict(row)) for row in rows}


def write_slot(conn: Connection, row: StoredPolicy) -> None:
    """Replace the row of ``row.slot`` (inside the caller's transaction)."""
    conn.execute(delete(policy_rollout).where(policy_rollout.c.slot == row.slot))
    conn.execute(insert(policy_rollout).values(**row.__dict__))


def clear_slot(conn: Connection, slot: str) -> int:
    return int(conn.execute(delete(policy_rollout).where(policy_rollout.c.slot == slot)).rowcount or 0)


def load_stored(row: StoredPolicy, catalog: Catalog, *, pin: str | None = None,
                require_end_marker: bool = False) -> Policy:
    """Load a stored policy's content against ``catalog``, under its file name (the version hashes the bytes).

    PolicyLoadError as for a file; a content whose sha256 is not the stored one is refused the same way.
    """
    with tempfile.TemporaryDirectory(prefix="steward-policy-") as folder:
        path = Path(folder) / Path(row.name).name
        path.write_bytes(row.content.encode())
        policy = load_policy(path, catalog, pin=pin or row.sha256, require_end_marker=require_end_marker)
    if row.source:
        policy.files = (row.source,)
    return policy


# -- the split -------------------------------------------------------------------------


def split_key(context: dict[str, Any], requester: str, idempotency_key: str | None, request_id: str) -> str:
    """What the canary split hashes: conversation, else customer, else requester + idempotency key, else the id.

    The last fallback gives no stickiness: a request with no conversation, no customer and no
    idempotency key is its own unit.
    """
    for name in ("conversation_id", "customer_id"):
        value = context.get(name)
        if isinstance(value, str) and value:
            return f"{name}:{value}"
    if idempotency_key:
        return f"idempotency:{requester}\0{idempotency_key}"
    return f"request:{request_id}"


def bucket_of(key: str) -> float:
    """The key's place in [0, 100): the candidate decides when it is below the canary percent."""
    digest = hashlib.sha256(b"steward-canary\0" + key.encode()).digest()
    return (int.from_bytes(digest[:8], "big") % _BUCKETS) * 100 / _BUCKETS


@dataclass(frozen=True)
class Policies:
    """What decides at intake: the active policy and, during a rollout, the candidate and its mode."""

    active: Policy
    candidate: Policy | None = None
    mode: str | None = None
    percent: float = 0.0
    candidate_row: StoredPolicy | None = field(default=None, compare=False)

    def limits_for(self, action: str) -> bool:
        """True when either policy has a budget on ``action`` (intake then takes the budget lock)."""
        return bool(self.active.limits_for(action) or (self.candidate and self.candidate.limits_for(action)))

    def choose(self, key: str) -> tuple[Policy, str | None]:
        """The policy that decides for ``key`` and the track name stored on the request."""
        if self.candidate is None or self.mode is None:
            return self.active, None
        if self.mode == "canary":
            if bucket_of(key) < self.percent:
                return self.candidate, "canary"
            return self.active, "control"
        return self.active, "shadow"


def decision_differs(active: Decision, candidate: Decision) -> bool:
    """A shadow diff: another class, other matching rules, or other exceeded limits."""
    def exceeded(decision: Decision) -> list[str]:
        return sorted(x.id for x in decision.limits if x.exceeded)

    return (active.action_class != candidate.action_class
            or sorted(r.id for r in active.rules) != sorted(r.id for r in candidate.rules)
            or exceeded(active) != exceeded(candidate))


# -- the gates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    """The evaluation gate (every case passes on the candidate) and the regression gate."""

    cases: str
    candidate_passed: int
    candidate_failed: list[str]
    missing: list[str]
    active_passed: int
    regressions: list[str]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.candidate_failed and not self.missing and not self.regressions

    def summary(self) -> str:
        if self.error:
            return f"cases not run: {self.error}"
        parts = [f"{self.candidate_passed} passed, {len(self.candidate_failed)} failed on the candidate"]
        if self.missing:
            parts.append(f"the cases name rules or limits it lacks: {', '.join(self.missing)}")
        if self.regressions:
            parts.append(f"{len(self.regressions)} case(s) pass on the active policy and fail on the candidate: "
                         + ", ".join(self.regressions))
        return "; ".join(parts)

    def payload(self) -> dict[str, Any]:
        return {"cases": self.cases, "ok": self.ok, "candidate_passed": self.candidate_passed,
                "candidate_failed": self.candidate_failed, "missing": self.missing,
                "active_passed": self.active_passed, "regressions": self.regressions, "error": self.error}


def default_cases_for(source: str | None) -> Path:
    """``NAME_cases.yaml`` beside the candidate's file when there is one, else policies/default_cases.yaml."""
    if source:
        beside = Path(source).with_name(f"{Path(source).stem}_cases.yaml")
        if beside.is_file():
            return beside
    return DEFAULT_CASES


def run_gate(cases: Path, candidate: Policy, active: Policy, catalog: Catalog) -> GateResult:
    """Run the cases on both policies; a bad cases file is a failed gate (never a pass)."""
    try:
        on_candidate = run_cases(cases, candidate, catalog)
        on_active = run_cases(cases, active, catalog)
    except (CaseFileError, OSError) as exc:
        return GateResult(str(cases), 0, [], [], 0, [], error=str(exc).splitlines()[0][:300] or type(exc).__name__)
    passed_before = {r.name for r in on_active.results if r.passed}
    failed_now = [r.name for r in on_candidate.results if not r.passed]
    return GateResult(
        cases=str(cases),
        candidate_passed=on_candidate.passed,
        candidate_failed=failed_now,
        missing=sorted(on_candidate.missing),
        active_passed=len(passed_before),
        regressions=[name for name in failed_now if name in passed_before],
    )


def check_mode(mode: str, percent: float | None) -> float:
    """The percent a mode runs at; RequestError for a bad mode or percent."""
    if mode not in MODES:
        raise RequestError(f"unknown rollout mode {mode!r} (one of: {', '.join(MODES)})")
    if mode == "shadow":
        return 0.0
    if percent is None or not 0 < percent <= 100:
        raise RequestError("a canary needs --percent between 0 (exclusive) and 100")
    return float(percent)


def refuse(result: GateResult) -> PromotionRefused:
    return PromotionRefused(f"promotion refused: {result.summary()}", details=result.payload())


def no_candidate() -> InvalidState:
    return InvalidState("no candidate policy is in shadow or canary (start one with `steward policy shadow FILE`)")


def other_candidate(running: StoredPolicy) -> InvalidState:
    return InvalidState(
        f"another candidate policy ({running.sha256[:12]}, {running.mode}, started by {running.operator}) is "
        "running: promote or roll it back first",
        details={"sha256": running.sha256, "mode": running.mode},
    )


def names(paths: Sequence[str]) -> list[str]:
    return [Path(p).name for p in paths]

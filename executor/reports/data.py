"""The figures of a review report, read from ``steward_requests`` and the audit log.

Read-only: nothing here writes to the database (no Steward service is built,
so no load events are recorded by producing a report).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.exc import SQLAlchemyError

from action_classes import Catalog
from audit.clock import format_ts, parse_ts
from audit.schema import entries_table
from executor.reports.errors import ReportInputError, ReportReadError
from executor.reports.model import (
    ESCALATION_KINDS,
    Budget,
    Change,
    Escalation,
    Group,
    KillSwitchEvent,
    Latency,
    LocatorCount,
    Period,
    Report,
    RollbackBatch,
    ShadowDiff,
    ShadowSummary,
    StepCount,
    Window,
)
from executor.states import RequestState
from executor.store.records import RequestRecord
from executor.store.tables import requests
from executor.usage import COUNTED_STATES
from policies import Policy

__all__ = ["PERIODS", "build_report", "nearest_rank", "period_window", "read_period"]

S = RequestState
PERIODS: dict[str, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
EXECUTED = frozenset({S.SUCCEEDED, S.FAILED, S.ABORTED, S.UNVERIFIED})
NO_OWNER = "(no owner)"
_TOP = 10
_KILL_TYPES = ("killswitch.engaged", "killswitch.released")
_NOT_CHANGES = ("policy.decided", "policy.shadow_diff")
_ROLLBACK_TYPES = ("rollback.requested", "rollback.approved")


def nearest_rank(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile ``q`` (0..1] of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def period_window(
    since: datetime | None, until: datetime | None, period: str | None, now: datetime
) -> tuple[datetime, datetime]:
    """The window asked for: explicit bounds, else the last day or week ending now (or at ``until``)."""
    if period is not None and period not in PERIODS:
        raise ReportInputError(f"unknown period {period!r}: use daily or weekly")
    length = PERIODS[period] if period else None
    end = until or now
    if since is None:
        if length is None:
            raise ReportInputError("give --since (and --until), or --period daily|weekly")
        since = end - length
    if since >= end:
        raise ReportInputError(f"--since ({format_ts(since)}) must be before --until ({format_ts(end)})")
    return since, end



def _requests_in(engine: Engine, since: datetime, until: datetime) -> list[RequestRecord]:
    query = select(requests).where(
        requests.c.created_at >= since.timestamp(), requests.c.created_at < until.timestamp()
    ).order_by(requests.c.created_at)
    with engine.connect() as conn:
        return [RequestRecord.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def _events_in(engine: Engine, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Kill-switch, catalog and policy events written in the window, in log order."""
    c = entries_table.c
    kinds = or_(c.type.in_(_KILL_TYPES), c.type.like("catalog.%"), c.type.like("policy.%"),
                c.type.in_(_ROLLBACK_TYPES))
    query = (
        select(c.seq, c.ts, c.type, c.actor, c.action_id, c.payload)
        .where(and_(c.ts >= format_ts(since), c.ts < format_ts(until), kinds, c.type != "policy.decided"))
        .order_by(c.seq)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]


def _escalation(rec: RequestRecord) -> tuple[str, str] | None:
    """(kind, reason) when the request escalated to people, else None."""
    state = rec.state
    if state == S.REJECTED and rec.error_code == "forbidden":
        rules = [r.get("id") for r in (rec.decision or {}).get("rules", []) if r.get("decisive")]
        return "forbidden", "rule " + ", ".join(str(r) for r in rules) if rules else (rec.error_message or "forbidden")
    if state in (S.UNVERIFIED, S.ABORTED, S.FAILED):
        return state.value, rec.error_code or "unknown"
    if state == S.EXPIRED:
        waited = "approval" if rec.action_class == "human_approved" else "confirmation"
        return "expired", f"no {waited} in time"
    return None


def _locator(step: str) -> str:
    """The locator (or goto path) of a step description such as ``verify 1: expect test_id=row``."""
    described = step.split(": ", 1)[1] if ": " in step else step
    kind, _, rest = described.partition(" ")
    return rest or kind


def _group(recs: list[RequestRecord]) -> Group:
    states = Counter(r.state.value for r in recs)
    return Group(
        requests=len(recs),
        succeeded=states.get(S.SUCCEEDED.value, 0),
        escalated=sum(1 for r in recs if _escalation(r) is not None),
        states=dict(sorted(states.items())),
    )


def _groups(recs: list[RequestRecord], key: Any) -> dict[str, Group]:
    buckets: dict[str, list[RequestRecord]] = defaultdict(list)
    for rec in recs:
        buckets[key(rec)].append(rec)
    return {k: _group(v) for k, v in sorted(buckets.items())}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _approval_latency(rec: RequestRecord) -> float | None:
    approval = rec.approval or {}
    at = approval.get("at")
    if not at:
        return None
    return max(0.0, parse_ts(str(at)).timestamp() - rec.created_at)


def _latency(recs: list[RequestRecord], ttl: int | None) -> Latency:
    waits = [w for w in (_approval_latency(r) for r in recs) if w is not None]
    expired = sum(1 for r in recs if r.state == S.EXPIRED and r.action_class == "human_approved")
    return Latency(decided=len(waits), p50_s=nearest_rank(waits, 0.5), p90_s=nearest_rank(waits, 0.9),
                   ttl_s=ttl, expired=expired)


def _budgets(recs: list[RequestRecord], policy: Policy | None) -> dict[str, Budget]:
    seen: dict[str, dict[str, Any]] = {}
    if policy is not None:
        for limit in policy.limits:
            seen[limit.id] = {"scope": limit.scope, "per": limit.per, "max": limit.max,
                              "checked": 0, "exceeded": 0, "peak": 0.0, "added": 0.0}
    for rec in recs:
        for check in (rec.decision or {}).get("limits", []):
            entry = seen.setdefault(str(check.get("id")), {
                "scope": check.get("scope", "global"), "per": check.get("per", ""), "max": check.get("max", 0.0),
                "checked": 0, "exceeded": 0, "peak": 0.0, "added": 0.0,
            })
            entry["checked"] += 1
            entry["exceeded"] += bool(check.get("exceeded"))
            adding = float(check.get("adding") or 0.0)
            entry["peak"] = max(entry["peak"], float(check.get("current") or 0.0) + adding)
            if rec.state in COUNTED_STATES:
                entry["added"] += adding
    return {
        k: Budget(**v, peak_share=(v["peak"] / v["max"]) if v["max"] else 0.0) for k, v in sorted(seen.items())
    }


def _change(event: dict[str, Any]) -> Change:
    p = event["payload"]
    version = p.get("version") or p.get("sha256") or p.get("candidate_sha256") or p.get("content_sha256")
    summary = p.get("summary")
    if summary is None and p.get("mode"):
        summary = f"{p['mode']}" + (f" {p['percent']}%" if p.get("percent") is not None else "")
    if summary is None and p.get("error"):
        summary = str(p["error"])
    return Change(
        ts=event["ts"], type=event["type"], version=str(version) if version else None,
        owner=p.get("owner"), by=p.get("by") or p.get("operator") or event["actor"],
        reason=p.get("reason"), summary=str(summary)[:500] if summary is not None else None,
    )


def _class_of(side: Any) -> str | None:
    if isinstance(side, dict):
        value = side.get("class")
        return str(value) if value is not None else None
    return str(side) if side is not None else None


def _shadow(events: list[dict[str, Any]]) -> ShadowSummary:
    diffs = [e for e in events if e["type"] == "policy.shadow_diff"]
    ran = bool(diffs) or any("shadow" in e["type"] for e in events)
    by_action: Counter[str] = Counter()
    by_change: Counter[str] = Counter()
    examples: list[ShadowDiff] = []
    for e in diffs:
        p = e["payload"]
        active, candidate = _class_of(p.get("active")), _class_of(p.get("candidate"))
        by_action[str(p.get("action"))] += 1
        by_change[f"{active} -> {candidate}"] += 1
        if len(examples) < 20:
            examples.append(ShadowDiff(
                ts=e["ts"], request_id=p.get("request_id") or e["action_id"], action=p.get("action"),
                active=active, candidate=candidate, candidate_sha256=p.get("candidate_sha256"),
            ))
    return ShadowSummary(ran=ran, diffs=len(diffs), by_action=dict(sorted(by_action.items())),
                         by_change=dict(sorted(by_change.items())), examples=examples)


def read_period(
    engine: Engine, since: datetime, until: datetime, catalog: Catalog, policy: Policy | None = None
) -> Period:
    """Every figure of the window [since, until)."""
    recs = _requests_in(engine, since, until)
    events = _events_in(engine, since, until)

    def owner(rec: RequestRecord) -> str:
        return catalog.owner_of(rec.action) or NO_OWNER

    escalations: dict[str, int] = dict.fromkeys(ESCALATION_KINDS, 0)
    by_category: dict[str, dict[str, int]] = {}
    reasons: Counter[tuple[str, str, str]] = Counter()
    steps: Counter[tuple[str, str]] = Counter()
    locators: Counter[str] = Counter()
    locator_actions: dict[str, set[str]] = defaultdict(set)
    for rec in recs:
        found = _escalation(rec)
        if found is None:
            continue
        kind, reason = found
        category = rec.category or "(none)"
        escalations[kind] += 1
        by_category.setdefault(category, dict.fromkeys(ESCALATION_KINDS, 0))[kind] += 1
        reasons[(kind, category, reason)] += 1
        step = (rec.outcome or {}).get("step")
        if kind in ("unverified", "aborted", "failed") and step:
            steps[(rec.action, str(step))] += 1
            loc = _locator(str(step))
            locators[loc] += 1
            locator_actions[loc].add(rec.action)
    executed = [r for r in recs if r.state in EXECUTED]
    committed = [r for r in executed if r.commit_started_at is not None]
    succeeded = sum(1 for r in executed if r.state == S.SUCCEEDED)
    verified = sum(1 for r in committed if r.state == S.SUCCEEDED)
    approvals = sum(1 for r in recs if (r.approval or {}).get("decision") == "approved")
    rejections = sum(1 for r in recs if (r.approval or {}).get("decision") == "denied")
    confirmations = sum(1 for r in recs if r.confirmation is not None)
    ttls = {name: a.approval_ttl_s for name, a in catalog.actions.items()}
    # Requests that waited for an operator (one rejected at intake never did).
    approval_recs = [r for r in recs if r.action_class == "human_approved" and r.state != S.REJECTED]
    by_action_recs: dict[str, list[RequestRecord]] = defaultdict(list)
    for rec in approval_recs:
        by_action_recs[rec.action].append(rec)
    seen_ttls = [ttls[a] for a in by_action_recs if a in ttls]
    return Period(
        window=Window(since=format_ts(since), until=format_ts(until)),
        requests=len(recs),
        states=dict(sorted(Counter(r.state.value for r in recs).items())),
        by_action=_groups(recs, lambda r: r.action),
        by_category=_groups(recs, lambda r: r.category or "(none)"),
        by_class=_groups(recs, lambda r: r.action_class or "(undecided)"),
        by_owner=_groups(recs, owner),
        executed=len(executed),
        succeeded=succeeded,
        success_rate=_rate(succeeded, len(executed)),
        committed=len(committed),
        verified=verified,
        verified_rate=_rate(verified, len(committed)),
        escalations=escalations,
        escalations_by_category=dict(sorted(by_category.items())),
        escalation_reasons=[
            Escalation(kind=k, category=c, reason=r, count=n)
            for (k, c, r), n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        failing_steps=[StepCount(action=a, step=s, count=n) for (a, s), n in _top(steps)],
        failing_locators=[
            LocatorCount(locator=loc, count=n, actions=sorted(locator_actions[loc])) for loc, n in _top(locators)
        ],
        approvals=approvals,
        rejections=rejections,
        confirmations=confirmations,
        intervention_rate=_rate(approvals + rejections + confirmations, len(recs)),
        approval_latency=_latency(approval_recs, min(seen_ttls) if seen_ttls else None),
        approval_latency_by_action={a: _latency(v, ttls.get(a)) for a, v in sorted(by_action_recs.items())},
        budgets=_budgets(recs, policy),
        kill_switch_events=[
            KillSwitchEvent(ts=e["ts"], type=e["type"], scope=str(e["payload"].get("scope")),
                            operator=str(e["payload"].get("operator")), reason=str(e["payload"].get("reason")))
            for e in events if e["type"] in _KILL_TYPES
        ],
        halted=sum(1 for r in recs if r.state == S.REJECTED and r.error_code == "halted"),
        aborted_by_kill_switch=sum(1 for r in recs if r.state == S.ABORTED and r.error_code == "halted"),
        changes=[_change(e) for e in events
                 if e["type"] not in (*_KILL_TYPES, *_NOT_CHANGES, *_ROLLBACK_TYPES)],
        shadow=_shadow(events),
        rollbacks=_rollbacks(events),
    )


def _rollbacks(events: list[dict[str, Any]]) -> list[RollbackBatch]:
    """Rollback batches requested in the window, with the batch decision when it is in the window too."""
    decided = {str(e["payload"].get("batch_id")): e["payload"] for e in events if e["type"] == "rollback.approved"}
    out = []
    for e in events:
        if e["type"] != "rollback.requested":
            continue
        p = e["payload"]
        decision = decided.get(str(p.get("batch_id")), {})
        out.append(RollbackBatch(
            ts=e["ts"], batch_id=str(p.get("batch_id")), by=str(p.get("by")), reason=str(p.get("reason")),
            since=str(p.get("since")), until=str(p.get("until")), plan_hash=str(p.get("plan_hash")),
            counts={str(k): int(v) for k, v in (p.get("counts") or {}).items()},
            approved_by=decision.get("operator"), approved=len(decision.get("requests") or []),
        ))
    return out


def _top(counter: Counter[Any]) -> Iterable[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP]


def build_report(
    engine: Engine,
    catalog: Catalog,
    policy: Policy | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    period: str | None = None,
    now: datetime | None = None,
) -> Report:
    """The report for a window and the window of the same length just before it."""
    now = now or datetime.now(UTC)
    start, end = period_window(since, until, period, now)
    length = end - start
    kind: Literal["daily", "weekly", "custom"] = "custom"
    if period == "daily":
        kind = "daily"
    elif period == "weekly":
        kind = "weekly"
    try:
        current = read_period(engine, start, end, catalog, policy)
        previous = read_period(engine, start - length, start, catalog, policy)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise ReportReadError(f"cannot read the requests or the audit log: {first}") from exc
    return Report(
        generated_at=format_ts(now),
        period=kind,
        catalog_version=catalog.version,
        policy_version=policy.version if policy is not None else "",
        policy_owner=getattr(policy, "owner", None),
        owners={name: catalog.owner_of(name) for name in sorted(catalog.actions)},
        current=current,
        previous=previous,
    )

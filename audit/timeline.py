"""Read the log back as stories: one action's timeline, and what changed in a window.

These read the event conventions the executor writes (``request.received``
with action/target/params, ``request.<state>`` transitions, ``policy.decided``,
``commit.started``, ``values.extracted``, ``evidence.stored``...). An action
"changed records" when it has a ``commit.started`` event.

Each timeline entry carries its inclusion status: proven (with an RFC 9162
inclusion proof, recomputed from the entry's contents) to be in the latest
signed checkpoint, or not yet covered by one.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from audit.checkpoint import open_checkpoint
from audit.errors import AuditError
from audit.log import AuditLog
from audit.merkle import verify_inclusion
from audit.models import AuditEntry
from audit.note import Verifier

__all__ = [
    "TERMINAL_STATES",
    "ActionTimeline",
    "AffectedAction",
    "InclusionStatus",
    "action_timeline",
    "affected_actions",
    "describe",
    "format_affected",
    "format_timeline",
]

TERMINAL_STATES = frozenset(
    {"succeeded", "failed", "aborted", "unverified", "rejected", "expired", "cancelled", "denied"}
)
_MODEL = ConfigDict(frozen=True, extra="forbid")


class InclusionStatus(BaseModel):
    """Whether one entry is proven to be in the latest signed checkpoint."""

    model_config = _MODEL

    seq: int
    status: Literal["included", "pending", "failed"] = Field(
        description="included: proof verified; pending: after the latest checkpoint; failed: proof broken"
    )
    checkpoint: int | None = Field(description="Tree size of the checkpoint used.")
    detail: str = ""


class ActionTimeline(BaseModel):
    """Everything the log says about one action request."""

    model_config = _MODEL

    action_id: str
    action: str | None = None
    target: str | None = None
    requester: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    decided_class: str | None = None
    rules: list[str] = Field(default_factory=list)
    policy_version: str | None = None
    state: str | None = None
    trace_id: str | None = Field(default=None, description="The request's OpenTelemetry trace id (W3C hex).")
    entries: list[AuditEntry] = Field(default_factory=list)
    inclusion: list[InclusionStatus] = Field(default_factory=list)
    checkpoint_signature: str = Field(default="not checked", description="verified / not checked / bad")


class AffectedAction(BaseModel):
    """One action that changed records in a time window."""

    model_config = _MODEL

    action_id: str
    action: str | None
    target: str | None
    requester: str | None
    params: dict[str, Any]
    outcome: str | None
    committed_at: str
    values: dict[str, Any]
    evidence: list[dict[str, Any]]


def _summary(entries: list[AuditEntry]) -> dict[str, Any]:
    out: dict[str, Any] = {"params": {}, "rules": []}
    for e in entries:
        p = e.payload
        if isinstance(p.get("trace_id"), str):
            out.setdefault("trace_id", p["trace_id"])
        if e.type == "request.received":
            out.update(action=p.get("action"), target=p.get("target"), requester=p.get("requester"))
            out["params"] = p.get("params") if isinstance(p.get("params"), dict) else {}
        elif e.type == "policy.decided":
            out["decided_class"] = p.get("class")
            out["rules"] = [str(r.get("id")) for r in p.get("rules") or [] if isinstance(r, dict)]
            out["policy_version"] = p.get("policy_version")
        elif e.type.startswith("request.") and e.type != "request.received":
            out["state"] = e.type.split(".", 1)[1]
    return out


def action_timeline(log: AuditLog, action_id: str, *, verifier: Verifier | None = None) -> ActionTimeline:
    """The timeline of ``action_id`` with inclusion-proof status per entry."""
    entries = log.entries(action_id=action_id)
    latest = log.latest_checkpoint()
    signature = "not checked"
    root = bytes.fromhex(latest.root) if latest else b""
    if latest is not None and verifier is not None:
        try:
            root = open_checkpoint(latest.note, verifier).root
            signature = "verified"
        except AuditError as exc:
            signature = f"bad ({exc})"
    inclusion: list[InclusionStatus] = []
    for e in entries:
        if latest is None or e.seq >= latest.size:
            inclusion.append(InclusionStatus(seq=e.seq, status="pending", checkpoint=None))
            continue
        try:
            proof = log.inclusion_proof(e.seq, latest.size)
            leaf = bytes.fromhex(e.computed_hash())
            verify_inclusion(leaf, e.seq, latest.size, [bytes.fromhex(p) for p in proof.path], root)
            inclusion.append(InclusionStatus(seq=e.seq, status="included", checkpoint=latest.size))
        except (AuditError, ValueError) as exc:
            inclusion.append(
                InclusionStatus(seq=e.seq, status="failed", checkpoint=latest.size, detail=str(exc))
            )
    return ActionTimeline(
        action_id=action_id, entries=entries, inclusion=inclusion,
        checkpoint_signature=signature, **_summary(entries),
    )


def describe(e: AuditEntry) -> str:
    """A short human description of one event's payload."""
    p = e.payload
    if e.type == "request.received":
        return f"{p.get('action')} on {p.get('target')} params={json.dumps(p.get('params'), sort_keys=True)}"
    if e.type == "policy.decided":
        rules = ", ".join(str(r.get("id")) for r in p.get("rules") or [] if isinstance(r, dict))
        return f"class={p.get('class')} rules=[{rules}] policy={str(p.get('policy_version'))[:12]}"
    if e.type.startswith("request."):
        reason = f" ({p['reason']})" if p.get("reason") else ""
        return f"{p.get('from')} -> {p.get('to')}{reason}"
    if e.type == "step.completed":
        return f"{p.get('phase')} #{p.get('index')} {p.get('kind')}: {p.get('description')}"
    if e.type == "evidence.stored":
        return f"{p.get('kind')} {p.get('label')} sha256={str(p.get('sha256'))[:16]}... ({p.get('size')} bytes)"
    if e.type == "values.extracted":
        return json.dumps(p.get("values"), sort_keys=True)
    if e.type == "rollback.compensation":
        return f"compensated by {p.get('compensation_id')} ({p.get('inverse')}), rollback batch {p.get('batch_id')}"
    if e.type == "rollback.settled":
        return f"compensation {p.get('compensation_id')} ({p.get('action')}) ended {p.get('state')}"
    if e.type == "rollback.compensates":
        return f"compensates {p.get('original_id')}, rollback batch {p.get('batch_id')}"
    return json.dumps(p, sort_keys=True)[:160]


def format_timeline(t: ActionTimeline) -> str:
    """The readable timeline `steward audit show` prints."""
    lines = [f"Action {t.action_id}: {t.action or '?'} on {t.target or '?'}"]
    lines.append(
        f"  requester: {t.requester or '?'}   class: {t.decided_class or '?'}"
        f" (rules: {', '.join(t.rules) or '-'})   state: {t.state or '?'}"
    )
    lines.append(f"  params: {json.dumps(t.params, sort_keys=True)}")
    if t.trace_id:
        lines.append(f"  trace: {t.trace_id}")
    lines.append("")
    by_seq = {s.seq: s for s in t.inclusion}
    mark = {"included": "proven", "pending": "pending", "failed": "FAILED"}
    for e in t.entries:
        status = by_seq.get(e.seq)
        lines.append(
            f"  {e.seq:>8}  {e.ts}  {e.type:<24} {e.actor:<20} "
            f"[{mark[status.status] if status else '?'}] {describe(e)}"
        )
    included = sum(1 for s in t.inclusion if s.status == "included")
    failed = [s for s in t.inclusion if s.status == "failed"]
    cp = next((s.checkpoint for s in t.inclusion if s.checkpoint), None)
    lines.append("")
    if not t.entries:
        lines.append("No audit entries for this action.")
    elif failed:
        lines.append(f"Inclusion: {len(failed)} entr(y/ies) FAILED their proof against checkpoint {cp}: "
                     f"{failed[0].detail}")
    else:
        pending = len(t.entries) - included
        where = f"checkpoint {cp} (signature {t.checkpoint_signature})" if cp else "no checkpoint yet"
        lines.append(f"Inclusion: {included}/{len(t.entries)} entries proven in {where}"
                     + (f"; {pending} after the latest checkpoint" if pending else ""))
    return "\n".join(lines)


def affected_actions(
    log: AuditLog, since: str, until: str, *, action: str | None = None, target: str | None = None
) -> list[AffectedAction]:
    """Actions with a ``commit.started`` event in [since, until), oldest first."""
    out: list[AffectedAction] = []
    seen: set[str] = set()
    for commit in log.entries(types=["commit.started"], since=since, until=until):
        aid = commit.action_id
        if aid is None or aid in seen:
            continue
        seen.add(aid)
        entries = log.entries(action_id=aid)
        info = _summary(entries)
        if (action and info.get("action") != action) or (target and info.get("target") != target):
            continue
        values: dict[str, Any] = {}
        evidence: list[dict[str, Any]] = []
        for e in entries:
            if e.type == "values.extracted" and isinstance(e.payload.get("values"), dict):
                values.update(e.payload["values"])
            elif e.type == "evidence.stored":
                evidence.append({k: e.payload.get(k) for k in ("kind", "sha256", "size", "label")})
        out.append(AffectedAction(
            action_id=aid, action=info.get("action"), target=info.get("target"),
            requester=info.get("requester"), params=info["params"],
            outcome=info.get("state"), committed_at=commit.ts,
            values=values, evidence=evidence,
        ))
    return out


def format_affected(actions: list[AffectedAction]) -> str:
    """The table `steward audit affected` prints."""
    if not actions:
        return "No action changed records in that window."
    lines = []
    for a in actions:
        lines.append(f"{a.committed_at}  {a.action_id}  {a.action} on {a.target}  outcome: {a.outcome}")
        lines.append(f"    params: {json.dumps(a.params, sort_keys=True)}")
        if a.values:
            lines.append(f"    extracted: {json.dumps(a.values, sort_keys=True)}")
        for ev in a.evidence:
            lines.append(f"    evidence: {ev.get('kind')} {ev.get('label')} sha256={ev.get('sha256')}")
    lines.append(f"{len(actions)} action(s) changed records.")
    return "\n".join(lines)

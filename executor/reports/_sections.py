"""The report's sections as tables of text, shared by the Markdown and HTML renderers.

Each figure is written beside the previous period's: ``12 (prev 9)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from executor.reports.model import ESCALATION_KINDS, Group, Latency, Period, Report

__all__ = ["Section", "Table", "duration", "pct", "sections"]


@dataclass
class Table:
    """Headers and rows of text; ``empty`` is said when there are no rows."""

    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    empty: str = "none in this period"


@dataclass
class Section:
    """A titled part of the report; ``chart`` names the chart the HTML draws for it."""

    key: str
    title: str
    intro: str
    tables: list[Table] = field(default_factory=list)
    chart: str | None = None


def pct(value: float | None) -> str:
    """A share as a percentage, or a dash."""
    return "-" if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None) -> str:
    """Seconds for people: 42 s, 12.5 min, 3.2 h, 1.5 d."""
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _pair(current: str, previous: str) -> str:
    return f"{current} (prev {previous})"


def _headline(cur: Period, prev: Period) -> Table:
    def row(name: str, a: str, b: str) -> list[str]:
        return [name, a, b]

    return Table(
        ["Figure", "This period", "Previous period"],
        [
            row("Requests", str(cur.requests), str(prev.requests)),
            row("Executed", str(cur.executed), str(prev.executed)),
            row("Success rate (succeeded / executed)", pct(cur.success_rate), pct(prev.success_rate)),
            row("Verified rate (verified / committed)", pct(cur.verified_rate), pct(prev.verified_rate)),
            row("Escalations", str(sum(cur.escalations.values())), str(sum(prev.escalations.values()))),
            row("Intervention rate", pct(cur.intervention_rate), pct(prev.intervention_rate)),
            row("Approval latency p50", duration(cur.approval_latency.p50_s), duration(prev.approval_latency.p50_s)),
            row("Approval latency p90", duration(cur.approval_latency.p90_s), duration(prev.approval_latency.p90_s)),
            row("Kill-switch events", str(len(cur.kill_switch_events)), str(len(prev.kill_switch_events))),
            row("Catalog and policy changes", str(len(cur.changes)), str(len(prev.changes))),
            row("Shadow-policy diffs", str(cur.shadow.diffs), str(prev.shadow.diffs)),
        ],
    )


def _group_table(name: str, cur: dict[str, Group], prev: dict[str, Group]) -> Table:
    rows = []
    for key in sorted(set(cur) | set(prev)):
        c, p = cur.get(key), prev.get(key)
        states = ", ".join(f"{s} {n}" for s, n in c.states.items()) if c else ""
        rows.append([
            key,
            _pair(str(c.requests if c else 0), str(p.requests if p else 0)),
            _pair(str(c.succeeded if c else 0), str(p.succeeded if p else 0)),
            _pair(str(c.escalated if c else 0), str(p.escalated if p else 0)),
            states,
        ])
    return Table([name, "Requests", "Succeeded", "Escalated", "States (this period)"], rows, caption=f"By {name}")


def _latency_row(name: str, c: Latency | None, p: Latency | None) -> list[str]:
    either = c or p
    ttl = either.ttl_s if either is not None else None
    share = pct(c.p90_s / ttl) if c and c.p90_s is not None and ttl else "-"
    return [
        name,
        _pair(str(c.decided if c else 0), str(p.decided if p else 0)),
        _pair(duration(c.p50_s if c else None), duration(p.p50_s if p else None)),
        _pair(duration(c.p90_s if c else None), duration(p.p90_s if p else None)),
        duration(ttl),
        share,
        _pair(str(c.expired if c else 0), str(p.expired if p else 0)),
    ]


def sections(report: Report) -> list[Section]:
    """Every section of the report, in reading order."""
    cur, prev = report.current, report.previous
    out = [Section("headline", "Headline", "Each figure beside the previous period's.", [_headline(cur, prev)])]
    out.append(Section(
        "volume", "Volume and outcomes",
        "Requests created in the window, by owner, action, category and class, with their state now.",
        [
            _group_table("owner", cur.by_owner, prev.by_owner),
            _group_table("action", cur.by_action, prev.by_action),
            _group_table("category", cur.by_category, prev.by_category),
            _group_table("class", cur.by_class, prev.by_class),
        ],
        chart="outcomes",
    ))
    kinds = Table(["Kind", "This period", "Previous period"],
                  [[k, str(cur.escalations[k]), str(prev.escalations.get(k, 0))] for k in ESCALATION_KINDS],
                  caption="By kind")
    categories = Table(
        ["Category", *ESCALATION_KINDS],
        [[c, *(str(v.get(k, 0)) for k in ESCALATION_KINDS)] for c, v in cur.escalations_by_category.items()],
        caption="By category (this period)",
    )
    prev_reasons = {(e.kind, e.category, e.reason): e.count for e in prev.escalation_reasons}
    reasons = Table(
        ["Kind", "Category", "Reason", "Count"],
        [[e.kind, e.category, e.reason, _pair(str(e.count), str(prev_reasons.get((e.kind, e.category, e.reason), 0)))]
         for e in cur.escalation_reasons],
        caption="By reason",
    )
    prev_steps = {(s.action, s.step): s.count for s in prev.failing_steps}
    steps = Table(
        ["Action", "Step", "Failures"],
        [[s.action, s.step, _pair(str(s.count), str(prev_steps.get((s.action, s.step), 0)))]
         for s in cur.failing_steps],
        caption="Top failing steps",
    )
    prev_locs = {x.locator: x.count for x in prev.failing_locators}
    locators = Table(
        ["Locator", "Failures", "Actions"],
        [[x.locator, _pair(str(x.count), str(prev_locs.get(x.locator, 0))), ", ".join(x.actions)]
         for x in cur.failing_locators],
        caption="Top failing locators (UI drift shows up here)",
    )
    out.append(Section(
        "escalations", "Escalations",
        "Work that went to people: forbidden by policy, unverified after the commit, aborted, failed, or "
        "expired waiting for a confirmation or an approval.",
        [kinds, categories, reasons, steps, locators],
        chart="escalations",
    ))
    out.append(Section(
        "interventions", "Interventions", "How often a person was in the loop, per request created.",
        [Table(["Figure", "This period", "Previous period"], [
            ["Approvals", str(cur.approvals), str(prev.approvals)],
            ["Rejections", str(cur.rejections), str(prev.rejections)],
            ["Customer confirmations", str(cur.confirmations), str(prev.confirmations)],
            ["Intervention rate", pct(cur.intervention_rate), pct(prev.intervention_rate)],
        ])],
    ))
    latency_rows = [_latency_row("all actions", cur.approval_latency, prev.approval_latency)]
    for action in sorted(set(cur.approval_latency_by_action) | set(prev.approval_latency_by_action)):
        latency_rows.append(_latency_row(
            action, cur.approval_latency_by_action.get(action), prev.approval_latency_by_action.get(action)
        ))
    out.append(Section(
        "latency", "Approval latency",
        "From submission to the operator's decision (nearest-rank percentiles), against the approval TTL.",
        [Table(["Action", "Decided", "p50", "p90", "TTL", "p90 / TTL", "Expired"], latency_rows)],
        chart="latency",
    ))
    budget_rows = []
    for lid, b in cur.budgets.items():
        p = prev.budgets.get(lid)
        budget_rows.append([
            lid, b.scope, b.per, _num(b.max), _pair(str(b.checked), str(p.checked if p else 0)),
            _pair(str(b.exceeded), str(p.exceeded if p else 0)), _num(b.peak), pct(b.peak_share), _num(b.added),
        ])
    out.append(Section(
        "budgets", "Budget use",
        "Policy limits as the window's decisions saw them: the peak is the highest window usage a request met.",
        [Table(["Limit", "Scope", "Window", "Max", "Checked", "Exceeded", "Peak", "Peak / max", "Added"],
               budget_rows, empty="no policy limits")],
        chart="budgets",
    ))
    out.append(Section(
        "killswitch", "Kill switch",
        f"Requests halted at intake: {_pair(str(cur.halted), str(prev.halted))}; stopped before their commit: "
        f"{_pair(str(cur.aborted_by_kill_switch), str(prev.aborted_by_kill_switch))}.",
        [Table(["Time", "Event", "Scope", "Operator", "Reason"],
               [[e.ts, e.type, e.scope, e.operator, e.reason] for e in cur.kill_switch_events])],
    ))
    out.append(Section(
        "rollbacks", "Rollbacks",
        f"Batches of compensating requests made with `steward rollback`: {len(cur.rollbacks)} "
        f"(previous period: {len(prev.rollbacks)}). Originals without an inverse went to a person.",
        [Table(["Time", "Batch", "By", "Reason", "Window", "Plan sha256", "Originals", "Approved by"],
               [[r.ts, r.batch_id, r.by, r.reason[:200], f"{r.since} to {r.until}", r.plan_hash[:12],
                 ", ".join(f"{k} {v}" for k, v in sorted(r.counts.items())) or "none",
                 f"{r.approved_by} ({r.approved})" if r.approved_by else "not yet"] for r in cur.rollbacks],
               empty="no rollbacks")],
    ))
    out.append(Section(
        "changes", "Catalog and policy changes",
        "Every catalog or policy event in the window, with its version, owner, who and why.",
        [Table(["Time", "Event", "Version", "Owner", "By", "Reason", "Summary"],
               [[c.ts, c.type, (c.version or "-")[:12], c.owner or "-", c.by or "-", c.reason or "-",
                 (c.summary or "")[:200]] for c in cur.changes])],
    ))
    shadow = cur.shadow
    if not shadow.ran:
        intro, tables = "No shadow policy ran in this period.", []
    else:
        intro = (f"A shadow policy would have decided {shadow.diffs} request(s) differently "
                 f"(previous period: {prev.shadow.diffs}).")
        tables = [
            Table(["Action", "Diffs"], [[a, str(n)] for a, n in shadow.by_action.items()], caption="By action"),
            Table(["Active -> candidate", "Diffs"], [[c, str(n)] for c, n in shadow.by_change.items()],
                  caption="By change of class"),
            Table(["Time", "Request", "Action", "Active", "Candidate", "Candidate sha256"],
                  [[d.ts, d.request_id or "-", d.action or "-", d.active or "-", d.candidate or "-",
                    (d.candidate_sha256 or "-")[:12]] for d in shadow.examples], caption="Examples"),
        ]
    out.append(Section("shadow", "Would have changed", intro, tables))
    return out

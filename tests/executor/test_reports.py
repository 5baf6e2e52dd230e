"""steward report: figures over a seeded history, checked against the database; HTML charts in a real Chromium."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from audit.clock import format_ts, parse_ts
from audit.schema import entries_table
from executor.cli import app
from executor.config import DEFAULT_POLICY_PATH, Settings
from executor.models import SubmitRequest
from executor.reports import CHART_IDS, nearest_rank
from executor.service import Steward
from executor.states import RequestState
from executor.store.tables import requests
from executor.worker import Worker
from fixtures.billing_console import account_id
from tests.executor.conftest import AGENT, OPERATOR, confirmation_for, context, credit
from tests.helpers import settings_for

S = RequestState
WORKER = "worker:report-test"
EXECUTED = {"succeeded", "failed", "aborted", "unverified"}


class ShiftClock:
    """The real clock plus an offset: decisions and expiry can happen 'later' without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset


class History:
    """A seeded database: two periods [t0, t1) and [t1, t2) of requests and audit events."""

    def __init__(self, steward: Steward, db_url: str, t0: datetime, t1: datetime, t2: datetime) -> None:
        self.steward, self.db_url, self.t0, self.t1, self.t2 = steward, db_url, t0, t1, t2

    def rows(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """The requests created in [since, until), straight from the table."""
        c = requests.c
        q = select(requests).where(c.created_at >= since.timestamp(), c.created_at < until.timestamp())
        with self.steward.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def events(self, since: datetime, until: datetime, *types: str) -> list[dict[str, Any]]:
        c = entries_table.c
        q = select(entries_table).where(c.ts >= format_ts(since), c.ts < format_ts(until), c.type.in_(types))
        with self.steward.engine.connect() as conn:
            return [{**dict(r), "payload": json.loads(r["payload"])} for r in conn.execute(q).mappings()]


def _drive(steward: Steward, rec: Any, final: S, *, code: str | None = None, step: str | None = None,
           committed: bool = False) -> Any:
    """Move a queued request through executing to ``final`` as a worker would record it."""
    store = steward.store
    store.transition(rec.id, S.EXECUTING, actor=WORKER, expect={S.QUEUED})
    now = steward.clock.now()
    updates: dict[str, Any] = {"outcome": {"reason": f"seeded {final.value}", "step": step, "extracted": {},
                                           "evidence": []}}
    if committed:
        updates.update(commit_started_at=now, commit_done_at=now)
    if code:
        updates.update(error_code=code, error_message=f"seeded {code}")
    return store.transition(rec.id, final, actor=WORKER, reason=f"seeded {final.value}", expect={S.EXECUTING},
                            updates=updates)


def _submit(steward: Steward, body: SubmitRequest, requester: str = AGENT) -> Any:
    rec, created = steward.submit(body, requester)
    assert created
    return rec


def _email(account: str, address: str) -> SubmitRequest:
    return SubmitRequest(action="update_contact_email", params={"account_id": account, "new_email": address},
                         context=context())


def _pause() -> datetime:
    """A boundary strictly between what came before and what comes after (ms timestamps)."""
    time.sleep(0.02)
    mark = datetime.now(UTC)
    time.sleep(0.02)
    return mark


@pytest.fixture(scope="module")
def history(
    tmp_path_factory: pytest.TempPathFactory, billing: Any, loop_thread: Any, driver: Any
) -> Iterator[History]:
    folder = tmp_path_factory.mktemp("reports")
    db_url = f"sqlite:///{folder / 'steward.db'}"
    clock = ShiftClock()
    started = time.time()
    steward = Steward(settings_for(db_url, folder / "home"), clock=clock)
    t0 = datetime.now(UTC)
    time.sleep(0.02)
    # -- the previous period: two successes, a failure at a step, one approval after 10 minutes.
    for n in (600, 601):
        _drive(steward, _submit(steward, credit(str(account_id(n)), 500)), S.SUCCEEDED, committed=True)
    _drive(steward, _submit(steward, credit(str(account_id(602)), 700)), S.FAILED, code="locator_error",
           step="steps 0: click role=button name='Add credit'")
    waiting = _submit(steward, credit(str(account_id(603)), 20_000), "bot-b")
    clock.offset = 600
    _drive(steward, steward.approve(waiting.id, OPERATOR), S.SUCCEEDED, committed=True)
    clock.offset = 0
    t1 = _pause()
    # -- the current period.
    worker = Worker(steward, driver, concurrency=1, poll_s=0.02, lease_s=30)
    _submit(steward, credit(str(account_id(590)), 300))  # real: succeeds on the console
    _submit(steward, credit(str(account_id(7)), 300))  # real: suspended account, the precondition fails
    loop_thread.run(worker.run(once=True))
    _submit(steward, credit(str(account_id(41)), 60_000))  # forbidden
    approved_fast = _submit(steward, credit(str(account_id(42)), 20_000))  # human_approved (> $25)
    approved_slow = _submit(steward, credit(str(account_id(43)), 20_000))  # and over the per-requester budget
    denied = _submit(steward, credit(str(account_id(44)), 20_000), "bot-c")
    never = _submit(steward, credit(str(account_id(45)), 20_000), "bot-d")
    confirmed = _submit(steward, _email(str(account_id(46)), "new@example.test"))
    unconfirmed = _submit(steward, _email(str(account_id(47)), "other@example.test"))
    steward.confirm(confirmed.id, confirmation_for(confirmed), AGENT)
    clock.offset = 60
    steward.approve(approved_fast.id, OPERATOR)
    clock.offset = 120
    steward.reject(denied.id, OPERATOR, "not justified")
    clock.offset = 3600
    steward.approve(approved_slow.id, OPERATOR)
    assert [r.id for r in steward.expire_due()] == [unconfirmed.id]  # 15 min confirmation TTL
    clock.offset = 90_000
    assert [r.id for r in steward.expire_due()] == [never.id]  # 24 h approval TTL
    clock.offset = 0
    for rec in (approved_fast, approved_slow, confirmed):  # queued by the decisions; seeded outcomes
        steward.store.transition(rec.id, S.CANCELLED, actor="operator:olga.ops", reason="seeded", expect={S.QUEUED})
    _drive(steward, _submit(steward, credit(str(account_id(48)), 800)), S.UNVERIFIED, code="unverified",
           step="verify 1: expect test_id=credit-row", committed=True)
    _drive(steward, _submit(steward, credit(str(account_id(49)), 900)), S.ABORTED, code="halted",
           step="steps 1: fill label=Amount")
    steward.kill("action:cancel_subscription", OPERATOR, "incident 42")
    halted = _submit(steward, SubmitRequest(action="cancel_subscription", params={"account_id": str(account_id(50))},
                                            context=context()))
    assert halted.state == S.REJECTED and halted.error_code == "halted"
    steward.release("action:cancel_subscription", OPERATOR, "fixed")
    steward.store.record(None, [("policy.shadow_diff", {
        "request_id": approved_fast.id, "action": "issue_credit",
        "active": {"class": "human_approved", "rules": []},
        "candidate": {"class": "autonomous", "rules": ["bigger-autonomous-credits"]},
        "candidate_sha256": "ab" * 32,
    })], "system:policy-shadow")
    changed = folder / "policy.yaml"
    changed.write_text(DEFAULT_POLICY_PATH.read_text() + "\n# a comment: a new version\n")
    second = Steward(Settings(db_url=db_url, home=folder / "home", catalog_dir=steward.settings.catalog_dir,
                              policy_path=changed), loaded_by="dana")
    second.close()
    # The previous period has the current one's length: make it reach back past everything seeded before t1.
    time.sleep(max(0.0, (t1.timestamp() - started) - (time.time() - t1.timestamp())) + 0.05)
    t2 = _pause()
    yield History(steward, db_url, t0, t1, t2)
    steward.close()


def _report(history: History, tmp_path: Path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"report.{fmt}"
    args = ["report", "--db", history.db_url, "--format", fmt, "--out", str(out), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out} ({fmt})")
    return out


def _window(history: History) -> list[str]:
    return ["--since", format_ts(history.t1), "--until", format_ts(history.t2)]


@pytest.fixture(scope="module")
def figures(history: History, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = _report(history, tmp_path_factory.mktemp("json"), "json", *_window(history))
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _expected_escalation(row: dict[str, Any]) -> str | None:
    if row["state"] == "rejected" and row["error_code"] == "forbidden":
        return "forbidden"
    return row["state"] if row["state"] in ("unverified", "aborted", "failed", "expired") else None


@pytest.mark.browser
class TestFiguresMatchTheDatabase:
    def test_windows(self, history: History, figures: dict[str, Any]) -> None:
        """The window is the one asked for; the previous period has the same length and ends where it starts."""
        cur, prev = figures["current"]["window"], figures["previous"]["window"]
        assert (cur["since"], cur["until"]) == (format_ts(history.t1), format_ts(history.t2))
        assert prev["until"] == cur["since"]
        length = parse_ts(cur["until"]) - parse_ts(cur["since"])
        assert parse_ts(prev["until"]) - parse_ts(prev["since"]) == length

    def test_volume_and_outcomes(self, history: History, figures: dict[str, Any]) -> None:
        """Requests and states by action, category, class and owner equal the table's, in both periods."""
        catalog = history.steward.catalog
        for name, since, until in (("current", history.t1, history.t2),
                                   ("previous", parse_ts(figures["previous"]["window"]["since"]), history.t1)):
            rows, period = history.rows(since, until), figures[name]
            assert period["requests"] == len(rows)
            assert period["states"] == dict(Counter(r["state"] for r in rows))
            for key, field in (("by_action", "action"), ("by_category", "category"), ("by_class", "action_class")):
                expected = Counter(r[field] for r in rows)
                assert {k: g["requests"] for k, g in period[key].items()} == dict(expected), key
            owners = Counter(catalog.owner_of(r["action"]) for r in rows)
            assert {k: g["requests"] for k, g in period["by_owner"].items()} == dict(owners)
        cur = figures["current"]
        assert cur["requests"] == 12 and figures["previous"]["requests"] == 4
        assert cur["by_owner"]["account-security"]["requests"] == 2  # update_contact_email
        assert cur["by_owner"]["retention"]["requests"] == 1  # cancel_subscription, halted
        credits = [r for r in history.rows(history.t1, history.t2) if r["action"] == "issue_credit"]
        assert cur["by_action"]["issue_credit"]["states"] == dict(sorted(Counter(r["state"] for r in credits).items()))

    def test_success_and_verified_rates(self, history: History, figures: dict[str, Any]) -> None:
        """success = succeeded / executed; verified = succeeded / committed: as the table says."""
        rows = history.rows(history.t1, history.t2)
        executed = [r for r in rows if r["state"] in EXECUTED]
        committed = [r for r in executed if r["commit_started_at"] is not None]
        cur = figures["current"]
        assert cur["executed"] == len(executed) == 4  # the real success, the real failure, unverified, aborted
        assert cur["succeeded"] == sum(r["state"] == "succeeded" for r in executed) == 1
        assert cur["success_rate"] == pytest.approx(1 / 4)
        assert cur["committed"] == len(committed) == 2
        assert cur["verified_rate"] == pytest.approx(1 / 2)
        assert figures["previous"]["success_rate"] == pytest.approx(3 / 4)

    def test_escalations(self, history: History, figures: dict[str, Any]) -> None:
        """Escalations by kind and category, with the reasons and the real failing step and locator."""
        rows = history.rows(history.t1, history.t2)
        kinds = Counter(k for k in (_expected_escalation(r) for r in rows) if k)
        cur = figures["current"]
        assert {k: v for k, v in cur["escalations"].items() if v} == dict(kinds)
        assert dict(kinds) == {"forbidden": 1, "failed": 1, "unverified": 1, "aborted": 1, "expired": 2}
        assert cur["escalations_by_category"]["billing"]["expired"] == 1
        assert cur["escalations_by_category"]["contact"]["expired"] == 1
        reasons = {(e["kind"], e["reason"]): e["count"] for e in cur["escalation_reasons"]}
        assert reasons[("forbidden", "rule huge-credits-forbidden")] == 1
        assert reasons[("expired", "no approval in time")] == 1
        assert reasons[("expired", "no confirmation in time")] == 1
        failed = next(r for r in rows if r["state"] == "failed")
        assert reasons[("failed", failed["error_code"])] == 1
        steps = {(s["action"], s["step"]): s["count"] for s in cur["failing_steps"]}
        assert steps[("issue_credit", failed["outcome"]["step"])] == 1  # the real run's step
        assert steps[("issue_credit", "verify 1: expect test_id=credit-row")] == 1
        locators = {x["locator"]: x["count"] for x in cur["failing_locators"]}
        assert locators["test_id=credit-row"] == 1 and locators["label=Amount"] == 1
        assert figures["previous"]["failing_locators"] == [
            {"locator": "role=button name='Add credit'", "count": 1, "actions": ["issue_credit"]}
        ]

    def test_interventions_and_latency(self, history: History, figures: dict[str, Any]) -> None:
        """Approvals, rejections, confirmations; latency percentiles from the stored decisions, against the TTL."""
        rows = history.rows(history.t1, history.t2)
        decided = [r for r in rows if r["approval"]]
        waits = [parse_ts(r["approval"]["at"]).timestamp() - r["created_at"] for r in decided]
        cur = figures["current"]
        assert cur["approvals"] == sum(r["approval"]["decision"] == "approved" for r in decided) == 2
        assert cur["rejections"] == 1
        assert cur["confirmations"] == sum(r["confirmation"] is not None for r in rows) == 1
        assert cur["intervention_rate"] == pytest.approx(4 / len(rows))
        latency = cur["approval_latency"]
        assert latency["decided"] == 3 and latency["expired"] == 1 and latency["ttl_s"] == 86_400
        assert latency["p50_s"] == pytest.approx(nearest_rank(waits, 0.5))
        assert latency["p90_s"] == pytest.approx(nearest_rank(waits, 0.9))
        assert 120 <= latency["p50_s"] < 125 and 3600 <= latency["p90_s"] < 3610
        assert figures["previous"]["approval_latency"]["p50_s"] == pytest.approx(600, abs=5)

    def test_budgets(self, history: History, figures: dict[str, Any]) -> None:
        """Each limit: how many decisions checked it and found it exceeded, from the stored decisions."""
        rows = history.rows(history.t1, history.t2)
        checks = [c for r in rows for c in (r["decision"] or {}).get("limits", [])]
        budgets = figures["current"]["budgets"]
        for limit_id, budget in budgets.items():
            mine = [c for c in checks if c["id"] == limit_id]
            assert budget["checked"] == len(mine), limit_id
            assert budget["exceeded"] == sum(c["exceeded"] for c in mine), limit_id
            peak = max((c["current"] + c["adding"] for c in mine), default=0.0)
            assert budget["peak"] == pytest.approx(peak), limit_id
        per_requester = budgets["credit-budget-per-requester"]
        assert per_requester["exceeded"] >= 1 and per_requester["peak_share"] > 1

    def test_kill_switch_changes_and_shadow(self, history: History, figures: dict[str, Any]) -> None:
        """Kill-switch events, catalog/policy changes with owner, and the shadow diff, as the audit log holds them."""
        cur = figures["current"]
        kills = history.events(history.t1, history.t2, "killswitch.engaged", "killswitch.released")
        assert [(e["type"], e["scope"], e["reason"]) for e in cur["kill_switch_events"]] == [
            (e["type"], e["payload"]["scope"], e["payload"]["reason"]) for e in kills
        ]
        assert [e["reason"] for e in cur["kill_switch_events"]] == ["incident 42", "fixed"]
        assert cur["halted"] == 1 and cur["aborted_by_kill_switch"] == 1
        [change] = cur["changes"]
        [loaded] = history.events(history.t1, history.t2, "policy.loaded")
        assert change["type"] == "policy.loaded" and change["version"] == loaded["payload"]["version"]
        assert change["owner"] == "support-automation" and change["by"] == "dana"
        assert {c["type"] for c in figures["previous"]["changes"]} == {"catalog.loaded", "policy.loaded"}
        assert cur["shadow"]["ran"] and cur["shadow"]["diffs"] == 1
        assert cur["shadow"]["by_change"] == {"human_approved -> autonomous": 1}
        assert not figures["previous"]["shadow"]["ran"]


@pytest.mark.browser
class TestRenderings:
    def test_markdown(self, history: History, tmp_path: Path) -> None:
        """Markdown has every section, tables with the previous period beside each figure, and the owners."""
        text = _report(history, tmp_path, "md", *_window(history)).read_text()
        for title in ("Headline", "Volume and outcomes", "Escalations", "Interventions", "Approval latency",
                      "Budget use", "Kill switch", "Catalog and policy changes", "Would have changed"):
            assert f"## {title}" in text
        assert "| Requests | 12 | 4 |" in text
        assert "| billing-ops | " in text and "| account-security | 2 (prev 0) |" in text
        assert "| forbidden | billing | rule huge-credits-forbidden | 1 (prev 0) |" in text
        assert "| human_approved -> autonomous | 1 |" in text

    def test_markdown_without_shadow(self, history: History, tmp_path: Path) -> None:
        """A window without shadow events says that no shadow policy ran."""
        args = ["--since", format_ts(history.t0), "--until", format_ts(history.t1)]
        text = _report(history, tmp_path, "md", *args).read_text()
        assert "No shadow policy ran in this period." in text

    @pytest.mark.parametrize("period", ["daily", "weekly"])
    def test_html_charts_render(
        self, history: History, tmp_path: Path, loop_thread: Any, driver: Any, period: str
    ) -> None:
        """The self-contained HTML draws every chart in Chromium, without a console error or a network request."""
        page_html = _report(history, tmp_path, "html", "--period", period).read_text()
        assert "<script src" not in page_html and "Chart.js v4" in page_html
        shot = tmp_path / f"{period}.png"

        async def render() -> dict[str, Any]:
            page = await driver.browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            requested: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requested.append(r.url))
            try:
                await page.set_content(page_html, wait_until="load")
                found = await page.evaluate("""() => Array.from(document.querySelectorAll('canvas')).map(c => {
                    const ctx = c.getContext('2d');
                    const px = ctx.getImageData(0, 0, c.width, c.height).data;
                    let painted = 0;
                    for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) painted++; }
                    return {id: c.id, chart: !!Chart.getChart(c), width: c.width, painted: painted};
                })""")
                await page.screenshot(path=str(shot), full_page=True)
                return {"canvases": found, "errors": errors, "requested": requested}
            finally:
                await page.close()

        seen = loop_thread.run(render())
        assert seen["errors"] == []
        assert [u for u in seen["requested"] if not u.startswith(("about:", "data:"))] == []
        assert {c["id"] for c in seen["canvases"]} == {f"chart-{k}" for k in CHART_IDS}
        for canvas in seen["canvases"]:
            assert canvas["chart"] and canvas["width"] > 100 and canvas["painted"] > 500, canvas
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        assert f"Steward review report ({period})" in page_html

    def test_html_escapes_values(self, history: History, tmp_path: Path) -> None:
        """Data from the database (reasons typed by operators) cannot break out of the page."""
        steward = history.steward
        steward.kill("action:lookup_account", OPERATOR, "</script><img src=x onerror=alert(1)>")
        steward.release("action:lookup_account", OPERATOR, "ok")
        page_html = _report(history, tmp_path, "html", "--period", "daily").read_text()
        assert "</script><img" not in page_html
        assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page_html


class TestBadInput:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--since", "2026-12-02", "--until", "2026-12-01"], "must be before --until"),
            (["--since", "2026-12-01", "--until", "2026-12-01"], "must be before --until"),
            (["--since", "yesterday"], "is not an ISO-8601 date"),
            (["--period", "monthly"], "unknown period 'monthly'"),
            (["--period", "daily", "--format", "pdf"], "unknown format 'pdf'"),
            ([], "give --since"),
        ],
    )
    def test_clear_error_exit_2_nothing_written(
        self, tmp_path: Path, args: list[str], message: str
    ) -> None:
        """A wrong window, period or format: one clear line, exit code 2, no file."""
        db = tmp_path / "steward.db"
        steward = Steward(settings_for(f"sqlite:///{db}", tmp_path / "home"))
        steward.close()
        out = tmp_path / "r.html"
        result = CliRunner().invoke(app, ["report", "--db", str(db), "--out", str(out), *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert not out.exists() and not list(tmp_path.glob(".r.html*"))

    def test_missing_database_is_not_created(self, tmp_path: Path) -> None:
        """A database path that does not exist is an error; no empty database is left behind."""
        out = tmp_path / "r.md"
        result = CliRunner().invoke(app, ["report", "--db", str(tmp_path / "nope.db"), "--period", "daily",
                                          "--out", str(out)])
        assert result.exit_code == 2 and "no database at" in result.output
        assert not (tmp_path / "nope.db").exists() and not out.exists()


def test_nearest_rank() -> None:
    """Nearest-rank percentiles: the smallest value with at least q of the values at or below it."""
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([3.0, 1.0, 2.0], 0.5) == 2.0
    assert nearest_rank([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert nearest_rank([5.0], 0.9) == 5.0


def test_handoff_names_the_owner(make_steward: Any, tmp_path: Path) -> None:
    """The handoff packet of a waiting request names the action's owner and reviewers."""
    steward = make_steward(f"sqlite:///{tmp_path / 'h.db'}")
    rec, _ = steward.submit(credit(str(account_id(60)), 20_000), AGENT)
    packet = steward.handoff(rec)
    assert packet["owner"] == "billing-ops" and packet["reviewers"] == ["support-automation"]


def test_public_names() -> None:
    """executor.reports exports exactly its public surface."""
    import executor.reports

    assert executor.reports.__all__ == [
        "CHART_IDS", "ESCALATION_KINDS", "PERIODS", "Period", "Report", "ReportError", "ReportInputError",
        "ReportReadError", "build_report", "nearest_rank", "period_window", "read_period", "render_html",
        "render_markdown",
    ]


class TestOnEitherDatabase:
    def test_figures_on_sqlite_and_postgres(self, make_steward: Any, db_url: str, tmp_path: Path) -> None:
        """The same queries give the same figures on SQLite and PostgreSQL."""
        steward = make_steward(db_url)
        since = _pause()
        _submit(steward, credit(str(account_id(61)), 60_000))
        waiting = _submit(steward, credit(str(account_id(62)), 20_000))
        steward.reject(waiting.id, OPERATOR, "no")
        steward.kill("global", OPERATOR, "drill")
        steward.release("global", OPERATOR, "drill over")
        until = _pause()
        out = tmp_path / "r.json"
        args = ["report", "--db", db_url, "--since", format_ts(since), "--until", format_ts(until), "--out", str(out)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        cur = json.loads(out.read_text())["current"]
        assert cur["requests"] == 2 and cur["states"] == {"denied": 1, "rejected": 1}
        assert cur["escalations"]["forbidden"] == 1 and cur["rejections"] == 1
        assert [e["type"] for e in cur["kill_switch_events"]] == ["killswitch.engaged", "killswitch.released"]
        assert cur["by_owner"]["billing-ops"]["requests"] == 2

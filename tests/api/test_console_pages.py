"""Issue 14: every console page in a real Chromium against a live API, asserted against the database.

One module-scoped world: a Steward on SQLite, one credit that really ran
(billing console, real Chromium, screenshots and a trace), three credits
awaiting approval, a lookup by another agent, and a signed checkpoint. The
tests walk the pages as an operator and as an auditor, in file order.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright

from executor.api import ApiConfig, create_app
from executor.api._server import BackgroundServer
from executor.browser.launch import launch_args
from executor.store.tables import requests
from tests.api.conftest import Api, make_keys

pytestmark = pytest.mark.browser

_ACCOUNTS = itertools.count(581)  # apart from the executor (30+), API (401+) and evidence-route (561+) pools
WIDTHS = {"wide": 1280, "narrow": 420}


@dataclass
class World:
    api: Api
    ran: dict[str, Any]  # the credit that really ran (agent-1)
    waiting: list[dict[str, Any]]  # three credits awaiting approval, oldest first
    lookup: dict[str, Any]  # agent-2's lookup (queued)


def _credit(api: Api, cents: int, **context: Any) -> dict[str, Any]:
    body = {"action": "issue_credit",
            "params": {"account_id": f"ACC-{next(_ACCOUNTS):06d}", "amount_cents": cents, "reason": "Late parcel"},
            "context": {"agent_confidence": 0.9, **context}}
    res = api.client.post("/v1/actions", headers=api.h("agent"), json=body)
    assert res.status_code == 202, res.text
    out: dict[str, Any] = res.json()
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, billing: Any, loop_thread: Any, driver: Any) -> Iterator[World]:
    from executor.service import Steward
    from executor.worker import Worker
    from tests.helpers import settings_for

    folder = tmp_path_factory.mktemp("console")
    steward = Steward(settings_for(f"sqlite:///{folder / 'console.db'}", folder / "home"))
    app = create_app(steward, config=ApiConfig(rate_per_s=0))
    client = TestClient(app, raise_server_exceptions=False)
    api = Api(steward=steward, client=client, tokens=make_keys(steward))
    ran = _credit(api, 700, account_tier="standard", customer_id="C-RAN", conversation_id="conv-ran")
    worker = Worker(steward, driver, concurrency=1, poll_s=0.02, lease_s=30)

    async def go() -> list[Any]:
        return await worker.run(once=True)

    loop_thread.run(go())
    ran = client.get(f"/v1/actions/{ran['id']}", headers=api.h("operator")).json()
    assert ran["state"] == "succeeded", ran
    waiting = [_credit(api, 20_000 + i, customer_goal=f"Refund {i}", customer_id=f"C-{i}") for i in range(3)]
    assert all(w["state"] == "awaiting_approval" for w in waiting)
    lookup = client.post("/v1/actions", headers=api.h("agent2"),
                         json={"action": "lookup_account", "params": {"account_id": "ACC-000599"}}).json()
    steward.checkpoint()
    with BackgroundServer(app) as server:
        api.base_url = server.url
        yield World(api=api, ran=ran, waiting=waiting, lookup=lookup)
    client.close()
    steward.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    executable = os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).is_file():
        pytest.fail(f"Chromium not found at {executable}: install it or set STEWARD_CHROMIUM")
    with sync_playwright() as playwright:
        b = playwright.chromium.launch(executable_path=executable, args=launch_args())
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where page screenshots go: STEWARD_CONSOLE_SHOTS (docs/console in the repo) or a temporary folder."""
    target = os.environ.get("STEWARD_CONSOLE_SHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("console-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


Open = Callable[..., Page]


@pytest.fixture
def open_as(chromium: Browser, world: World) -> Iterator[Open]:
    """Open the console signed in as a role; at the end, no script error and no CSP violation may have happened."""
    pages: list[Page] = []
    problems: list[str] = []

    def go(who: str, hash_: str = "", width: int = 1280) -> Page:
        context = chromium.new_context(base_url=world.api.base_url, viewport={"width": width, "height": 900},
                                      accept_downloads=True)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        # A refused API call (a 4xx the page explains) logs "Failed to load resource"; anything else is a bug.
        page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                and not m.text.startswith("Failed to load resource") else None)
        pages.append(page)
        page.goto("/console" + hash_)
        page.get_by_label("API key").fill(world.api.tokens[who])
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#who")).to_contain_text(f"({who.rstrip('2')})")
        return page

    yield go
    for p in pages:
        p.context.close()
    assert not problems, problems


def _db_ids(world: World, **where: Any) -> list[str]:
    from sqlalchemy import select

    query = select(requests.c.id).order_by(requests.c.created_at.desc(), requests.c.id.desc())
    for name, value in where.items():
        query = query.where(getattr(requests.c, name) == value)
    with world.api.steward.engine.connect() as conn:
        return [str(r) for r in conn.execute(query).scalars()]


def _rows(page: Page) -> list[str]:
    return [str(x) for x in page.locator("#list tbody tr").evaluate_all("rs => rs.map(r => r.dataset.request)")]


class TestRequests:
    def test_list_filter_search_and_deep_link(self, world: World, open_as: Open) -> None:
        """The list shows what the database holds; a filter and a search land in the URL, which reopens the view."""
        page = open_as("auditor", "#/requests")
        total = len(_db_ids(world))
        expect(page.locator("#list-summary")).to_have_text(f"Showing 1\N{EN DASH}{total} of {total}.")
        assert _rows(page) == _db_ids(world)
        page.get_by_label("State").select_option("awaiting_approval")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(r"#/requests\?state=awaiting_approval$"))
        expect(page.locator("#list tbody tr")).to_have_count(3)
        assert _rows(page) == _db_ids(world, state="awaiting_approval")
        page.get_by_label("Search").fill(world.ran["params"]["account_id"])
        page.get_by_label("State").select_option("")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("#list tbody tr")).to_have_count(1)
        assert _rows(page) == [world.ran["id"]]
        deep = page.url.split("/console", 1)[1]
        again = open_as("operator", deep)
        expect(again.locator("#list tbody tr")).to_have_count(1)
        expect(again.get_by_label("Search")).to_have_value(world.ran["params"]["account_id"])
        sorted_page = open_as("auditor", "#/requests?sort=created_at&requester=agent-2")
        expect(sorted_page.locator("#list tbody tr")).to_have_count(1)
        assert _rows(sorted_page) == [world.lookup["id"]]

    def test_a_bad_filter_is_refused_with_the_reason(self, open_as: Open) -> None:
        """A time that does not parse is a 422 the page states; no stale rows are left."""
        page = open_as("auditor", "#/requests?since=yesterday")
        expect(page.locator("#status")).to_contain_text("Filter refused: since='yesterday' is not an ISO-8601")
        expect(page.locator("#list tbody tr")).to_have_count(0)

    def test_paging(self, world: World, open_as: Open) -> None:
        """Pages of 25 follow the database order; 'Next page' appears only when more match."""
        page = open_as("operator", "#/requests?sort=created_at")
        expect(page.locator("#list tbody tr")).to_have_count(len(_db_ids(world)))
        expect(page.locator("#next-page")).to_be_hidden()

    def test_detail_page(self, world: World, open_as: Open) -> None:
        """Parameters, decision with rules and policy version, timeline, values, inline screenshot, trace, proof."""
        rid = world.ran["id"]
        page = open_as("operator", f"#/requests/{rid}")
        expect(page.locator("#detail-state")).to_have_text("succeeded")
        view = world.api.client.get(f"/v1/actions/{rid}", headers=world.api.h("operator")).json()
        expect(page.locator("#policy-version")).to_have_text(view["decision"]["policy_version"])
        detail = page.locator("#detail")
        expect(detail).to_contain_text(view["params"]["account_id"])
        for hit in view["decision"]["rules"]:
            expect(detail).to_contain_text(hit["id"])
        for name in view["extracted"]:
            expect(detail).to_contain_text(name)
        steps = page.locator("#detail table").filter(has_text="Seq").locator("tbody tr")
        expect(steps).to_have_count(len(world.api.steward.audit.entries(action_id=rid)))
        expect(steps.nth(1)).to_contain_text(re.compile(r"\+\d"))  # a duration since the previous step
        img = page.locator(".shot img").first
        expect(img).to_have_attribute("src", re.compile("^blob:"))
        page.wait_for_function("() => document.querySelector('.shot img').naturalWidth > 0")
        trace = next(e for e in view["evidence"] if e["kind"] == "trace")
        expect(page.locator("pre.cmd")).to_have_text(f"playwright show-trace {rid}-{trace['sha256'][:12]}.zip")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the trace").click()
        data = Path(download.value.path()).read_bytes()
        import hashlib

        assert hashlib.sha256(data).hexdigest() == trace["sha256"]
        expect(page.locator("#proof-result")).to_have_text(re.compile(
            r"^Inclusion checked in this browser: (\d+) of \1 entries hash to their recorded hash "
            r"and lead to the checkpoint root\.$"))

    def test_detail_of_a_waiting_request_shows_its_handoff_packet(self, world: World, open_as: Open) -> None:
        """A request awaiting approval: the handoff packet with the goal, the reason and what happens if nobody acts."""
        waiting = world.waiting[2]
        page = open_as("operator", f"#/requests/{waiting['id']}")
        packet = page.locator("#detail section").filter(has_text="Handoff packet")
        expect(packet).to_contain_text("Refund 2")
        expect(packet).to_contain_text(f"If nobody decidesThe request expires at {waiting['expires_at']}")
        expect(page.locator("#detail section").filter(has_text="Evidence")).to_contain_text("No evidence files")

    def test_the_page_really_checks_the_proof(self, world: World, open_as: Open) -> None:
        """The page recomputes each entry's hash from its fields and folds the proof to the checkpoint root; one
        changed payload value or one flipped proof byte misses."""
        rid = world.ran["id"]
        timeline = world.api.client.get(f"/v1/audit/timeline/{rid}", headers=world.api.h("operator")).json()
        item = next(e for e in timeline["entries"] if e["proof"])
        args = [item["event"]["hash"], item["event"]["seq"], timeline["checkpoint"]["size"], item["proof"]]
        page = open_as("operator", f"#/requests/{rid}")
        expect(page.locator("#proof-result")).to_contain_text("Inclusion checked in this browser")
        fold = "([leaf, seq, size, proof]) => rootFromProof(leaf, seq, size, proof)"
        assert page.evaluate(fold, args) == timeline["checkpoint"]["root"]
        bad = list(item["proof"])
        bad[0] = ("0" if bad[0][0] != "0" else "1") + bad[0][1:]
        assert page.evaluate(fold, [*args[:3], bad]) != timeline["checkpoint"]["root"]
        for item in timeline["entries"]:
            assert page.evaluate("e => entryHash(e)", item["event"]) == item["event"]["hash"], item["event"]["type"]
        changed = {**item["event"], "payload": {**item["event"]["payload"], "forged": True}}
        assert page.evaluate("e => entryHash(e)", changed) != item["event"]["hash"]


class TestApprovals:
    def test_inbox_oldest_first_with_countdown(self, world: World, open_as: Open) -> None:
        """Cards in creation order with a countdown, the goal, parameters and reasons."""
        page = open_as("operator", "#/approvals")
        cards = page.locator("#approvals article")
        expect(cards).to_have_count(3)
        assert cards.evaluate_all("cs => cs.map(c => c.dataset.request)") == [w["id"] for w in world.waiting]
        expect(cards.first.locator(".countdown")).to_have_text(re.compile(r"^expires in \d+ h \d+ min$"))
        expect(cards.first).to_contain_text("Refund 0")
        expect(cards.first).to_contain_text("human_approved")

    def test_approve_and_reject_with_a_confirmation(self, world: World, open_as: Open) -> None:
        """Approve asks for a confirmation and queues; reject needs a reason and a confirmation, and denies."""
        first, second = world.waiting[0]["id"], world.waiting[1]["id"]
        page = open_as("operator", "#/approvals")
        card = page.locator(f'article[data-request="{first}"]')
        card.get_by_role("textbox").fill("checked the ledger")
        card.get_by_role("button", name="Approve").click()
        assert self._state(world, first) == "awaiting_approval"  # nothing until confirmed
        card.get_by_role("button", name="Confirm approval").click()
        expect(page.locator("#status")).to_have_text(f"{first}: approved; now queued.")
        assert self._state(world, first) == "queued"
        other = page.locator(f'article[data-request="{second}"]')
        other.get_by_role("button", name="Reject").click()
        expect(page.locator("#status")).to_have_text("A rejection needs a reason.")
        other.get_by_role("textbox").fill("not justified")
        other.get_by_role("button", name="Reject").click()
        other.get_by_role("button", name="Cancel").click()
        assert self._state(world, second) == "awaiting_approval"
        other.get_by_role("button", name="Reject").click()
        other.get_by_role("button", name="Confirm rejection").click()
        expect(page.locator("#approvals article")).to_have_count(1)
        rec = world.api.steward.get(second)
        assert rec.state == "denied" and rec.approval["operator"] == "olga" and rec.approval["note"] == "not justified"
        detail = open_as("auditor", f"#/requests/{first}")
        decided = detail.locator("#detail section").filter(has_text="Operator's decision")
        approval = world.api.steward.get(first).approval
        expect(decided).to_contain_text("Decisionapproved")
        expect(decided).to_contain_text("Byolga")
        expect(decided).to_contain_text("Notechecked the ledger")
        expect(decided).to_contain_text(approval["at"].replace("T", " ")[:19])

    def test_the_requester_cannot_decide_and_is_told_why(self, world: World, open_as: Open) -> None:
        """Agent key "Olga" is operator olga's identity: no buttons, the reason shown; the API answers 403."""
        from executor.apikeys import KeyStore

        _, token = KeyStore(world.api.steward.engine).create("Olga", "agent")
        body = {"action": "issue_credit", "params": {"account_id": f"ACC-{next(_ACCOUNTS):06d}",
                                                     "amount_cents": 25_000, "reason": "Late parcel"},
                "context": {"agent_confidence": 0.9}}
        mine = world.api.client.post("/v1/actions", json=body, headers={"Authorization": f"Bearer {token}"}).json()
        page = open_as("operator", "#/approvals")
        card = page.locator(f'article[data-request="{mine["id"]}"]')
        expect(card.locator(".self")).to_have_text(
            "You cannot decide on this request: it was submitted by Olga, the same identity as your key (olga), and "
            "the approver is never the requester. Another operator must decide.")
        expect(card.get_by_role("button", name="Approve")).to_be_disabled()
        expect(card.get_by_role("button", name="Reject")).to_be_disabled()
        refused = world.api.client.post(f"/v1/actions/{mine['id']}/approve", json={}, headers=world.api.h("operator"))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "self_approval", refused.text
        assert self._state(world, mine["id"]) == "awaiting_approval"

    @staticmethod
    def _state(world: World, rid: str) -> str:
        return str(world.api.steward.get(rid).state)


class TestKillSwitches:
    def test_engage_shows_who_and_what_it_holds_then_release(self, world: World, open_as: Open) -> None:
        """A target switch with its reason shows the operator, the time and the queued count; release needs a reason."""
        page = open_as("operator", "#/kill-switches")
        page.get_by_label("Scope").select_option("target")
        page.get_by_label("Name").fill("billing_console")
        page.get_by_label("Reason", exact=True).fill("incident 42")
        page.get_by_role("button", name="Engage").click()
        row = page.locator('#switches tr[data-scope="target:billing_console"]')
        queued = len(_db_ids(world, state="queued", target="billing_console"))
        expect(row).to_contain_text("olga")
        expect(row).to_contain_text("incident 42")
        expect(row).to_contain_text(f"{queued} queued, 0 executing")
        assert [s.scope for s in world.api.steward.store.kill_switches()] == ["target:billing_console"]
        page.get_by_label("Scope").select_option("global")
        page.get_by_role("button", name="Engage").click()  # the reason is required: the browser refuses
        assert len(world.api.steward.store.kill_switches()) == 1
        row.get_by_role("button", name="Release").click()
        expect(page.locator("#status")).to_have_text("Write why target:billing_console may run again, then release.")
        row.get_by_label("Reason to release target:billing_console").fill("fixed")
        row.get_by_role("button", name="Release").click()
        expect(page.locator("#switches tbody tr")).to_have_count(0)
        assert world.api.steward.store.kill_switches() == []


class TestAuditor:
    def test_verify_with_the_key_and_export(self, world: World, open_as: Open) -> None:
        """Verify names the verifier key and checks signatures; the export is a zip of the whole log."""
        page = open_as("auditor", "#/audit")
        page.get_by_role("button", name="Verify now").click()
        key = f"{world.api.steward.checkpointer.signer.key_id:08x}"
        expect(page.locator("#verify-out")).to_contain_text("VERIFIED")
        expect(page.locator("#verify-out")).to_contain_text(f"Verifier key: steward-audit+{key}")
        expect(page.locator("#verify-out")).to_contain_text("Signatures checked: yes")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the export").click()
        with zipfile.ZipFile(download.value.path()) as zf:
            names = zf.namelist()
            lines = zf.read("entries.jsonl").decode().splitlines()
        assert "evidence-manifest.json" in names and any(n.startswith("checkpoints/") for n in names)
        assert len(lines) == world.api.steward.audit.size()

    def test_affected_view_and_csv(self, world: World, open_as: Open) -> None:
        """The incident window lists the request that committed, and the CSV holds the same rows."""
        page = open_as("auditor", "#/affected?since=2000-01-01")
        rows = page.locator("#affected tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(world.ran["id"])
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        table = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
        assert [r["action_id"] for r in table] == [world.ran["id"]]
        assert json.loads(table[0]["params"])["account_id"] == world.ran["params"]["account_id"]


class TestOperations:
    def test_figures_and_links_into_the_list(self, world: World, open_as: Open) -> None:
        """The overview shows the database's counts; a state in the chart opens the filtered list."""
        page = open_as("operator", "#/ops")
        ops = page.locator("#ops")
        expect(ops).to_contain_text("Daily report")
        queued = len(_db_ids(world, state="queued"))
        expect(ops.locator("dd").first).to_have_text(str(queued))
        ops.get_by_role("link", name="succeeded", exact=True).click()
        expect(page.locator("#list tbody tr")).to_have_count(1)
        assert _rows(page) == _db_ids(world, state="succeeded")


class TestRoles:
    def test_the_auditor_cannot_open_operator_views(self, open_as: Open) -> None:
        """An auditor's link to the approvals inbox explains the refusal; the nav does not offer it."""
        page = open_as("auditor", "#/approvals")
        expect(page.locator("#status")).to_have_text("An auditor key cannot open this view (the API would refuse it).")
        expect(page.get_by_role("link", name="Approvals")).to_be_hidden()


PAGES = [("operator", "requests", "#/requests"), ("operator", "detail", "RAN"),
         ("operator", "approvals", "#/approvals"), ("operator", "kill-switches", "#/kill-switches"),
         ("operator", "ops", "#/ops"), ("auditor", "audit", "#/audit"),
         ("auditor", "affected", "#/affected?since=2000-01-01")]


class TestQuality:
    @pytest.mark.parametrize("width", list(WIDTHS))
    @pytest.mark.parametrize(("who", "name", "where"), PAGES, ids=[p[1] for p in PAGES])
    def test_page_fits_and_passes_axe(self, world: World, open_as: Open, shots: Path, who: str, name: str,
                                      where: str, width: str) -> None:
        """No horizontal overflow at the width, no serious or critical axe-core violation; a screenshot is kept."""
        where = f"#/requests/{world.ran['id']}" if where == "RAN" else where
        if name == "kill-switches":  # show an engaged switch (released again below)
            world.api.steward.kill("target:billing_console", "olga", "incident 42: wrong credit amounts")
        try:
            self._check(open_as(who, where, WIDTHS[width]), shots / f"{name}-{WIDTHS[width]}.png", name, width)
        finally:
            if name == "kill-switches":
                world.api.steward.release("target:billing_console", "olga", "fixed")

    @staticmethod
    def _check(page: Page, shot: Path, name: str, width: str) -> None:
        expect(page.locator(".view:not([hidden])")).to_have_count(1)
        if name == "kill-switches":
            expect(page.locator("#switches tbody tr")).to_have_count(1)
        if name == "audit":
            page.get_by_role("button", name="Verify now").click()
            expect(page.locator("#verify-out")).to_contain_text("VERIFIED")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} overflows by {overflow}px at {WIDTHS[width]}px"
        results = Axe().run(page)
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, bad
        page.screenshot(path=str(shot), full_page=True)

    def test_keyboard_reaches_the_approve_button(self, open_as: Open) -> None:
        """Tab from the top of the inbox reaches a card's note and its Approve button."""
        page = open_as("operator", "#/approvals")
        expect(page.locator("#approvals article")).not_to_have_count(0)
        seen = []
        for _ in range(40):
            page.keyboard.press("Tab")
            seen.append(page.evaluate("document.activeElement.textContent || document.activeElement.id"))
            if seen[-1] == "Approve":
                break
        assert "Approve" in seen, seen


class TestRollbackFromTheConsole:
    def test_plan_roll_back_and_approve_the_batch(self, world: World, open_as: Open) -> None:
        """Issue 18, item 4: the affected view plans a rollback, submits it, and another operator approves the batch."""
        from executor.apikeys import KeyStore

        _, world.api.tokens["operator2"] = KeyStore(world.api.steward.engine).create("sam", "operator")
        page = open_as("operator", "#/affected?since=2000-01-01")
        expect(page.locator("#affected tbody tr")).to_have_count(1)
        page.get_by_label("Rollback reason").fill("INC-42: credits by a bad policy")
        page.get_by_role("button", name="Plan the rollback").click()
        plan = page.locator("#rb-out")
        expect(plan).to_contain_text("dry run: nothing recorded")
        expect(plan.locator("tbody tr")).to_have_count(1)
        expect(plan.locator("tbody tr").first).to_contain_text("reverse_credit")
        assert _db_ids(world, action="reverse_credit") == []  # the plan recorded nothing
        page.get_by_role("button", name="Roll back 1 request(s)").click()
        page.get_by_role("button", name="Confirm rollback").click()
        expect(page).to_have_url(re.compile(r"batch=rb_"))
        expect(plan).to_contain_text("the approver is never the requester")
        expect(page.get_by_role("button", name="Approve the batch")).to_have_count(0)
        compensations = _db_ids(world, action="reverse_credit")
        assert len(compensations) == 1
        deep = page.url.split("/console", 1)[1]
        other = open_as("operator2", deep)
        other.get_by_role("button", name="Approve the batch").click()
        other.get_by_role("button", name="Confirm batch approval").click()
        expect(other.locator("#status")).to_contain_text("Approved 1 compensating request(s)")
        expect(other.locator("#rb-out")).to_contain_text("by sam")
        assert _db_ids(world, action="reverse_credit", state="queued") == compensations

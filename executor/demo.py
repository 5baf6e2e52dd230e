"""``steward demo``: one request of each class, a kill switch mid-execution, a verified log.

Everything runs on loopback: the billing console fixture in a subprocess, a
worker with a real Chromium in this process, a temporary SQLite database. The
final table is checked against the console's own database, not against what
Steward believes.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from audit import export, verify_export
from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH, Settings, normalize_db_url
from executor.fixture_env import billing_env
from executor.integrity import load_catalog_for
from executor.models import Confirmation, RequestContext, SubmitRequest
from executor.service import Steward
from executor.states import RequestState
from executor.store import RequestRecord

__all__ = ["DemoResult", "run_demo"]

AGENT = "resolver-bot"
OPERATOR = "dana.ops"
TERMINAL_WAIT_S = 60.0


@dataclass
class DemoRow:
    label: str
    request_id: str
    action: str
    action_class: str
    state: str
    expected: str
    check: str
    ok: bool


@dataclass
class DemoResult:
    rows: list[DemoRow]
    audit_ok: bool
    audit_entries: int
    evidence: list[str]
    seconds: float
    home: Path

    @property
    def ok(self) -> bool:
        return self.audit_ok and all(r.ok for r in self.rows)


class _Printer:
    def __init__(self, out: Callable[[str], None]) -> None:
        self.out, self.t0 = out, time.monotonic()

    def __call__(self, text: str) -> None:
        self.out(f"[{time.monotonic() - self.t0:6.2f}s] {text}")


async def _until(
    steward: Steward, request_id: str, states: set[RequestState], timeout: float = TERMINAL_WAIT_S
) -> RequestRecord:
    deadline = time.monotonic() + timeout
    while True:
        rec = await asyncio.to_thread(steward.get, request_id)
        if rec.state in states or rec.terminal or time.monotonic() > deadline:
            return rec
        await asyncio.sleep(0.05)


def _credit(amount: int, account: str, reason: str, **ctx: Any) -> SubmitRequest:
    return SubmitRequest(
        action="issue_credit",
        params={"account_id": account, "amount_cents": amount, "reason": reason},
        context=RequestContext(**{"account_tier": "pro", "agent_confidence": 0.92, **ctx}),
    )


async def _walk(steward: Steward, server: Any, say: _Printer, admin_token: str) -> list[DemoRow]:
    db = server.db
    rows: list[DemoRow] = []
    terminal = {s for s in RequestState if s.value in ("succeeded", "failed", "aborted", "unverified")}

    def row(label: str, rec: RequestRecord, expected: str, check: str, ok: bool) -> None:
        good = ok and rec.state.value == expected
        rows.append(DemoRow(label, rec.id, rec.action, rec.action_class or "-", rec.state.value, expected, check, good))
        say(f"   -> {rec.state.value} ({'as expected' if good else 'NOT as expected: ' + expected})")

    async def submit(body: SubmitRequest) -> RequestRecord:
        rec, _ = await asyncio.to_thread(steward.submit, body, AGENT)
        say(f"   submitted {rec.id}: class={rec.action_class} state={rec.state.value}")
        if rec.decision:
            say(f"   policy: {rec.decision['explanation']}")
        return rec

    # 1. autonomous
    say("1. A small goodwill credit ($15.00): policy lets it run autonomously")
    before = db.count_credits("ACC-000002")
    rec = await submit(
        _credit(1500, "ACC-000002", "Late delivery goodwill", customer_goal="Compensation for a late parcel")
    )
    rec = await _until(steward, rec.id, terminal)
    credits = db.credits("ACC-000002")
    ok = len(credits) == before + 1 and credits[0].amount_cents == 1500
    row("small credit", rec, "succeeded", f"ACC-000002 has a new $15.00 credit: {ok}", ok)

    # 2. customer_confirmed
    say("2. A contact email change: needs the customer's confirmation first")
    new_email = "grace.hopper+billing@example.org"
    body = SubmitRequest(
        action="update_contact_email",
        params={"account_id": "ACC-000003", "new_email": new_email},
        context=RequestContext(
            customer_goal="Send invoices to my new address", account_tier="pro", agent_confidence=0.9
        ),
    )
    rec = await submit(body)
    say('   customer says in chat: "Yes, please change it to grace.hopper+billing@example.org"')
    conf = Confirmation(
        channel="chat",
        quote="Yes, please change it to grace.hopper+billing@example.org",
        params_hash=rec.params_hash or "",
    )
    rec = await asyncio.to_thread(steward.confirm, rec.id, conf, f"agent:{AGENT}")
    say(f"   confirmation bound to params {rec.params_hash[:12] if rec.params_hash else ''}…: {rec.state.value}")
    rec = await _until(steward, rec.id, terminal)
    account = db.account("ACC-000003")
    ok = account is not None and account.email == new_email
    row("email change", rec, "succeeded", f"ACC-000003 email is {account.email if account else '?'}", ok)

    # 3. human_approved
    say("3. A $200.00 credit: needs a human operator's approval")
    before = db.count_credits("ACC-000006")
    rec = await submit(_credit(20000, "ACC-000006", "Billing error refund", customer_goal="Refund a double charge"))
    packet = steward.handoff(rec)
    say(f"   handoff packet: goal={packet['goal']!r}, why={[w['rule'] for w in packet['why']]}")
    try:
        await asyncio.to_thread(steward.approve, rec.id, AGENT, "self-approval attempt")
        say("   !! the requester could approve its own request")
    except Exception as exc:
        say(f"   the requester tries to approve it: refused ({exc})")
    rec = await asyncio.to_thread(steward.approve, rec.id, OPERATOR, "Double charge confirmed in the ledger")
    say(f"   approved by {OPERATOR}: {rec.state.value}")
    rec = await _until(steward, rec.id, terminal)
    ok = db.count_credits("ACC-000006") == before + 1
    row("large credit", rec, "succeeded", f"ACC-000006 has a new $200.00 credit: {ok}", ok)

    # 4. forbidden
    say("4. A $750.00 credit: forbidden by policy, handed to a human team")
    before = db.count_credits("ACC-000008")
    rec = await submit(_credit(75000, "ACC-000008", "Contract dispute", customer_goal="Large refund"))
    packet = steward.handoff(rec)
    say(f"   handoff: {packet['if_nobody_decides']}")
    ok = db.count_credits("ACC-000008") == before
    row("huge credit", rec, "rejected", f"ACC-000008 unchanged: {ok}", ok)

    # 5. kill switch mid-execution
    say("5. Kill switch while an action is executing")
    async with httpx.AsyncClient() as client:  # slow the account page so the halt lands mid-run
        await client.post(
            f"{server.base_url}/__faults",
            json={"delay_ms": {"/accounts/ACC-000009": 1500}},
            headers={"X-Fixture-Admin": admin_token},
        )
    before = db.count_credits("ACC-000009")
    rec = await submit(_credit(900, "ACC-000009", "Courtesy credit"))
    rec = await _until(steward, rec.id, {RequestState.EXECUTING})
    await asyncio.sleep(0.6)  # the worker is now waiting on the (slowed) account page
    say("   request is executing; operator engages the global kill switch")
    await asyncio.to_thread(steward.kill, "global", OPERATOR, "Demo: halting all actions")
    rec = await _until(steward, rec.id, terminal)
    step = (rec.outcome or {}).get("step")
    say(f"   stopped at: {step}")
    ok = db.count_credits("ACC-000009") == before and rec.commit_started_at is None
    row("halted credit", rec, "aborted", f"ACC-000009 unchanged, commit never started: {ok}", ok)
    halted, _ = await asyncio.to_thread(steward.submit, _credit(500, "ACC-000010", "While halted"), AGENT)
    say(f"   a new request while halted: {halted.state.value} ({halted.error_message})")
    row("new while halted", halted, "rejected", "rejected as halted", halted.error_code == "halted")
    await asyncio.to_thread(steward.release, "global", OPERATOR, "Demo: incident over")
    say("   released the kill switch")
    async with httpx.AsyncClient() as client:
        await client.post(f"{server.base_url}/__faults", json={}, headers={"X-Fixture-Admin": admin_token})
    return rows


async def _main(steward: Steward, server: Any, say: _Printer, admin_token: str) -> list[DemoRow]:
    from executor.browser.playwright_driver import PlaywrightDriver
    from executor.worker import Worker

    driver = PlaywrightDriver()
    await driver.start()
    worker = Worker(steward, driver, concurrency=2, poll_s=0.05)
    task = asyncio.create_task(worker.run())
    try:
        return await _walk(steward, server, say, admin_token)
    finally:
        worker.stop()
        await task
        await driver.close()


def run_demo(
    *, db: str | None = None, home: Path | None = None, out: Callable[[str], None] = print,
    options: dict[str, Any] | None = None,
) -> DemoResult:
    """Run the whole demo; returns the outcome table (the CLI prints it).

    ``options`` are extra Settings fields (policy and catalog pins, the end
    marker rule, a witness folder).
    """
    from executor.logs import configure_logging
    from fixtures.billing_console import FixtureServer

    say = _Printer(out)
    configure_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="steward-demo-"))
    home = home or work / "home"
    db_url = normalize_db_url(db) if db else normalize_db_url(str(work / "steward.db"))
    password = "demo-" + secrets.token_urlsafe(12)
    admin_token = secrets.token_urlsafe(16)
    say(f"working folder {work}")
    with (
        FixtureServer(
            work / "billing_console.db", user="steward-bot", password=password, env={"BILLING_ADMIN_TOKEN": admin_token}
        ) as server,
        billing_env(server.base_url, "steward-bot", password),
    ):
        say(f"billing console (fixture) at {server.base_url}")
        settings = Settings(db_url=db_url, home=home, catalog_dir=DEFAULT_CATALOG_DIR, policy_path=DEFAULT_POLICY_PATH,
                            **(options or {}))
        catalog = load_catalog_for(settings)
        steward = Steward(settings, catalog=catalog, loaded_by="demo")
        try:
            rows = asyncio.run(_main(steward, server, say, admin_token))
            say("6. Audit: sign a checkpoint and verify the whole log")
            checkpoint = steward.checkpoint()
            say(
                f"   signed checkpoint: size {checkpoint.size}, root {checkpoint.root[:16]}…, "
                f"file {steward.settings.checkpoint_dir / checkpoint.file_name}"
            )
            report = steward.verify_audit()
            say(
                f"   audit verify: {'ok' if report.ok else 'FAILED'} over {report.entries} entries"
                + ("" if report.ok else f" (first bad seq {report.first_bad_seq}: {report.problems[:1]})")
            )
            exported = export(steward.audit, work / "audit-export", steward.evidence)
            pub = steward.settings.key_dir / "audit.pub"
            offline = verify_export(work / "audit-export", pub.read_text().strip())
            say(
                f"   export: {exported.entries} entries, {exported.checkpoints} checkpoints -> {exported.directory}; "
                f"offline verify with only {pub.name}: {'ok' if offline.ok else 'FAILED'}"
            )
            report = report if offline.ok else offline
            evidence = [
                f"{r.request_id} {e['kind']:<10} {e['label']:<18} {e.get('path', e['sha256'])}"
                for r in rows
                for e in (steward.get(r.request_id).outcome or {}).get("evidence", [])
            ]
        finally:
            steward.close()
    return DemoResult(rows, report.ok, report.entries, evidence, time.monotonic() - say.t0, home)

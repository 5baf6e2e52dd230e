"""The web console in a real Chromium against a live API: operators decide and halt, auditors verify."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from executor.browser.launch import launch_args
from tests.api.conftest import Api

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def console_browser() -> Iterator[Browser]:
    executable = os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).is_file():
        pytest.fail(f"Chromium not found at {executable}: install it or set STEWARD_CHROMIUM")
    with sync_playwright() as playwright:
        b = playwright.chromium.launch(executable_path=executable, args=launch_args())
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def served(live_api: Any, sqlite_url: str) -> Api:
    return live_api(sqlite_url)


def _open(browser: Browser, api: Api, who: str) -> Page:
    page = browser.new_page(base_url=api.base_url)
    page.goto("/console")
    page.get_by_label("API key").fill(api.tokens[who])
    page.get_by_role("button", name="Sign in").click()
    return page


def _submit(api: Api, account: str, cents: int, reason: str) -> dict[str, Any]:
    body = {"action": "issue_credit", "params": {"account_id": account, "amount_cents": cents, "reason": reason},
            "context": {"customer_goal": "Refund", "agent_confidence": 0.95}}
    res = api.client.post("/v1/actions", json=body, headers=api.h("agent"))
    assert res.status_code == 202, res.text
    out: dict[str, Any] = res.json()
    assert out["state"] == "awaiting_approval"
    return out


def _state(api: Api, request_id: str) -> str:
    return str(api.client.get(f"/v1/actions/{request_id}", headers=api.h("operator")).json()["state"])


def test_console_files_carry_a_strict_policy(api: Api) -> None:
    """Page, script and style are served without a key, with a CSP that allows no inline code."""
    page = api.client.get("/console")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["cache-control"] == "no-store" and page.headers["x-content-type-options"] == "nosniff"
    assert "<script" in page.text and "<script>" not in page.text  # only the external script
    assert api.client.get("/console/app.js").headers["content-type"].startswith("text/javascript")
    assert api.client.get("/console/app.css").headers["content-type"].startswith("text/css")
    assert "img-src 'self' blob:;" in csp  # evidence screenshots are fetched with the key, shown from a blob
    for name in ("core.js", "proof.js", "requests.js", "decisions.js", "audit.js", "ops.js"):
        assert api.client.get(f"/console/{name}").headers["content-type"].startswith("text/javascript")
    assert api.client.get("/console/../v1/me").status_code == 401  # nothing but the console's files
    assert api.client.get("/console/__init__.py").status_code == 404
    assert api.client.get("/console/index.html").status_code == 404


def test_operator_approves_rejects_and_halts(console_browser: Browser, served: Api, accounts: Any) -> None:
    """Approve one, reject another (a reason and a confirmation are required), engage and release a kill switch."""
    first = _submit(served, accounts.take(), 20_000, "Double charge")
    second = _submit(served, accounts.take(), 30_000, "<img src=x onerror=alert(1)> refund")
    page = _open(console_browser, served, "operator")
    expect(page.locator("#who")).to_have_text("olga (operator)")
    cards = page.locator("#approvals article")
    expect(cards).to_have_count(2)
    expect(page.locator(f'[data-request="{second["id"]}"]')).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("#approvals img").count() == 0  # shown as text, never as markup

    card = page.locator(f'[data-request="{first["id"]}"]')
    card.get_by_role("textbox").fill("checked the ledger")
    card.get_by_role("button", name="Approve").click()
    card.get_by_role("button", name="Confirm approval").click()
    expect(page.locator("#status")).to_have_text(f"{first['id']}: approved; now queued.")
    expect(cards).to_have_count(1)
    assert _state(served, first["id"]) == "queued"
    approval = served.client.get(f"/v1/actions/{first['id']}", headers=served.h("operator")).json()["approval"]
    assert approval["operator"] == "olga"

    other = page.locator(f'[data-request="{second["id"]}"]')
    other.get_by_role("button", name="Reject").click()
    expect(page.locator("#status")).to_have_text("A rejection needs a reason.")
    assert _state(served, second["id"]) == "awaiting_approval"
    other.get_by_role("textbox").fill("not justified")
    other.get_by_role("button", name="Reject").click()
    other.get_by_role("button", name="Confirm rejection").click()
    expect(page.locator("#approvals-empty")).to_be_visible()
    assert _state(served, second["id"]) == "denied"
    page.get_by_role("link", name="Requests").click()
    expect(page.locator("#list tbody tr").filter(has_text=second["id"])).to_contain_text("denied")

    page.get_by_role("link", name="Kill switches").click()
    page.get_by_label("Scope").select_option("action")
    page.get_by_label("Name").fill("issue_credit")
    page.get_by_label("Reason", exact=True).fill("drill")
    page.get_by_role("button", name="Engage").click()
    expect(page.locator("#switches tbody tr")).to_have_count(1)
    halted = served.client.get("/v1/kill-switch", headers=served.h("operator")).json()["kill_switches"]
    assert [(s["scope"], s["operator"], s["reason"], s["queued"]) for s in halted] == [
        ("action:issue_credit", "olga", "drill", 1)]
    page.get_by_label("Reason to release action:issue_credit").fill("drill over")
    page.get_by_role("button", name="Release").click()
    expect(page.locator("#switches tbody tr")).to_have_count(0)
    assert served.client.get("/v1/kill-switch", headers=served.h("operator")).json()["kill_switches"] == []


def test_auditor_sees_events_verifies_and_reads_a_timeline(
    console_browser: Browser, served: Api, accounts: Any
) -> None:
    """The auditor view lists events, verifies the log and opens one request's timeline from an event."""
    req = _submit(served, accounts.take(), 20_000, "Late delivery")
    page = _open(console_browser, served, "auditor")
    expect(page.locator("#who")).to_have_text("audra (auditor)")
    expect(page.locator("#events tbody tr").filter(has_text="request.received")).not_to_have_count(0)
    page.get_by_role("button", name="Verify now").click()
    expect(page.locator("#status")).to_have_text("The log verifies.")
    expect(page.locator("#verify-out")).to_contain_text(re.compile(r"ok", re.I))
    page.locator("#events").get_by_role("link", name=req["id"]).first.click()
    expect(page.locator("#detail tbody tr").filter(has_text="request.received")).to_have_count(1)
    assert page.get_by_role("link", name="Approvals").is_hidden()  # and nothing of the operator views


def test_agent_and_unknown_keys(console_browser: Browser, served: Api) -> None:
    """An agent key gets a pointer to the API; an unknown key is refused and nothing is kept."""
    page = _open(console_browser, served, "agent")
    expect(page.locator("#view-agent")).to_be_visible()
    expect(page.locator("#nav")).to_be_hidden()
    other = console_browser.new_page(base_url=served.base_url)
    other.goto("/console")
    other.get_by_label("API key").fill("stw_not-a-real-key")
    other.get_by_role("button", name="Sign in").click()
    expect(other.locator("#status")).to_have_text("Unknown or revoked API key.")
    assert other.evaluate("sessionStorage.getItem('steward-console-token')") is None

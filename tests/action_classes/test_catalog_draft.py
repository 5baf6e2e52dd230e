"""catalog draft: a codegen recording becomes a draft action that checks once its gaps are filled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from action_classes import DraftError, check_catalog, draft_catalog

RECORDING = Path(__file__).parent / "recordings" / "issue_credit.py"
RECORDED_PASSWORD = "correct horse battery staple"

# What an author writes in place of each DRAFT_GAP of the issue_credit recording's draft.
FILLS = {
    "    owner: DRAFT_GAP                # the team or person who answers for this target": "    owner: billing-ops",
    "      - goto: DRAFT_GAP              # the page this action starts on (a run starts blank)": (
        "      - goto: /accounts"
    ),
    "      - expect: DRAFT_GAP              # what only a signed-in page shows, e.g. "
    "{role: link, name: Sign out, exact: true}": "      - expect: {role: link, name: Sign out, exact: true}",
    "      - goto: DRAFT_GAP\n      - expect: DRAFT_GAP": (
        "      - goto: /accounts/ACC-000042/credits\n"
        '      - expect: {test_id: credit-row, nth: 0, contains: "{params.reason}"}'
    ),
    "    compensate: {none: DRAFT_GAP}": "    compensate: {none: Recorded for a test; nothing undoes it}",
}


def _wrap(body: str) -> str:
    """Codegen's exact frame around recorded lines."""
    lines = "\n".join(f"    {line}" for line in body.strip().splitlines())
    return (
        "import re\nfrom playwright.sync_api import Playwright, sync_playwright, expect\n\n\n"
        "def run(playwright: Playwright) -> None:\n"
        "    browser = playwright.chromium.launch(headless=False)\n"
        "    context = browser.new_context()\n"
        "    page = context.new_page()\n"
        f"{lines}\n\n"
        "    # ---------------------\n    context.close()\n    browser.close()\n\n\n"
        "with sync_playwright() as playwright:\n    run(playwright)\n"
    )


def _check(tmp_path: Path, text: str, *, strict: bool = False) -> list[Any]:
    folder = tmp_path / "draft"
    folder.mkdir(exist_ok=True)
    (folder / "draft.yaml").write_text(text)
    return check_catalog(folder, env={}, strict=strict)


def fill_gaps(draft: str) -> str:
    for gap, filled in FILLS.items():
        assert gap in draft, gap
        draft = draft.replace(gap, filled)
    assert not [line for line in draft.splitlines() if "DRAFT_GAP" in line.split("#")[0]]
    return draft


class TestIssueCreditRecording:
    def test_translation(self) -> None:
        """Login goes to the target with env credentials, fills become parameters, the last click commits."""
        draft = draft_catalog(RECORDING.read_text(), action="issue_credit", target="billing")
        assert RECORDED_PASSWORD not in draft and "steward-bot" not in draft
        data = yaml.safe_load(draft)
        target = data["targets"]["billing"]
        assert target["base_url"] == "http://127.0.0.1:8101"
        assert target["credentials"] == {"username": "env:BILLING_USERNAME", "password": "env:BILLING_PASSWORD"}
        assert target["login"] == [
            {"goto": "/login"},
            {"fill": {"role": "textbox", "name": "Username", "value": "{credentials.username}"}},
            {"fill": {"label": "Password", "value": "{credentials.password}", "secret": True}},
            {"click": {"role": "button", "name": "Sign in"}},
        ]
        action = data["actions"]["issue_credit"]
        assert action["class"] == "human_approved" and action["target"] == "billing"
        assert action["params"] == {
            "search_accounts": {"type": "string", "description": 'Recorded example: "ACC-000042"'},
            "amount": {"type": "string", "description": 'Recorded example: "15.00"'},
            "reason": {"type": "string", "description": 'Recorded example: "Late parcel"'},
        }
        assert action["steps"][0] == {
            "fill": {"role": "searchbox", "name": "Search accounts", "value": "{params.search_accounts}"}
        }
        assert {"fill": {"role": "textbox", "name": "Amount", "value": "{params.amount}"}} in action["steps"]
        assert {"expect": {"test_id": "account-status", "contains": "Active"}} in action["steps"]
        assert not any("click" in s and s["click"].get("name") in ("Amount", "Reason") for s in action["steps"])
        assert action["commit"] == {
            "click": {
                "role": "button",
                "name": "Apply credit",
                "exact": True,
                "within": {"role": "dialog", "name": "Confirm credit"},
            }
        }
        assert action["after_commit"] == [{"expect": {"test_id": "flash", "contains": "applied"}}]
        assert action["verify"] == [{"goto": "DRAFT_GAP"}, {"expect": "DRAFT_GAP"}]
        assert "#   goto: /accounts/ACC-000042/credits" in draft  # the recorded post-commit page as a hint

    def test_gaps_are_refused_until_filled(self, tmp_path: Path) -> None:
        """catalog check refuses the draft, naming verification and each other gap."""
        messages = [p.message for p in _check(tmp_path, draft_catalog(RECORDING.read_text()))]
        assert any("draft gap: fill in verification" in m for m in messages)
        assert any("session_check" in m and "draft gap: fill in this expect step" in m for m in messages)
        assert any("preconditions" in m and "draft gap: fill in this goto step" in m for m in messages)

    def test_filled_draft_passes_the_strict_check(self, tmp_path: Path) -> None:
        """With its gaps filled the draft loads and has no safe-authoring warning."""
        assert _check(tmp_path, fill_gaps(draft_catalog(RECORDING.read_text())), strict=True) == []


class TestLocators:
    @pytest.mark.parametrize(
        ("line", "step"),
        [
            ('page.get_by_role("heading", name="Orders", level=2).click()',
             {"click": {"role": "heading", "name": "Orders", "level": 2}}),
            ('page.get_by_role("button", name="Save", exact=True).click()',
             {"click": {"role": "button", "name": "Save", "exact": True}}),
            ('page.get_by_role("checkbox", name="Paper", checked=False).check()',
             {"check": {"role": "checkbox", "name": "Paper", "checked": False}}),
            ('page.get_by_text("Overview").first.click()', {"click": {"text": "Overview", "nth": 0}}),
            ('page.get_by_role("row").last.click()', {"click": {"role": "row", "nth": -1}}),
            ('page.get_by_test_id("row").nth(2).click()', {"click": {"test_id": "row", "nth": 2}}),
            ('page.locator("#result_list tr").filter(has_text="ACC-1").click()',
             {"click": {"css": "#result_list tr", "has_text": "ACC-1"}}),
            ('page.locator("xpath=//table//a").click()', {"click": {"xpath": "//table//a"}}),
            ('page.get_by_placeholder("Search").press("Enter")', {"press": {"placeholder": "Search", "key": "Enter"}}),
            ('page.get_by_label("Carrier").select_option("ups")',
             {"select": {"label": "Carrier", "option": {"value": "ups"}}}),
            ('page.get_by_title("Close").click()', {"click": {"title": "Close"}}),
            ('page.get_by_alt_text("Logo").click()', {"click": {"alt": "Logo"}}),
            ('expect(page.get_by_label("Paper")).to_be_checked()', {"expect": {"label": "Paper", "state": "checked"}}),
            ('expect(page.locator("#total")).to_have_text("$5.00")', {"expect": {"css": "#total", "text": "$5.00"}}),
            ('page.get_by_role("dialog").get_by_role("button", name="OK").click()',
             {"click": {"role": "button", "name": "OK", "within": {"role": "dialog"}}}),
            ('page.get_by_text("Price {x}").click()', {"click": {"text": "Price {{x}}"}}),
        ],
    )  # fmt: skip
    def test_vocabulary(self, line: str, step: dict[str, Any]) -> None:
        """Each codegen locator form becomes the catalog's own (literal braces doubled)."""
        source = _wrap(f'page.goto("http://127.0.0.1:9000/")\n{line}\npage.get_by_role("link", name="Done").click()')
        steps = yaml.safe_load(draft_catalog(source))["actions"]["new_action"]["steps"]
        assert steps == [step]

    def test_secret_looking_fill_keeps_no_example(self) -> None:
        """A fill into a token field, or of a token-like value, becomes a secret parameter with no example."""
        source = _wrap(
            'page.goto("http://127.0.0.1:9000/")\n'
            'page.get_by_label("API token").fill("abc")\n'
            'page.get_by_label("Note").fill("k3y9Zq81mXw07PdLr2TtBv")\n'
            'page.get_by_role("button", name="Save").click()'
        )
        draft = draft_catalog(source)
        params = yaml.safe_load(draft)["actions"]["new_action"]["params"]
        assert params == {"api_token": {"type": "string", "secret": True}, "note": {"type": "string", "secret": True}}
        assert "k3y9Zq81mXw07PdLr2TtBv" not in draft
        fills = [s["fill"] for s in yaml.safe_load(draft)["actions"]["new_action"]["steps"]]
        assert all(f["secret"] is True for f in fills)

    def test_no_login_and_no_click(self) -> None:
        """Without a password fill there is no login; without a click the commit is a gap."""
        source = _wrap('page.goto("http://127.0.0.1:9000/x")\npage.get_by_label("Note").fill("hi")')
        draft = draft_catalog(source)
        data = yaml.safe_load(draft)
        assert "login" not in data["targets"]["app"]
        assert data["actions"]["new_action"]["commit"] == {"click": "DRAFT_GAP"}
        assert data["actions"]["new_action"]["preconditions"] == [{"goto": "/x"}]

    def test_skipped_constructs_are_noted(self) -> None:
        """hover, uploads and regex names are named with their line in the draft's notes."""
        source = _wrap(
            'page.goto("http://127.0.0.1:9000/")\n'
            'page.get_by_text("Menu").hover()\n'
            'page.get_by_role("button", name=re.compile(r"Sav")).click()'
        )
        draft = draft_catalog(source)
        assert "line 10: hover() is not a catalog step; skipped" in draft
        assert "line 11: a regular-expression name became plain text" in draft

    @pytest.mark.parametrize(
        ("source", "message"),
        [
            ("page.goto(", "not Python"),
            (_wrap('page.get_by_role("button", name="Go").click()'), "no page.goto"),
            (_wrap('page.goto("http://127.0.0.1:9000/")\npage.frame_locator("#f").get_by_text("x").click()'),
             "frame_locator has no catalog form"),
            (_wrap('page.goto("ftp://example/")'), r"is not an http\(s\) URL"),
            (_wrap('page.goto("http://127.0.0.1:9000/")\npage.get_by_label(name).fill("x")'), "must be a literal"),
        ],
    )  # fmt: skip
    def test_refusals_name_the_problem(self, source: str, message: str) -> None:
        """What the translator cannot read is a DraftError saying why (and where)."""
        with pytest.raises(DraftError, match=message):
            draft_catalog(source)

    def test_names_must_be_snake_case(self) -> None:
        """A bad action name is refused before anything is written."""
        with pytest.raises(DraftError, match="lower_snake_case"):
            draft_catalog(RECORDING.read_text(), action="Issue-Credit")

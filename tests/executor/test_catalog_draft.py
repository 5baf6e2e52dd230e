"""steward catalog draft: from a codegen recording to a draft that, once filled in, dry-runs on the console."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from executor.cli import app
from tests.action_classes.test_catalog_draft import RECORDED_PASSWORD, RECORDING, fill_gaps
from tests.helpers import BILLING_USER, CANARY_PASSWORD


class TestDraftCommand:
    def test_writes_a_draft_that_check_refuses(self, tmp_path: Path) -> None:
        """--out writes the draft; catalog check fails on it, asking for verification."""
        out = tmp_path / "cat" / "draft.yaml"
        out.parent.mkdir()
        args = ["catalog", "draft", str(RECORDING), "--action", "issue_credit", "--out", str(out)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert RECORDED_PASSWORD not in out.read_text()
        check = CliRunner().invoke(app, ["catalog", "check", str(out.parent)])
        assert check.exit_code == 1 and "draft gap: fill in verification" in check.output

    def test_stdout_and_one_line_errors(self, tmp_path: Path) -> None:
        """Without --out the YAML goes to stdout; an unreadable recording is one error line."""
        ok = CliRunner().invoke(app, ["catalog", "draft", str(RECORDING)])
        assert ok.exit_code == 0 and ok.output.startswith("# Drafted by `steward catalog draft`")
        (tmp_path / "bad.py").write_text("page.goto(")
        bad = CliRunner().invoke(app, ["catalog", "draft", str(tmp_path / "bad.py")])
        assert bad.exit_code == 1 and "not Python" in bad.output and "Traceback" not in bad.output


@pytest.mark.browser
class TestFilledDraftRuns:
    def test_filled_draft_dry_runs_on_the_console(
        self, billing: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The translated locators work: every step runs on the real console and the commit is located."""
        monkeypatch.setenv("APP_USERNAME", BILLING_USER)
        monkeypatch.setenv("APP_PASSWORD", CANARY_PASSWORD)
        draft = CliRunner().invoke(app, ["catalog", "draft", str(RECORDING)]).output
        folder = tmp_path / "cat"
        folder.mkdir()
        (folder / "draft.yaml").write_text(fill_gaps(draft).replace("http://127.0.0.1:8101", billing.base_url))
        params = ["-p", "search_accounts=ACC-000042", "-p", "amount=15.00", "-p", "reason=Drafted"]
        credits_before = billing.db.count_credits("ACC-000042")
        result = CliRunner().invoke(app, ["dry-run", "new_action", *params, "--catalog", str(folder), "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["ok"] and report["commit"]["name"] == "Apply credit"
        assert [s["phase"] for s in report["steps"]][-1] == "commit (located only)"
        assert billing.db.count_credits("ACC-000042") == credits_before  # located, never clicked

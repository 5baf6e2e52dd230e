"""steward dry-run: preconditions and steps for real, the commit located but never performed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from executor.cli import app

pytestmark = pytest.mark.browser


class TestDryRun:
    def test_stops_before_the_commit(self, billing: Any, accounts: Any, tmp_path: Path) -> None:
        """Every step runs and the commit control is found, yet the console is unchanged."""
        acc = accounts.take()
        shot = tmp_path / "last.png"
        result = CliRunner().invoke(
            app,
            [
                "dry-run",
                "issue_credit",
                "-p",
                f"account_id={acc}",
                "-p",
                "amount_cents=250",
                "-p",
                "reason=Dry run",
                "--screenshot",
                str(shot),
                "--json",
            ],
        )
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["ok"] and report["steps"][-1]["phase"] == "commit (located only)"
        assert len(report["steps"]) == 8
        assert billing.db.count_credits(acc) == 0
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_reports_the_failing_step(self, billing: Any) -> None:
        """A suspended account fails the precondition; exit 1 naming the step."""
        result = CliRunner().invoke(
            app,
            [
                "dry-run",
                "issue_credit",
                "-p",
                "account_id=ACC-000007",
                "-p",
                "amount_cents=250",
                "-p",
                "reason=Dry run",
            ],
        )
        assert result.exit_code == 1
        assert "BAD precondition" in result.output and "account-status" in result.output

    def test_read_only_values(self, billing: Any) -> None:
        """A read-only action reports its extracted values."""
        result = CliRunner().invoke(app, ["dry-run", "lookup_account", "-p", "account_id=ACC-000021", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["extracted"]["status"] == "Cancelled"

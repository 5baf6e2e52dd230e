"""The steward command line: real subprocesses, one-line errors, local end-to-end use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def steward(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point."""
    code = "from executor.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


class TestErrors:
    @pytest.mark.parametrize(
        "args",
        [
            ["status", "req_nope"],
            ["kill", "--scope", "everything", "--operator", "o", "--reason", "r"],
            ["release", "global", "--operator", "o", "--reason", "r"],
            ["approve", "req_nope", "--operator", "o"],
            ["submit", "issue_credit", "-p", "amount_cents"],
            ["catalog", "check", "/nonexistent/catalog"],
        ],
    )
    def test_one_line_and_nonzero(self, tmp_path: Path, args: list[str]) -> None:
        """Bad commands print one error line on stderr and exit non-zero, never a traceback."""
        result = (
            steward(*args, "--db", str(tmp_path / "s.db"), "--home", str(tmp_path / "home"))
            if args[0] not in ("catalog",)
            else steward(*args)
        )
        assert result.returncode != 0
        assert "Traceback" not in result.stderr + result.stdout
        errors = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(errors) == 1, result.stderr


class TestLocalFlow:
    def test_submit_worker_status(self, billing: Any, accounts: Any, tmp_path: Path) -> None:
        """submit, worker --once and status work against a local database and the real console."""
        acc = accounts.take()
        common = ["--db", str(tmp_path / "s.db"), "--home", str(tmp_path / "home")]
        sub = steward(
            "submit",
            "issue_credit",
            "-p",
            f"account_id={acc}",
            "-p",
            "amount_cents=404",
            "-p",
            "reason=CLI credit",
            "-c",
            "account_tier=pro",
            "-c",
            "agent_confidence=0.9",
            "--requester",
            "cli-agent",
            "--json",
            *common,
        )
        assert sub.returncode == 0, sub.stderr
        request = json.loads(sub.stdout)
        assert request["state"] == "queued" and request["class"] == "autonomous"
        worker = steward("worker", "--once", *common)
        assert worker.returncode == 0, worker.stderr
        status = steward("status", request["id"], "--json", *common)
        view = json.loads(status.stdout)
        assert view["state"] == "succeeded" and view["extracted"]["credit_id"].startswith("CR-")
        assert billing.db.count_credits(acc) == 1
        verify = steward(
            "audit", "verify", "--db", str(tmp_path / "s.db"), env={"STEWARD_HOME": str(tmp_path / "home")}
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr

    def test_rejected_submission_exits_2(self, tmp_path: Path, billing: Any) -> None:
        """A rejected request is shown with its reason and exit code 2."""
        result = steward(
            "submit",
            "issue_credit",
            "-p",
            "account_id=bad",
            "-p",
            "amount_cents=1",
            "-p",
            "reason=x",
            "--db",
            str(tmp_path / "s.db"),
            "--home",
            str(tmp_path / "home"),
        )
        assert result.returncode == 2 and "invalid parameters" in result.stdout

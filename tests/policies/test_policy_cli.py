"""`steward policy test` and `steward policy check` through Typer's test runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from executor.cli.policy_cmds import app
from tests.policies.policy_helpers import DEFAULT_CASES, DEFAULT_POLICY

Write = Callable[..., Path]
runner = CliRunner()

FAILING = """
cases:
  - name: huge credit is fine, says nobody
    request:
      action: issue_credit
      params: {account_id: ACC-000001, amount_cents: 90000, reason: goodwill}
    expect: {class: autonomous}
"""


class TestPolicyTest:
    """Exit codes and output of `policy test`."""

    def test_default_cases_pass(self) -> None:
        """The shipped cases pass with the default policy and catalog: exit 0."""
        result = runner.invoke(app, ["test", str(DEFAULT_CASES)])
        assert result.exit_code == 0, result.output
        assert "0 failed" in result.output and "FAIL" not in result.output

    def test_failing_case_exits_1(self, write: Write) -> None:
        """A failing case prints FAIL with file:line and exits 1."""
        path = write(FAILING, "cases.yaml")
        result = runner.invoke(app, ["test", str(path), "--policy", str(DEFAULT_POLICY)])
        assert result.exit_code == 1
        assert "FAIL  huge credit is fine, says nobody" in result.output
        assert f"{path}:2: expected autonomous, got forbidden" in result.output
        assert "1 cases: 0 passed, 1 failed" in result.output

    def test_bad_case_file_exits_1(self, write: Write) -> None:
        """A malformed case file prints file:line and exits 1, no traceback."""
        path = write("cases:\n  - name: a\n", "cases.yaml")
        result = runner.invoke(app, ["test", str(path)])
        assert result.exit_code == 1
        assert f"{path}:2: case a.request: Field required" in result.output
        assert "Traceback" not in result.output

    def test_bad_policy_exits_1(self, write: Write) -> None:
        """A policy that does not load lists its problems and exits 1."""
        policy = write("rules: [{id: r, action: issue_credit, when: '1 +', class: forbidden}]\n")
        result = runner.invoke(app, ["test", str(DEFAULT_CASES), "--policy", str(policy)])
        assert result.exit_code == 1
        assert f"{policy}:1: rule r.when: CEL syntax error" in result.output

    def test_json_output(self) -> None:
        """--json prints one object with every case."""
        result = runner.invoke(app, ["test", str(DEFAULT_CASES), "--json"])
        assert result.exit_code == 0
        data = json.loads(result.stdout)
        assert data["failed"] == 0 and len(data["cases"]) == data["passed"]

    def test_missing_catalog_exits_1(self, tmp_path: Path) -> None:
        """A catalog that does not load is an error, not a pass."""
        result = runner.invoke(
            app, ["test", str(DEFAULT_CASES), "--catalog", str(tmp_path / "none")]
        )
        assert result.exit_code == 1


class TestPolicyCheck:
    """`policy check` loads the policy against the catalog."""

    def test_default_policy_checks(self) -> None:
        """The shipped policy loads: exit 0 with its version."""
        result = runner.invoke(app, ["check"])
        assert result.exit_code == 0 and "version" in result.output

    def test_type_error_exits_1(self, write: Write) -> None:
        """A trial type error fails the check."""
        policy = write(
            "rules: [{id: r, action: issue_credit, class: forbidden,"
            " when: params.amount_cents > 'x'}]\n"
        )
        result = runner.invoke(app, ["check", "--policy", str(policy)])
        assert result.exit_code == 1 and "type error" in result.output

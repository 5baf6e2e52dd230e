"""The case runner: the shipped cases pass, failures and bad files are reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from action_classes import Catalog
from policies import CaseFileError, Policy, load_cases, run_cases
from tests.policies.policy_helpers import DEFAULT_CASES

Write = Callable[..., Path]

CASE = """
cases:
  - name: {name}
    request:
      action: issue_credit
      params: {{account_id: ACC-000001, amount_cents: {amount}, reason: goodwill}}
      context: {{account_tier: standard, agent_confidence: 0.9}}
    expect: {{class: {cls}}}
"""


class TestDefaultCases:
    """policies/default_cases.yaml against policies/default.yaml."""

    def test_all_pass(self, default_policy: Policy, catalog: Catalog) -> None:
        """Every shipped case passes."""
        report = run_cases(DEFAULT_CASES, default_policy, catalog)
        failures = [f"{r.line}: {r.name}: {r.message}" for r in report.results if not r.passed]
        assert failures == []
        assert report.ok and report.passed >= 15

    def test_every_rule_and_limit_is_exercised(
        self, default_policy: Policy, catalog: Catalog
    ) -> None:
        """Each rule decides at least one case and each limit is exceeded in one."""
        report = run_cases(DEFAULT_CASES, default_policy, catalog)
        decisive = {
            h.id for r in report.results if r.decision for h in r.decision.rules if h.decisive
        }
        exceeded = {
            c.id for r in report.results if r.decision for c in r.decision.limits if c.exceeded
        }
        assert decisive == {r.id for r in default_policy.rules}
        assert exceeded == {x.id for x in default_policy.limits}


class TestRunner:
    """Pass and fail are judged on class, rules and exceeded limits."""

    def test_wrong_class_fails(
        self, write: Write, default_policy: Policy, catalog: Catalog
    ) -> None:
        """A case expecting another class fails with both classes in the message."""
        path = write(CASE.format(name="wrong", amount=60000, cls="autonomous"), "cases.yaml")
        (result,) = run_cases(path, default_policy, catalog).results
        assert not result.passed and result.line == 2
        assert result.message.startswith(
            "expected autonomous, got forbidden by huge-credits-forbidden"
        )

    def test_rules_compared_as_a_set(
        self, write: Write, default_policy: Policy, catalog: Catalog
    ) -> None:
        """expect.rules lists exactly the matching rules."""
        path = write(
            CASE.format(name="rules", amount=100, cls="autonomous").replace(
                "{class: autonomous}", "{class: autonomous, rules: [huge-credits-forbidden]}"
            ),
            "cases.yaml",
        )
        (result,) = run_cases(path, default_policy, catalog).results
        assert (
            "expected rules ['huge-credits-forbidden'], matched ['small-credits-autonomous']"
            in result.message
        )

    def test_invalid_params_fail_the_case(
        self, write: Write, default_policy: Policy, catalog: Catalog
    ) -> None:
        """Parameters are validated like intake does."""
        path = write(CASE.format(name="zero", amount=0, cls="autonomous"), "cases.yaml")
        (result,) = run_cases(path, default_policy, catalog).results
        assert not result.passed and "amount_cents: must be at least 1" in result.message

    def test_unknown_action_fails_the_case(
        self, write: Write, default_policy: Policy, catalog: Catalog
    ) -> None:
        """An action the catalog lacks cannot pass."""
        path = write(
            CASE.format(name="x", amount=1, cls="autonomous").replace("issue_credit", "nope"),
            "cases.yaml",
        )
        (result,) = run_cases(path, default_policy, catalog).results
        assert not result.passed and "unknown action 'nope'" in result.message

    def test_expected_error_that_does_not_happen(
        self, write: Write, default_policy: Policy, catalog: Catalog
    ) -> None:
        """expect.error fails when the policy decides normally."""
        path = write(
            CASE.format(name="e", amount=1, cls="x").replace("{class: x}", "{error: true}"),
            "cases.yaml",
        )
        (result,) = run_cases(path, default_policy, catalog).results
        assert not result.passed and "expected an evaluation error" in result.message


class TestBadCaseFiles:
    """A malformed case file is an error with file:line, not a pass."""

    def test_missing_expect(self, write: Write) -> None:
        """Required keys are named with their case and line."""
        path = write("cases:\n  - name: a\n    request: {action: issue_credit}\n", "cases.yaml")
        with pytest.raises(CaseFileError) as info:
            load_cases(path)
        assert str(info.value.problems[0]) == f"{path}:2: case a.expect: Field required"

    def test_class_and_error_exclusive(self, write: Write) -> None:
        """An expectation is a class or an error, not both or neither."""
        path = write(
            CASE.format(name="a", amount=1, cls="autonomous").replace(
                "{class: autonomous}", "{class: autonomous, error: true}"
            ),
            "cases.yaml",
        )
        with pytest.raises(CaseFileError, match="either 'class' or 'error: true'"):
            load_cases(path)

    def test_unknown_key(self, write: Write) -> None:
        """A typo in a key is reported at its line."""
        path = write(
            CASE.format(name="a", amount=1, cls="autonomous").replace("context:", "contxt:"),
            "cases.yaml",
        )
        with pytest.raises(CaseFileError) as info:
            load_cases(path)
        assert str(info.value.problems[0]).startswith(
            f"{path}:6: case a.request.contxt: Extra inputs"
        )

    def test_duplicate_names(self, write: Write) -> None:
        """Case names are unique."""
        text = CASE.format(name="a", amount=1, cls="autonomous")
        path = write(text + text.replace("cases:\n", ""), "cases.yaml")
        with pytest.raises(CaseFileError, match="duplicate case name 'a' \\(first at line 2\\)"):
            load_cases(path)

    @pytest.mark.parametrize("text", ["cases: []\n", "- a\n", "cases: [\n"])
    def test_empty_or_broken(self, write: Write, text: str) -> None:
        """No cases, a list, or broken YAML are all errors."""
        with pytest.raises(CaseFileError):
            load_cases(write(text, "cases.yaml"))

    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that does not exist is an error."""
        with pytest.raises(CaseFileError, match="cannot read"):
            load_cases(tmp_path / "missing.yaml")

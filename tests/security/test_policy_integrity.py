"""Issue 17 item 4: a truncated policy or catalog must not load; pins, end markers, counts, no-policy runs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from action_classes import ActionClass, CatalogError, load_catalog
from executor.cli import app
from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH, Settings
from executor.integrity import load_catalog_for, load_policy_for
from executor.models import RequestContext, SubmitRequest
from policies import PolicyInput, PolicyLoadError, load_policy, run_cases

runner = CliRunner()
DEFAULT_CASES = DEFAULT_POLICY_PATH.parent / "default_cases.yaml"
CATALOG_FILE = DEFAULT_CATALOG_DIR / "billing_console.yaml"
CREDIT = {"account_id": "ACC-000001", "amount_cents": 1500, "reason": "goodwill"}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cut_policy(tmp_path: Path) -> Path:
    """The default policy cut before its third rule (as in the issue): it parses into 2 rules and no limits."""
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    cut = text[: text.index("  - id: enterprise-billing-approval")]
    path = tmp_path / "default.yaml"
    path.write_text(cut, encoding="utf-8")
    return path


def settings(tmp_path: Path, **kwargs: Any) -> Settings:
    base: dict[str, Any] = {"db_url": f"sqlite:///{tmp_path / 's.db'}", "home": tmp_path / "home",
                            "catalog_dir": DEFAULT_CATALOG_DIR, "policy_path": DEFAULT_POLICY_PATH}
    return Settings(**{**base, **kwargs})


class TestTruncatedPolicy:
    def test_cut_policy_loads_with_fewer_rules_without_a_guard(self, cut_policy: Path, billing: Any) -> None:
        """The hazard itself: half the default policy parses, loses rules and limits, and lets a credit
        with no confidence run autonomously."""
        catalog = load_catalog(DEFAULT_CATALOG_DIR)
        full, cut = load_policy(DEFAULT_POLICY_PATH, catalog), load_policy(cut_policy, catalog)
        assert (len(cut.rules), len(cut.limits)) == (2, 0) and (len(full.rules), len(full.limits)) == (12, 5)
        request = PolicyInput(action=catalog.action("issue_credit"), params=CREDIT,
                              context={"account_tier": "standard"}, requester="bot")
        assert cut.decide(request).action_class is ActionClass.AUTONOMOUS
        assert full.decide(request).action_class is ActionClass.HUMAN_APPROVED
        assert full.end_marker and not cut.end_marker

    def test_end_marker_rule_refuses_the_cut_file(self, cut_policy: Path, tmp_path: Path, billing: Any) -> None:
        """With STEWARD_REQUIRE_END_MARKER the cut file fails to load; the shipped one loads."""
        catalog = load_catalog(DEFAULT_CATALOG_DIR)
        with pytest.raises(PolicyLoadError, match="no end marker"):
            load_policy_for(settings(tmp_path, policy_path=cut_policy, require_end_marker=True), catalog)
        assert load_policy_for(settings(tmp_path, require_end_marker=True), catalog).end_marker

    def test_pin_refuses_the_cut_file_naming_both_hashes(self, cut_policy: Path, tmp_path: Path,
                                                         billing: Any) -> None:
        """A pinned sha256 refuses any other content, in one line naming both hashes."""
        catalog = load_catalog(DEFAULT_CATALOG_DIR)
        pinned = settings(tmp_path, policy_path=cut_policy, policy_sha256=sha(DEFAULT_POLICY_PATH))
        with pytest.raises(PolicyLoadError) as caught:
            load_policy_for(pinned, catalog)
        message = str(caught.value)
        assert sha(cut_policy) in message and sha(DEFAULT_POLICY_PATH) in message and "\n" not in message
        good = settings(tmp_path, policy_sha256=sha(DEFAULT_POLICY_PATH).upper())
        assert load_policy_for(good, catalog).version == sha(DEFAULT_POLICY_PATH)

    def test_steward_refuses_to_start_on_the_cut_file(self, cut_policy: Path, tmp_path: Path,
                                                      billing: Any) -> None:
        """The guards apply where every process loads its policy (serve, worker, demo, CLI)."""
        from executor.service import Steward

        for guard in ({"require_end_marker": True}, {"policy_sha256": sha(DEFAULT_POLICY_PATH)}):
            with pytest.raises(PolicyLoadError):
                Steward(settings(tmp_path, policy_path=cut_policy, **guard))

    def test_marker_must_be_last_and_true(self, tmp_path: Path) -> None:
        """`end: true` anywhere but last, or another value, is refused even without the rule."""
        early = tmp_path / "early.yaml"
        early.write_text("end: true\nrules: []\n", encoding="utf-8")
        other = tmp_path / "other.yaml"
        other.write_text("rules: []\nend: yes please\n", encoding="utf-8")
        with pytest.raises(PolicyLoadError, match="last top-level key"):
            load_policy(early)
        with pytest.raises(PolicyLoadError, match="exactly `end: true`"):
            load_policy(other)

    def test_policy_test_fails_naming_rules_the_cut_file_lacks(self, cut_policy: Path, billing: Any) -> None:
        """Running the default cases against the cut file fails and names the missing rules and limits."""
        catalog = load_catalog(DEFAULT_CATALOG_DIR)
        report = run_cases(DEFAULT_CASES, load_policy(cut_policy, catalog), catalog)
        assert not report.ok
        assert {"low-agent-confidence", "credit-budget-hourly", "credit-budget-per-requester"} <= set(report.missing)
        result = runner.invoke(app, ["policy", "test", str(DEFAULT_CASES), "--policy", str(cut_policy)])
        assert result.exit_code == 1
        assert "the cases name rules or limits the policy does not have" in result.stderr
        assert "credit-budget-hourly" in result.stderr
        full = runner.invoke(app, ["policy", "test", str(DEFAULT_CASES)])
        assert full.exit_code == 0, full.output


class TestCatalogGuards:
    def test_cut_catalog_refused_by_marker_and_pin(self, tmp_path: Path, billing: Any) -> None:
        """A catalog file cut short fails under the end marker rule and under a pin."""
        folder = tmp_path / "catalog"
        folder.mkdir()
        text = CATALOG_FILE.read_text(encoding="utf-8")
        (folder / "billing_console.yaml").write_text(text[: text.index("\n  cancel_subscription:") + 1],
                                                     encoding="utf-8")
        assert "cancel_subscription" not in load_catalog(folder).actions  # loads without a guard
        with pytest.raises(CatalogError, match="no end marker"):
            load_catalog_for(settings(tmp_path, catalog_dir=folder, require_end_marker=True))
        shipped = load_catalog(DEFAULT_CATALOG_DIR)
        with pytest.raises(CatalogError) as caught:
            load_catalog_for(settings(tmp_path, catalog_dir=folder, catalog_sha256=shipped.version))
        assert shipped.version in str(caught.value) and load_catalog(folder).version in str(caught.value)
        assert load_catalog_for(settings(tmp_path, catalog_sha256=shipped.version, require_end_marker=True))


class TestCheckCommands:
    def test_policy_check_prints_version_counts_and_files(self, billing: Any) -> None:
        """`policy check` shows the sha256, rule and limit counts, the files and the end marker."""
        result = runner.invoke(app, ["policy", "check"])
        assert result.exit_code == 0, result.output
        assert f"12 rules, 5 limits, version {sha(DEFAULT_POLICY_PATH)}" in result.stdout
        assert str(DEFAULT_POLICY_PATH) in result.stdout and "end: true" in result.stdout

    def test_catalog_check_prints_version_counts_and_files(self, billing: Any) -> None:
        """`catalog check` shows the version, target and action counts and the files."""
        result = runner.invoke(app, ["catalog", "check", "--json"])
        data = __import__("json").loads(result.stdout)
        assert result.exit_code == 0 and data["ok"]
        assert (data["target_count"], data["action_count"]) == (2, 11)
        assert data["version"] == load_catalog(DEFAULT_CATALOG_DIR).version and data["end_marker"]
        assert data["files"] == [str(CATALOG_FILE), str(CATALOG_FILE.with_name("orders_admin.yaml"))]

    def test_check_honours_the_pin(self, cut_policy: Path, billing: Any) -> None:
        """`policy check --sha256` refuses a file of another version with one error line."""
        result = runner.invoke(app, ["policy", "check", "--policy", str(cut_policy),
                                     "--sha256", sha(DEFAULT_POLICY_PATH)])
        assert result.exit_code == 1 and "is not the pinned" in result.stderr


class TestNoPolicy:
    def test_policy_none_runs_catalog_classes(self, tmp_path: Path, billing: Any) -> None:
        """With no policy each action gets its catalog class: credits wait for approval, lookups run."""
        from executor.service import Steward

        steward = Steward(settings(tmp_path, policy_path=None))
        try:
            credit, _ = steward.submit(SubmitRequest(action="issue_credit", params=CREDIT,
                                                     context=RequestContext(agent_confidence=0.9)), "bot")
            lookup, _ = steward.submit(SubmitRequest(action="lookup_account",
                                                     params={"account_id": "ACC-000001"}), "bot")
            assert (credit.action_class, lookup.action_class) == ("human_approved", "autonomous")
            assert steward.policy.version == hashlib.sha256(b"").hexdigest() and not steward.policy.rules
        finally:
            steward.close()

    def test_policy_none_on_the_command_line(self, billing: Any) -> None:
        """`policy check --policy none` reports an empty policy, not an error."""
        result = runner.invoke(app, ["policy", "check", "--policy", "none"])
        assert result.exit_code == 0 and "0 rules, 0 limits" in result.stdout and "no policy" in result.stdout

    def test_empty_file_is_still_refused(self, tmp_path: Path) -> None:
        """An empty file may be a file cut to nothing: it is an error that points at --policy none."""
        empty = tmp_path / "empty.yaml"
        empty.write_text("", encoding="utf-8")
        with pytest.raises(PolicyLoadError, match="--policy none"):
            load_policy(empty)


class TestUnknownActions:
    def test_one_message_names_every_unknown_action_and_the_fix(self, tmp_path: Path, billing: Any) -> None:
        """A policy naming actions the catalog lacks fails once, listing them and how to fix it."""
        path = tmp_path / "p.yaml"
        path.write_text(
            "rules:\n"
            "  - {id: a, action: [issue_credit, refund_all], class: forbidden}\n"
            "  - {id: b, action: wipe_account, class: forbidden}\n"
            "limits:\n"
            "  - {id: c, action: refund_all, sum: '1', per: 1h, max: 1}\n",
            encoding="utf-8",
        )
        with pytest.raises(PolicyLoadError) as caught:
            load_policy(path, load_catalog(DEFAULT_CATALOG_DIR))
        (problem,) = caught.value.problems
        assert "'refund_all' (rule a, limit c)" in problem.message and "'wipe_account' (rule b)" in problem.message
        assert "Add them to the catalog, or remove them" in problem.message

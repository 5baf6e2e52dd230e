"""Shadow and canary policy, promotion with its gates, rollback: on SQLite and PostgreSQL, and end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from executor.errors import InvalidState, PromotionRefused, RequestError
from executor.policy_control import PolicyControl
from executor.rollout import Policies, bucket_of, split_key
from executor.states import RequestState
from policies import load_policy
from tests.executor.conftest import AGENT, OPERATOR, credit

DEFAULT = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"
IN_CANARY, IN_CONTROL = "c5", "c1"  # buckets 13.1 and 90.7: inside and outside a 50% canary


def tight(folder: Path, *, with_cases: bool = False) -> Path:
    """A candidate: small credits run alone only up to $10 (the active policy: $25)."""
    path = folder / "tight.yaml"
    path.write_text(DEFAULT.read_text().replace("params.amount_cents <= 2500", "params.amount_cents <= 1000"))
    if with_cases:
        (folder / "tight_cases.yaml").write_text(
            "cases:\n"
            "  - name: a $15 credit needs approval\n"
            "    request:\n"
            "      action: issue_credit\n"
            "      params: {account_id: ACC-000001, amount_cents: 1500, reason: late}\n"
            "      context: {account_tier: standard, agent_confidence: 0.9}\n"
            "    expect: {class: human_approved, rules: []}\n"
        )
    return path


def reviewed(folder: Path) -> Path:
    """A candidate that decides as the active policy does (another version: a comment added)."""
    path = folder / "reviewed.yaml"
    path.write_text(DEFAULT.read_text() + "\n# reviewed by finance\n")
    return path


def events(steward: Any, *types: str, request_id: str | None = None) -> list[Any]:
    return list(steward.audit.entries(action_id=request_id, types=list(types)))


@pytest.fixture
def steward(make_steward: Any, db_url: str) -> Any:
    return make_steward(db_url)


class TestSplit:
    def test_same_customer_same_policy(self, tmp_path: Path) -> None:
        """The split hashes the customer: every request of one customer is decided by one policy."""
        active = load_policy(DEFAULT)
        policies = Policies(active, load_policy(tight(tmp_path)), "canary", 50.0)
        for customer in ("c1", "c2", "c5", "c9"):
            keys = {split_key({"customer_id": customer}, f"agent-{i}", f"k{i}", f"req_{i}") for i in range(20)}
            assert len(keys) == 1
            chosen = {policies.choose(key)[0].version for key in keys}
            assert len(chosen) == 1
        assert policies.choose(split_key({"customer_id": IN_CANARY}, "a", None, "r"))[1] == "canary"
        assert policies.choose(split_key({"customer_id": IN_CONTROL}, "a", None, "r"))[1] == "control"

    def test_conversation_before_customer_then_idempotency_then_id(self) -> None:
        """The key is the conversation, else the customer, else requester + idempotency key, else the request."""
        assert split_key({"conversation_id": "v", "customer_id": "c"}, "a", "k", "r") == "conversation_id:v"
        assert split_key({"customer_id": "c"}, "a", "k", "r") == "customer_id:c"
        assert split_key({}, "a", "k", "r") == "idempotency:a\0k"
        assert split_key({}, "a", None, "r") == "request:r"

    @pytest.mark.parametrize("percent", [5.0, 25.0, 50.0])
    def test_about_n_percent_of_customers(self, percent: float) -> None:
        """Over 4000 customers the canary's share is within 2.5 points of its percent."""
        inside = sum(bucket_of(f"customer_id:cust-{i}") < percent for i in range(4000))
        assert abs(inside / 40 - percent) < 2.5

    def test_bad_mode_and_percent_refused(self, steward: Any, tmp_path: Path) -> None:
        """A canary needs a percent in (0, 100]; the refusal changes nothing."""
        control = PolicyControl(steward)
        for percent in (None, 0.0, 101.0):
            with pytest.raises(RequestError):
                control.start("canary", tight(tmp_path), percent=percent, operator=OPERATOR, reason="r")
        with pytest.raises(RequestError):
            control.start("shadow", tight(tmp_path), percent=None, operator=" ", reason="r")
        assert control.status()["candidate"] is None


class TestShadow:
    def test_records_both_decisions_and_the_diff_changing_nothing(self, steward: Any, tmp_path: Path) -> None:
        """In shadow the active policy decides; a differing candidate decision is a policy.shadow_diff event."""
        active = steward.policy.version
        row, result = PolicyControl(steward).start("shadow", tight(tmp_path), percent=None, operator=OPERATOR,
                                                   reason="tighter small credits")
        started = events(steward, "policy.shadow_started")[-1].payload
        assert started["operator"] == OPERATOR and started["reason"] == "tighter small credits"
        assert started["sha256"] == row.sha256 and started["tests"]["ok"] is False and result.regressions

        rec, _ = steward.submit(credit("ACC-000031", 1500, customer_id="c1"), AGENT)
        assert rec.state == RequestState.QUEUED and rec.action_class == "autonomous"
        assert rec.policy_version == active and rec.policy_rollout == "shadow"
        assert rec.public()["policy_version"] == active and rec.public()["policy_rollout"] == "shadow"
        decided = events(steward, "policy.decided", request_id=rec.id)[0].payload
        assert decided["rollout"] == "shadow"
        assert decided["shadow"]["class"] == "human_approved" and decided["shadow"]["candidate_sha256"] == row.sha256
        diff = events(steward, "policy.shadow_diff", request_id=rec.id)[0].payload
        assert diff == {
            "request_id": rec.id, "action": "issue_credit",
            "active": {"class": "autonomous", "rules": ["small-credits-autonomous"]},
            "candidate": {"class": "human_approved", "rules": []}, "candidate_sha256": row.sha256,
            "trace_id": diff["trace_id"],
        }

    def test_agreeing_decision_has_no_diff(self, steward: Any, tmp_path: Path) -> None:
        """Where both policies agree, the decision records the shadow and no diff event is written."""
        PolicyControl(steward).start("shadow", tight(tmp_path), percent=None, operator=OPERATOR, reason="r")
        rec, _ = steward.submit(credit("ACC-000032", 500, customer_id="c2"), AGENT)
        assert events(steward, "policy.decided", request_id=rec.id)[0].payload["shadow"]["class"] == "autonomous"
        assert events(steward, "policy.shadow_diff", request_id=rec.id) == []

    def test_another_candidate_is_refused_while_one_runs(self, steward: Any, tmp_path: Path) -> None:
        """One candidate at a time: the same one may move to canary, another is refused."""
        control = PolicyControl(steward)
        control.start("shadow", tight(tmp_path), percent=None, operator=OPERATOR, reason="r")
        with pytest.raises(InvalidState, match="another candidate"):
            control.start("shadow", reviewed(tmp_path), percent=None, operator=OPERATOR, reason="r")
        row, _ = control.start("canary", tight(tmp_path), percent=10, operator=OPERATOR, reason="widen")
        assert control.status()["candidate"]["mode"] == "canary" and row.percent == 10


class TestCanary:
    def test_candidate_decides_its_share_by_customer(self, steward: Any, tmp_path: Path) -> None:
        """At 50% a canary customer's credits are decided by the candidate, a control customer's by the active."""
        active = steward.policy.version
        row, _ = PolicyControl(steward).start("canary", tight(tmp_path), percent=50, operator=OPERATOR,
                                              reason="half")
        assert events(steward, "policy.canary_started")[-1].payload["percent"] == 50
        canary = [steward.submit(credit("ACC-000033", 1500, customer_id=IN_CANARY), AGENT)[0] for _ in range(3)]
        control = [steward.submit(credit("ACC-000034", 1500, customer_id=IN_CONTROL), AGENT)[0] for _ in range(3)]
        assert {(r.policy_version, r.policy_rollout, r.action_class) for r in canary} == {
            (row.sha256, "canary", "human_approved")}
        assert {(r.policy_version, r.policy_rollout, r.action_class) for r in control} == {
            (active, "control", "autonomous")}
        assert canary[0].decision is not None and canary[0].decision["policy_version"] == row.sha256


class TestPromote:
    def test_failing_evaluation_case_refuses(self, steward: Any, tmp_path: Path) -> None:
        """A case failing on the candidate refuses the promotion (even one failing on the active too)."""
        cases = tmp_path / "never.yaml"
        cases.write_text(
            "cases:\n  - name: impossible\n    request:\n      action: issue_credit\n"
            "      params: {account_id: ACC-000001, amount_cents: 100, reason: x}\n"
            "      context: {account_tier: standard, agent_confidence: 0.9}\n"
            "    expect: {class: forbidden, rules: []}\n"
        )
        control = PolicyControl(steward)
        control.start("shadow", reviewed(tmp_path), percent=None, operator=OPERATOR, reason="r")
        with pytest.raises(PromotionRefused) as refused:
            control.promote(operator=OPERATOR, reason="ship it", cases=cases)
        details = refused.value.details
        assert details["candidate_failed"] == ["impossible"] and details["regressions"] == []
        refusal = events(steward, "policy.promotion_refused")[-1].payload
        assert refusal["operator"] == OPERATOR and refusal["tests"]["ok"] is False
        assert control.status()["candidate"] is not None and control.status()["promoted"] is None

    def test_regression_refuses(self, steward: Any, tmp_path: Path) -> None:
        """A case that passes on the active policy and fails on the candidate refuses the promotion."""
        control = PolicyControl(steward)
        control.start("canary", tight(tmp_path), percent=5, operator=OPERATOR, reason="r")
        with pytest.raises(PromotionRefused, match="pass on the active policy and fail on the candidate") as refused:
            control.promote(operator=OPERATOR, reason="ship it")
        assert "small credit at the $25 boundary runs autonomously" in refused.value.details["regressions"]
        assert steward.policy.version != control.status()["candidate"]["sha256"]

    def test_promotion_makes_the_candidate_active_for_every_process(
        self, steward: Any, make_steward: Any, db_url: str, tmp_path: Path
    ) -> None:
        """Promoted (cases beside the file pass), the candidate is the active policy, here and in a new process."""
        control = PolicyControl(steward)
        started, _ = control.start("canary", tight(tmp_path, with_cases=True), percent=20, operator=OPERATOR,
                                   reason="r")
        promoted, result = control.promote(operator=OPERATOR, reason="canary clean for a week")
        assert result.ok and result.cases.endswith("tight_cases.yaml")
        assert steward.policy.version == promoted.sha256 == started.sha256 and steward.policies.candidate is None
        event = events(steward, "policy.promoted")[-1].payload
        assert event["operator"] == OPERATOR and event["reason"] == "canary clean for a week"
        assert event["sha256"] == promoted.sha256 and event["tests"]["ok"] is True
        assert events(steward, "policy.loaded")[-1].payload["version"] == promoted.sha256
        rec, _ = steward.submit(credit("ACC-000035", 1500, customer_id=IN_CONTROL), AGENT)
        assert (rec.action_class, rec.policy_version, rec.policy_rollout) == (
            "human_approved", promoted.sha256, None)
        assert make_steward(db_url).policy.version == promoted.sha256  # a restart loads the promoted version

    def test_nothing_to_promote_or_roll_back(self, steward: Any) -> None:
        """Promote and rollback without a candidate are refused as invalid state."""
        with pytest.raises(InvalidState):
            PolicyControl(steward).promote(operator=OPERATOR, reason="r")
        with pytest.raises(InvalidState):
            PolicyControl(steward).rollback(operator=OPERATOR, reason="r")


class TestRollback:
    def test_rollback_ends_the_canary(self, steward: Any, tmp_path: Path) -> None:
        """After a rollback the active policy decides alone; the event names the candidate and its tests."""
        active = steward.policy.version
        control = PolicyControl(steward)
        row, _ = control.start("canary", tight(tmp_path), percent=100, operator=OPERATOR, reason="r")
        control.rollback(operator=OPERATOR, reason="too many approvals")
        event = events(steward, "policy.rolled_back")[-1].payload
        assert (event["operator"], event["reason"], event["sha256"]) == (OPERATOR, "too many approvals", row.sha256)
        assert "tests" in event and event["tests"]["ok"] is False
        rec, _ = steward.submit(credit("ACC-000036", 1500, customer_id=IN_CANARY), AGENT)
        assert (rec.action_class, rec.policy_version, rec.policy_rollout) == ("autonomous", active, None)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from executor.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          check=False)


class TestCli:
    def test_shadow_refused_promotion_rollback(self, tmp_path: Path) -> None:
        """The commands: shadow starts, a regressing promote exits 1 naming the cases, rollback ends it."""
        where = ["--db", str(tmp_path / "s.db"), "--home", str(tmp_path / "home")]
        started = _cli("policy", "shadow", str(tight(tmp_path)), "--operator", OPERATOR, "--reason", "try", *where)
        assert started.returncode == 0, started.stderr
        assert "shadow: candidate" in started.stdout and "NOT ok" in started.stdout
        assert "candidate: " in _cli("policy", "rollout", *where).stdout
        refused = _cli("policy", "promote", "--operator", OPERATOR, "--reason", "go", *where)
        assert refused.returncode == 1 and "promotion refused" in refused.stderr
        back = _cli("policy", "rollback", "--operator", OPERATOR, "--reason", "no", *where)
        assert back.returncode == 0 and "rolled back" in back.stdout
        assert "candidate: none" in _cli("policy", "rollout", *where).stdout


@pytest.mark.browser
class TestEndToEnd:
    def test_each_mode_on_the_billing_console(
        self, make_steward: Any, run_worker: Any, tmp_path: Path, accounts: Any
    ) -> None:
        """Shadow, canary, promote and rollback each decide a credit that a real worker then runs on the console."""
        steward = make_steward(f"sqlite:///{tmp_path / 'e2e.db'}")
        control = PolicyControl(steward)
        active = steward.policy.version

        control.start("shadow", tight(tmp_path, with_cases=True), percent=None, operator=OPERATOR, reason="r")
        shadowed, _ = steward.submit(credit(accounts.take(), 1500, customer_id=IN_CANARY), AGENT)
        assert shadowed.state == RequestState.QUEUED and events(steward, "policy.shadow_diff",
                                                                request_id=shadowed.id)

        row, _ = control.start("canary", tight(tmp_path, with_cases=True), percent=50, operator=OPERATOR,
                               reason="r")
        canaried, _ = steward.submit(credit(accounts.take(), 1500, customer_id=IN_CANARY), AGENT)
        assert canaried.state == RequestState.AWAITING_APPROVAL and canaried.policy_rollout == "canary"
        steward.approve(canaried.id, OPERATOR, "checked")
        controlled, _ = steward.submit(credit(accounts.take(), 1500, customer_id=IN_CONTROL), AGENT)
        assert controlled.state == RequestState.QUEUED and controlled.policy_rollout == "control"

        control.rollback(operator=OPERATOR, reason="try again")
        rolled, _ = steward.submit(credit(accounts.take(), 1500, customer_id=IN_CANARY), AGENT)
        assert (rolled.state, rolled.policy_version) == (RequestState.QUEUED, active)

        control.start("canary", tight(tmp_path, with_cases=True), percent=10, operator=OPERATOR, reason="r")
        control.promote(operator=OPERATOR, reason="good")
        promoted, _ = steward.submit(credit(accounts.take(), 800, customer_id=IN_CONTROL), AGENT)
        assert promoted.policy_version == row.sha256 and promoted.state == RequestState.QUEUED

        done = {rec.id: rec for rec in run_worker(steward)}
        for rec in (shadowed, canaried, controlled, rolled, promoted):
            assert done[rec.id].state == RequestState.SUCCEEDED, done[rec.id].error_message
        assert steward.audit.verify(steward.evidence).ok

        # The daily report shows what the shadow policy would have changed, and every rollout step.
        from executor.reports.data import build_report
        from executor.reports.render_md import render_markdown

        report = build_report(steward.engine, steward.catalog, steward.policy, period="daily")
        shadow = report.current.shadow
        assert shadow.ran and shadow.diffs >= 1
        example = next(e for e in shadow.examples if e.request_id == shadowed.id)
        assert (example.active, example.candidate) == ("autonomous", "human_approved")
        assert example.candidate_sha256 == row.sha256
        kinds = [change.type for change in report.current.changes]
        for kind in ("policy.shadow_started", "policy.canary_started", "policy.rolled_back", "policy.promoted"):
            assert kind in kinds, kinds
        markdown = render_markdown(report)
        assert shadowed.id in markdown and "autonomous" in markdown

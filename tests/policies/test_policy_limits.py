"""Budget limits: amounts, usage over and under, unchecked and fail-closed cases."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from action_classes import ActionClass, Catalog
from policies import Policy, PolicyEvaluationError, load_policy
from tests.policies.policy_helpers import CREDIT, action_with, request

Write = Callable[..., Path]

BUDGETS = """
limits:
  - id: hourly
    action: issue_credit
    sum: params.amount_cents
    per: 1h
    max: 10000
    reason: Too many credits this hour
  - id: mine
    action: [issue_credit]
    sum: params.amount_cents
    per: 1d
    max: 3000
    scope: requester
    class: forbidden
"""


@pytest.fixture
def budgets(write: Write, catalog: Catalog) -> Policy:
    """Two limits: a global hourly one and a per-requester daily one that forbids."""
    return load_policy(write(BUDGETS), catalog)


class TestAmounts:
    """What a request adds, and where its usage is kept."""

    def test_amount_from_sum(self, budgets: Policy, catalog: Catalog) -> None:
        """The sum expression is evaluated on the request."""
        hourly = budgets.limits_for("issue_credit")[0]
        assert hourly.amount(request(catalog.action("issue_credit"))) == 1000.0

    def test_limits_for_selects_by_action(self, budgets: Policy) -> None:
        """Only limits naming the action apply to it."""
        assert [x.id for x in budgets.limits_for("issue_credit")] == ["hourly", "mine"]
        assert budgets.limits_for("lookup_account") == ()

    def test_bucket_and_window(self, budgets: Policy, catalog: Catalog) -> None:
        """Global limits share one bucket; requester limits have one each."""
        hourly, mine = budgets.limits_for("issue_credit")
        req = request(catalog.action("issue_credit"), requester="agent-3")
        assert hourly.bucket(req) == "global" and mine.bucket(req) == "requester:agent-3"
        assert (hourly.window_seconds, mine.window_seconds) == (3600, 86400)

    @pytest.mark.parametrize("expr", ["-1", "context.n"])
    def test_bad_amounts_raise(self, write: Write, catalog: Catalog, expr: str) -> None:
        """A negative or non-numeric amount never passes a limit."""
        policy = load_policy(
            write(f"limits: [{{id: l, action: issue_credit, sum: '{expr}', per: 1h, max: 5}}]\n")
        )
        with pytest.raises(PolicyEvaluationError, match="limit l"):
            policy.decide(
                request(catalog.action("issue_credit"), context={"n": "7"}, usage={"l": 0})
            )


class TestUsage:
    """current + adding > max imposes the limit's class."""

    def test_under_the_limit(self, budgets: Policy, catalog: Catalog) -> None:
        """Room left: nothing changes, both limits report ok."""
        decision = budgets.decide(
            request(catalog.action("issue_credit"), usage={"hourly": 0, "mine": 0})
        )
        assert decision.action_class is ActionClass.HUMAN_APPROVED
        assert [(c.id, c.status, c.exceeded) for c in decision.limits] == [
            ("hourly", "ok", False),
            ("mine", "ok", False),
        ]

    def test_exactly_at_the_limit(self, budgets: Policy, catalog: Catalog) -> None:
        """Reaching max is allowed; only going over is not."""
        decision = budgets.decide(
            request(catalog.action("issue_credit"), usage={"hourly": 9000, "mine": 2000})
        )
        assert not any(c.exceeded for c in decision.limits)

    def test_over_the_limit(self, write: Write, catalog: Catalog) -> None:
        """Going over turns an autonomous request into human_approved, with the reason."""
        policy = load_policy(write(BUDGETS), catalog)
        action = action_with(catalog, "issue_credit", ActionClass.AUTONOMOUS)
        decision = policy.decide(request(action, usage={"hourly": 9001, "mine": 0}))
        assert decision.action_class is ActionClass.HUMAN_APPROVED
        check = decision.limits[0]
        assert (check.current, check.adding, check.max, check.exceeded, check.status) == (
            9001,
            1000,
            10000,
            True,
            "exceeded",
        )
        assert check.decisive and check.reason == "Too many credits this hour"
        assert decision.explanation == (
            "human_approved by limit hourly: Too many credits this hour"
            " (9001 + 1000 > 10000 per 1h)"
        )

    def test_limit_class_applies(self, budgets: Policy, catalog: Catalog) -> None:
        """A limit may impose forbidden; its fallback reason describes the budget."""
        decision = budgets.decide(
            request(
                catalog.action("issue_credit"),
                CREDIT | {"amount_cents": 2500},
                usage={"hourly": 0, "mine": 1000},
            )
        )
        assert decision.action_class is ActionClass.FORBIDDEN
        assert decision.limits[1].reason == "over the mine budget of 3000 per 1d per requester"

    def test_relax_cannot_escape_a_limit(self, write: Write, catalog: Catalog) -> None:
        """An exceeded limit is strict: a relax rule does not lower it."""
        policy = load_policy(
            write(
                BUDGETS
                + """
rules:
  - {id: small, action: issue_credit, class: autonomous, relax: true}
"""
            ),
            catalog,
        )
        action = catalog.action("issue_credit")
        assert (
            policy.decide(request(action, usage={"hourly": 0, "mine": 0})).action_class
            is ActionClass.AUTONOMOUS
        )
        over = policy.decide(request(action, usage={"hourly": 9500, "mine": 0}))
        assert over.action_class is ActionClass.HUMAN_APPROVED

    def test_no_usage_means_unchecked(self, budgets: Policy, catalog: Catalog) -> None:
        """usage=None: limits are listed as unchecked and impose nothing."""
        decision = budgets.decide(request(catalog.action("issue_credit"), usage=None))
        assert [(c.status, c.current, c.adding) for c in decision.limits] == [
            ("unchecked", None, 1000),
            ("unchecked", None, 1000),
        ]
        assert decision.action_class is ActionClass.HUMAN_APPROVED

    def test_missing_usage_fails_closed(self, budgets: Policy, catalog: Catalog) -> None:
        """Usage data without an applicable limit's id rejects the request."""
        with pytest.raises(PolicyEvaluationError, match="limit mine: no usage data") as info:
            budgets.decide(request(catalog.action("issue_credit"), usage={"hourly": 0}))
        assert info.value.source == "mine"

    @pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
    def test_bad_usage_fails_closed(self, budgets: Policy, catalog: Catalog, bad: float) -> None:
        """Negative or non-finite usage cannot sneak a request under a limit."""
        with pytest.raises(PolicyEvaluationError, match="bad usage"):
            budgets.decide(
                request(catalog.action("issue_credit"), usage={"hourly": bad, "mine": 0})
            )

    def test_usage_for_other_actions_ignored(self, budgets: Policy, catalog: Catalog) -> None:
        """An action no limit applies to needs no usage data."""
        lookup = catalog.action("lookup_account")
        decision = budgets.decide(request(lookup, {"account_id": "ACC-000001"}, usage={}))
        assert decision.limits == []

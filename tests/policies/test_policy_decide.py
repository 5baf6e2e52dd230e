"""Policy.decide: strictest wins, relax semantics, fail closed, decisions that explain."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from action_classes import ActionClass, Catalog
from policies import Policy, PolicyEvaluationError, load_policy
from tests.policies.policy_helpers import CREDIT, action_with, request

Write = Callable[..., Path]
A, C, H, F = (
    ActionClass.AUTONOMOUS,
    ActionClass.CUSTOMER_CONFIRMED,
    ActionClass.HUMAN_APPROVED,
    ActionClass.FORBIDDEN,
)


def policy_of(write: Write, rules: list[tuple[str, ActionClass, bool]]) -> Policy:
    """A policy of always-matching rules on issue_credit: (id, class, relax)."""
    lines = ["rules:"] + [
        f"  - {{id: {rid}, action: issue_credit, class: {cls.value}, relax: {str(relax).lower()},"
        f" reason: reason of {rid}}}"
        for rid, cls, relax in rules
    ]
    return load_policy(write("\n".join(lines) + "\n" if rules else "rules: []\n"))


class TestStrictestWins:
    """The strictest of the default and the matching rules."""

    def test_no_rules_keeps_default(self, write: Write, catalog: Catalog) -> None:
        """Without matching rules the action's default decides."""
        decision = policy_of(write, []).decide(request(catalog.action("issue_credit")))
        assert decision.action_class is H and decision.rules == []
        assert decision.explanation == "human_approved: the default class of issue_credit"

    def test_stricter_rule_wins(self, write: Write, catalog: Catalog) -> None:
        """A matching forbidden rule beats the default."""
        decision = policy_of(write, [("deny", F, False)]).decide(
            request(catalog.action("issue_credit"))
        )
        assert decision.action_class is F

    def test_strict_rule_cannot_lower(self, write: Write, catalog: Catalog) -> None:
        """Without relax a looser rule changes nothing."""
        decision = policy_of(write, [("loose", A, False)]).decide(
            request(catalog.action("issue_credit"))
        )
        assert decision.action_class is H
        assert [(h.id, h.decisive) for h in decision.rules] == [("loose", False)]

    def test_order_does_not_matter(self, write: Write, catalog: Catalog) -> None:
        """The strictest rule wins wherever it stands."""
        rules = [("a", C, False), ("b", F, False), ("c", H, False)]
        for perm in itertools.permutations(rules):
            policy = policy_of(write, list(perm))
            assert policy.decide(request(catalog.action("issue_credit"))).action_class is F

    def test_conditions_select(self, write: Write, catalog: Catalog) -> None:
        """Only rules whose condition holds take part."""
        policy = load_policy(
            write("""
            rules:
              - {id: big, action: issue_credit, when: params.amount_cents > 5000, class: forbidden}
        """),
            catalog,
        )
        credit = catalog.action("issue_credit")
        assert policy.decide(request(credit, CREDIT | {"amount_cents": 5000})).action_class is H
        assert policy.decide(request(credit, CREDIT | {"amount_cents": 5001})).action_class is F

    def test_variables_available(self, write: Write, catalog: Catalog) -> None:
        """Conditions read params, context, action and request."""
        policy = load_policy(
            write("""
            rules:
              - id: all-four
                action: "*"
                when: >-
                  params.account_id == "ACC-000001" && context.account_tier == "standard"
                  && action.name == "lookup_account" && action.category == "account"
                  && action.target == "billing_console" && request.requester == "agent-9"
                class: forbidden
        """),
            catalog,
        )
        lookup = catalog.action("lookup_account")
        params = {"account_id": "ACC-000001"}
        assert policy.decide(request(lookup, params, requester="agent-9")).action_class is F
        assert policy.decide(request(lookup, params, requester="agent-8")).action_class is A


class TestRelax:
    """relax: true may go below the default, never below a strict rule."""

    @pytest.mark.parametrize(
        ("default", "rules", "expected"),
        [
            (H, [("r", A, True)], A),  # relax lowers the default
            (F, [("r", A, True)], A),  # even a forbidden default
            (H, [("r", A, True), ("s", C, True)], C),  # strictest relax rule
            (A, [("r", H, True)], H),  # a stricter relax rule raises
            (H, [("r", A, True), ("s", C, False)], C),  # never below a strict rule
            (H, [("r", A, True), ("s", F, False)], F),  # never out of strict forbidden
            (H, [("r", A, False)], H),  # no relax, no lowering
            (C, [("r", A, True), ("s", A, False)], A),  # a looser strict rule is fine
            (H, [("r", F, True), ("s", A, False)], F),  # relax forbidden is forbidden
        ],
    )
    def test_table(
        self,
        write: Write,
        catalog: Catalog,
        default: ActionClass,
        rules: list[tuple[str, ActionClass, bool]],
        expected: ActionClass,
    ) -> None:
        """Each interplay of default, relax and strict rules."""
        action = action_with(catalog, "issue_credit", default)
        assert policy_of(write, rules).decide(request(action)).action_class is expected

    def test_every_combination(self, write: Write, catalog: Catalog) -> None:
        """For every default, relax class and strict class the result follows the rule."""
        classes = list(ActionClass)
        for relax, strict in itertools.product([None, *classes], [None, *classes]):
            rules = ([("r", relax, True)] if relax else []) + (
                [("s", strict, False)] if strict else []
            )
            policy = policy_of(write, rules)
            for default in classes:
                got = policy.decide(
                    request(action_with(catalog, "issue_credit", default))
                ).action_class
                baseline = relax if relax is not None else default
                floor = strict if strict is not None else baseline
                assert got is max(baseline, floor, key=lambda c: c.rank), (default, relax, strict)
                if strict is not None:
                    assert got.rank >= strict.rank
                if strict is F:
                    assert got is F

    def test_relax_that_does_not_match(self, write: Write, catalog: Catalog) -> None:
        """A relax rule whose condition is false lowers nothing."""
        policy = load_policy(
            write("""
            rules:
              - id: small
                action: issue_credit
                when: params.amount_cents <= 10
                class: autonomous
                relax: true
        """),
            catalog,
        )
        assert policy.decide(request(catalog.action("issue_credit"))).action_class is H

    def test_relaxed_explanation(self, write: Write, catalog: Catalog) -> None:
        """A relaxed decision says so and names the relax rule as decisive."""
        decision = policy_of(write, [("small", A, True)]).decide(
            request(catalog.action("issue_credit"))
        )
        assert decision.explanation == (
            "autonomous by small: reason of small (relaxed from the default human_approved)"
        )
        assert decision.rules[0].decisive and decision.rules[0].relax


class TestFailClosed:
    """An expression that cannot be evaluated rejects the request, never passes it."""

    def test_missing_context_key_raises(self, write: Write, catalog: Catalog) -> None:
        """A KeyError is a PolicyEvaluationError naming the rule and the key."""
        policy = load_policy(
            write("""
            rules:
              - id: tier
                action: issue_credit
                when: context.account_tier == "vip"
                class: forbidden
        """),
            catalog,
        )
        with pytest.raises(PolicyEvaluationError, match=r"rule tier.*'account_tier'") as info:
            policy.decide(request(catalog.action("issue_credit"), context={}))
        assert info.value.source == "tier" and info.value.retryable is False

    def test_missing_key_in_a_relax_rule_raises(self, write: Write, catalog: Catalog) -> None:
        """Even a rule that could only loosen must not be skipped silently."""
        policy = load_policy(
            write("""
            rules:
              - {id: r, action: issue_credit, when: context.ok, class: autonomous, relax: true}
        """),
            catalog,
        )
        with pytest.raises(PolicyEvaluationError):
            policy.decide(request(catalog.action("issue_credit"), context={}))

    def test_runtime_type_error_raises(self, write: Write, catalog: Catalog) -> None:
        """Context of the wrong type is an evaluation error, not a non-match."""
        policy = load_policy(
            write("""
            rules:
              - {id: conf, action: issue_credit, when: context.confidence < 0.7, class: forbidden}
        """),
            catalog,
        )
        with pytest.raises(PolicyEvaluationError, match="TypeError"):
            policy.decide(request(catalog.action("issue_credit"), context={"confidence": "low"}))

    def test_non_boolean_at_runtime_raises(self, write: Write, catalog: Catalog) -> None:
        """A condition that yields a non-boolean for some context is an error."""
        policy = load_policy(
            write("""
            rules:
              - {id: flag, action: issue_credit, when: context.flag, class: forbidden}
        """),
            catalog,
        )
        with pytest.raises(PolicyEvaluationError, match="not true or false"):
            policy.decide(request(catalog.action("issue_credit"), context={"flag": "yes"}))

    def test_unconvertible_context_raises(self, write: Write, catalog: Catalog) -> None:
        """A value CEL cannot hold is an error even when no rule reads it."""
        policy = policy_of(write, [])
        with pytest.raises(PolicyEvaluationError, match="cannot read"):
            policy.decide(request(catalog.action("issue_credit"), context={"x": {1, 2}}))

    def test_guarded_key_is_fine(self, write: Write, catalog: Catalog) -> None:
        """has() makes an optional key safe to read."""
        policy = load_policy(
            write("""
            rules:
              - id: tier
                action: issue_credit
                when: has(context.account_tier) && context.account_tier == "vip"
                class: forbidden
        """),
            catalog,
        )
        assert policy.decide(request(catalog.action("issue_credit"), context={})).action_class is H


class TestDecision:
    """What a decision carries."""

    def test_names_rules_reasons_and_version(
        self, default_policy: Policy, catalog: Catalog
    ) -> None:
        """Rule ids, classes, reasons, the version and one explaining sentence."""
        params = CREDIT | {"amount_cents": 60000}
        decision = default_policy.decide(request(catalog.action("issue_credit"), params))
        assert decision.action_class is F and decision.default_class is H
        assert (
            decision.policy_version == default_policy.version and len(decision.policy_version) == 64
        )
        hit = next(h for h in decision.rules if h.id == "huge-credits-forbidden")
        assert hit.reason == "Credits above $500 are handled by the billing team" and hit.decisive
        assert decision.explanation == f"forbidden by huge-credits-forbidden: {hit.reason}"
        assert decision.forbidden and decision.reasons() == [hit.reason]

    def test_json_shape(self, default_policy: Policy, catalog: Catalog) -> None:
        """Dumps use `class`, the spelling of the files and the API."""
        dumped = default_policy.decide(request(catalog.action("issue_credit"))).model_dump(
            mode="json"
        )
        assert set(dumped) == {
            "action",
            "class",
            "default_class",
            "rules",
            "limits",
            "policy_version",
            "explanation",
        }
        assert set(dumped["rules"][0]) == {"id", "class", "reason", "relax", "decisive"}
        assert dumped["class"] == "autonomous"

    def test_decision_is_frozen(self, default_policy: Policy, catalog: Catalog) -> None:
        """Nobody edits a decision after the fact."""
        decision = default_policy.decide(request(catalog.action("issue_credit")))
        with pytest.raises(ValueError):
            decision.action_class = A  # type: ignore[misc]

    def test_several_decisive_rules(self, default_policy: Policy, catalog: Catalog) -> None:
        """Every rule at the final class is named."""
        context = {"account_tier": "enterprise", "agent_confidence": 0.1}
        decision = default_policy.decide(request(catalog.action("issue_credit"), context=context))
        assert [h.id for h in decision.rules if h.decisive] == [
            "enterprise-billing-approval",
            "low-agent-confidence",
        ]
        assert "enterprise-billing-approval: " in decision.explanation
        assert "; low-agent-confidence: " in decision.explanation

    def test_fallback_reason(self, write: Write, catalog: Catalog) -> None:
        """A rule without a reason is still explained."""
        policy = load_policy(write("rules: [{id: bare, action: issue_credit, class: forbidden}]\n"))
        decision = policy.decide(request(catalog.action("issue_credit")))
        assert decision.explanation == "forbidden by bare: rule bare sets forbidden"

    def test_rules_for_is_selected_by_action(
        self, default_policy: Policy, catalog: Catalog
    ) -> None:
        """Only rules selecting the action are evaluated for it (rollbacks-approved selects every action)."""
        ids = [r.id for r in default_policy.rules_for(catalog.action("lookup_account"))]
        assert ids == ["rollbacks-approved"]
        ids = [r.id for r in default_policy.rules_for(catalog.action("cancel_subscription"))]
        assert ids == ["cancellation-approval", "low-agent-confidence", "rollbacks-approved"]

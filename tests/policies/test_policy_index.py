"""The rule index: the same decisions, named rules and errors as evaluating every rule in order."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from action_classes import Catalog
from benchmarks.policy import generated_rules, sample_requests
from policies import Limit, Policy, PolicyInput, Rule
from policies.conjuncts import Key, find_key
from policies.index import check_key
from tests.policies.policy_helpers import request

CUSTOMERS = ["c1", "c2", "c3"]
TIERS = ["gold", "standard", "enterprise"]
REQUESTERS = ["bot-1", "bot-2", "op"]
ACCOUNTS = ["ACC-000001", "ACC-000002"]

c, t, r, a = (st.sampled_from(x) for x in (CUSTOMERS, TIERS, REQUESTERS, ACCOUNTS))
n = st.integers(0, 3000)

# Conditions: key tests the index files, shapes it must refuse, and conditions that
# raise or give a non-boolean, so that skipping a rule that would have failed shows up.
CONDITIONS = st.one_of(
    st.none(),
    st.sampled_from(["true", "false", "params.amount_cents", "context.customer_id", "int(context.account_tier) > 1",
                     "context.missing == 'x'", "context.customer_id.size() > 1", "params.amount_cents / 0 > 1",
                     "has(context.account_tier)", 'context.customer_id == "a && b"', 'action.name == "issue_credit"',
                     'action.category == "billing"', 'context.customer_id == "c\\x31"']),
    c.map(lambda v: f'context.customer_id == "{v}"'),
    c.map(lambda v: f'"{v}" == context.customer_id'),
    c.map(lambda v: f"context.customer_id == '{v}'"),
    c.map(lambda v: f'context.customer_id == r"{v}"'),
    c.map(lambda v: f'has(context.customer_id) && context.customer_id == "{v}"'),
    c.map(lambda v: f'context.customer_id == "{v}" && has(context.customer_id)'),
    c.map(lambda v: f'(context.customer_id == "{v}")'),
    c.map(lambda v: f'!(context.customer_id == "{v}")'),
    c.map(lambda v: f'context.customer_id != "{v}"'),
    c.map(lambda v: f'context.customer_id == "{v}" ? true : false'),
    c.map(lambda v: f'context.customer_id == "{v}" // a comment\n && true'),
    c.map(lambda v: f'context.customer_id == "{v}" && context.missing == 1'),
    c.map(lambda v: f'context.customer_id in ["{v}"] && 1 == 1'),
    st.tuples(c, n).map(lambda p: f'context.customer_id == "{p[0]}" || params.amount_cents > {p[1]}'),
    n.map(lambda v: f"context.customer_id == {v}"),
    st.tuples(r, r).map(lambda p: f'request.requester in ["{p[0]}", "{p[1]}"]'),
    r.map(lambda v: f'request.requester == "{v}"'),
    st.tuples(a, n).map(lambda p: f'params.account_id == "{p[0]}" && params.amount_cents > {p[1]}'),
    st.tuples(t, st.floats(0, 1)).map(
        lambda p: f'has(context.account_tier) && context.account_tier == "{p[0]}"'
        f" && double(context.agent_confidence) < {p[1]:.2f}"
    ),
    st.sampled_from(["chat", "email"]).map(lambda v: f'context.metadata.channel == "{v}"'),
    st.sampled_from(["chat", "email"]).map(
        lambda v: f'has(context.metadata.channel) && context.metadata.channel == "{v}"'
    ),
    n.map(lambda v: f"has(context.account_tier) && params.amount_cents > {v}"),
)
CLASSES = st.sampled_from(["autonomous", "customer_confirmed", "human_approved", "forbidden"])
SELECTORS = st.sampled_from(
    [("issue_credit", None), (["issue_credit", "lookup_account"], None), ("*", None), ("*", "billing"),
     ("update_contact_email", None)]
)


@st.composite
def rules(draw: st.DrawFn) -> list[Rule]:
    out = []
    for i in range(draw(st.integers(0, 14))):
        action, category = draw(SELECTORS)
        spec: dict[str, Any] = {"id": f"r{i}", "action": action, "class": draw(CLASSES), "relax": draw(st.booleans())}
        if category:
            spec["category"] = category
        when = draw(CONDITIONS)
        if when is not None:
            spec["when"] = when
        out.append(Rule.model_validate(spec))
    return out


@st.composite
def limits(draw: st.DrawFn) -> list[Limit]:
    out = []
    for i in range(draw(st.integers(0, 2))):
        out.append(Limit.model_validate({
            "id": f"l{i}", "action": draw(st.sampled_from(["issue_credit", "*"])),
            "sum": draw(st.sampled_from(["params.amount_cents", "1", "-1", "double(context.agent_confidence)",
                                         "context.customer_id"])),
            "per": "1h", "max": draw(st.sampled_from([0, 1000, 100000])),
            "scope": draw(st.sampled_from(["global", "requester"])),
            "class": draw(st.sampled_from(["customer_confirmed", "human_approved", "forbidden"])),
        }))
    return out


CONTEXT_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "customer_id": st.one_of(c, st.integers(0, 3), st.none(), st.just(["c1"])),
    "account_tier": st.one_of(t, st.just(3)),
    "agent_confidence": st.one_of(st.floats(0, 1), st.just("0.5"), st.just("abc")),
    "metadata": st.one_of(st.just({}), st.fixed_dictionaries({"channel": st.sampled_from(["chat", "email", 5])}),
                          st.just("not a map")),
}


@st.composite
def inputs(draw: st.DrawFn, catalog: Catalog, limit_ids: list[str]) -> PolicyInput:
    action = catalog.action(draw(st.sampled_from(["issue_credit", "lookup_account", "update_contact_email"])))
    context = {k: draw(v) for k, v in CONTEXT_VALUES.items() if draw(st.booleans())}
    params = {"account_id": draw(a), "amount_cents": draw(st.one_of(n, st.just("12"))), "reason": "goodwill"}
    usage = None
    if draw(st.booleans()):
        amounts = st.sampled_from([0.0, 500.0, 1e9, -1.0, math.nan])
        usage = {i: draw(amounts) for i in limit_ids if draw(st.integers(0, 5))}  # sometimes one is missing
    return request(action, params=params, context=context, requester=draw(r), usage=usage)


def outcome(decide: Any, pin: PolicyInput) -> tuple[Any, ...]:
    """A decision as data, or the error it raised (type, message, the rule or limit named)."""
    try:
        return ("decision", decide(pin).model_dump())
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc), getattr(exc, "source", None))


class TestSameAsReference:
    """Policy.decide (indexed) and Policy.decide_reference (every rule in order) never differ."""

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_random_policies(self, catalog: Catalog, data: st.DataObject) -> None:
        """Class, matched and decisive rules, limits, explanation and errors agree on random policies."""
        found_limits = data.draw(limits())
        policy = Policy(data.draw(rules()), found_limits)
        policy.index.few_rules = data.draw(st.sampled_from([0, 8]))  # 0: the index even for a handful of rules
        for _ in range(4):
            pin = data.draw(inputs(catalog, [x.id for x in found_limits]))
            assert outcome(policy.decide, pin) == outcome(policy.decide_reference, pin)

    def test_few_rules_run_in_order(self, default_policy: Policy, catalog: Catalog) -> None:
        """An action with a handful of rules skips the index's bookkeeping; one with many uses it."""
        action = catalog.action("issue_credit")
        assert default_policy.index._plan(action)[1] is not None
        assert Policy(generated_rules(50)).index._plan(action)[1] is None

    @pytest.mark.parametrize("seed", [1, 2])
    def test_generated_large_policy(self, catalog: Catalog, seed: int) -> None:
        """The benchmark's 1,000-rule policy decides 300 varied requests exactly as the reference."""
        policy = Policy(generated_rules(1000, seed=seed))
        action = catalog.action("issue_credit")
        outcomes = [(outcome(policy.decide, pin), outcome(policy.decide_reference, pin))
                    for pin in sample_requests(action, 300, seed=seed)]
        assert all(fast == ref for fast, ref in outcomes)
        assert len({str(ref) for _, ref in outcomes}) > 20  # the requests really differ
        assert policy.index.stats(action)["indexed"] > 500  # and the index really skips rules

    def test_default_policy_cases(self, default_policy: Policy, catalog: Catalog) -> None:
        """The shipped policy decides its own kind of requests the same both ways."""
        for action in catalog.actions.values():
            for tier in (None, "standard", "enterprise"):
                context: dict[str, Any] = {"agent_confidence": 0.9} if tier is None else {"account_tier": tier}
                pin = request(action, params={"account_id": "ACC-000001", "amount_cents": 900, "reason": "x"},
                              context=context, usage={x.id: 0.0 for x in default_policy.limits_for(action.name)})
                assert outcome(default_policy.decide, pin) == outcome(default_policy.decide_reference, pin)


class TestFindKey:
    """Only conjuncts that are certainly key tests are filed; anything else is evaluated every time."""

    @pytest.mark.parametrize(
        ("source", "key"),
        [
            ('context.customer_id == "c1"', Key(("context", "customer_id"), frozenset({"c1"}), False)),
            ('"c1" == context.customer_id', Key(("context", "customer_id"), frozenset({"c1"}), False)),
            ('has(context.t) && context.t == "gold" && params.n > 1', Key(("context", "t"), frozenset({"gold"}), True)),
            ('request.requester in ["a", "b",]', Key(("request", "requester"), frozenset({"a", "b"}), False)),
            ('(context.x.y == "v")', Key(("context", "x", "y"), frozenset({"v"}), False)),
            ("has(context.t) && params.n > 1", Key(("context", "t"), None, True)),
            ("context.c == 'c\\x31'", Key(("context", "c"), frozenset({"c1"}), False)),
        ],
    )
    def test_key_tests(self, source: str, key: Key) -> None:
        """Equality, membership and has() among the top-level conjuncts are found."""
        found = find_key(source)
        assert found is not None and (found.path, found.values, found.guarded) == (key.path, key.values, key.guarded)

    @pytest.mark.parametrize(
        "source",
        [
            'context.c == "x" || params.n > 1',
            'context.c == "x" ? true : false',
            '!(context.c == "x")',
            'context.c != "x"',
            'context.c == "x" // comment\n && true',
            'context.c == r"x"',
            'context.c == """x"""',
            "context.c == 1",
            'context.c == "x" + "y"',
            'size(context.c == "x")',
            'context.c in ["x"] + ["y"]',
            'other.c == "x"',
            "params.n > 1",
        ],
    )
    def test_refused_shapes(self, source: str) -> None:
        """Disjunctions, negations, comments, prefixed strings and computed values are not key tests."""
        assert find_key(source) is None

    def test_misread_keys_are_not_indexed(self) -> None:
        """A key that CEL does not confirm on probe requests is refused, so the rule is evaluated every time."""
        rule = Rule.model_validate({"id": "x", "action": "issue_credit", "class": "forbidden",
                                    "when": 'context.c == "v" && params.n > 1'})
        right = Key(("context", "c"), frozenset({"v"}), False, test='context.c == "v"')
        assert check_key(rule, right)
        assert not check_key(rule, Key(("context", "c"), frozenset({"w"}), False, test='context.c == "v"'))
        assert not check_key(rule, Key(("context", "c"), frozenset({"v"}), True, test='context.c == "v"'))
        assert not check_key(rule, Key(("context", "d"), frozenset({"v"}), False, test='context.d == "v"'))

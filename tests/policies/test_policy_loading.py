"""Loading policy files: every problem reported with file:line, all or nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from action_classes import ActionClass, Catalog, ParamSpec
from policies import Policy, PolicyLoadError, Rule, load_policy
from policies.trial import sample_params
from tests.policies.policy_helpers import DEFAULT_POLICY

Write = Callable[..., Path]


def problems_of(path: Path | list[Path], catalog: Catalog | None = None) -> list[str]:
    with pytest.raises(PolicyLoadError) as info:
        load_policy(path, catalog)
    return [str(p) for p in info.value.problems]


class TestLoadingErrors:
    """Each kind of mistake fails the load and points at its line."""

    def test_yaml_syntax_error(self, write: Write) -> None:
        """A YAML error names the line of the problem."""
        path = write("rules:\n  - id: a\n    action: [issue_credit\n")
        (problem,) = problems_of(path)
        assert problem.startswith(f"{path}:") and "YAML" in problem

    def test_unknown_top_level_key(self, write: Write) -> None:
        """Keys other than rules and limits are errors at their line."""
        path = write("""
            rules: []
            defaults: {class: autonomous}
        """)
        assert problems_of(path) == [f"{path}:2: defaults: Extra inputs are not permitted"]

    def test_not_a_mapping(self, write: Write) -> None:
        """A list or an empty file is not a policy."""
        assert "is a mapping" in problems_of(write("- a\n- b\n"))[0]
        assert "is a mapping" in problems_of(write(""))[0]

    def test_cel_syntax_error_fails_load(self, write: Write) -> None:
        """A broken expression is a load error at the `when` line, naming the rule."""
        path = write("""
            rules:
              - id: ok
                action: issue_credit
                class: forbidden
              - id: broken
                action: issue_credit
                when: params.amount_cents >
                class: forbidden
        """)
        (problem,) = problems_of(path)
        assert problem.startswith(f"{path}:7: rule broken.when: CEL syntax error at column")

    def test_unknown_variable_fails_load(self, write: Write) -> None:
        """Reading a name other than params/context/action/request fails the load."""
        path = write("""
            rules:
              - id: typo
                action: issue_credit
                when: paramz.amount_cents > 5
                class: forbidden
        """)
        (problem,) = problems_of(path)
        assert problem.startswith(f"{path}:4: rule typo.when: unknown variable paramz")

    def test_bad_limit_line(self, write: Write) -> None:
        """Limit problems point at the limit's key."""
        path = write("""
            limits:
              - id: budget
                action: issue_credit
                sum: params.amount_cents
                per: 1 hour
                max: 10
        """)
        (problem,) = problems_of(path)
        assert problem.startswith(f"{path}:5: limit budget.per: bad duration")

    def test_every_problem_listed(self, write: Write) -> None:
        """All problems of a file are reported at once, in order."""
        path = write("""
            rules:
              - id: a
                action: issue_credit
                when: "1 +"
                class: forbidden
              - id: b
                action: issue_credit
                class: never
        """)
        found = problems_of(path)
        assert [p.split(":")[1] for p in found] == ["4", "8"]

    def test_duplicate_keys(self, write: Write) -> None:
        """A key given twice in one mapping is an error, not last-one-wins."""
        path = write("""
            rules:
              - id: a
                action: issue_credit
                class: autonomous
                class: forbidden
        """)
        assert problems_of(path) == [f"{path}:5: duplicate key 'class'"]

    def test_duplicate_ids_across_files(self, write: Write) -> None:
        """Ids are unique across every file and across rules and limits."""
        first = write("rules: [{id: same, action: issue_credit, class: forbidden}]\n", "a.yaml")
        second = write(
            """
            limits:
              - {id: same, action: issue_credit, sum: params.amount_cents, per: 1h, max: 1}
        """,
            "b.yaml",
        )
        (problem,) = problems_of([first, second])
        assert problem == f"{second}:2: duplicate id 'same' (first defined at {first}:1)"

    def test_missing_file(self, tmp_path: Path) -> None:
        """An unreadable file is a load error, not an empty policy."""
        assert "cannot read" in problems_of(tmp_path / "nope.yaml")[0]

    def test_no_files(self) -> None:
        """An empty list of files is refused."""
        assert "no policy file" in problems_of([])[0]


class TestCatalogChecks:
    """With a catalog, names are resolved and expressions are tried on sample values."""

    def test_unknown_action(self, write: Write, catalog: Catalog) -> None:
        """A rule naming an action the catalog lacks fails at that name's line."""
        path = write("""
            rules:
              - id: r
                action: [issue_credit, refund_everything]
                class: forbidden
        """)
        assert problems_of(path, catalog) == [
            f"{path}:3: the policy names actions the catalog lacks: 'refund_everything' (rule r). "
            "Add them to the catalog, or remove them from those rules and limits"
        ]

    def test_unknown_action_passes_without_catalog(self, write: Write) -> None:
        """Without a catalog, names cannot be checked."""
        path = write("rules: [{id: r, action: refund_everything, class: forbidden}]\n")
        assert load_policy(path).rules[0].id == "r"

    def test_unknown_category(self, write: Write, catalog: Catalog) -> None:
        """A category no action has is a typo."""
        path = write("""
            rules:
              - id: r
                action: "*"
                category: biling
                class: forbidden
        """)
        assert "unknown category 'biling'" in problems_of(path, catalog)[0]

    def test_trial_type_error_fails_load(self, write: Write, catalog: Catalog) -> None:
        """Comparing an integer parameter with a string fails at load, not at request time."""
        path = write("""
            rules:
              - id: quoted
                action: issue_credit
                when: params.amount_cents > "50000"
                class: forbidden
        """)
        (problem,) = problems_of(path, catalog)
        assert problem.startswith(f"{path}:4: rule quoted.when: type error on issue_credit")
        load_policy(path)  # without a catalog there is nothing to try it on

    def test_trial_type_error_in_sum(self, write: Write, catalog: Catalog) -> None:
        """A limit's sum must give a number."""
        path = write("""
            limits:
              - {id: l, action: issue_credit, sum: params.reason, per: 1h, max: 1}
        """)
        assert "not a number" in problems_of(path, catalog)[0]

    def test_non_boolean_condition(self, write: Write, catalog: Catalog) -> None:
        """A condition must give true or false."""
        path = write(
            "rules: [{id: r, action: issue_credit, when: params.amount_cents, class: forbidden}]\n"
        )
        assert "not true or false" in problems_of(path, catalog)[0]

    def test_unknown_parameter(self, write: Write, catalog: Catalog) -> None:
        """Reading a parameter no selected action has is a typo."""
        path = write(
            "rules: [{id: r, action: issue_credit, when: params.amount > 5, class: forbidden}]\n"
        )
        assert "params.amount is not a parameter of issue_credit" in problems_of(path, catalog)[0]

    def test_unknown_action_field(self, write: Write, catalog: Catalog) -> None:
        """action has name, category and target only."""
        path = write("rules: [{id: r, action: '*', when: action.kind == 'x', class: forbidden}]\n")
        assert "action.kind does not exist" in problems_of(path, catalog)[0]

    def test_parameter_missing_on_some_actions(self, write: Write, catalog: Catalog) -> None:
        """A '*' rule reading a parameter some actions lack must guard it with has()."""
        path = write(
            "rules: [{id: r, action: '*', when: params.amount_cents > 5, class: forbidden}]\n"
        )
        assert "guard it with has(params.amount_cents)" in problems_of(path, catalog)[0]
        guarded = write(
            "rules: [{id: r, action: '*', class: forbidden,"
            " when: has(params.amount_cents) && params.amount_cents > 5}]\n",
            "guarded.yaml",
        )
        assert load_policy(guarded, catalog).rules[0].id == "r"

    def test_missing_context_keys_are_fine(self, write: Write, catalog: Catalog) -> None:
        """Context is free-form: reading it does not fail the trial."""
        path = write(
            "rules: [{id: r, action: '*', when: context.tier == 'gold', class: forbidden}]\n"
        )
        assert load_policy(path, catalog).rules[0].id == "r"

    def test_default_policy_loads(self, catalog: Catalog) -> None:
        """The shipped policy passes every check against the shipped catalog."""
        policy = load_policy(DEFAULT_POLICY, catalog)
        assert len(policy.rules) >= 6 and len(policy.limits) >= 2


class TestVersion:
    """policy_version identifies exactly the files that decided."""

    def test_single_file_version_is_its_sha256(self, write: Write) -> None:
        """One file: the version equals `sha256sum FILE`."""
        path = write("rules: []\n")
        assert load_policy(path).version == hashlib.sha256(path.read_bytes()).hexdigest()

    def test_version_changes_with_the_file(self, write: Write) -> None:
        """Any byte changed, even a comment, gives a new version."""
        path = write("rules: []\n")
        before = load_policy(path).version
        path.write_text("rules: []  # tuned\n")
        assert load_policy(path).version != before

    def test_several_files_order_independent(self, write: Write) -> None:
        """The version of several files does not depend on the order they are given in."""
        a = write("rules: []\n", "a.yaml")
        b = write("limits: []\n", "b.yaml")
        assert load_policy([a, b]).version == load_policy([b, a]).version
        assert load_policy([a, b]).version not in (load_policy(a).version, load_policy(b).version)


def _catalog_with_params(catalog: Catalog, params: dict[str, dict[str, object]]) -> Catalog:
    """The shipped catalog with issue_credit's parameters replaced."""
    specs = {name: ParamSpec.model_validate(spec) for name, spec in params.items()}
    action = catalog.action("issue_credit").model_copy(update={"params": specs})
    return catalog.model_copy(update={"actions": catalog.actions | {"issue_credit": action}})


class TestTrialSamples:
    """The synthetic values cover the shapes a parameter can take at request time."""

    def test_samples_follow_the_schema(self, catalog: Catalog) -> None:
        """Low and high ends of ranges; an int and a double for numbers; enums' members."""
        custom = _catalog_with_params(
            catalog,
            {
                "n": {"type": "integer", "minimum": 5, "maximum": 9},
                "x": {"type": "number"},
                "e": {"type": "string", "enum": ["a", "b"]},
                "f": {"type": "boolean", "required": False},
            },
        )
        low, high, without = sample_params(custom.action("issue_credit"))
        assert low == {"n": 5, "x": 0, "e": "a", "f": False}
        assert high == {"n": 9, "x": 1_000_000.0, "e": "b", "f": True}
        assert without == {"n": 5, "x": 0, "e": "a"}

    def test_number_arithmetic_with_int_literal(self, write: Write, catalog: Catalog) -> None:
        """A `number` may arrive as a double, so int arithmetic on it fails the load."""
        custom = _catalog_with_params(catalog, {"rate": {"type": "number"}})
        path = write(
            "rules: [{id: r, action: issue_credit, when: params.rate + 1 > 2, class: forbidden}]\n"
        )
        assert "type error" in problems_of(path, custom)[0]
        fixed = write(
            "rules: [{id: r, action: issue_credit, when: double(params.rate) + 1.0 > 2.0,"
            " class: forbidden}]\n",
            "fixed.yaml",
        )
        assert load_policy(fixed, custom).rules[0].id == "r"

    def test_optional_parameter_needs_has(self, write: Write, catalog: Catalog) -> None:
        """An optional parameter may be absent: reading it unguarded fails the load."""
        custom = _catalog_with_params(catalog, {"note": {"type": "string", "required": False}})
        path = write(
            "rules: [{id: r, action: issue_credit, when: params.note == 'x', class: forbidden}]\n"
        )
        assert "guard it with has(params.note)" in problems_of(path, custom)[0]


class TestPolicyConstructor:
    """Policy built directly still refuses ambiguous ids."""

    def test_duplicate_ids(self) -> None:
        """Two entries with one id cannot both be named in a decision."""
        rule = Rule(id="same", action="*", action_class=ActionClass.FORBIDDEN)
        with pytest.raises(PolicyLoadError, match="duplicate id 'same'"):
            Policy([rule, rule])

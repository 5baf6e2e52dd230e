"""Rule, Limit and PolicyFile models: strict, described, compiled at validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from action_classes import ActionClass, Catalog
from policies import Limit, PolicyFile, Rule


def rule(**fields: object) -> Rule:
    base: dict[str, object] = {"id": "r1", "action": "issue_credit", "class": "human_approved"}
    return Rule.model_validate(base | fields)


def limit(**fields: object) -> Limit:
    base: dict[str, object] = {
        "id": "l1",
        "action": "issue_credit",
        "sum": "params.amount_cents",
        "per": "1h",
        "max": 100,
    }
    return Limit.model_validate(base | fields)


class TestRule:
    """A rule's fields and their validation."""

    def test_minimal_rule_defaults(self) -> None:
        """A rule without when, reason or relax always applies, strictly."""
        r = rule()
        assert r.when is None and r.condition is None
        assert r.relax is False and r.reason == ""
        assert r.action_class is ActionClass.HUMAN_APPROVED

    def test_class_key_and_python_name(self) -> None:
        """YAML says `class`, Python says action_class, dumps say `class`."""
        r = Rule(id="r", action="*", action_class=ActionClass.FORBIDDEN)
        assert r.model_dump()["class"] == "forbidden"

    def test_unknown_key_rejected(self) -> None:
        """extra='forbid': a typo in a key is an error, not ignored."""
        with pytest.raises(ValidationError, match="Extra inputs"):
            rule(releax=True)

    def test_bad_class_rejected(self) -> None:
        """Only the four classes exist."""
        with pytest.raises(ValidationError):
            rule(**{"class": "sometimes"})

    @pytest.mark.parametrize(
        "action", ["issue_credit", ["issue_credit", "cancel_subscription"], "*"]
    )
    def test_action_selectors(self, action: object) -> None:
        """A name, a list of names, or '*'."""
        assert rule(action=action).names_action("issue_credit")

    @pytest.mark.parametrize("action", [[], ["*", "issue_credit"], "Issue-Credit", ""])
    def test_bad_action_selectors(self, action: object) -> None:
        """Empty lists, '*' mixed with names and malformed names are rejected."""
        with pytest.raises(ValidationError):
            rule(action=action)

    @pytest.mark.parametrize("rid", ["", "Has Space", "-lead", "x" * 65])
    def test_bad_ids(self, rid: str) -> None:
        """Ids are short lower-case slugs."""
        with pytest.raises(ValidationError):
            rule(id=rid)

    def test_when_compiles_once(self) -> None:
        """The condition is compiled at validation and kept."""
        r = rule(when="params.amount_cents > 10")
        assert r.condition is not None
        assert r.condition.variables == {"params"}

    def test_syntax_error_is_a_validation_error(self) -> None:
        """A CEL syntax error names the column."""
        with pytest.raises(ValidationError, match="CEL syntax error at column"):
            rule(when="params.amount_cents >")

    def test_unknown_variable_rejected(self) -> None:
        """Only params, context, action and request may be read."""
        with pytest.raises(ValidationError, match="unknown variable ctx"):
            rule(when="ctx.tier == 'x'")

    def test_macro_variables_allowed(self) -> None:
        """Names bound by comprehension macros are not unknown variables."""
        r = rule(when="[1, 2].exists(n, n > params.amount_cents)")
        assert r.condition is not None

    def test_empty_when_rejected(self) -> None:
        """An empty condition is a mistake, not 'always'."""
        with pytest.raises(ValidationError, match="empty"):
            rule(when="  ")

    def test_category_narrows(self, catalog: Catalog) -> None:
        """A category makes the rule apply only to actions of that category."""
        r = rule(action="*", category="billing")
        assert r.applies_to(catalog.action("issue_credit"))
        assert not r.applies_to(catalog.action("update_contact_email"))


class TestLimit:
    """A budget limit's fields and their validation."""

    def test_defaults(self) -> None:
        """Global scope and human_approved by default."""
        x = limit()
        assert x.scope == "global" and x.action_class is ActionClass.HUMAN_APPROVED

    @pytest.mark.parametrize(
        ("per", "seconds"),
        [("30s", 30), ("30m", 1800), ("1h", 3600), ("1d", 86400), ("2w", 1209600)],
    )
    def test_durations(self, per: str, seconds: int) -> None:
        """Windows are a number and a unit."""
        assert limit(per=per).window_seconds == seconds

    @pytest.mark.parametrize("per", ["1", "h", "0h", "1.5h", "1 h", "1y", "-1h"])
    def test_bad_durations(self, per: str) -> None:
        """Anything else is rejected."""
        with pytest.raises(ValidationError, match="duration"):
            limit(per=per)

    def test_autonomous_limit_rejected(self) -> None:
        """A limit can only make things stricter."""
        with pytest.raises(ValidationError, match="stricter"):
            limit(**{"class": "autonomous"})

    def test_negative_max_rejected(self) -> None:
        """A budget is not negative."""
        with pytest.raises(ValidationError):
            limit(max=-1)

    def test_bad_scope_rejected(self) -> None:
        """Scope is global or requester."""
        with pytest.raises(ValidationError):
            limit(scope="team")

    def test_sum_syntax_error(self) -> None:
        """The sum expression is compiled like a condition."""
        with pytest.raises(ValidationError, match="CEL syntax error"):
            limit(sum="params.amount_cents +")


class TestPolicyFile:
    """The top level of a policy file."""

    def test_empty_lists_allowed(self) -> None:
        """A file may hold only rules or only limits."""
        assert PolicyFile.model_validate({"rules": []}).limits == []

    def test_unknown_top_level_key(self) -> None:
        """Only rules and limits."""
        with pytest.raises(ValidationError, match="Extra inputs"):
            PolicyFile.model_validate({"rules": [], "rulez": []})

"""The policy file format (SPEC section 6): rules and budget limits.

Expressions are compiled while the model validates, so a policy that loads
holds only expressions that parse and name known variables, and a request
never pays for compilation.
"""

from __future__ import annotations

import math
import re
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from action_classes import Action, ActionClass
from policies.decision import PolicyInput, RuleHit
from policies.errors import PolicyEvaluationError
from policies.expressions import Expression, bind, compiled

__all__ = ["Limit", "PolicyFile", "Rule", "number", "parse_duration"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_DURATION = re.compile(r"^([1-9][0-9]{0,5})(s|m|h|d|w)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True
    )


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``30m``, ``1h`` or ``1d``; ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"bad duration {text!r}: a number and s, m, h, d or w, e.g. 30m, 1h, 1d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def number(value: float) -> str:
    """An amount for people: 100000 rather than 1e+05, 12.5 as is."""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _check_selector(value: str | list[str]) -> str | list[str]:
    names = [value] if isinstance(value, str) else value
    if not names:
        raise ValueError("name at least one action, or '*' for every action")
    if "*" in names and len(names) > 1:
        raise ValueError("'*' stands alone: it already means every action")
    for name in names:
        if name != "*" and not _ACTION.match(name):
            raise ValueError(f"bad action name {name!r}")
    return value


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"bad id {value!r}: use lower-case letters, digits, '-' and '_'")
    return value


class _Selecting(_Model):
    """Shared by rules and limits: which actions an entry is about."""

    id: str = Field(description="Unique id, named in every decision it takes part in.")
    action: str | list[str] = Field(
        description="An action name, a list of names, or '*' for every action."
    )

    @field_validator("id")
    @classmethod
    def _good_id(cls, value: str) -> str:
        return _check_id(value)

    @field_validator("action")
    @classmethod
    def _good_action(cls, value: str | list[str]) -> str | list[str]:
        return _check_selector(value)

    @property
    def action_names(self) -> frozenset[str] | None:
        """The named actions, or None for every action ('*')."""
        names = [self.action] if isinstance(self.action, str) else self.action
        return None if "*" in names else frozenset(names)

    def names_action(self, name: str) -> bool:
        """True when ``name`` is selected by ``action``."""
        names = self.action_names
        return names is None or name in names


class Rule(_Selecting):
    """Maps matching requests to a class (the strictest matching rule wins)."""

    category: str | None = Field(
        default=None, description="Only actions of this catalog category (combined with `action`)."
    )
    when: str | None = Field(
        default=None,
        description="CEL condition over params, context, action and request; absent means "
        "always. Guard optional context keys with has(context.x).",
    )
    action_class: ActionClass = Field(
        validation_alias="class",
        serialization_alias="class",
        description="Class imposed when the rule matches.",
    )
    reason: str = Field(default="", max_length=500, description="Why, in words shown to people.")
    relax: bool = Field(
        default=False,
        description="May lower the class below the action's default (never below a matching "
        "rule without relax, never out of `forbidden` set by such a rule).",
    )

    @field_validator("when")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            compiled(value)
        return value

    def model_post_init(self, context: Any, /) -> None:
        _ = self.condition  # compile at load, never on a request

    @cached_property
    def condition(self) -> Expression | None:
        """The compiled ``when``, or None when the rule always applies."""
        return compiled(self.when) if self.when is not None else None

    def applies_to(self, action: Action) -> bool:
        """True when the rule's action and category select ``action`` (before ``when``)."""
        if self.category is not None and action.category != self.category:
            return False
        return self.names_action(action.name)

    def display_reason(self) -> str:
        """The reason, or a fallback naming the rule when the file gives none."""
        return self.reason or f"rule {self.id} sets {self.action_class.value}"

    @cached_property
    def hits(self) -> tuple[RuleHit, RuleHit]:
        """This rule's RuleHit as a decision lists it: (not decisive, decisive).

        Built once: a RuleHit is frozen, so decisions share them instead of
        validating one per matched rule per decision.
        """
        made = [RuleHit(id=self.id, action_class=self.action_class, reason=self.display_reason(),
                        relax=self.relax, decisive=decisive) for decisive in (False, True)]
        return made[0], made[1]


class Limit(_Selecting):
    """A budget: the sum of an amount over a sliding window, per requester or globally."""

    sum: str = Field(
        description="CEL expression giving the number a request adds, e.g. params.amount_cents."
    )
    per: str = Field(description="Sliding window: a number and s, m, h, d or w (30m, 1h, 1d).")
    max: float = Field(
        ge=0, description="The most the window may hold; beyond it the limit's class applies."
    )
    scope: Literal["global", "requester"] = Field(
        default="global",
        description="Count everyone's requests (global) or each requester's separately.",
    )
    action_class: ActionClass = Field(
        default=ActionClass.HUMAN_APPROVED,
        validation_alias="class", serialization_alias="class",
        description="Class imposed when over the limit.",
    )
    reason: str = Field(default="", max_length=500, description="Why, in words shown to people.")

    @field_validator("sum")
    @classmethod
    def _compiles(cls, value: str) -> str:
        compiled(value)
        return value

    @field_validator("per")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("action_class")
    @classmethod
    def _raises(cls, value: ActionClass) -> ActionClass:
        if value is ActionClass.AUTONOMOUS:
            raise ValueError("a limit imposes a stricter class; autonomous would never apply")
        return value

    def model_post_init(self, context: Any, /) -> None:
        _ = self.expression  # compile at load, never on a request

    @property
    def window_seconds(self) -> int:
        """Length of the sliding window in seconds."""
        return parse_duration(self.per)

    @cached_property
    def expression(self) -> Expression:
        """The compiled ``sum``."""
        return compiled(self.sum)

    def bucket(self, request: PolicyInput) -> str:
        """Whose usage counts: ``global`` or ``requester:<id>`` (the executor's storage key)."""
        return "global" if self.scope == "global" else f"requester:{request.requester}"

    def amount(self, request: PolicyInput) -> float:
        """What ``request`` adds to the window; PolicyEvaluationError when it cannot say."""
        action = {"name": request.action.name, "category": request.action.category,
                  "target": request.action.target}
        try:
            variables = bind(request.params, request.context, action, request.requester)
        except Exception as exc:  # unconvertible values must not slip past a limit
            message = f"limit {self.id}: cannot read the request: {exc}"
            raise PolicyEvaluationError(message, self.id) from exc
        return self.amount_from(variables)

    def amount_from(self, variables: Any) -> float:
        """Like ``amount`` for an activation already bound by the gate."""
        value = self.expression.evaluate(variables, f"limit {self.id}", self.id)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            message = f"limit {self.id}: sum gave {value!r}, not a number"
            raise PolicyEvaluationError(message, self.id)
        if value < 0:
            raise PolicyEvaluationError(f"limit {self.id}: sum gave {value}, below zero", self.id)
        return float(value)

    def display_reason(self) -> str:
        """The reason, or a fallback describing the budget."""
        who = "per requester" if self.scope == "requester" else "in total"
        budget = f"{number(self.max)} per {self.per}"
        return self.reason or f"over the {self.id} budget of {budget} {who}"


class PolicyFile(_Model):
    """One policy YAML file: rules and budget limits; any other key is an error."""

    owner: str | None = Field(
        default=None, max_length=100,
        description="The team or person who answers for this policy (its load events and reports name it).",
    )
    reviewers: list[str] = Field(default_factory=list, description="Who reviews its changes, besides the owner.")
    rules: list[Rule] = Field(default_factory=list, description="Class rules, in order.")
    limits: list[Limit] = Field(default_factory=list, description="Budget limits.")

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or not value.isprintable()):
            raise ValueError("owner must be printable text (a team or a person)")
        return value.strip() if value is not None else None

    @field_validator("reviewers")
    @classmethod
    def _reviewers(cls, value: list[str]) -> list[str]:
        if any(not v.strip() or len(v) > 100 or not v.isprintable() for v in value):
            raise ValueError("reviewers are names of 1 to 100 printable characters")
        return [v.strip() for v in value]

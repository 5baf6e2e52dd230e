"""What goes into a policy decision (PolicyInput) and what comes out (Decision).

Output models serialize the class under the key ``class`` (the YAML and API
spelling); in Python the attribute is ``action_class`` because ``class`` is a
keyword.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from action_classes import Action, ActionClass

__all__ = ["Decision", "LimitCheck", "PolicyInput", "RuleHit"]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True
    )


class PolicyInput(_Model):
    """One action request as the policy sees it."""

    action: Action = Field(description="The catalog action the request names.")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Parameters, already validated against the action's schema.",
    )
    context: dict[str, Any] = Field(
        default_factory=dict,
        description="Free-form context from the agent (conversation id, customer id, account "
        "tier, agent confidence ...). Conditions read it as `context`.",
    )
    requester: str = Field(min_length=1, description="Identity of who submitted the request.")
    usage: dict[str, float] | None = Field(
        default=None,
        description="Amount already consumed in each limit's current window, by limit id "
        "(for scope `requester`: this requester's consumption). None means limits are not "
        "enforced by this caller: they are listed as `unchecked`. A dict that lacks an "
        "applicable limit's id makes the decision fail closed.",
    )


class RuleHit(_Model):
    """A rule whose condition matched the request."""

    id: str = Field(description="The rule's id.")
    action_class: ActionClass = Field(
        validation_alias="class",
        serialization_alias="class",
        description="The class the rule imposes.",
    )
    reason: str = Field(description="Why, in words for people.")
    relax: bool = Field(description="True when the rule may lower the class below the default.")
    decisive: bool = Field(description="True when this rule produced the decision's class.")


class LimitCheck(_Model):
    """A budget limit that applies to the request, and where the request leaves it."""

    id: str = Field(description="The limit's id.")
    scope: Literal["global", "requester"] = Field(description="Whose consumption is counted.")
    per: str = Field(description="Length of the sliding window, e.g. 1h.")
    current: float | None = Field(
        description="Consumed in the window before this request; None when unchecked."
    )
    adding: float = Field(description="What this request adds (the limit's `sum` expression).")
    max: float = Field(description="The most the window may hold.")
    exceeded: bool = Field(description="True when current + adding > max.")
    status: Literal["ok", "exceeded", "unchecked"] = Field(
        description="`unchecked` when the caller supplied no usage data (usage=None)."
    )
    action_class: ActionClass = Field(
        validation_alias="class",
        serialization_alias="class",
        description="The class imposed when exceeded.",
    )
    reason: str = Field(description="Why, in words for people.")
    decisive: bool = Field(description="True when this limit produced the decision's class.")


class Decision(_Model):
    """The class a request gets, and everything that produced it."""

    action: str = Field(description="Name of the action decided on.")
    action_class: ActionClass = Field(
        validation_alias="class",
        serialization_alias="class",
        description="The class the request runs under.",
    )
    default_class: ActionClass = Field(description="The action's class before policy.")
    rules: list[RuleHit] = Field(description="Every rule that matched, in policy order.")
    limits: list[LimitCheck] = Field(description="Every budget limit that applies to the action.")
    policy_version: str = Field(description="sha256 of the policy files that decided.")
    explanation: str = Field(description="One sentence for people: the class and why.")

    @property
    def forbidden(self) -> bool:
        """True when the request must be rejected."""
        return self.action_class is ActionClass.FORBIDDEN

    def reasons(self) -> list[str]:
        """The reasons of the rules and limits that produced the class (for handoff packets)."""
        out = [hit.reason for hit in self.rules if hit.decisive]
        return out + [check.reason for check in self.limits if check.decisive]

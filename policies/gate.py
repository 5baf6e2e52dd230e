"""The policy gate: a chain of small steps that turns a request into a class.

Each step is a class with its settings in ``__init__`` and its work in
``__call__``; all of them share one contract, ``GateStep``: take the
``GateState``, fill in its part, return it. ``Policy.decide`` runs them in
order. The order matters only in that relax handling and the final class need
the matches, and the explanation needs the final class.

Semantics, in one place:

- the baseline is the action's default class;
- if any matching rule says ``relax: true``, the strictest of those rules'
  classes replaces the default as the baseline (it may be looser);
- the result is the strictest of the baseline, every matching rule without
  ``relax``, and the class of every exceeded limit. So a relax rule never
  lowers a request below a non-relax rule, and never out of ``forbidden`` set
  by one.

Any failure to evaluate (a missing key, a type error, a non-boolean
condition, missing usage data) raises PolicyEvaluationError: the request is
rejected, never waved through.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import cel

from action_classes import Action, ActionClass, strictest
from policies.decision import Decision, LimitCheck, PolicyInput
from policies.errors import PolicyEvaluationError
from policies.expressions import variables_of
from policies.index import RuleIndex, evaluate_in_order
from policies.models import Limit, Rule, number

__all__ = [
    "ApplyRelax",
    "BindVariables",
    "CheckLimits",
    "Explain",
    "GateState",
    "GateStep",
    "MatchIndexed",
    "MatchRules",
    "StartFromDefault",
    "TakeStrictest",
    "default_pipeline",
]


@dataclass
class LimitResult:
    """One applicable limit, evaluated."""

    limit: Limit
    adding: float
    current: float | None

    @property
    def exceeded(self) -> bool:
        return self.current is not None and self.current + self.adding > self.limit.max


@dataclass
class GateState:
    """What the steps know so far about one request."""

    request: PolicyInput
    variables: cel.Context | None = None
    values: dict[str, Any] = field(default_factory=dict)
    default_class: ActionClass = ActionClass.FORBIDDEN
    baseline: ActionClass = ActionClass.FORBIDDEN
    matches: list[Rule] = field(default_factory=list)
    limits: list[LimitResult] = field(default_factory=list)
    action_class: ActionClass = ActionClass.FORBIDDEN
    decisive: set[str] = field(default_factory=set)
    explanation: str = ""

    def activation(self) -> cel.Context:
        """The bound CEL variables; BindVariables must have run."""
        if self.variables is None:
            raise PolicyEvaluationError("the gate evaluated a condition before binding the request")
        return self.variables

    def to_decision(self, policy_version: str) -> Decision:
        """The frozen Decision for the finished state."""
        hits = [r.hits[r.id in self.decisive] for r in self.matches]
        checks = [
            LimitCheck(
                id=x.limit.id, scope=x.limit.scope, per=x.limit.per, current=x.current,
                adding=x.adding, max=x.limit.max, exceeded=x.exceeded,
                status="unchecked" if x.current is None else "exceeded" if x.exceeded else "ok",
                action_class=x.limit.action_class, reason=x.limit.display_reason(),
                decisive=x.limit.id in self.decisive,
            )
            for x in self.limits
        ]
        return Decision(
            action=self.request.action.name, action_class=self.action_class,
            default_class=self.default_class, rules=hits, limits=checks,
            policy_version=policy_version, explanation=self.explanation,
        )


GateStep = Callable[[GateState], GateState]


class BindVariables:
    """Convert the request to a CEL activation once, for every expression to share."""

    def __call__(self, state: GateState) -> GateState:
        request = state.request
        action = request.action
        info = {"name": action.name, "category": action.category, "target": action.target}
        state.values = variables_of(request.params, request.context, info, request.requester)
        try:
            state.variables = cel.Context(state.values)
        except Exception as exc:  # a value CEL cannot hold must not skip the rules
            raise PolicyEvaluationError(f"cannot read the request for policy: {exc}") from exc
        return state


class StartFromDefault:
    """The action's catalog class is the starting point."""

    def __call__(self, state: GateState) -> GateState:
        state.default_class = state.baseline = state.request.action.action_class
        return state


class MatchRules:
    """Collect every rule whose selector and condition match, evaluating each in policy order.

    The straightforward reference: ``MatchIndexed`` must give the same answer.
    """

    def __init__(self, rules_for: Callable[[Action], Sequence[Rule]]) -> None:
        self.rules_for = rules_for

    def __call__(self, state: GateState) -> GateState:
        state.matches.extend(evaluate_in_order(self.rules_for(state.request.action), state.activation()))
        return state


class MatchIndexed:
    """The same matches as ``MatchRules``, through the policy's rule index (``policies.index``)."""

    def __init__(self, index: RuleIndex) -> None:
        self.index = index

    def __call__(self, state: GateState) -> GateState:
        state.matches.extend(self.index.match(state.request.action, state.activation(), state.values))
        return state


class CheckLimits:
    """Evaluate each applicable budget limit against the caller's usage data."""

    def __init__(self, limits_for: Callable[[str], Sequence[Limit]]) -> None:
        self.limits_for = limits_for

    def __call__(self, state: GateState) -> GateState:
        usage = state.request.usage
        for limit in self.limits_for(state.request.action.name):
            adding = limit.amount_from(state.activation())
            current: float | None = None
            if usage is not None:
                if limit.id not in usage:
                    message = f"limit {limit.id}: no usage data supplied"
                    raise PolicyEvaluationError(message, limit.id)
                current = usage[limit.id]
                if not math.isfinite(current) or current < 0:
                    message = f"limit {limit.id}: bad usage {current!r}"
                    raise PolicyEvaluationError(message, limit.id)
            state.limits.append(LimitResult(limit, adding, current))
        return state


class ApplyRelax:
    """Matching relax rules replace the default as the baseline."""

    def __call__(self, state: GateState) -> GateState:
        relaxing = [r.action_class for r in state.matches if r.relax]
        if relaxing:
            state.baseline = strictest(relaxing)
        return state


class TakeStrictest:
    """The strictest of the baseline, the non-relax matches and the exceeded limits."""

    def __call__(self, state: GateState) -> GateState:
        classes = {state.baseline}
        classes.update(r.action_class for r in state.matches if not r.relax)
        classes.update(x.limit.action_class for x in state.limits if x.exceeded)
        state.action_class = strictest(classes)
        return state


class Explain:
    """Name what produced the class, in one sentence for people."""

    def __call__(self, state: GateState) -> GateState:
        final = state.action_class
        parts = [f"{r.id}: {r.display_reason()}" for r in state.matches
                 if not r.relax and r.action_class is final]
        state.decisive = {r.id for r in state.matches if not r.relax and r.action_class is final}
        for x in state.limits:
            if x.exceeded and x.limit.action_class is final:
                assert x.current is not None
                sums = f"{number(x.current)} + {number(x.adding)} > {number(x.limit.max)}"
                parts.append(f"limit {x.limit.id}: {x.limit.display_reason()} "
                             f"({sums} per {x.limit.per})")
                state.decisive.add(x.limit.id)
        relaxed = [r for r in state.matches if r.relax and r.action_class is final]
        if not parts and relaxed:
            parts = [f"{r.id}: {r.display_reason()}" for r in relaxed]
            state.decisive = {r.id for r in relaxed}
            if final.rank < state.default_class.rank:
                parts[-1] += f" (relaxed from the default {state.default_class.value})"
        if parts:
            state.explanation = f"{final.value} by " + "; ".join(parts)
        else:
            state.explanation = f"{final.value}: the default class of {state.request.action.name}"
        return state


def default_pipeline(
    rules_for: Callable[[Action], Sequence[Rule]],
    limits_for: Callable[[str], Sequence[Limit]],
    index: RuleIndex | None = None,
) -> list[GateStep]:
    """The gate's steps in order; matching goes through ``index`` when given, else rule by rule."""
    return [
        BindVariables(),
        StartFromDefault(),
        MatchIndexed(index) if index is not None else MatchRules(rules_for),
        CheckLimits(limits_for),
        ApplyRelax(),
        TakeStrictest(),
        Explain(),
    ]

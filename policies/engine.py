"""A loaded policy: its rules and limits, its version, and ``decide``."""

from __future__ import annotations

from collections.abc import Sequence

from action_classes import Action
from policies.decision import Decision, PolicyInput
from policies.errors import PolicyLoadError, PolicyProblem
from policies.gate import GateState, GateStep, default_pipeline
from policies.index import RuleIndex
from policies.models import Limit, Rule

__all__ = ["Policy"]


class Policy:
    """Rules and budget limits, compiled; ``decide`` maps a request to a Decision.

    Build one with ``load_policy``. A Policy is immutable after construction
    and safe to share between threads and workers of one process. Everything a
    decision needs is prepared here, at load: compiled conditions, the rules
    grouped by selector and filed by key, and list programs over the rest
    (``policies.index``), so a decision binds the request once and evaluates
    only the rules that can still match.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        limits: Sequence[Limit] = (),
        version: str = "",
        files: Sequence[str] = (),
        end_marker: bool = False,
        owner: str | None = None,
        reviewers: Sequence[str] = (),
    ) -> None:
        seen: set[str] = set()
        for item in (*rules, *limits):
            if item.id in seen:
                raise PolicyLoadError([PolicyProblem("<policy>", 0, f"duplicate id {item.id!r}")])
            seen.add(item.id)
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.limits: tuple[Limit, ...] = tuple(limits)
        self.version = version
        self.files: tuple[str, ...] = tuple(files)
        self.end_marker = end_marker  # every file finished with `end: true`
        self.owner = owner  # who answers for the policy (the files' `owner`)
        self.reviewers: tuple[str, ...] = tuple(reviewers)
        self._rules_by_action: dict[tuple[str, str], tuple[Rule, ...]] = {}
        self._limits_by_action: dict[str, tuple[Limit, ...]] = {}
        self.index = RuleIndex(self.rules)
        steps = default_pipeline(self.rules_for, self.limits_for, self.index)
        self.pipeline: tuple[GateStep, ...] = tuple(steps)
        self.reference_pipeline: tuple[GateStep, ...] = tuple(default_pipeline(self.rules_for, self.limits_for))

    def rules_for(self, action: Action) -> tuple[Rule, ...]:
        """The rules whose action and category select ``action`` (conditions not evaluated)."""
        key = (action.name, action.category)
        found = self._rules_by_action.get(key)
        if found is None:
            found = tuple(r for r in self.rules if r.applies_to(action))
            self._rules_by_action[key] = found
        return found

    def limits_for(self, action_name: str) -> tuple[Limit, ...]:
        """The budget limits that apply to requests for ``action_name``.

        The executor reads each one's ``window_seconds``, ``bucket(request)``
        and ``amount(request)`` to look up and record consumption, and passes
        the sums it found as ``PolicyInput.usage``.
        """
        found = self._limits_by_action.get(action_name)
        if found is None:
            found = tuple(x for x in self.limits if x.names_action(action_name))
            self._limits_by_action[action_name] = found
        return found

    def decide(self, request: PolicyInput) -> Decision:
        """The class for ``request`` and everything that produced it.

        Raises PolicyEvaluationError when any applicable condition or sum
        cannot be evaluated, or when ``request.usage`` is a dict without an
        applicable limit's id: reject the request, execute nothing.
        """
        return self._run(self.pipeline, request)

    def decide_reference(self, request: PolicyInput) -> Decision:
        """``decide`` the straightforward way: every applicable rule evaluated, in policy order.

        Slower, and the same Decision or the same error by construction of the
        index; kept as the oracle that tests and ``steward bench policy`` hold
        ``decide`` to.
        """
        return self._run(self.reference_pipeline, request)

    def _run(self, steps: Sequence[GateStep], request: PolicyInput) -> Decision:
        state = GateState(request)
        for step in steps:
            state = step(state)
        return state.to_decision(self.version)

    def __repr__(self) -> str:
        counts = f"rules={len(self.rules)}, limits={len(self.limits)}"
        return f"Policy({counts}, version={self.version[:12]})"

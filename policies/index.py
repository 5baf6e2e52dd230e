"""The rule index: a request's matching rules without evaluating rules that cannot match.

``RuleIndex.match`` answers exactly what evaluating every applicable rule in
policy order answers (``evaluate_in_order``: the same matching rules in the
same order, or the same PolicyEvaluationError), in less time:

- rules are grouped by selector (action names and category) once, at load;
- a rule with a key test among its conjuncts (``policies.conjuncts``) is filed
  under that key; a request whose value there rules it out skips the rule,
  which is false whatever its other conjuncts give, and cannot raise either;
- the other conditions of a group are compiled together into CEL list
  programs, each evaluated in one call on the activation bound once per request.

If anything is off on the fast path (a list program raises, a condition is not
a boolean), the candidates are evaluated one by one in policy order, as the
reference does. The first failing candidate is then the first failing rule of
the whole policy, because every skipped rule is false without error.
docs/policy-performance.md gives the argument in full.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cel

from action_classes import Action
from policies.conjuncts import Key, find_key, probe_activation
from policies.errors import PolicyEvaluationError
from policies.models import Rule

__all__ = ["RuleIndex", "check_key", "evaluate_in_order"]

# Conditions per list program: one call each, and far below any parser limit.
_CHUNK = 512
# Up to this many applicable rules, evaluating them in order is cheaper than the index's bookkeeping.
FEW_RULES = 8
_PROBE = "\x00steward-index-probe"
_ABSENT, _UNKNOWN = object(), object()


def evaluate_in_order(rules: Iterable[Rule], variables: cel.Context) -> list[Rule]:
    """The reference: each rule's condition in turn; the first failure raises (fail closed)."""
    matched: list[Rule] = []
    for rule in rules:
        if rule.condition is None:
            matched.append(rule)
            continue
        value = rule.condition.evaluate(variables, f"rule {rule.id}", rule.id)
        if not isinstance(value, bool):
            raise PolicyEvaluationError(f"rule {rule.id}: condition gave {value!r}, not true or false", rule.id)
        if value:
            matched.append(rule)
    return matched


def check_key(rule: Rule, key: Key) -> bool:
    """True when CEL agrees with the analysis on synthetic requests; otherwise the rule is not indexed.

    With another string at the key the whole condition must be false; each
    listed value must pass the key test alone; with the key absent a guarded
    condition must be false.
    """
    if rule.condition is None:
        return False
    try:
        if key.values is not None:
            if rule.condition.run(probe_activation(key.path, _PROBE)) is not False:
                return False
            test = cel.compile(key.test)
            if test.execute(probe_activation(key.path, _PROBE)) is not False:
                return False
            if any(test.execute(probe_activation(key.path, v)) is not True for v in key.values):
                return False
        if key.guarded and rule.condition.run(probe_activation(key.path, present=False)) is not False:
            return False
    except Exception:  # a probe CEL cannot evaluate proves nothing: evaluate the rule every time
        return False
    return True


@dataclass
class _Keyed:
    """The rules of one group filed under one path (positions in the policy)."""

    path: tuple[str, ...]
    by_value: dict[str, list[int]] = field(default_factory=dict)
    tested: list[int] = field(default_factory=list)  # every rule with a value test on the path
    unguarded: list[int] = field(default_factory=list)  # value tests without has(path): run when absent
    has_only: list[int] = field(default_factory=list)  # rules whose only finding is has(path)

    def candidates(self, value: Any) -> Iterable[int]:
        """The rules this value at the path does not rule out."""
        if value is _ABSENT:
            return self.unguarded
        if type(value) is not str:  # another type, or a path that does not resolve: no shortcut
            return (*self.tested, *self.has_only)
        return (*self.by_value.get(value, ()), *self.has_only)


def _lookup(values: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The request's value at ``path``; _ABSENT when only the last key is missing; else _UNKNOWN."""
    node: Any = values.get(path[0], _UNKNOWN)
    for name in path[1:-1]:
        if type(node) is not dict or name not in node:
            return _UNKNOWN
        node = node[name]
    if type(node) is not dict:
        return _UNKNOWN
    return node.get(path[-1], _ABSENT)


class _Group:
    """The rules sharing one selector, prepared for matching."""

    def __init__(self, members: Sequence[tuple[int, Rule]]) -> None:
        self.selector = members[0][1]
        self.always = [pos for pos, r in members if r.condition is None]
        self.scan: list[tuple[int, Rule]] = []
        keyed: dict[tuple[str, ...], _Keyed] = {}
        for pos, rule in members:
            if rule.condition is None:
                continue
            key = find_key(rule.condition.source)
            if key is None or not check_key(rule, key):
                self.scan.append((pos, rule))
                continue
            entry = keyed.setdefault(key.path, _Keyed(key.path))
            if key.values is None:
                entry.has_only.append(pos)
                continue
            entry.tested.append(pos)
            if not key.guarded:
                entry.unguarded.append(pos)
            for value in key.values:
                entry.by_value.setdefault(value, []).append(pos)
        self.keyed = list(keyed.values())
        self.programs = self._compile(self.scan)

    @staticmethod
    def _compile(scan: list[tuple[int, Rule]]) -> list[tuple[list[int], cel.Program]] | None:
        """List programs over the always-evaluated conditions; None to evaluate them one by one."""
        if len(scan) < 2:
            return None
        programs: list[tuple[list[int], cel.Program]] = []
        for start in range(0, len(scan), _CHUNK):
            chunk = scan[start : start + _CHUNK]
            # Each condition on lines of its own, so a comment cannot swallow the separator.
            source = "[" + ",".join(f"(\n{r.condition.source}\n)" for _, r in chunk if r.condition) + "]"
            try:
                programs.append(([pos for pos, _ in chunk], cel.compile(source)))
            except Exception:  # the conditions compiled alone: evaluate them one by one
                return None
        return programs

    def keyed_candidates(self, values: Mapping[str, Any]) -> list[int]:
        return [pos for k in self.keyed for pos in k.candidates(_lookup(values, k.path))]

    def run(self, variables: cel.Context, keyed: list[int], rule_at: Sequence[Rule], out: list[int]) -> bool:
        """Append the matching positions to ``out``; False when the fast path cannot tell."""
        out.extend(self.always)
        try:
            if self.programs is None:
                singles = [pos for pos, _ in self.scan] + keyed
            else:
                singles = keyed
                for positions, program in self.programs:
                    results = program.execute(variables)
                    if not isinstance(results, list) or len(results) != len(positions):
                        return False
                    for pos, value in zip(positions, results, strict=True):
                        if value is True:
                            out.append(pos)
                        elif value is not False:
                            return False
            for pos in singles:
                condition = rule_at[pos].condition
                value = condition.run(variables) if condition is not None else True
                if value is True:
                    out.append(pos)
                elif value is not False:
                    return False
        except Exception:  # the reference pass names the failing rule
            return False
        return True


class RuleIndex:
    """A policy's rules, prepared at load so that ``match`` evaluates as little as it may."""

    def __init__(self, rules: Sequence[Rule], few_rules: int = FEW_RULES) -> None:
        self.rules = tuple(rules)
        self.few_rules = few_rules
        members: dict[tuple[frozenset[str] | None, str | None], list[tuple[int, Rule]]] = {}
        for pos, rule in enumerate(self.rules):
            members.setdefault((rule.action_names, rule.category), []).append((pos, rule))
        self._groups = [_Group(group) for group in members.values()]
        self._for_action: dict[tuple[str, str], tuple[list[_Group], tuple[Rule, ...] | None]] = {}

    def _plan(self, action: Action) -> tuple[list[_Group], tuple[Rule, ...] | None]:
        """The groups that select ``action``, and its rules in order when there are few enough to just run."""
        key = (action.name, action.category)
        found = self._for_action.get(key)
        if found is None:
            groups = [g for g in self._groups if g.selector.applies_to(action)]
            rules = tuple(r for r in self.rules if r.applies_to(action))
            found = (groups, rules if len(rules) <= self.few_rules else None)
            self._for_action[key] = found
        return found

    def _groups_for(self, action: Action) -> list[_Group]:
        return self._plan(action)[0]

    def match(self, action: Action, variables: cel.Context, values: Mapping[str, Any]) -> list[Rule]:
        """The rules that select ``action`` and whose condition holds, in policy order.

        ``values`` are the plain variables ``variables`` was bound from (the
        index reads keys there). Raises PolicyEvaluationError exactly when
        ``evaluate_in_order`` over the applicable rules does, with the same message.
        """
        groups, few = self._plan(action)
        if few is not None:
            return evaluate_in_order(few, variables)
        keyed = [g.keyed_candidates(values) for g in groups]
        matched: list[int] = []
        if all(g.run(variables, k, self.rules, matched) for g, k in zip(groups, keyed, strict=True)):
            return [self.rules[pos] for pos in sorted(matched)]
        candidates = sorted(
            pos
            for g, k in zip(groups, keyed, strict=True)
            for pos in (*g.always, *(p for p, _ in g.scan), *k)
        )
        return evaluate_in_order((self.rules[pos] for pos in candidates), variables)

    def stats(self, action: Action) -> dict[str, int]:
        """How the rules that select ``action`` are evaluated (for benchmarks and docs)."""
        groups = self._groups_for(action)
        return {
            "rules": sum(len(g.always) + len(g.scan) + sum(len(k.tested) + len(k.has_only) for k in g.keyed)
                         for g in groups),
            "without_condition": sum(len(g.always) for g in groups),
            "always_evaluated": sum(len(g.scan) for g in groups),
            "indexed": sum(len(k.tested) + len(k.has_only) for g in groups for k in g.keyed),
        }

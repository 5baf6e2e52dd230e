"""Checks of a policy against a catalog, run at load time.

Besides name checks (every action a rule names exists, every ``params.x`` an
expression reads is a parameter of some action it applies to), each expression
is evaluated on synthetic parameters built from the action's schema: the low
and the high end of every range, an integer and a double for ``number``. A
type mistake such as ``params.amount_cents > "500"`` raises there, so it fails
loading instead of rejecting live requests. The context is left empty in the
trial: it is free-form, so a missing key is expected there and is not an error
(at request time it is, so guard optional keys with ``has(context.x)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from action_classes import Action, Catalog, ParamSpec
from policies.expressions import Expression, bind, first_sentence
from policies.models import Limit, Rule

__all__ = ["Finding", "check_against_catalog", "sample_params", "unknown_actions"]

# (message, location inside the rule or limit, e.g. ("when",) or ("action", 1))
Finding = tuple[str, tuple[Any, ...]]

_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")
_FIELD = re.compile(r"(?<![\w.])(params|context|action|request)\s*\.\s*([A-Za-z_]\w*)")
_FIXED_FIELDS = {"action": {"name", "category", "target"}, "request": {"requester"}}


def _samples(spec: ParamSpec) -> tuple[Any, Any]:
    """A low and a high value of the parameter's type."""
    if spec.enum:
        return spec.enum[0], spec.enum[-1]
    if spec.type == "boolean":
        return False, True
    if spec.type == "string":
        return "a" * (spec.minLength or 0), "sample"
    low = spec.minimum if spec.minimum is not None else 0
    high = spec.maximum if spec.maximum is not None else max(low, 0) + 1_000_000
    if spec.type == "integer":
        return int(low), int(high)
    return int(low), float(high)  # a number arrives as an int or a double: try both


def sample_params(action: Action) -> list[dict[str, Any]]:
    """Synthetic parameter sets: every low end, every high end, then without optional ones."""
    pairs = {name: _samples(spec) for name, spec in action.params.items()}
    out = [{n: p[0] for n, p in pairs.items()}, {n: p[1] for n, p in pairs.items()}]
    if any(not spec.required for spec in action.params.values()):
        out.append({n: p[0] for n, p in pairs.items() if action.params[n].required})
    return out


def _fields(source: str) -> Iterator[tuple[str, str]]:
    for match in _FIELD.finditer(_STRING.sub('""', source)):
        yield match.group(1), match.group(2)


def _name_findings(expr: Expression, actions: list[Action]) -> list[Finding]:
    out: list[Finding] = []
    known = {n for a in actions for n in a.params}
    for var, field in _fields(expr.source):
        if var == "params" and field not in known:
            names = ", ".join(a.name for a in actions)
            out.append((f"params.{field} is not a parameter of {names}", ()))
        elif var in _FIXED_FIELDS and field not in _FIXED_FIELDS[var]:
            allowed = ", ".join(sorted(_FIXED_FIELDS[var]))
            out.append((f"{var}.{field} does not exist ({var} has {allowed})", ()))
    return out


def _trial(expr: Expression, action: Action, want: str) -> Finding | None:
    """Evaluate on each sample; a type error or a result of the wrong type is a finding."""
    info = {"name": action.name, "category": action.category, "target": action.target}
    fields = set(_fields(expr.source))
    for params in sample_params(action):
        try:
            value = expr.run(bind(params, {}, info, "policy-trial"))
        except KeyError as exc:
            key = exc.args[0] if exc.args else None
            if ("params", key) in fields and ("context", key) not in fields and key not in params:
                return (f"reads params.{key}, which {action.name} may lack: "
                        f"guard it with has(params.{key})", ())
            continue  # a context key: free-form, checked at request time
        except TypeError as exc:
            first = first_sentence(exc)
            return (f"type error on {action.name} with params {params}: {first}", ())
        except RuntimeError as exc:
            if "Undefined" in str(exc):
                return (first_sentence(exc), ())
            continue  # value-dependent failures (a parse of a sample string) prove nothing
        except Exception:
            continue
        if want == "bool" and not isinstance(value, bool):
            return (f"gives {type(value).__name__} {value!r}, not true or false", ())
        if want == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            return (f"gives {type(value).__name__} {value!r}, not a number", ())
    return None


def unknown_actions(item: Rule | Limit, catalog: Catalog) -> list[tuple[str, tuple[Any, ...]]]:
    """The action names ``item`` lists that ``catalog`` lacks, with where each is written."""
    if item.action_names is None:
        return []
    listed = [item.action] if isinstance(item.action, str) else item.action
    return [
        (name, ("action",) if isinstance(item.action, str) else ("action", i))
        for i, name in enumerate(listed)
        if name not in catalog.actions
    ]


def _selected(item: Rule | Limit, catalog: Catalog) -> tuple[list[Action], list[Finding]]:
    """The catalog actions ``item`` selects; unknown names are reported by ``unknown_actions``."""
    findings: list[Finding] = []
    actions = [a for n, a in sorted(catalog.actions.items()) if item.names_action(n)]
    if isinstance(item, Rule) and item.category is not None:
        categories = {a.category for a in catalog.actions.values()}
        if item.category not in categories:
            known = ", ".join(sorted(categories))
            message = f"unknown category {item.category!r} (catalog has {known})"
            findings.append((message, ("category",)))
        actions = [a for a in actions if a.category == item.category]
    if not actions and not findings and not unknown_actions(item, catalog):
        findings.append(("selects no action of the catalog", ()))
    return actions, findings


def check_against_catalog(item: Rule | Limit, catalog: Catalog) -> list[Finding]:
    """Every problem of one rule or limit against ``catalog``."""
    actions, findings = _selected(item, catalog)
    if not actions:
        return findings
    if isinstance(item, Rule):
        expr, field, want = item.condition, "when", "bool"
    else:
        expr, field, want = item.expression, "sum", "number"
    if expr is None:
        return findings
    found = _name_findings(expr, actions)
    if not found:
        for action in actions:
            trial = _trial(expr, action, want)
            if trial is not None:
                found.append(trial)
                break
    return findings + [(msg, (field,)) for msg, _ in found]

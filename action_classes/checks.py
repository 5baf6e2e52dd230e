"""Cross-reference checks that need the whole catalog: targets exist, every
placeholder resolves (also inside comparison expressions), selectors stay
static, URLs stay inside allowed origins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from action_classes.errors import TemplateError
from action_classes.models import Action, Target
from action_classes.numbers import COMPARISON_KEYS, expression_refs
from action_classes.origins import origin_of
from action_classes.rendering import TEMPLATED_KEYS as _TEMPLATED
from action_classes.steps import Step
from action_classes.templates import REQUEST_FIELDS, placeholders

__all__ = ["Problem", "check_action", "check_target"]

_PLACEHOLDER_HINT = re.compile(r"\{\s*(params|credentials|extracted|request)\.")
_NOUNS = {
    "params": "parameter",
    "credentials": "credential",
    "extracted": "extracted value",
    "request": "request field",
}

Problem = tuple[str, tuple[Any, ...]]


def _strings(obj: Any, path: tuple[Any, ...] = (), key: str = "") -> Iterator[tuple[tuple[Any, ...], str, str]]:
    """(path, key, value) for every string inside a dumped step; list items report their list's key."""
    if isinstance(obj, dict):
        for sub, value in obj.items():
            if isinstance(value, str):
                yield (*path, sub), sub, value
            else:
                yield from _strings(value, (*path, sub), sub)
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            if isinstance(value, str):
                yield (*path, i), key, value
            else:
                yield from _strings(value, (*path, i), key)


def _check_step(
    step: Step,
    where: tuple[Any, ...],
    scopes: dict[str, set[str]],
    origins: list[str],
    base_url: str,
) -> list[Problem]:
    problems: list[Problem] = []
    dumped = step.model_dump(exclude_none=True, exclude_defaults=True)
    for path, key, value in _strings(dumped):
        sub = tuple(p for p in path if p != "locator")
        if key not in _TEMPLATED and key not in COMPARISON_KEYS:
            if _PLACEHOLDER_HINT.search(value):
                problems.append(
                    (f"placeholders are not allowed in '{key}' (values are data, never selectors)", (*where, *sub))
                )
            continue
        try:
            refs = list(expression_refs(value) if key in COMPARISON_KEYS else placeholders(value))
        except TemplateError as exc:
            problems.append((str(exc), (*where, *sub)))
            continue
        for ref in refs:
            if ref.scope not in scopes:
                problems.append((f"{ref!r}: {ref.scope} values are not available here", (*where, *sub)))
            elif ref.name not in scopes[ref.scope]:
                problems.append((f"{ref!r}: no {_NOUNS[ref.scope]} named {ref.name!r}", (*where, *sub)))
    if step.goto is not None and "://" in step.goto:
        origin = origin_of(urljoin(base_url, step.goto.split("{", 1)[0]))
        if origin not in origins:
            problems.append((f"goto leaves the target's allowed origins ({origin})", (*where, "goto")))
    return problems


def check_target(target: Target) -> list[Problem]:
    """Problems in a target's login steps and session check."""
    scopes = {"credentials": set(target.credentials)}
    problems: list[Problem] = []
    for i, step in enumerate(target.login):
        problems += _check_step(step, ("login", i), scopes, target.allowed_origins, target.base_url)
        if (
            step.fill is not None
            and "{credentials." in step.fill.value
            and "password" in step.fill.value
            and not step.fill.secret
        ):
            problems.append(("a fill that types a password must say secret: true", ("login", i)))
    for i, step in enumerate(target.session_check or []):
        problems += _check_step(step, ("session_check", i), scopes, target.allowed_origins, target.base_url)
    for i, step in enumerate(target.logout):  # no values at all: logout runs long after any request
        problems += _check_step(step, ("logout", i), {}, target.allowed_origins, target.base_url)
    return problems


def check_action(action: Action, targets: dict[str, Target]) -> list[Problem]:
    """Problems in an action's references; ``targets`` are all loaded targets."""
    target = targets.get(action.target)
    if target is None:
        return [(f"action {action.name!r} names unknown target {action.target!r}", ("target",))]
    secret_params, _ = action.sensitive_params()
    extracted: set[str] = set()
    scopes: dict[str, set[str]] = {
        "params": set(action.params),
        "extracted": extracted,
        "request": set(REQUEST_FIELDS),
    }
    problems: list[Problem] = []
    phases: list[tuple[str, list[Step]]] = [
        ("preconditions", action.preconditions),
        ("steps", action.steps),
        ("commit", [action.commit] if action.commit else []),
        ("after_commit", action.after_commit),
    ]
    for phase, steps in phases:
        for i, step in enumerate(steps):
            where: tuple[Any, ...] = (phase,) if phase == "commit" else (phase, i)
            problems += _check_step(step, where, scopes, target.allowed_origins, target.base_url)
            if (
                step.fill is not None
                and not step.fill.secret
                and any(f"params.{p}" in step.fill.value for p in secret_params)
            ):
                problems.append(("a fill of a secret parameter must say secret: true", where))
            if step.extract is not None and step.extract.name:
                extracted.add(step.extract.name)
    for i, step in enumerate(action.verify):
        problems += _check_step(step, ("verify", i), scopes, target.allowed_origins, target.base_url)
        if step.extract is not None and step.extract.name:
            extracted.add(step.extract.name)
    for name, spec in action.extract.items():
        problems += _check_step(
            Step(extract=spec.model_copy(update={"name": name})),
            ("extract", name),
            scopes,
            target.allowed_origins,
            target.base_url,
        )
    return problems

"""Render a catalog step with concrete values, producing a step to perform.

Only text-matching and typed fields take placeholders (``TEMPLATED_KEYS``);
selector fields are copied verbatim. In ``goto`` each value is URL-encoded as
a path segment (an extracted value as a path, segment by segment). Comparison
expressions (``eq``, ``gt``, ``gte``, ``lt``, ``lte``) are evaluated here, so
the rendered step carries plain numbers. The result is validated again as a
Step, so rendering can never produce a step the catalog could not have
contained.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from action_classes.numbers import COMPARISON_KEYS, evaluate
from action_classes.steps import Step
from action_classes.templates import render

__all__ = ["TEMPLATED_KEYS", "render_step"]

TEMPLATED_KEYS = frozenset(
    {"goto", "value", "name", "label", "text", "placeholder", "alt", "title", "has_text", "contains", "one_of"}
)


def _walk(obj: Any, values: Mapping[str, Mapping[str, Any]], key: str | None = None) -> Any:
    if isinstance(obj, dict):
        return {k: _walk(v, values, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, values, key) for v in obj]
    if isinstance(obj, str) and key in COMPARISON_KEYS:
        return str(evaluate(obj, values))
    if isinstance(obj, str) and key in TEMPLATED_KEYS:
        return render(obj, values, url_path=(key == "goto"))
    return obj


def render_step(step: Step, values: Mapping[str, Mapping[str, Any]]) -> Step:
    """A copy of ``step`` with every placeholder filled from ``values``."""
    dumped = step.model_dump(exclude_none=True)
    return Step.model_validate(_walk(dumped, values))

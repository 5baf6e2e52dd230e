"""How an action is undone: ``compensate`` in the catalog, its checks, and rendering its parameters.

Two shapes in YAML::

    compensate:                        # the inverse action and how to fill its parameters
      action: reverse_credit
      params:
        account_id: "{params.account_id}"
        credit_id: "{extracted.credit_id}"
        reason: "Reversal of {request.id}"

    compensate:                        # no inverse, and why
      none: An email was sent to the customer; it cannot be unsent.

Templates read the *original* request: ``params`` (its parameters),
``extracted`` (values it read, before or after its commit) and ``request``
(``id`` and ``ref``). A template that is exactly one placeholder keeps the
value's type (an integer stays an integer); anything else renders to text and
is converted to the inverse's parameter type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator, model_validator

from action_classes.errors import TemplateError
from action_classes.locators import StrictModel
from action_classes.params import coerce_text_params
from action_classes.steps import DRAFT_GAP
from action_classes.templates import REQUEST_FIELDS, placeholders, render

__all__ = ["Compensation", "check_compensation", "extracted_names", "render_compensation"]

_SINGLE = re.compile(r"^\{\s*(params|extracted|request)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}$")


class Compensation(StrictModel):
    """An action's inverse (``action`` and ``params``), or ``none`` with the reason there is none."""

    action: str | None = Field(None, description="The catalog action that undoes this one.")
    params: dict[str, str] = Field(
        default_factory=dict,
        description="The inverse's parameters, templates over the original's {params.*}, {extracted.*}, {request.*}.",
    )
    none: str | None = Field(None, description="Why this action cannot be undone (no inverse runs).")

    @field_validator("none")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        if value == DRAFT_GAP:
            raise ValueError("draft gap: say how this action is undone (compensate: {action, params}) or why not")
        if value is not None and not 3 <= len(value.strip()) <= 500:
            raise ValueError("compensate.none is the reason there is no inverse: 3 to 500 characters")
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _one_of(self) -> Compensation:
        if (self.action is None) == (self.none is None):
            raise ValueError("compensate names an inverse action, or says none with a reason (exactly one)")
        if self.none is not None and self.params:
            raise ValueError("compensate: none takes no params")
        return self

    @property
    def reversible(self) -> bool:
        """True when an inverse action is named."""
        return self.action is not None


def extracted_names(action: Any) -> set[str]:
    """Every value an action reads in any phase (what ``{extracted.NAME}`` may name)."""
    names: set[str] = set(action.extract)
    for step in [*action.preconditions, *action.steps, *action.after_commit, *action.verify]:
        if step.extract is not None and step.extract.name:
            names.add(step.extract.name)
    return names


def check_compensation(action: Any, actions: Mapping[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """Problems in ``action.compensate``: the inverse exists and changes state, and its parameters can be filled."""
    comp: Compensation | None = action.compensate
    if comp is None or comp.action is None:
        return []
    inverse = actions.get(comp.action)
    if inverse is None:
        return [(f"compensate names unknown action {comp.action!r}", ("compensate", "action"))]
    problems: list[tuple[str, tuple[Any, ...]]] = []
    if inverse.read_only:
        problems.append((f"compensate: {comp.action!r} is read_only and cannot undo anything",
                         ("compensate", "action")))
    if inverse.target != action.target:
        problems.append((f"compensate: {comp.action!r} runs on another target ({inverse.target})", ("compensate",)))
    scopes = {"params": set(action.params), "extracted": extracted_names(action), "request": set(REQUEST_FIELDS)}
    for name, template in comp.params.items():
        where = ("compensate", "params", name)
        if name not in inverse.params:
            problems.append((f"compensate: {comp.action!r} has no parameter {name!r}", where))
        try:
            refs = list(placeholders(template))
        except TemplateError as exc:
            problems.append((f"compensate: {exc}", where))
            continue
        for ref in refs:
            if ref.scope not in scopes:
                problems.append(
                    (f"compensate: {ref!r}: only params, extracted and request values fill an inverse", where))
            elif ref.name not in scopes[ref.scope]:
                problems.append((f"compensate: {ref!r}: {action.name!r} has no {ref.scope} value {ref.name!r}", where))
    for name, spec in inverse.params.items():
        if spec.required and name not in comp.params:
            problems.append((f"compensate: {comp.action!r} needs parameter {name!r}, and nothing fills it",
                             ("compensate", "params")))
    return problems


def render_compensation(
    comp: Compensation, inverse: Any, params: Mapping[str, Any], extracted: Mapping[str, Any], request_id: str,
    request_ref: str,
) -> dict[str, Any]:
    """The inverse's parameters for one original request; TemplateError when a value it needs is missing.

    The result still goes through the inverse's ``validate_params`` at intake, like any request.
    """
    values: dict[str, Mapping[str, Any]] = {
        "params": params, "extracted": extracted, "request": {"id": request_id, "ref": request_ref},
    }
    out: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for name, template in comp.params.items():
        single = _SINGLE.match(template)
        if single is not None:
            scope = values[single.group(1)]
            if single.group(2) not in scope or scope[single.group(2)] is None:
                raise TemplateError(f"{template} has no value")
            value = scope[single.group(2)]
            if isinstance(value, str):
                texts[name] = value
            else:
                out[name] = value
        else:
            texts[name] = render(template, values)
    out.update(coerce_text_params(inverse.params, texts))
    return out

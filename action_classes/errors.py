"""Errors of the action_classes package.

Hierarchy::

    ActionClassesError               base; never retryable (inputs do not fix themselves)
    ├── CatalogError                 a catalog failed to load; carries every CatalogProblem
    ├── UnknownActionError           an action name that the catalog does not define
    ├── ParamsInvalid                request parameters do not satisfy the action's schema
    ├── TemplateError                a template string is malformed or references a missing value
    └── DraftError                   a recording cannot be turned into a draft action

Every error has ``retryable = False``: retrying a request with the same bad
catalog, name or parameters cannot succeed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ActionClassesError",
    "CatalogError",
    "CatalogProblem",
    "DraftError",
    "ParamsInvalid",
    "TemplateError",
    "UnknownActionError",
]


class ActionClassesError(Exception):
    """Base class; ``retryable`` tells callers whether trying again can help."""

    retryable = False


@dataclass(frozen=True)
class CatalogProblem:
    """One problem found in a catalog file, with where it is.

    ``severity`` is ``error`` (the catalog does not load) or ``warning`` (a
    safe-authoring concern: it loads, and ``catalog check --strict`` fails).
    """

    file: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        level = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {level}{self.message}"


class CatalogError(ActionClassesError):
    """A catalog could not be loaded; ``problems`` lists every issue found."""

    def __init__(self, problems: list[CatalogProblem]) -> None:
        self.problems = problems
        head = str(problems[0]) if problems else "catalog is invalid"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(head + more)


class UnknownActionError(ActionClassesError):
    """The requested action has no catalog entry (deny by default)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown action {name!r}")


class ParamsInvalid(ActionClassesError):
    """Parameters failed validation; ``problems`` maps a field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
        super().__init__(f"invalid parameters: {detail}")


class TemplateError(ActionClassesError):
    """A step template is malformed or names a value that does not exist."""


class DraftError(ActionClassesError):
    """A recording is not Playwright codegen Python this translator understands; the message says where."""

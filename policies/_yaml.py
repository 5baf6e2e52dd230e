"""YAML parsing that remembers the line of every key and list item.

Policy and case files report every problem as ``file:line``; pydantic gives a
location path (``("rules", 2, "when")``), and the map built here turns that
path into the line a person should open.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from action_classes.yamllines import Lines, compose_with_lines
from action_classes.yamllines import line_of as _line_of
from policies.errors import PolicyProblem

__all__ = ["Lines", "line_of", "parse", "validation_problems"]



def parse(text: str, file: str, problems: list[PolicyProblem]) -> tuple[Any, Lines]:
    """Parse one YAML document; on a syntax error record it and return (None, {})."""
    data, lines, found = compose_with_lines(text)
    problems.extend(PolicyProblem(file, line, message) for line, message in found)
    return data, lines


def line_of(lines: Lines, path: tuple[Any, ...]) -> int:
    """Best line for a location path: the deepest prefix that exists in the file."""
    return _line_of(lines, path, skip_unknown=False)


def validation_problems(
    exc: ValidationError, data: Any, file: str, lines: Lines, prefix: tuple[Any, ...] = ()
) -> list[PolicyProblem]:
    """One problem per pydantic error, labelled with the item's id when it has one."""
    out: list[PolicyProblem] = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        out.append(PolicyProblem(file, line_of(lines, loc), f"{_label(data, loc)}: {msg}"))
    return out


def _label(data: Any, loc: tuple[Any, ...]) -> str:
    """``rule huge-credits.when`` instead of ``rules.3.when`` when the id is known."""
    kinds = {"rules": "rule", "limits": "limit", "cases": "case"}
    if len(loc) >= 2 and loc[0] in kinds and isinstance(loc[1], int) and isinstance(data, dict):
        items = data.get(loc[0])
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = item.get("id", item.get("name")) if isinstance(item, dict) else None
        if isinstance(name, str) and name:
            rest = ".".join(str(p) for p in loc[2:])
            return f"{kinds[loc[0]]} {name}" + (f".{rest}" if rest else "")
    return ".".join(str(p) for p in loc) or "file"

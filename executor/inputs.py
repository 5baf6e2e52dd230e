"""Refuse input the database or the audit log cannot hold, before anything is stored.

PostgreSQL text cannot hold a NUL character, JSON has no NaN or infinity
(``1e400`` parses as infinity), and a lone surrogate is not Unicode, so none
can be encoded for the audit log. Reaching the database, each used to end in
a 500 or a 503 after the request had half happened; refused at the edge they
are a 422 and nothing is stored.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from executor.errors import InvalidInput

__all__ = ["check_json", "check_text", "json_problem", "text_problem"]


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    if "\x00" in text:
        return "contains a NUL character"
    for char in text:
        if "\ud800" <= char <= "\udfff":
            return "contains a lone surrogate (not valid Unicode)"
    return None


def _join(where: str, key: str) -> str:
    shown = key if len(key) <= 40 and not text_problem(key) else f"{key[:40]!r}"
    return f"{where}.{shown}" if where else shown


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every key and leaf under ``value`` with its path; iterative, so deep nesting cannot overflow."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                yield _join(where, "key"), key
                stack.append((_join(where, key) if isinstance(key, str) else where, child))
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
        else:
            yield where, item


def json_problem(value: Any, path: str = "") -> str | None:
    """The first string or number under ``value`` that cannot be stored, as ``path: why``; None when all can."""
    for where, item in _walk(value, path):
        if isinstance(item, str):
            why = text_problem(item)
            if why:
                return f"{where or 'value'} {why}"
        elif isinstance(item, float) and not math.isfinite(item):
            return (f"{where or 'value'} is not a finite number ({item!r}; NaN, Infinity and overflowing "
                    "numbers such as 1e400 are refused)")
    return None


def check_text(value: str, what: str) -> str:
    """``value`` when it can be stored; InvalidInput naming ``what`` otherwise."""
    why = text_problem(value)
    if why:
        raise InvalidInput(f"{what} {why}")
    return value


def check_json(value: Any, what: str) -> Any:
    """``value`` when every string and number in it can be stored; InvalidInput otherwise."""
    why = json_problem(value, what)
    if why:
        raise InvalidInput(why)
    return value

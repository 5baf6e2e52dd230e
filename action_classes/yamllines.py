"""YAML parsing that remembers the line of every mapping key and list item.

Catalog and policy files report every problem as ``file:line``: pydantic
gives a location path (``("actions", "x", "steps", 2)``) and the map built here
turns it into the line a person should open. Shared by ``action_classes`` and
``policies`` (which may depend on this package).
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["END_KEY", "Lines", "compose_with_lines", "end_marker_problem", "line_of"]

Lines = dict[tuple[Any, ...], int]


def compose_with_lines(text: str) -> tuple[Any, Lines, list[tuple[int, str]]]:
    """(data, lines, problems) for one YAML document.

    ``problems`` holds (line, message) for syntax errors and duplicate keys;
    after a syntax error ``data`` is None. An empty document gives (None, {}, []).
    """
    problems: list[tuple[int, str]] = []
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, problems
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append((mark.line + 1 if mark is not None else 0, f"YAML: {getattr(exc, 'problem', None) or exc}"))
        return None, {}, problems
    finally:
        loader.dispose()
    lines: Lines = {(): node.start_mark.line + 1}

    def walk(n: yaml.Node, path: tuple[Any, ...]) -> None:
        if isinstance(n, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in n.value:
                key = key_node.value
                if key in seen:
                    problems.append((key_node.start_mark.line + 1, f"duplicate key {key!r}"))
                seen.add(key)
                lines[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    walk(node, ())
    return data, lines, problems


def line_of(lines: Lines, path: tuple[Any, ...], *, skip_unknown: bool = True) -> int:
    """Best line for a location path: the deepest prefix found in the file.

    With ``skip_unknown`` path parts that are not in the file (model-internal
    names such as a folded ``locator``) are skipped; without it the search
    stops at the first one.
    """
    best = lines.get((), 0)
    current: tuple[Any, ...] = ()
    for part in path:
        candidate = (*current, part)
        if candidate in lines:
            current = candidate
            best = lines[candidate]
        elif not skip_unknown:
            break
    return best


END_KEY = "end"


def end_marker_problem(data: dict[Any, Any], lines: Lines, *, required: bool) -> tuple[int, str] | None:
    """Check and remove a file's end marker: ``end: true`` as its last top-level key.

    A file cut short loses its tail, so a marker that must come last proves the
    file was read to its end. A marker anywhere else, or with another value, is
    always a problem; a missing one only when ``required``. Returns (line,
    message) or None, and pops ``end`` from ``data`` so models never see it.
    """
    if END_KEY not in data:
        if required:
            return lines.get((), 1), ("no end marker: the file must finish with `end: true` (required by "
                                      "STEWARD_REQUIRE_END_MARKER); a file without it may have been cut short")
        return None
    line = lines.get((END_KEY,), lines.get((), 1))
    value = data.pop(END_KEY)
    keys = list(data)
    if value is not True:
        return line, f"the end marker must be exactly `end: true`, not end: {value!r}"
    if keys and lines.get((keys[-1],), 0) > line:
        return line, "the end marker `end: true` must be the file's last top-level key"
    return None

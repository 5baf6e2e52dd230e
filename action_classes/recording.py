"""Read a ``playwright codegen --target python`` recording as a list of steps.

The recording is parsed with ``ast`` and never executed. Each statement that
drives the page (``page.goto``, ``page.get_by_role(...).click()``,
``expect(...).to_be_visible()`` ...) becomes one ``Recorded`` step whose
locator is already in the catalog's vocabulary; anything else codegen can
emit (hover, uploads, frames, dialogs) is skipped with a note naming its line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from action_classes.errors import DraftError

__all__ = ["Recorded", "read_recording"]

_ROLE_OPTIONS = ("checked", "pressed", "expanded", "selected", "level", "include_hidden")
_BY_TEXT = {
    "get_by_label": "label",
    "get_by_text": "text",
    "get_by_placeholder": "placeholder",
    "get_by_alt_text": "alt",
    "get_by_title": "title",
}
_EXPECTS = {
    "to_be_visible": {},
    "to_be_checked": {"state": "checked"},
    "not_to_be_checked": {"state": "unchecked"},
    "to_be_enabled": {"state": "enabled"},
    "to_be_disabled": {"state": "disabled"},
    "to_be_hidden": {"state": "hidden"},
}
_EXPECT_TEXT = {"to_have_text": "text", "to_contain_text": "contains", "to_have_value": "value"}
_NOISE = {"close", "once", "set_default_timeout", "wait_for_timeout", "pause", "bring_to_front"}


@dataclass
class Recorded:
    """One recorded step: ``kind`` is a catalog step kind; ``line`` is where it was recorded."""

    kind: str
    line: int
    locator: dict[str, Any] | None = None
    value: Any = None  # goto URL, fill text, select option value, press key, wait_for URL
    options: dict[str, Any] = field(default_factory=dict)  # expect assertions


def _const(node: ast.expr, line: int, what: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | bool):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int)
    ):
        return -node.operand.value
    raise DraftError(f"line {line}: {what} must be a literal, not {ast.unparse(node)[:60]}")


def _text_arg(node: ast.expr, line: int, notes: list[str]) -> str:
    """A string argument; a ``re.compile(r"...")`` is kept as its pattern text (with a note)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "compile"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        notes.append(f"line {line}: a regular-expression name became plain text; check it")
        return str(node.args[0].value)
    value = _const(node, line, "a locator's text")
    return str(value)


def _keywords(call: ast.Call, line: int) -> dict[str, ast.expr]:
    out: dict[str, ast.expr] = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise DraftError(f"line {line}: **keyword arguments are not codegen output")
        out[kw.arg] = kw.value
    return out


def _is_page(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id.startswith("page")


def _locator(node: ast.expr, line: int, notes: list[str]) -> dict[str, Any] | None:
    """The catalog locator for a codegen locator chain; None for the page itself."""
    if _is_page(node):
        return None
    if isinstance(node, ast.Attribute) and node.attr in ("first", "last"):
        loc = _require(_locator(node.value, line, notes), line)
        return {**loc, "nth": 0 if node.attr == "first" else -1}
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        raise DraftError(f"line {line}: not a locator: {ast.unparse(node)[:80]}")
    method, base_node = node.func.attr, node.func.value
    kws = _keywords(node, line)
    if method == "filter":
        loc = _require(_locator(base_node, line, notes), line)
        if "has_text" in kws:
            loc["has_text"] = _text_arg(kws["has_text"], line, notes)
        if "has" in kws:
            loc["has"] = _require(_locator(kws["has"], line, notes), line)
        unknown = set(kws) - {"has_text", "has"}
        if unknown:
            notes.append(f"line {line}: filter({', '.join(sorted(unknown))}=...) has no catalog form; dropped")
        return loc
    if method == "nth":
        loc = _require(_locator(base_node, line, notes), line)
        loc["nth"] = int(_const(node.args[0], line, "nth"))
        return loc
    if method in ("frame_locator", "content_frame", "and_", "or_"):
        raise DraftError(f"line {line}: {method} has no catalog form (frames and locator algebra are not supported)")
    base = _locator(base_node, line, notes)
    loc = _primary(method, node, kws, line, notes)
    if base is not None:
        loc["within"] = base
    return loc


def _primary(method: str, node: ast.Call, kws: dict[str, ast.expr], line: int, notes: list[str]) -> dict[str, Any]:
    if not node.args:
        raise DraftError(f"line {line}: {method}() without an argument")
    if method == "get_by_role":
        loc: dict[str, Any] = {"role": _const(node.args[0], line, "a role")}
        if "name" in kws:
            loc["name"] = _text_arg(kws["name"], line, notes)
        for key in _ROLE_OPTIONS:
            if key in kws:
                loc[key] = _const(kws[key], line, key)
        if "exact" in kws and _const(kws["exact"], line, "exact"):
            loc["exact"] = True
        return loc
    if method in _BY_TEXT:
        loc = {_BY_TEXT[method]: _text_arg(node.args[0], line, notes)}
        if "exact" in kws and _const(kws["exact"], line, "exact"):
            loc["exact"] = True
        return loc
    if method == "get_by_test_id":
        return {"test_id": str(_const(node.args[0], line, "a test id"))}
    if method == "locator":
        selector = str(_const(node.args[0], line, "a selector"))
        loc = _selector(selector, line)
        if "has_text" in kws:
            loc["has_text"] = _text_arg(kws["has_text"], line, notes)
        return loc
    raise DraftError(f"line {line}: {method}() is not a locator codegen writes")


def _selector(selector: str, line: int) -> dict[str, Any]:
    if selector.startswith("xpath=") or selector.startswith("//"):
        return {"xpath": selector.removeprefix("xpath=")}
    if selector.startswith("internal:") or selector.startswith("text="):
        raise DraftError(f"line {line}: selector {selector[:60]!r} has no catalog form; record it again")
    return {"css": selector.removeprefix("css=")}


def _require(loc: dict[str, Any] | None, line: int) -> dict[str, Any]:
    if loc is None:
        raise DraftError(f"line {line}: expected a locator, found the page")
    return dict(loc)


def _statement(call: ast.Call, line: int, notes: list[str]) -> Recorded | None:
    if not isinstance(call.func, ast.Attribute):
        return None
    method, subject = call.func.attr, call.func.value
    # expect(locator).to_be_visible() and friends
    if isinstance(subject, ast.Call) and isinstance(subject.func, ast.Name) and subject.func.id == "expect":
        loc = _require(_locator(subject.args[0], line, notes), line)
        if method in _EXPECTS:
            return Recorded("expect", line, loc, options=dict(_EXPECTS[method]))
        if method in _EXPECT_TEXT and call.args:
            return Recorded("expect", line, loc, options={_EXPECT_TEXT[method]: _text_arg(call.args[0], line, notes)})
        notes.append(f"line {line}: expect(...).{method} has no catalog form; skipped")
        return None
    if _is_page(subject):
        if method == "goto":
            return Recorded("goto", line, value=str(_const(call.args[0], line, "a URL")))
        if method == "wait_for_url":
            return Recorded("wait_for", line, value=str(_const(call.args[0], line, "a URL")))
        if method not in _NOISE:
            notes.append(f"line {line}: page.{method}() has no catalog form; skipped")
        return None
    if not _is_page_chain(subject):
        return None  # context.close(), browser.close(), playwright.* ...
    loc = _require(_locator(subject, line, notes), line)
    if method in ("click", "dblclick"):
        if call.keywords:
            notes.append(f"line {line}: click options ({ast.unparse(call)[-60:]}) were dropped")
        return Recorded("click", line, loc)
    if method in ("check", "uncheck"):
        return Recorded(method, line, loc)
    if method == "fill":
        return Recorded("fill", line, loc, value=str(_const(call.args[0], line, "a fill value")))
    if method == "press":
        return Recorded("press", line, loc, value=str(_const(call.args[0], line, "a key")))
    if method == "select_option":
        arg = call.args[0]
        if isinstance(arg, ast.List):
            notes.append(f"line {line}: a multiple select kept its first option only")
            arg = arg.elts[0]
        return Recorded("select", line, loc, value=str(_const(arg, line, "an option")))
    notes.append(f"line {line}: {method}() is not a catalog step; skipped")
    return None


def _is_page_chain(node: ast.expr) -> bool:
    """True when a call chain starts at a page (``page``, ``page1`` ...)."""
    while True:
        if _is_page(node):
            return True
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return False


def _calls(body: list[ast.stmt]) -> list[tuple[ast.Call, int]]:
    out: list[tuple[ast.Call, int]] = []
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.With | ast.AsyncWith):
            out += _calls(stmt.body)
        elif isinstance(stmt, ast.Expr):
            value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if isinstance(value, ast.Call):
                out.append((value, stmt.lineno))
    return out


def read_recording(source: str) -> tuple[list[Recorded], list[str]]:
    """(steps in recorded order, notes on what was skipped or simplified)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise DraftError(f"line {exc.lineno}: not Python ({exc.msg}); pass the file codegen wrote") from None
    notes: list[str] = []
    steps = [s for call, line in _calls(tree.body) if (s := _statement(call, line, notes)) is not None]
    if not any(s.kind == "goto" for s in steps):
        raise DraftError("no page.goto(...) found: is this a `playwright codegen --target python` recording?")
    return steps, notes

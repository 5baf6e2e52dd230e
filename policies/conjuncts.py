"""Which part of a rule's condition can rule the rule out without evaluating it.

A condition ``A && B && C`` is false as soon as one conjunct is false,
whatever the others give: CEL's ``&&`` is commutative over errors
(``error && false`` is ``false``). So when one conjunct is a plain key test,

- ``context.customer_id == "cus-7"`` (or the literal on the left),
- ``request.requester in ["bot-1", "bot-2"]``,
- ``has(context.account_tier)``,

and the request's value at that path makes it false (another string; the
key absent), the whole rule is false, with no error to surface. The rule
index (``policies.index``) uses this to skip such rules.

The analysis is deliberately conservative: it understands only the token
shapes above, and it gives up (the rule is then always evaluated) on anything
it does not follow: a top-level ``||`` or ``?:``, comments, raw, byte or
triple-quoted strings, back-quoted fields. Literal values are read by CEL
itself, and ``probe`` checks each finding against CEL on synthetic requests
before the index relies on it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cel

from policies.expressions import VARIABLES

__all__ = ["Key", "find_key", "probe_activation"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<num>[0-9][A-Za-z0-9_.]*)
    |(?P<op>&&|\|\||==|!=|<=|>=|[()\[\]{}.,?:!<>+\-*/%])
    """,
    re.VERBOSE,
)
_OPEN, _CLOSE = "([{", ")]}"


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


@dataclass(frozen=True)
class Key:
    """What can rule a rule out: a path and the string values that let it through.

    ``values`` is None when the only finding is ``has(path)``. ``guarded``
    is True when the condition also requires ``has(path)``, so a request
    without the key cannot match either.
    """

    path: tuple[str, ...]
    values: frozenset[str] | None
    guarded: bool
    test: str = ""  # the key test alone, rebuilt from its tokens, for checking against CEL


def _tokens(source: str) -> list[_Tok] | None:
    """The tokens without whitespace, or None for anything this module does not follow."""
    if "//" in source or '"""' in source or "'''" in source or "`" in source:
        return None
    out: list[_Tok] = []
    pos, prev_end_kind = 0, ""
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            return None
        kind = match.lastgroup or ""
        if kind == "str" and prev_end_kind == "ident":
            return None  # r"...", b"...": prefixed literals are not read here
        if kind != "ws":
            out.append(_Tok(kind, match.group()))
        prev_end_kind = kind
        pos = match.end()
    return out


def _strip_parens(toks: list[_Tok]) -> list[_Tok]:
    """Drop parentheses that wrap the whole expression."""
    while len(toks) >= 2 and toks[0].text == "(" and toks[-1].text == ")":
        depth = 0
        for i, tok in enumerate(toks):
            depth += tok.kind == "op" and tok.text in _OPEN
            depth -= tok.kind == "op" and tok.text in _CLOSE
            if depth == 0 and i < len(toks) - 1:
                return toks  # the first parenthesis closes before the end
        toks = toks[1:-1]
    return toks


def _conjuncts(toks: list[_Tok]) -> list[list[_Tok]] | None:
    """The operands of a top-level ``&&`` chain; None when the top level is not a conjunction."""
    parts: list[list[_Tok]] = [[]]
    depth = 0
    for tok in toks:
        if tok.kind == "op":
            if tok.text in _OPEN:
                depth += 1
            elif tok.text in _CLOSE:
                depth -= 1
            elif depth == 0 and tok.text in ("||", "?", ":"):
                return None  # binds looser than &&: no conjunct is necessary
            elif depth == 0 and tok.text == "&&":
                parts.append([])
                continue
        parts[-1].append(tok)
    if depth != 0 or any(not p for p in parts):
        return None
    return parts


def _path(toks: Sequence[_Tok]) -> tuple[str, ...] | None:
    """``context.customer_id`` as ("context", "customer_id"); None for anything else."""
    if len(toks) < 3 or len(toks) % 2 == 0 or toks[0].kind != "ident" or toks[0].text not in VARIABLES:
        return None
    names = [toks[0].text]
    for dot, name in zip(toks[1::2], toks[2::2], strict=True):
        if dot.text != "." or name.kind != "ident":
            return None
        names.append(name.text)
    return tuple(names)


def _string(tok: _Tok) -> str | None:
    """A string literal's value, read by CEL itself."""
    if tok.kind != "str":
        return None
    try:
        value = cel.evaluate(tok.text)
    except Exception:  # anything CEL does not read as a plain string is not a key
        return None
    return value if isinstance(value, str) else None


def _text(toks: Sequence[_Tok]) -> str:
    """Tokens back to source: CEL ignores the whitespace between tokens."""
    return " ".join(t.text for t in toks)


def _key_test(toks: list[_Tok]) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """``path == "x"``, ``"x" == path`` or ``path in ["x", "y"]``."""
    toks = _strip_parens(toks)
    texts = [t.text for t in toks]
    if "==" in texts:
        at = texts.index("==")
        left, right = toks[:at], toks[at + 1 :]
        if len(right) == 1 and (path := _path(left)) and (value := _string(right[0])) is not None:
            return path, frozenset([value])
        if len(left) == 1 and (path := _path(right)) and (value := _string(left[0])) is not None:
            return path, frozenset([value])
        return None
    if "in" in texts and toks[texts.index("in")].kind == "ident":
        at = texts.index("in")
        path, items = _path(toks[:at]), toks[at + 1 :]
        if path is None or len(items) < 3 or items[0].text != "[" or items[-1].text != "]":
            return None
        inner = items[1:-1]
        if inner and inner[-1].text == ",":
            inner = inner[:-1]
        literals, commas = inner[0::2], inner[1::2]
        if not literals or any(c.text != "," for c in commas):
            return None
        values = [_string(t) for t in literals]
        if any(v is None for v in values):
            return None
        return path, frozenset(v for v in values if v is not None)
    return None


def _has_test(toks: list[_Tok]) -> tuple[str, ...] | None:
    """``has(path)``."""
    toks = _strip_parens(toks)
    if len(toks) >= 4 and toks[0].text == "has" and toks[1].text == "(" and toks[-1].text == ")":
        return _path(toks[2:-1])
    return None


def find_key(source: str) -> Key | None:
    """The first key test among the condition's conjuncts, or None (the rule is always evaluated)."""
    toks = _tokens(source)
    if toks is None:
        return None
    parts = _conjuncts(_strip_parens(toks))
    if parts is None:
        return None
    tests = [(t, p) for t, p in ((_key_test(p), p) for p in parts) if t is not None]
    has = [h for h in (_has_test(p) for p in parts) if h is not None]
    if tests:
        (path, values), part = tests[0]
        return Key(path, values, guarded=path in has, test=_text(part))
    if has:
        return Key(has[0], None, guarded=True)
    return None


def probe_activation(path: tuple[str, ...], value: Any = None, *, present: bool = True) -> dict[str, Any]:
    """Variables that hold ``value`` at ``path`` (or lack its last key) and nothing else."""
    root: dict[str, Any] = {name: {} for name in VARIABLES}
    node = root[path[0]]
    for name in path[1:-1]:
        node = node.setdefault(name, {})
    if present:
        node[path[-1]] = value
    return root

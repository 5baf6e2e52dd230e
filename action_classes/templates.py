"""Step templates: ``{params.amount_cents|dollars}`` and friends.

Rendering is a single pass: a substituted value is never scanned again, so a
parameter that contains placeholder syntax stays literal text. In URL paths
every substituted value is percent-encoded as one path segment, except values
extracted from the page, which are paths: their slashes are kept, each segment
is encoded, and a value that could leave the target (a scheme, ``//``, a
backslash, ``..``) is refused. ``{{`` and ``}}`` stand for literal braces.

Scopes: ``params`` (the request's parameters), ``credentials`` (login only),
``extracted`` (values read earlier in the run) and ``request`` (``id`` and
``ref``, a short reference derived from the request id, see ``request_ref``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, unquote

from action_classes.errors import TemplateError

__all__ = ["FILTERS", "REQUEST_FIELDS", "SCOPES", "Placeholder", "placeholders", "render", "request_ref"]

SCOPES = ("params", "credentials", "extracted", "request")
REQUEST_FIELDS = frozenset({"id", "ref"})
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_REF = re.compile(r"^(params|credentials|extracted|request)\.([A-Za-z_][A-Za-z0-9_]*)(?:\|([a-z_]+))?$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def request_ref(request_id: str) -> str:
    """``S-`` and 10 base32 characters of sha256(request id): short, URL-safe, unique in practice.

    Deterministic, so recovery and auditors derive the same reference from the
    id; 50 bits keep collisions negligible among the records one verification
    searches (a million requests give about one chance in two thousand).
    """
    digest = hashlib.sha256(request_id.encode()).digest()
    return "S-" + base64.b32encode(digest).decode()[:10]


def _path_value(ph: Placeholder, text: str) -> str:
    """An extracted same-origin path: slashes kept, each segment encoded, anything else refused."""
    why = None
    if not text:
        why = "it is empty"
    elif "\\" in text:
        why = "it contains a backslash"
    elif _SCHEME.match(text):
        why = "it starts with a scheme (only paths on the target are followed)"
    elif "//" in text:
        why = "it contains '//' (another host, or an empty segment)"
    elif "?" in text or "#" in text:
        why = "it has a query or fragment (extract only the path, e.g. with a pattern)"
    segments = [unquote(s) for s in text.split("/")]
    if why is None and any(s in (".", "..") for s in segments):
        why = "it contains a '.' or '..' segment"
    if why is not None:
        raise TemplateError(f"{ph!r} = {text[:80]!r} cannot be used as a path: {why}")
    return "/".join(quote(s, safe="") for s in segments)


def _dollars(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TemplateError("the dollars filter takes an integer number of cents")
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


def _dollars_display(value: Any) -> str:
    whole = _dollars(value)
    sign, digits = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
    units, cents = digits.split(".")
    return f"{sign}${int(units):,}.{cents}"


FILTERS: dict[str, Callable[[Any], str]] = {
    "dollars": _dollars,
    "money": _dollars_display,
    "upper": lambda v: str(v).upper(),
    "lower": lambda v: str(v).lower(),
    "str": str,
}


class Placeholder:
    """A parsed ``{scope.name|filter}`` reference."""

    __slots__ = ("filter", "name", "scope")

    def __init__(self, scope: str, name: str, filter_: str | None) -> None:
        self.scope, self.name, self.filter = scope, name, filter_

    def __repr__(self) -> str:
        return f"{{{self.scope}.{self.name}{'|' + self.filter if self.filter else ''}}}"


def placeholders(template: str) -> Iterator[Placeholder]:
    """Every placeholder in ``template``; raises TemplateError on bad syntax."""
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise TemplateError(f"unbalanced brace in {template!r} (write {{{{ or }}}} for a literal)")
        ref = _REF.match(match.group(1).strip())
        if not ref:
            raise TemplateError(
                f"bad placeholder {token!r}: expected {{params.NAME}}, {{credentials.NAME}}, "
                "{extracted.NAME} or {request.ref}, optionally with |filter"
            )
        if ref.group(3) and ref.group(3) not in FILTERS:
            raise TemplateError(f"unknown filter {ref.group(3)!r} (known: {', '.join(FILTERS)})")
        yield Placeholder(ref.group(1), ref.group(2), ref.group(3))


def render(template: str, values: Mapping[str, Mapping[str, Any]], *, url_path: bool = False) -> str:
    """Substitute placeholders from ``values[scope][name]`` in one pass.

    With ``url_path`` each substituted value is percent-encoded with no safe
    characters, so ``../`` or ``?`` in a value cannot change the path; an
    ``extracted`` value is encoded segment by segment (see ``_path_value``).
    """
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(template):
        out.append(template[pos : match.start()])
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            out.append(token[0])
            continue
        ph = next(placeholders(token))
        scope = values.get(ph.scope, {})
        if ph.name not in scope:
            raise TemplateError(f"{ph!r} has no value")
        raw = scope[ph.name]
        text = FILTERS[ph.filter](raw) if ph.filter else ("" if raw is None else str(raw))
        if url_path:
            text = _path_value(ph, text) if ph.scope == "extracted" else quote(text, safe="")
        out.append(text)
    out.append(template[pos:])
    return "".join(out)

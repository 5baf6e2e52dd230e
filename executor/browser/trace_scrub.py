"""Scrub a Playwright trace zip before it is hashed and stored as evidence.

A trace records every request and response with its headers, form bodies,
DOM snapshots and response bodies. Left alone it would hold the back-office
session cookie (enough to act as Steward until the session ends), PII and
secret parameter values in clear, and the full URLs of blocked requests. The
scrubber rewrites every member of the zip:

- JSON-lines members (``*.trace``, ``*.network``) are parsed, cleaned value by
  value and written back as JSON, so the trace still opens in ``playwright
  show-trace``: values of ``Cookie``, ``Set-Cookie``, ``Authorization`` and
  ``Proxy-Authorization`` headers and of recorded cookies are replaced; every
  string has the secret and PII values replaced; a URL on an origin outside
  the allowed ones loses its query string and fragment;
- every other member (response bodies, snapshots' resources) has the same
  values replaced in the forms a page or a form post would carry them in:
  as typed, URL-encoded, HTML-escaped and JSON-escaped.

Images (screencast frames) cannot be searched for text: the runner turns
trace screenshots off when an action has PII parameters.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from action_classes import origin_of

__all__ = ["HEADER_MARK", "PII_MARK", "SECRET_MARK", "Sensitive", "scrub_trace"]

SECRET_MARK = "[secret]"
PII_MARK = "[pii]"
HEADER_MARK = "[redacted]"
SENSITIVE_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})
_IMAGES = (".jpeg", ".jpg", ".png", ".gif", ".webp", ".avif", ".ico")
_MIN_LEN = 3  # shorter values would shred the trace and reveal little
_URL = re.compile(r"(?:https?|wss?)://[^\s\"'<>()\\]+", re.IGNORECASE)
_URL_BYTES = re.compile(rb"(?:https?|wss?)://[^\s\"'<>()\\]+", re.IGNORECASE)


@dataclass(frozen=True)
class Sensitive:
    """Values that must never reach evidence: secrets (and session cookies) and PII."""

    secrets: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()
    allowed_origins: frozenset[str] = field(default_factory=frozenset)

    def with_secrets(self, more: Iterable[str]) -> Sensitive:
        return Sensitive(self.secrets + tuple(more), self.pii, self.allowed_origins)

    def with_origins(self, origins: Iterable[str]) -> Sensitive:
        return Sensitive(self.secrets, self.pii, self.allowed_origins | frozenset(origins))

    @property
    def empty(self) -> bool:
        return not self.secrets and not self.pii


def _forms(value: str) -> set[str]:
    """How a value can appear in a page, a form body or a JSON payload."""
    return {
        value,
        quote(value, safe=""),
        quote(value, safe="/"),
        quote_plus(value),
        html.escape(value, quote=True),
        html.escape(value, quote=False),
        json.dumps(value)[1:-1],
    }


class _Replacer:
    def __init__(self, sensitive: Sensitive) -> None:
        pairs: dict[str, str] = {}
        for values, mark in ((sensitive.pii, PII_MARK), (sensitive.secrets, SECRET_MARK)):
            for value in values:
                if len(value) >= _MIN_LEN:
                    for form in _forms(value):
                        pairs[form] = mark
        # Longest first, so a value inside another is not replaced half-way.
        self.pairs = sorted(pairs.items(), key=lambda kv: len(kv[0]), reverse=True)
        self.bytes_pairs = [(k.encode(), v.encode()) for k, v in self.pairs]
        self.allowed = sensitive.allowed_origins

    def text(self, text: str) -> str:
        for needle, mark in self.pairs:
            if needle in text:
                text = text.replace(needle, mark)
        if "://" in text:
            text = _URL.sub(lambda m: self.url(m.group(0)), text)
        return text

    def url(self, url: str) -> str:
        origin = origin_of(url)
        if origin is None or origin in self.allowed:
            return url
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    def data(self, data: bytes) -> bytes:
        for needle, mark in self.bytes_pairs:
            if needle in data:
                data = data.replace(needle, mark)
        if b"://" in data:
            data = _URL_BYTES.sub(lambda m: self.url(m.group(0).decode("latin-1")).encode("latin-1"), data)
        return data

    def value(self, value: Any, key: str = "") -> Any:
        if isinstance(value, str):
            return HEADER_MARK if key.lower() in SENSITIVE_HEADERS else self.text(value)
        if isinstance(value, list):
            if key == "cookies":
                return [self._cookie(c) for c in value]
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            name = value.get("name")
            if isinstance(name, str) and name.lower() in SENSITIVE_HEADERS and isinstance(value.get("value"), str):
                return {**{k: self.value(v, k) for k, v in value.items() if k != "value"}, "value": HEADER_MARK}
            return {k: self.value(v, k) for k, v in value.items()}
        return value

    def _cookie(self, cookie: Any) -> Any:
        if isinstance(cookie, dict) and "value" in cookie:
            return {**{k: self.value(v, k) for k, v in cookie.items() if k != "value"}, "value": HEADER_MARK}
        return self.value(cookie)

    def json_lines(self, data: bytes) -> bytes:
        out: list[str] = []
        for line in data.decode("utf-8").splitlines():
            if not line.strip():
                out.append(line)
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:  # not JSON after all: scrub it as text
                out.append(self.data(line.encode()).decode("utf-8", "replace"))
                continue
            out.append(json.dumps(self.value(event), ensure_ascii=False, separators=(",", ":")))
        # Page text may hold lone surrogates: they become '?' rather than losing the trace.
        return ("\n".join(out) + ("\n" if data.endswith(b"\n") else "")).encode("utf-8", "replace")


def scrub_trace(data: bytes, sensitive: Sensitive) -> bytes:
    """A copy of the trace zip ``data`` with sensitive headers, values and blocked queries removed."""
    replacer = _Replacer(sensitive)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = src.read(info)
            if info.filename.endswith((".trace", ".network")):
                member = replacer.json_lines(member)
            elif not info.filename.lower().endswith(_IMAGES):
                member = replacer.data(member)
            dst.writestr(info.filename, member)
    return out.getvalue()

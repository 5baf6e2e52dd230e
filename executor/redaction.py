"""What of a request may be written down: secrets never, PII only as an HMAC.

Applied to every payload the executor sends to the audit log and to logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from audit import hash_value

__all__ = ["REDACTED", "Redaction", "page_text", "recordable", "scrub_text"]

REDACTED = "[secret]"
_SURROGATE = re.compile("[\ud800-\udfff]")


class Redaction:
    """Redacts parameter values by name: secret ones dropped, PII ones HMAC'd."""

    def __init__(self, secret: Iterable[str], pii: Iterable[str], key: bytes) -> None:
        self.secret = frozenset(secret)
        self.pii = frozenset(pii)
        self.key = key

    def hmac(self, field: str, value: Any) -> str:
        """HMAC-SHA256 of one value bound to its field name (what ``steward audit hash`` computes)."""
        return hash_value(field, value, self.key)

    def params(self, params: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A copy of ``params`` that is safe to record."""
        if params is None:
            return None
        out: dict[str, Any] = {}
        for name, value in params.items():
            if name in self.secret:
                out[name] = REDACTED
            elif name in self.pii:
                out[name] = self.hmac(name, value)
            else:
                out[name] = value
        return out


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value that appears in ``text`` (error messages)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def page_text(value: str | None) -> str | None:
    """Text read from a page, made safe to record: lone UTF-16 surrogates become U+FFFD.

    Page content is data an attacker may shape; a value that cannot be encoded
    must not be able to make an audit write fail.
    """
    return _SURROGATE.sub("\ufffd", value) if value else value


def recordable(value: Any) -> Any:
    """``value`` with every string (keys included, at any depth) safe to encode as UTF-8."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {recordable(k): recordable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [recordable(v) for v in value]
    return value

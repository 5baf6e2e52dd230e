"""What of a request may be written down: secrets never, PII only as an HMAC.

Applied to every payload the executor sends to the audit log and to logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from audit import hash_value

__all__ = ["REDACTED", "Redaction", "scrub_text"]

REDACTED = "[secret]"


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

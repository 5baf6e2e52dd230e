"""Payload redaction: a pipeline of small steps applied before anything is written.

``Redactor([SecretScrub(), HmacFields(pii_fields, key)])`` is a callable that
takes a payload dict and returns a new one; each step is a class with its
settings in ``__init__`` and its work in ``__call__`` (STYLE 3). Steps never
mutate their input.

PII fields are replaced by ``hmac-sha256:<hex>`` of the field name and the
value's canonical JSON under a log key, so an auditor holding a known value
can check it against the log (``steward audit hash FIELD VALUE``) while the
plain value is never stored. Secret scrubbing drops keys such as ``password``
outright; the executor scrubs too, this is defence in depth.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from hashlib import sha256
from pathlib import Path
from typing import Any

from audit.canonical import canonical_json
from audit.errors import KeyMaterialError

__all__ = [
    "DEFAULT_SECRET_KEYS",
    "HMAC_PREFIX",
    "HmacFields",
    "RedactionStep",
    "Redactor",
    "SecretScrub",
    "create_pii_key",
    "hash_value",
    "load_or_create_pii_key",
    "load_pii_key",
]

RedactionStep = Callable[[dict[str, Any]], dict[str, Any]]
HMAC_PREFIX = "hmac-sha256:"
DEFAULT_SECRET_KEYS = frozenset(
    {
        "password", "passwd", "secret", "client_secret", "token", "access_token",
        "refresh_token", "api_key", "apikey", "authorization", "cookie",
        "credentials", "private_key",
    }
)
_MIN_KEY_BYTES = 16


def hash_value(field: str, value: Any, key: bytes) -> str:
    """``hmac-sha256:<hex>`` of ``field`` (lower-cased) and the canonical JSON of ``value``."""
    message = field.lower().encode("utf-8") + b"\x00" + canonical_json(value)
    return HMAC_PREFIX + hmac.new(key, message, sha256).hexdigest()


def _walk(value: Any, on_dict: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    if isinstance(value, dict):
        return on_dict(value)
    if isinstance(value, list | tuple):
        return [_walk(v, on_dict) for v in value]
    return value


class Redactor:
    """Apply redaction steps in order; with no steps the payload passes unchanged."""

    def __init__(self, steps: Sequence[RedactionStep] = ()) -> None:
        self.steps = tuple(steps)

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        for step in self.steps:
            payload = step(payload)
        return payload


class HmacFields:
    """Replace the value of every listed field, at any depth, by its keyed HMAC."""

    def __init__(self, fields: Iterable[str], key: bytes) -> None:
        if len(key) < _MIN_KEY_BYTES:
            raise KeyMaterialError(f"the PII key must be at least {_MIN_KEY_BYTES} bytes")
        self.fields = frozenset(f.lower() for f in fields)
        self._key = key

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not self.fields:
            return payload
        return self._dict(payload)

    def _dict(self, d: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in d.items():
            if isinstance(k, str) and k.lower() in self.fields:
                already = isinstance(v, str) and v.startswith(HMAC_PREFIX)
                out[k] = v if already or v is None else hash_value(k, v, self._key)
            else:
                out[k] = _walk(v, self._dict)
        return out


class SecretScrub:
    """Drop keys that name secrets (case-insensitive), at any depth."""

    def __init__(self, keys: Iterable[str] = DEFAULT_SECRET_KEYS) -> None:
        self.keys = frozenset(k.lower() for k in keys)

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._dict(payload)

    def _dict(self, d: dict[str, Any]) -> dict[str, Any]:
        return {
            k: _walk(v, self._dict)
            for k, v in d.items()
            if not (isinstance(k, str) and k.lower() in self.keys)
        }


def create_pii_key(path: Path) -> bytes:
    """Write a new random 32-byte PII key (hex, mode 0600); refuses to overwrite."""
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyMaterialError(f"{path} already exists; not overwriting a key") from exc
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return key


def load_pii_key(path: Path) -> bytes:
    """Read a PII key written by ``create_pii_key``."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyMaterialError(f"cannot read the PII key {path}: {exc}") from exc
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise KeyMaterialError(f"{path} is not a hex PII key") from exc
    if len(key) < _MIN_KEY_BYTES:
        raise KeyMaterialError(f"{path}: the PII key must be at least {_MIN_KEY_BYTES} bytes")
    return key


def load_or_create_pii_key(path: Path) -> bytes:
    """The PII key at ``path``, created on first use."""
    if path.exists():
        return load_pii_key(path)
    try:
        return create_pii_key(path)
    except KeyMaterialError:  # another process created it first
        return load_pii_key(path)

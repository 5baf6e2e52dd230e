"""Canonical JSON: one byte string per value, so hashes are reproducible anywhere.

The form follows RFC 8785 (JSON Canonicalization Scheme): object keys sorted
by their UTF-16 code units, no insignificant whitespace, strings as UTF-8 with
only the mandatory escapes, floats in the shortest form that round-trips
(ECMAScript ``Number.prototype.toString``). One deliberate difference:
integers are written exactly, whatever their size, instead of going through a
double. NaN and the infinities have no JSON form and are refused.

Most payloads hold no floats and only ASCII keys; for those the C encoder of
the standard library already produces the canonical bytes, so it does the work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from math import isfinite
from typing import Any

from audit.errors import CanonicalizationError

__all__ = ["canonical_json", "canonical_text", "format_number"]

_DUMPS_KW: dict[str, Any] = {
    "ensure_ascii": False,
    "separators": (",", ":"),
    "sort_keys": True,
    "allow_nan": False,
}


def _not_plain(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not plain JSON")  # _fast_path_ok lets none through


# The C encoder json.dumps builds on every call with these options, built once. No
# circular-reference markers: _fast_path_ok has already bounded the depth.
_C_ENCODER = (
    None if c_make_encoder is None
    else c_make_encoder(None, _not_plain, encode_basestring, None, ":", ",", True, False, False)
)


def _plain_dumps(value: Any) -> str:
    if _C_ENCODER is None:  # pragma: no cover - CPython always has the C accelerator
        return _plain_dumps(value)
    return "".join(_C_ENCODER(value, 0))


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value``; raises CanonicalizationError."""
    try:
        return canonical_text(value).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate has no UTF-8 form
        raise CanonicalizationError(f"string is not valid Unicode: {exc.reason}") from exc


def canonical_text(value: Any) -> str:
    """The canonical JSON of ``value`` as a ``str`` (not yet checked for lone surrogates)."""
    if _fast_path_ok(value, 0):
        return json.dumps(value, **_DUMPS_KW)
    out: list[str] = []
    _write(value, out, 0)
    return "".join(out)


_MAX_DEPTH = 100


def _fast_path_ok(value: Any, depth: int) -> bool:
    """Validate ``value``; True when the stdlib encoder gives the canonical form.

    Runs on every append, so plain dicts, lists and scalars are checked inline
    and only containers recurse.
    """
    if depth > _MAX_DEPTH:
        raise CanonicalizationError("value is nested too deeply")
    t = type(value)
    if t is dict:
        ok = True
        for key in value:
            if type(key) is not str:
                if not isinstance(key, str):
                    raise CanonicalizationError(f"object key {key!r} is not a string")
            elif not key.isascii():
                ok = False  # Python sorts by code point, RFC 8785 by UTF-16 unit
        items: Any = value.values()
    elif t is list or t is tuple:
        ok, items = True, value
    else:
        return _other_ok(value, depth)
    for item in items:
        ti = type(item)
        if ti is str or ti is int or ti is bool or item is None:
            continue
        if ti is dict or ti is list or ti is tuple:
            ok = _fast_path_ok(item, depth + 1) and ok
        else:
            ok = _other_ok(item, depth + 1) and ok
    return ok


def _other_ok(value: Any, depth: int) -> bool:
    """Scalars, floats and subclasses (StrEnum, IntEnum, Mapping types)."""
    if depth > _MAX_DEPTH:
        raise CanonicalizationError("value is nested too deeply")
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        if not isfinite(value):
            raise CanonicalizationError(f"{value!r} has no JSON form")
        # json.dumps writes repr(); most floats (0.93, 2.5) already look like ECMAScript's form:
        # a repr without an exponent or a trailing ".0" always does.
        if type(value) is not float:
            return False
        text = float.__repr__(value)
        return ("e" not in text and not text.endswith(".0")) or format_number(value) == text
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalizationError(f"object key {key!r} is not a string")
            _fast_path_ok(item, depth + 1) if isinstance(item, dict | list | tuple) else _other_ok(item, depth + 1)
        return False  # not a plain dict: the pure-Python writer handles it
    if isinstance(value, list | tuple):
        for item in value:
            _other_ok(item, depth + 1)
        return False
    raise CanonicalizationError(f"{type(value).__name__} has no canonical JSON form")


def _write(value: Any, out: list[str], depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(format_number(value))
    elif isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]).encode("utf-16-be"))
        out.append("{")
        for i, (key, item) in enumerate(items):
            if i:
                out.append(",")
            out.append(encode_basestring(key))
            out.append(":")
            _write(item, out, depth + 1)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out, depth + 1)
        out.append("]")
    else:  # pragma: no cover - _fast_path_ok has already refused it
        raise CanonicalizationError(f"{type(value).__name__} has no canonical JSON form")


def format_number(x: float) -> str:
    """ECMAScript ``Number.prototype.toString`` of a finite double (RFC 8785 3.2.2.3)."""
    if not isfinite(x):
        raise CanonicalizationError(f"{x!r} has no JSON form")
    if x == 0:
        return "0"  # also -0
    if x < 0:
        return "-" + format_number(-x)
    # repr() gives the shortest digits that round-trip; only the layout differs.
    mantissa, _, exp_text = float.__repr__(x).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    n = len(int_part) + (int(exp_text) if exp_text else 0)
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    exponent = n - 1
    sign = "+" if exponent >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(exponent)}"

"""One canonical form for people's and agents' names, used wherever identities are compared.

The approver must never be the requester, yet ``dana``, ``Dana``,
``\\uff44\\uff41\\uff4e\\uff41`` (fullwidth), ``dana\\u200b`` (a zero-width
space), ``dana.`` and ``operator:dana`` all name the same person, and
``da\\u2010na`` (a Unicode hyphen) looks like ``da-na``. ``canonical_identity``
folds all of them into one form: compatibility normalisation (NFKC), case
folding, combining marks, format and control characters dropped, every dash a
hyphen-minus, whitespace collapsed, role prefixes (``agent:``,
``operator:``, ``worker:`` ...) and trailing dots removed. It errs towards
folding too much: two names that only differ in accents count as one person,
which at worst refuses an approval.

Names are stored as given; ``check_operator`` refuses, on every path, names
that are empty once folded, carry control or format characters, or use the
prefixes Steward keeps for itself (``worker:``, ``system:``).

Local CLI identities are not authenticated: ``--operator`` is whatever was
typed. Acting through the API (``--server`` with an operator key) makes the
identity the key's name.
"""

from __future__ import annotations

import unicodedata

from executor.errors import InvalidInput
from executor.inputs import check_text

__all__ = ["RESERVED_PREFIXES", "ROLE_PREFIXES", "canonical_identity", "check_operator", "same_identity"]

RESERVED_PREFIXES = ("worker", "system")
ROLE_PREFIXES = ("agent", "operator", "auditor", "cli", *RESERVED_PREFIXES)
# Minus signs are math symbols (Sm), not dashes (Pd), but read as hyphens in a name.
_MINUS = {"\u2212", "\u207b", "\u208b", "\ufe63", "\uff0d"}
_DROP = {"Mn", "Me", "Cf", "Cc", "Co", "Cs", "Cn"}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for char in decomposed:
        category = unicodedata.category(char)
        if category in _DROP:
            continue
        kept.append("-" if category == "Pd" or char in _MINUS else char)
    return unicodedata.normalize("NFKC", "".join(kept).casefold())


def canonical_identity(name: str) -> str:
    """The form two names must share to be the same identity (for comparison, never for display)."""
    text = " ".join(_fold(name).split())
    while True:
        prefix, sep, rest = text.partition(":")
        if not sep or prefix.strip() not in ROLE_PREFIXES:
            break
        text = rest.strip()
    return text.strip().rstrip(".").strip()


def same_identity(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name the same identity."""
    return canonical_identity(a) == canonical_identity(b)


def check_operator(name: str, what: str = "operator name") -> str:
    """``name`` stripped, when it may act as an operator (or requester); InvalidInput otherwise."""
    name = check_text(name, what).strip()
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise InvalidInput(f"{what} {name!r} contains control or invisible (format) characters")
    folded = canonical_identity(name)
    if not folded:
        raise InvalidInput(f"{what} {name!r} is empty once normalised")
    text = _fold(name)
    while ":" in text:
        head, _, text = text.partition(":")
        head = head.strip()
        if head in RESERVED_PREFIXES:
            raise InvalidInput(f"{what} {name!r} uses the reserved prefix {head}: (kept for Steward's own actors)")
        if head not in ROLE_PREFIXES:
            break
    if len(name) > 200:
        raise InvalidInput(f"{what} is longer than 200 characters")
    return name

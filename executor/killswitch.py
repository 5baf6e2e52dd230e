"""Kill switch scopes and matching (SPEC section 9).

Scopes: ``global``, ``target:<name>``, ``action:<name>``, ``class:<class>``.
``class:autonomous`` halts everything that would run without a human.
"""

from __future__ import annotations

import re

from action_classes import ActionClass, Catalog
from executor.errors import RequestError, UnknownScope
from executor.store.records import KillSwitch, RequestRecord

__all__ = ["check_known_scope", "halted_by", "parse_scope", "scopes_of"]

_SCOPE = re.compile(r"^(global|target:[a-z][a-z0-9_]{0,63}|action:[a-z][a-z0-9_]{0,63}|class:[a-z_]+)$")


def parse_scope(scope: str) -> str:
    """Validate a scope string; RequestError with the accepted forms otherwise."""
    scope = scope.strip()
    if not _SCOPE.match(scope):
        raise RequestError(f"bad kill switch scope {scope[:80]!r}: use global, target:NAME, action:NAME or class:CLASS")
    if scope.startswith("class:"):
        name = scope.split(":", 1)[1]
        if name not in {c.value for c in ActionClass}:
            raise RequestError(f"unknown class {name!r} in scope (known: {', '.join(c.value for c in ActionClass)})")
    return scope


def check_known_scope(scope: str, catalog: Catalog) -> None:
    """UnknownScope when ``action:``/``target:`` names nothing in ``catalog``: a typo would halt nothing.

    Only engaging is checked; an engaged scope can always be released, even
    one the catalog no longer has.
    """
    kind, _, name = scope.partition(":")
    if kind == "action":
        known = sorted(catalog.actions)
    elif kind == "target":
        known = sorted(catalog.targets)
    else:
        return
    if name not in known:
        names = ", ".join(known) or "none"
        raise UnknownScope(
            f"unknown {kind} {name!r} in kill switch scope {scope!r}: it would halt nothing (known {kind}s: {names})",
            details={"scope": scope, f"known_{kind}s": known},
        )


def scopes_of(action: str, target: str | None, action_class: str | None) -> list[str]:
    """Every scope that covers a request."""
    scopes = ["global", f"action:{action}"]
    if target:
        scopes.append(f"target:{target}")
    if action_class:
        scopes.append(f"class:{action_class}")
    return scopes


def halted_by(rec: RequestRecord, switches: list[KillSwitch]) -> KillSwitch | None:
    """The first engaged switch whose scope covers ``rec``, if any."""
    covering = set(scopes_of(rec.action, rec.target, rec.action_class))
    return next((s for s in switches if s.scope in covering), None)

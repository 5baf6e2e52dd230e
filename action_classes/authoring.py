"""Safe-authoring checks: catalog patterns that load and run, yet can hurt.

These are warnings (``steward catalog check`` prints them; ``--strict``
fails on them). Each rule reads the catalog only, never a page, so it holds
before the first run and after every UI change:

- **A commit that can drift onto another control.** The commit is a key
  ``press`` (it submits whatever form has focus); or it is located by ``css``
  or ``xpath`` (structure, not meaning); or it picks a match by ``nth``; or
  its role has no name (any button); or its name, label or text match is not
  ``exact`` (Playwright then matches any control whose name *contains* it).
- **A commit that could also match a destructive control.** A non-exact
  name that is part of a destructive control's name (``Cancel`` is part of
  ``Cancel subscription``; ``Re`` of ``Remove``) or that contains a
  destructive verb (``DESTRUCTIVE_WORDS``) can land on the wrong button when
  the UI changes. ``exact: true`` removes the risk; an action whose commit is
  meant to be destructive says so with an exact name.
- **Verification that older records could satisfy.** If every ``expect`` in
  ``verify`` finds a record only by a substring of the request's own data
  (``has_text: "{params.reason}"``), a credit given last week for the same
  reason passes it. Verification is specific when one of its expects uses
  ``{request.ref}`` (or ``{request.id}``), a value extracted after the commit
  (the new record's id), a ``count``, an ``nth``, a number compared with an
  extracted value, or asserts the exact text/value of an element found
  without the request's data (``{test_id: contact-email, text: ...}``).
- **An action nobody answers for.** An action names an ``owner``, or
  inherits its target's; with neither, failures, escalations and handoff
  packets reach nobody in particular.
"""

from __future__ import annotations

import re
from typing import Any

from action_classes.checks import Problem
from action_classes.locators import Locator
from action_classes.models import Action, Target
from action_classes.steps import ExpectSpec, Step

__all__ = ["DESTRUCTIVE_PHRASES", "DESTRUCTIVE_WORDS", "authoring_warnings", "owner_warnings"]

DESTRUCTIVE_WORDS: tuple[str, ...] = (
    "archive",
    "ban",
    "block",
    "cancel",
    "chargeback",
    "close",
    "deactivate",
    "delete",
    "destroy",
    "disable",
    "discard",
    "drop",
    "erase",
    "lock",
    "purge",
    "refund",
    "remove",
    "reset",
    "reverse",
    "revoke",
    "suspend",
    "terminate",
    "unsubscribe",
    "void",
    "wipe",
)
DESTRUCTIVE_PHRASES: tuple[str, ...] = (
    "cancel subscription",
    "cancel order",
    "close account",
    "delete account",
    "delete selected",
    "issue refund",
    "remove user",
    "reset password",
    "void invoice",
)
_NAMED_KEYS = ("name", "label", "text", "title", "alt", "placeholder")
_REF = re.compile(r"\{\s*request\.(ref|id)\b")


def _name_of(loc: Locator) -> tuple[str, str] | None:
    """(key, text) of the name-like match of a locator, if it has one."""
    key, value = loc.strategy()
    if key == "role":
        return ("name", loc.name) if loc.name is not None else None
    if key in _NAMED_KEYS:
        return key, value
    return None


def _destructive(name: str) -> str | None:
    """Why a non-exact ``name`` could also hit a destructive control, or None."""
    lowered = " ".join(name.lower().split())
    if not lowered:
        return None
    for phrase in (*DESTRUCTIVE_PHRASES, *DESTRUCTIVE_WORDS):
        if lowered in phrase:
            return f"it {'names' if lowered == phrase else 'is part of'} {phrase.capitalize()!r}"
    for word in DESTRUCTIVE_WORDS:
        if re.search(rf"\b{word}", lowered):
            return f"it contains {word!r}, so it also matches any longer {word!r} control"
    return None


def _commit_warnings(commit: Step) -> list[str]:
    if commit.press is not None:
        return ["the commit is a key press: it submits whatever has focus; click the control instead"]
    loc: Locator = commit.spec.locator
    out: list[str] = []
    key, _ = loc.strategy()
    if key in ("css", "xpath"):
        out.append(f"the commit is located by {key}: structure drifts silently; use role with an exact name")
    if loc.nth is not None:
        out.append(f"the commit picks match nth={loc.nth}: a new row or button shifts it onto another control")
    if key == "role" and loc.name is None:
        out.append(f"the commit is any {loc.role!r} (no name): give it a name with exact: true")
    named = _name_of(loc)
    if named is not None and not loc.exact:
        field, text = named
        out.append(f"the commit's {field} {text!r} is not exact: it also matches any control containing it; "
                   "add exact: true")
        why = _destructive(text)
        if why is not None:
            out.append(f"the commit could also match a destructive control: {why}; add exact: true")
    return out


def _text_of(obj: Any) -> str:
    """Every scalar inside a dumped model, joined (to look for placeholders)."""
    return " ".join(str(v) for v in _flat(obj))


def _flat(obj: Any) -> list[Any]:
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _flat(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _flat(v)]
    return [obj]


def _has_nth(loc: Locator | None) -> bool:
    return loc is not None and (loc.nth is not None or _has_nth(loc.within) or _has_nth(loc.has))


def _found_by_request_data(loc: Locator | None) -> bool:
    """The locator filters by text that carries a placeholder (or by has_text/has)."""
    if loc is None:
        return False
    if loc.has_text is not None or loc.has is not None:
        return True
    if any("{" in str(getattr(loc, k) or "") for k in _NAMED_KEYS):
        return True
    return _found_by_request_data(loc.within)


def _specific(spec: ExpectSpec, after_commit: set[str]) -> bool:
    text = _text_of(spec.model_dump(exclude_none=True))
    if _REF.search(text):
        return True
    if any(re.search(rf"\{{\s*extracted\.{re.escape(n)}\b", text) for n in after_commit):
        return True
    if spec.count is not None or _has_nth(spec.locator):
        return True
    if spec.number is not None and "extracted." in _text_of(spec.number.model_dump(exclude_none=True)):
        return True
    exact_value = any(getattr(spec, k) is not None for k in ("text", "value", "one_of", "number"))
    return exact_value and not _found_by_request_data(spec.locator)


def authoring_warnings(action: Action) -> list[Problem]:
    """Safe-authoring warnings for one action, each with where it points."""
    if action.commit is None:
        return []
    out: list[Problem] = [(m, ("commit",)) for m in _commit_warnings(action.commit)]
    after = set(action.after_commit_names())
    expects = [s.expect for s in action.verify if s.expect is not None]
    if expects and not any(_specific(e, after) for e in expects):
        out.append(
            (
                "verification only matches text an older record could also show: find this request's record "
                "with {request.ref}, a value extracted after the commit, a count or nth",
                ("verify",),
            )
        )
    return out


def owner_warnings(action: Action, targets: dict[str, Target]) -> list[Problem]:
    """A warning when neither the action nor its target names an owner."""
    target = targets.get(action.target)
    if action.owner or (target is not None and target.owner):
        return []
    return [(
        f"action {action.name!r} has no owner and its target {action.target!r} names none: add "
        "owner: TEAM to the action or the target (reports and handoff packets name it)",
        (),
    )]

"""``steward catalog draft``: a Playwright codegen recording becomes a draft catalog action.

The fastest way to begin a new action is to do it once by hand in
``playwright codegen --target python URL`` and translate the recording:

- locators are translated into the catalog's vocabulary (``recording``);
- focus clicks before a fill, Tab presses and retyped fills are dropped;
- a fill into a password field marks the login: the steps up to the click (or
  Enter) that submits it become the target's ``login`` with ``env:``
  credentials, and the recorded username and password are never written;
- every other fill becomes a string parameter, its recorded value kept only as
  a description example (never when it looks like a secret);
- the last click is proposed as the commit (``exact: true`` on its name);
  expects recorded after it become ``after_commit`` checks;
- verification, and the session check's signed-in marker, are left as
  ``DRAFT_GAP``, which ``catalog check`` refuses until the author fills them.

The output is YAML text with comments, meant to be read and edited.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from action_classes.errors import DraftError
from action_classes.models import valid_name
from action_classes.origins import origin_of
from action_classes.recording import Recorded, read_recording
from action_classes.steps import DRAFT_GAP

__all__ = ["draft_catalog"]

_KEY_ORDER = (
    "role", "name", "exact", "level", "checked", "pressed", "expanded", "selected", "include_hidden",
    "label", "text", "placeholder", "alt", "title", "test_id", "css", "xpath",
    "has_text", "has", "nth", "within",
    "value", "secret", "key", "option", "contains", "state",
)  # fmt: skip
_SELECTORS = ("css", "xpath", "test_id", "role")
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9 _./-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
_PASSWORD = re.compile(r"pass(word|wd)?\b|password", re.I)
_SECRET_NAME = re.compile(
    r"pass(word|code|phrase|wd)?|secret|token|api.?key|\bpin\b|otp|one.?time|cvv|cvc|card|ssn", re.I
)
_TOKEN_LIKE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)\S{20,}$")
_NAME_KEYS = ("label", "placeholder", "name", "text", "title", "alt", "test_id")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.endswith(" "):
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(mapping: dict[str, Any]) -> str:
    keys = sorted(mapping, key=lambda k: _KEY_ORDER.index(k) if k in _KEY_ORDER else len(_KEY_ORDER))
    parts = [f"{k}: {_flow(mapping[k]) if isinstance(mapping[k], dict) else _scalar(mapping[k])}" for k in keys]
    return "{" + ", ".join(parts) + "}"


def _literal(loc: dict[str, Any]) -> dict[str, Any]:
    """Recorded text as catalog text: braces doubled so they are never read as placeholders."""
    out: dict[str, Any] = {}
    for key, value in loc.items():
        if isinstance(value, dict):
            out[key] = _literal(value)
        elif isinstance(value, str) and key not in _SELECTORS:
            out[key] = value.replace("{", "{{").replace("}", "}}")
        else:
            out[key] = value
    return out


def _snake(text: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:40].strip("_")
    if not name:
        return "value"
    return name if name[0].isalpha() else f"p_{name}"


def _field_text(loc: dict[str, Any]) -> str:
    for key in _NAME_KEYS:
        if isinstance(loc.get(key), str):
            return str(loc[key])
    selector = str(loc.get("css") or loc.get("xpath") or "")
    found = re.search(r"#([\w-]+)|name=['\"]?([\w-]+)", selector)
    return (found.group(1) or found.group(2)) if found else ""


def _same(a: Recorded, b: Recorded) -> bool:
    return a.locator is not None and a.locator == b.locator


def _tidy(steps: list[Recorded]) -> list[Recorded]:
    """Drop what codegen records but a catalog does not need."""
    out: list[Recorded] = []
    for i, step in enumerate(steps):
        after = steps[i + 1] if i + 1 < len(steps) else None
        focus = after is not None and after.kind in ("fill", "press", "select") and _same(step, after)
        if step.kind == "click" and focus:
            continue  # the click that focused the field
        if step.kind == "press" and step.value in ("Tab", "Shift+Tab"):
            continue
        if step.kind == "fill" and out and out[-1].kind == "fill" and _same(out[-1], step):
            out.pop()  # typed again: the last value wins
        out.append(step)
    return out


class _Draft:
    def __init__(self, steps: list[Recorded], notes: list[str], action: str, target: str | None) -> None:
        first = next(s for s in steps if s.kind == "goto")
        origin = origin_of(str(first.value))
        if origin is None:
            raise DraftError(f"line {first.line}: the first goto {first.value!r} is not an http(s) URL")
        self.origin = origin
        self.steps, self.notes = steps, notes
        self.action = action
        host = urlsplit(origin).hostname or ""
        self.target = target or (_snake(host.split(".")[0]) if not host[:1].isdigit() else "app")
        for kind, name in (("action", self.action), ("target", self.target)):
            if not valid_name(name):
                raise DraftError(f"{kind} name {name!r} must be lower_snake_case (use --{kind})")
        self.params: dict[str, dict[str, Any]] = {}
        self.credentials: dict[str, str] = {}

    def _path(self, step: Recorded) -> str:
        url = str(step.value)
        if origin_of(url) != self.origin:
            self.notes.append(f"line {step.line}: goto {url} leaves {self.origin}; allow its origin or drop it")
            return url.replace("{", "{{").replace("}", "}}")
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return path.replace("{", "{{").replace("}", "}}")

    def _param(self, step: Recorded) -> tuple[str, bool]:
        assert step.locator is not None
        base = _snake(_field_text(step.locator))
        name, n = base, 2
        while name in self.params:
            name, n = f"{base}_{n}", n + 1
        text = str(step.value)
        secret = bool(_SECRET_NAME.search(name) or _TOKEN_LIKE.match(text))
        spec: dict[str, Any] = {"type": "string"}
        if secret:
            spec["secret"] = True
        elif text:
            spec["description"] = f'Recorded example: "{text[:80]}"'.replace("{", "(").replace("}", ")")
        self.params[name] = spec
        return name, secret

    def _line(self, step: Recorded, *, login: bool = False) -> str:
        if step.kind == "goto":
            return f"goto: {_scalar(self._path(step))}"
        if step.kind == "wait_for":
            return f"wait_for: {_flow({'url': str(step.value)})}"
        assert step.locator is not None
        loc = _literal(step.locator)
        if step.kind == "fill":
            if login:
                return f"fill: {_flow({**loc, **self._login_value(step)})}"
            name, secret = self._param(step)
            extra: dict[str, Any] = {"value": f"{{params.{name}}}"}
            if secret:
                extra["secret"] = True
            return f"fill: {_flow({**loc, **extra})}"
        if step.kind == "press":
            return f"press: {_flow({**loc, 'key': str(step.value)})}"
        if step.kind == "select":
            return f"select: {_flow({**loc, 'option': {'value': str(step.value)}})}"
        if step.kind == "expect":
            return f"expect: {_flow({**loc, **_literal(step.options)})}"
        return f"{step.kind}: {_flow(loc)}"

    def _login_value(self, step: Recorded) -> dict[str, Any]:
        assert step.locator is not None
        if _PASSWORD.search(_field_text(step.locator) or json.dumps(step.locator)):
            key = "password"
        elif "username" not in self.credentials:
            key = "username"
        else:
            key = _snake(_field_text(step.locator))
        self.credentials[key] = f"env:{self.target.upper()}_{key.upper()}"
        out: dict[str, Any] = {"value": f"{{credentials.{key}}}"}
        if key == "password" or _SECRET_NAME.search(key):
            out["secret"] = True
        return out

    def _split_login(self) -> tuple[list[Recorded], list[Recorded]]:
        for i, step in enumerate(self.steps):
            if step.kind == "fill" and step.locator and _PASSWORD.search(json.dumps(step.locator)):
                for j in range(i, len(self.steps)):
                    s = self.steps[j]
                    if s.kind == "click" or (s.kind == "press" and s.value == "Enter"):
                        return self.steps[: j + 1], self.steps[j + 1 :]
                return self.steps[: i + 1], self.steps[i + 1 :]
        return [], self.steps

    def render(self) -> str:
        login, rest = self._split_login()
        lead = 0
        while lead < len(rest) and rest[lead].kind in ("goto", "wait_for"):
            lead += 1
        clicks = [i for i, s in enumerate(rest) if s.kind == "click" and i >= lead]
        commit_at = clicks[-1] if clicks else None
        body = rest[lead:commit_at] if commit_at is not None else rest[lead:]
        after = rest[commit_at + 1 :] if commit_at is not None else []

        act: list[str] = [
            f"  {self.action}:",
            "    description: Drafted from a recording; say what it does.",
            f"    target: {self.target}",
            "    category: draft                 # the group policy rules match on",
            "    class: human_approved           # the default before policy: loosen it only on purpose",
        ]
        steps_lines = [f"      - {self._line(s)}" for s in body]
        commit_line = "      click: DRAFT_GAP                # no click was recorded: name the control that commits"
        if commit_at is not None:
            loc = _literal(rest[commit_at].locator or {})
            if any(k in loc for k in _NAME_KEYS[:-1]):
                loc["exact"] = True
            commit_line = f"      click: {_flow(loc)}"
        after_lines = [f"      - {self._line(s)}" for s in after if s.kind == "expect"]
        hints = [  # comments only: a fill here must not become a parameter
            f"      #   goto: {self._path(s)}" if s.kind == "goto" else f"      #   {s.kind} (line {s.line})"
            for s in after
            if s.kind != "expect"
        ]
        if self.params:
            act.append("    params:                         # review: types, pattern, maxLength, pii")
            act += [f"      {k}: {_flow(v)}" for k, v in self.params.items()]
        pre = [f"      - {self._line(s)}" for s in rest[:lead]]
        if not pre and login:  # the recording went on from wherever the login left it; a run starts blank
            pre = [f"      - goto: {DRAFT_GAP}              # the page this action starts on (a run starts blank)"]
        act += ["    preconditions:                  # add the stop rules this action needs (expect ...)", *pre]
        if not pre:
            act[-1] = "    preconditions: []               # add the stop rules this action needs (expect ...)"
        if steps_lines:
            act += ["    steps:", *steps_lines]
        act += ["    commit:                         # proposed: the last click of the recording", commit_line]
        if after_lines:
            act += ["    after_commit:                   # recorded after the commit: the page it left", *after_lines]
        act += [
            "    verify:                         # DRAFT_GAP: catalog check refuses this action until it is filled in",
            "      # 1. a goto to the page that shows the change (a fresh read, not the commit's page)",
            "      # 2. an expect that finds exactly this request's record: {request.ref} written into a note",
            "      #    field, an id read in after_commit, or a count compared with one read before the commit",
            *(["      # recorded after the commit:", *hints] if hints else []),
            f"      - goto: {DRAFT_GAP}",
            f"      - expect: {DRAFT_GAP}",
            f"    compensate: {{none: {DRAFT_GAP}}}   # how it is undone: {{action: INVERSE, params: ...}} or why not",
        ]
        target = self._target(login, rest)  # before the header: it may add notes
        return "\n".join([*self._header(), *target, "actions:", *act, ""])

    def _target(self, login: list[Recorded], rest: list[Recorded]) -> list[str]:
        lines = [
            "targets:",
            f"  {self.target}:",
            f"    owner: {DRAFT_GAP}                # the team or person who answers for this target",
            f"    base_url: {self.origin}",
            f'    allowed_origins: ["{self.origin}"]',
        ]
        if not login:
            return lines
        login_lines = [f"      - {self._line(s, login=True)}" for s in login]
        creds = ", ".join(f"{k}: {v}" for k, v in self.credentials.items())
        check = self._path(rest[0]) if rest and rest[0].kind == "goto" else "/"
        return [
            *lines,
            f"    credentials: {{{creds}}}",
            "    login:",
            *login_lines,
            "    session_check:",
            f"      - goto: {_scalar(check):<24} # a page only a signed-in user can open",
            f"      - expect: {DRAFT_GAP}              # what only a signed-in page shows, e.g. "
            "{role: link, name: Sign out, exact: true}",
        ]

    def _header(self) -> list[str]:
        out = [
            "# Drafted by `steward catalog draft` from a Playwright codegen recording.",
            "# A start, not a catalog: `steward catalog check` refuses it until every DRAFT_GAP is filled in.",
            "# Then review each parameter and the class, and run `steward catalog check --strict` and",
            "# `steward dry-run` before the first real request.",
        ]
        if self.notes:
            out.append("# Notes from the translation:")
            out += [f"#  - {n}" for n in self.notes]
        return out


def draft_catalog(source: str, *, action: str = "new_action", target: str | None = None) -> str:
    """YAML text of a draft target and action from codegen Python ``source`` (parsed, never run)."""
    steps, notes = read_recording(source)
    return _Draft(_tidy(steps), notes, action, target).render()

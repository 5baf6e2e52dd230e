"""Load policy YAML files, reporting every problem with file:line.

Loading is all or nothing: a YAML error, an unknown key, a CEL syntax error,
an unknown variable, a duplicate id, or (given a catalog) an unknown action or
a trial type error makes the whole policy fail with PolicyLoadError listing
every problem found.

The version is the sha256 of the file's bytes for one file (so it equals
``sha256sum default.yaml``); for several files it is the sha256 over
``name NUL sha256(bytes) LF`` per file, sorted by file name, so it does not
depend on the order of the paths or on where the files live. ``no_policy()``
(no file at all: every action runs at its catalog class) has the version of
no bytes.

Two guards refuse a file cut short, which may still parse into fewer rules: a
pinned version (``pin``) and an end marker (``end: true`` as the last key of
every file, required with ``require_end_marker``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from action_classes import Catalog
from action_classes.yamllines import END_KEY, end_marker_problem
from policies._yaml import Lines, line_of, parse, validation_problems
from policies.engine import Policy
from policies.errors import PolicyLoadError, PolicyProblem
from policies.models import Limit, PolicyFile, Rule
from policies.trial import check_against_catalog, unknown_actions

__all__ = ["NO_POLICY_VERSION", "load_policy", "no_policy", "policy_version"]

NO_POLICY_VERSION = hashlib.sha256(b"").hexdigest()

PathLike = str | Path


def policy_version(contents: Sequence[tuple[str, bytes]]) -> str:
    """The version of a policy made of ``(file name, bytes)`` pairs."""
    if len(contents) == 1:
        return hashlib.sha256(contents[0][1]).hexdigest()
    digest = hashlib.sha256()
    for name, data in sorted(contents):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).hexdigest().encode() + b"\n")
    return digest.hexdigest()


class _Place:
    """Where a rule or limit came from, to point problems at its lines."""

    def __init__(self, file: str, lines: Lines, path: tuple[Any, ...]) -> None:
        self.file, self.lines, self.path = file, lines, path

    def problem(self, message: str, sub: tuple[Any, ...] = ()) -> PolicyProblem:
        return PolicyProblem(self.file, line_of(self.lines, (*self.path, *sub)), message)


def no_policy() -> Policy:
    """No rules and no limits: every action gets its catalog class (``--policy none``)."""
    return Policy([], [], version=NO_POLICY_VERSION, files=[], end_marker=True)


def _read_bytes(path: Path, problems: list[PolicyProblem]) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        problems.append(PolicyProblem(str(path), 0, f"cannot read policy file: {exc.strerror or exc}"))
        return None


def _pin_problem(files: list[str], version: str, pin: str) -> PolicyProblem:
    where = ", ".join(files)
    wanted = pin.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", wanted):
        return PolicyProblem(where, 0, f"the pinned policy version {pin[:80]!r} is not a sha256 (64 hex digits)")
    return PolicyProblem(
        where, 0,
        f"policy version {version} is not the pinned {wanted}: refusing to load a policy that changed or "
        "was cut short",
    )


def _read(
    path: Path, raw: bytes, problems: list[PolicyProblem], require_end_marker: bool
) -> tuple[PolicyFile | None, Lines, bool]:
    """One file, validated; on failure its problems are recorded and None returned.

    The last value says whether the file carries the end marker.
    """
    file = str(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(PolicyProblem(file, 0, "policy file is not UTF-8 text"))
        return None, {}, False
    before = len(problems)
    data, lines = parse(text, file, problems)
    if len(problems) > before:
        return None, lines, False
    if not isinstance(data, dict):
        message = "a policy file is a mapping with 'rules' and/or 'limits'"
        if data is None:
            message += " (this one is empty; for no policy at all, write `rules: []` or use --policy none)"
        problems.append(PolicyProblem(file, lines.get((), 1), message))
        return None, lines, False
    marked = END_KEY in data
    marker = end_marker_problem(data, lines, required=require_end_marker)
    if marker is not None:
        problems.append(PolicyProblem(file, *marker))
    try:
        return PolicyFile.model_validate(data), lines, marked
    except ValidationError as exc:
        problems.extend(validation_problems(exc, data, file, lines))
        return None, lines, marked


def load_policy(
    path: PathLike | Sequence[PathLike],
    catalog: Catalog | None = None,
    *,
    pin: str | None = None,
    require_end_marker: bool = False,
) -> Policy:
    """Load one policy file or several; raise PolicyLoadError with every problem.

    With ``catalog``, also check every rule and limit against it: the actions
    it names exist (all unknown names in one problem), and each expression
    evaluates without a type error on synthetic parameters built from the
    action's schema. With ``pin`` (a sha256), a policy of any other version is
    refused before it is parsed; with ``require_end_marker``, every file must
    finish with ``end: true``.
    """
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    problems: list[PolicyProblem] = []
    if not paths:
        raise PolicyLoadError([PolicyProblem("<policy>", 0, "no policy file given")])
    raws = [_read_bytes(p, problems) for p in paths]
    if problems:
        raise PolicyLoadError(problems)
    contents = [(p.name, raw or b"") for p, raw in zip(paths, raws, strict=True)]
    version = policy_version(contents)
    if pin is not None and pin.strip().lower() != version:
        raise PolicyLoadError([_pin_problem([str(p) for p in paths], version, pin)])
    rules: list[tuple[Rule, _Place]] = []
    limits: list[tuple[Limit, _Place]] = []
    every_marked = True
    owners: list[str] = []
    reviewers: list[str] = []
    for p, (_, raw) in zip(paths, contents, strict=True):
        loaded, lines, marked = _read(p, raw, problems, require_end_marker)
        every_marked = every_marked and marked
        if loaded is not None:
            owners += [loaded.owner] if loaded.owner and loaded.owner not in owners else []
            reviewers += [r for r in loaded.reviewers if r not in reviewers]
            file = str(p)
            rules += [(r, _Place(file, lines, ("rules", i))) for i, r in enumerate(loaded.rules)]
            limits += [(x, _Place(file, lines, ("limits", i))) for i, x in enumerate(loaded.limits)]
    first: dict[str, _Place] = {}
    entries: list[tuple[Rule | Limit, _Place]] = [*rules, *limits]
    if catalog is not None:
        problems += _unknown_actions_problem(entries, catalog)
    for item, place in entries:
        if item.id in first:
            other = first[item.id]
            where = f"{other.file}:{line_of(other.lines, other.path)}"
            message = f"duplicate id {item.id!r} (first defined at {where})"
            problems.append(place.problem(message, ("id",)))
            continue
        first[item.id] = place
        if catalog is not None:
            kind = "rule" if isinstance(item, Rule) else "limit"
            for message, sub in check_against_catalog(item, catalog):
                label = f"{kind} {item.id}" + (f".{sub[0]}" if sub else "")
                problems.append(place.problem(f"{label}: {message}", sub))
    if problems:
        raise PolicyLoadError(problems)
    return Policy(
        [r for r, _ in rules], [x for x, _ in limits],
        version=version, files=[str(p) for p in paths], end_marker=every_marked,
        owner=", ".join(owners) or None, reviewers=reviewers,
    )


def _unknown_actions_problem(entries: list[tuple[Rule | Limit, _Place]], catalog: Catalog) -> list[PolicyProblem]:
    """One problem naming every action the policy uses and the catalog lacks, and the fix."""
    names: dict[str, list[str]] = {}
    at: PolicyProblem | None = None
    for item, place in entries:
        for name, sub in unknown_actions(item, catalog):
            kind = "rule" if isinstance(item, Rule) else "limit"
            names.setdefault(name, []).append(f"{kind} {item.id}")
            at = at or place.problem("", sub)
    if at is None:
        return []
    listed = "; ".join(f"{name!r} ({', '.join(users)})" for name, users in sorted(names.items()))
    message = (f"the policy names actions the catalog lacks: {listed}. Add them to the catalog, "
               "or remove them from those rules and limits")
    return [PolicyProblem(at.file, at.line, message)]

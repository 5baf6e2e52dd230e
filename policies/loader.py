"""Load policy YAML files, reporting every problem with file:line.

Loading is all or nothing: a YAML error, an unknown key, a CEL syntax error,
an unknown variable, a duplicate id, or (given a catalog) an unknown action or
a trial type error makes the whole policy fail with PolicyLoadError listing
every problem found.

The version is the sha256 of the file's bytes for one file (so it equals
``sha256sum default.yaml``); for several files it is the sha256 over
``name NUL sha256(bytes) LF`` per file, sorted by file name, so it does not
depend on the order of the paths or on where the files live.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from action_classes import Catalog
from policies._yaml import Lines, line_of, parse, validation_problems
from policies.engine import Policy
from policies.errors import PolicyLoadError, PolicyProblem
from policies.models import Limit, PolicyFile, Rule
from policies.trial import check_against_catalog

__all__ = ["load_policy", "policy_version"]

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


def _read(path: Path, problems: list[PolicyProblem]) -> tuple[PolicyFile | None, bytes, Lines]:
    """One file, validated; on failure its problems are recorded and None returned."""
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(PolicyProblem(file, 0, f"cannot read policy file: {exc.strerror or exc}"))
        return None, b"", {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(PolicyProblem(file, 0, "policy file is not UTF-8 text"))
        return None, raw, {}
    before = len(problems)
    data, lines = parse(text, file, problems)
    if len(problems) > before:
        return None, raw, lines
    if not isinstance(data, dict):
        message = "a policy file is a mapping with 'rules' and/or 'limits'"
        problems.append(PolicyProblem(file, lines.get((), 1), message))
        return None, raw, lines
    try:
        return PolicyFile.model_validate(data), raw, lines
    except ValidationError as exc:
        problems.extend(validation_problems(exc, data, file, lines))
        return None, raw, lines


def load_policy(path: PathLike | Sequence[PathLike], catalog: Catalog | None = None) -> Policy:
    """Load one policy file or several; raise PolicyLoadError with every problem.

    With ``catalog``, also check every rule and limit against it: the actions
    it names exist, and each expression evaluates without a type error on
    synthetic parameters built from the action's schema.
    """
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    problems: list[PolicyProblem] = []
    if not paths:
        raise PolicyLoadError([PolicyProblem("<policy>", 0, "no policy file given")])
    rules: list[tuple[Rule, _Place]] = []
    limits: list[tuple[Limit, _Place]] = []
    contents: list[tuple[str, bytes]] = []
    for p in paths:
        loaded, raw, lines = _read(p, problems)
        contents.append((p.name, raw))
        if loaded is not None:
            file = str(p)
            rules += [(r, _Place(file, lines, ("rules", i))) for i, r in enumerate(loaded.rules)]
            limits += [(x, _Place(file, lines, ("limits", i))) for i, x in enumerate(loaded.limits)]
    first: dict[str, _Place] = {}
    entries: list[tuple[Rule | Limit, _Place]] = [*rules, *limits]
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
        version=policy_version(contents), files=[str(p) for p in paths],
    )

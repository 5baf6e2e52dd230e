"""Load a catalog directory of YAML files, reporting every problem with file:line.

Loading is deny-by-default: a file that fails to parse, a model that fails
validation, or a cross-reference that does not resolve makes the whole catalog
fail, and ``check_catalog`` returns all such problems at once. Safe-authoring
warnings (``action_classes.authoring``) never stop a catalog from loading;
``check_catalog(..., strict=True)`` returns them too.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from action_classes.authoring import authoring_warnings, owner_warnings
from action_classes.checks import check_action, check_target
from action_classes.compensation import check_compensation
from action_classes.errors import CatalogError, CatalogProblem
from action_classes.models import Action, Catalog, Target, valid_name
from action_classes.yamllines import END_KEY, Lines, compose_with_lines, end_marker_problem, line_of

__all__ = ["catalog_files", "check_catalog", "load_catalog"]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_ENV_FIELDS = ("base_url", "allowed_origins")


def catalog_files(path: Path) -> list[Path]:
    """The YAML files of a catalog: one file, or every *.yaml/*.yml in a folder."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CatalogError([CatalogProblem(str(path), 0, "no such catalog file or directory")])
    return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _compose(text: str, file: str, problems: list[CatalogProblem]) -> tuple[Any, Lines]:
    """Parse YAML, recording syntax errors and duplicate keys as catalog problems."""
    data, lines, found = compose_with_lines(text)
    problems.extend(CatalogProblem(file, line, message) for line, message in found)
    if data is None and not found:
        return {}, lines
    return data, lines


def _expand_env(value: Any, env: Mapping[str, str], where: str) -> Any:
    def sub(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ValueError(f"{where}: environment variable {name} is not set and has no default")

    if isinstance(value, str):
        return _ENV_REF.sub(sub, value)
    if isinstance(value, list):
        return [_expand_env(v, env, where) for v in value]
    return value


def _validate_entries(
    kind: str,
    model: type[Target] | type[Action],
    raw: Any,
    file: str,
    lines: Lines,
    env: Mapping[str, str],
    problems: list[CatalogProblem],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        problems.append(CatalogProblem(file, line_of(lines, (kind,)), f"'{kind}' must be a mapping"))
        return out
    for name, body in raw.items():
        where = (kind, name)
        if not isinstance(name, str) or not valid_name(name):
            problems.append(CatalogProblem(file, line_of(lines, where), f"bad name {name!r}: use lower_snake_case"))
            continue
        if not isinstance(body, dict):
            problems.append(CatalogProblem(file, line_of(lines, where), f"{kind[:-1]} {name!r} must be a mapping"))
            continue
        body = dict(body, name=name)
        try:
            if kind == "targets":
                for field in _ENV_FIELDS:
                    if field in body:
                        body[field] = _expand_env(body[field], env, f"target {name}.{field}")
            out[name] = model.model_validate(body)
        except ValueError as exc:
            if not isinstance(exc, ValidationError):
                problems.append(CatalogProblem(file, line_of(lines, where), str(exc)))
                continue
            for err in exc.errors():
                loc = tuple(err["loc"])
                label = ".".join(str(p) for p in (kind[:-1], name, *loc) if p != "locator")
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(CatalogProblem(file, line_of(lines, (*where, *loc)), f"{label}: {msg}"))
    return out


def _pin_problem(path: Path, version: str, pin: str | None) -> CatalogProblem | None:
    """A catalog whose version is not the pinned one must not load at all."""
    if pin is None:
        return None
    wanted = pin.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", wanted):
        return CatalogProblem(str(path), 0, f"the pinned catalog version {pin[:80]!r} is not a sha256 (64 hex digits)")
    if wanted != version:
        return CatalogProblem(
            str(path), 0,
            f"catalog version {version} is not the pinned {wanted}: refusing to load a catalog that changed "
            "or was cut short",
        )
    return None


_Loaded = tuple[Catalog | None, list[CatalogProblem], list[CatalogProblem]]


def _load(path: Path, env: Mapping[str, str], pin: str | None = None, require_end_marker: bool = False) -> _Loaded:
    """(catalog or None, errors, warnings)."""
    problems: list[CatalogProblem] = []
    warnings: list[CatalogProblem] = []
    marked = 0
    targets: dict[str, Target] = {}
    actions: dict[str, Action] = {}
    origins: dict[tuple[str, str], tuple[str, int]] = {}
    places: dict[tuple[str, str], tuple[str, Lines]] = {}
    digest = hashlib.sha256()
    files = catalog_files(path)
    if not files:
        return None, [CatalogProblem(str(path), 0, "no *.yaml files in catalog directory")], []
    contents = [(file_path, file_path.read_bytes()) for file_path in files]
    for file_path, raw_bytes in contents:
        digest.update(file_path.name.encode() + b"\0" + raw_bytes + b"\0")
    pinned = _pin_problem(path, digest.hexdigest(), pin)
    if pinned is not None:
        return None, [pinned], []
    for file_path, raw_bytes in contents:
        file = str(file_path)
        data, lines = _compose(raw_bytes.decode("utf-8", errors="replace"), file, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(CatalogProblem(file, 1, "a catalog file is a mapping with 'targets' and/or 'actions'"))
            continue
        marked += END_KEY in data
        marker = end_marker_problem(data, lines, required=require_end_marker)
        if marker is not None:
            problems.append(CatalogProblem(file, *marker))
        for key in data:
            if key not in ("targets", "actions"):
                problems.append(CatalogProblem(file, line_of(lines, (key,)), f"unknown top-level key {key!r}"))
        for kind, model, into in (("targets", Target, targets), ("actions", Action, actions)):
            loaded = _validate_entries(kind, model, data.get(kind), file, lines, env, problems)
            for name, item in loaded.items():
                line = line_of(lines, (kind, name))
                if (kind, name) in origins:
                    first_file, first_line = origins[(kind, name)]
                    problems.append(
                        CatalogProblem(
                            file, line, f"{kind[:-1]} {name!r} is already defined at {first_file}:{first_line}"
                        )
                    )
                    continue
                origins[(kind, name)] = (file, line)
                places[(kind, name)] = (file, lines)
                into[name] = item
    for name, target in targets.items():
        file, lines = places[("targets", name)]
        for msg, sub in check_target(target):
            problems.append(CatalogProblem(file, line_of(lines, ("targets", name, *sub)), msg))
    for name, action in actions.items():
        file, lines = places[("actions", name)]
        for msg, sub in [*check_action(action, targets), *check_compensation(action, actions)]:
            problems.append(CatalogProblem(file, line_of(lines, ("actions", name, *sub)), msg))
        if not action.read_only and action.compensate is None:
            warnings.append(CatalogProblem(
                file, line_of(lines, ("actions", name)),
                f"action {name!r} changes state but does not say how it is undone: add compensate: "
                "{action: INVERSE, params: {...}} or compensate: {none: REASON}", "warning",
            ))
        for msg, sub in [*owner_warnings(action, targets), *authoring_warnings(action)]:
            warnings.append(CatalogProblem(file, line_of(lines, ("actions", name, *sub)), msg, "warning"))
    if not actions and not problems:
        problems.append(CatalogProblem(str(path), 0, "the catalog defines no actions"))
    if problems:
        return None, problems, warnings
    catalog = Catalog(
        targets=targets, actions=actions, version=digest.hexdigest(), files=[str(f) for f in files],
        end_marker=marked == len(files),
    )
    return catalog, [], warnings


def load_catalog(
    path: Path | str, env: Mapping[str, str] | None = None, *, pin: str | None = None,
    require_end_marker: bool = False,
) -> Catalog:
    """Load and validate a catalog; raise CatalogError with every problem.

    ``${VAR}`` and ``${VAR:-default}`` in a target's ``base_url`` and
    ``allowed_origins`` are filled from ``env`` (default: the process
    environment), so one catalog serves any host and port.

    ``pin`` (a sha256) refuses any catalog whose version differs, before
    anything is parsed; ``require_end_marker`` refuses a file that does not
    finish with ``end: true``. Both guard against a file cut short.
    """
    catalog, problems, _ = _load(Path(path), os.environ if env is None else env, pin, require_end_marker)
    if catalog is None:
        raise CatalogError(problems)
    return catalog


def check_catalog(
    path: Path | str, env: Mapping[str, str] | None = None, *, pin: str | None = None,
    require_end_marker: bool = False, strict: bool = False,
) -> list[CatalogProblem]:
    """Every problem in a catalog (empty when it loads); with ``strict`` also every safe-authoring warning."""
    try:
        _, problems, warnings = _load(Path(path), os.environ if env is None else env, pin, require_end_marker)
    except CatalogError as exc:
        return exc.problems
    return problems + warnings if strict else problems

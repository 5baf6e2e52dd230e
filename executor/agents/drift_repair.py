"""Governed repair of UI drift: a model proposes a replacement locator, a dry run tests it, a person reviews it.

When a request failed before its commit because a locator no longer matched
(the back-office UI changed), ``propose_repair`` replays the action as a dry
run up to the failing step, reads the page's accessibility snapshot
(``aria_snapshot``, the values of secret fields masked) and asks a model for a
replacement locator in the catalog's vocabulary (``action_classes.Locator``:
unknown keys are refused). The proposal is only located, never acted on: it
must resolve to exactly one element, of the same role as the locator it
replaces. A proposal that passes becomes a catalog patch awaiting a named
reviewer (``PatchStore``; ``steward catalog patches list|show|apply|reject``),
linked from the request by the ``catalog.patch_proposed`` audit event. The
request itself stays ``failed``; a patch is never used by a live request
until a reviewer applies it to the catalog file.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from action_classes import Catalog, ExpectSpec, Locator, Step, TemplateError, render_step, request_ref, validate_params
from executor.errors import ExecutionError

if TYPE_CHECKING:
    from openai import OpenAI

    from executor.browser.driver import BrowserDriver

__all__ = ["CatalogPatch", "PatchError", "PatchStore", "RepairReport", "apply_patch", "propose_repair"]

_PROMPT = """A step of a back-office automation no longer finds its element: the UI changed.
Propose ONE replacement locator for the same element, as a JSON object in this vocabulary only:
role (ARIA role) with name (accessible name) and exact (bool); or label; or text; or placeholder; or test_id;
optionally within (another locator). Answer with the JSON object alone."""


class PatchError(Exception):
    """A patch that cannot be applied automatically (not retryable: apply it by hand, or reject it)."""


@dataclass
class CatalogPatch:
    """A proposed locator change for one step of one action, and its review."""

    id: str
    action: str
    phase: str
    step_index: int
    old: dict[str, Any]
    new: dict[str, Any]
    request_id: str | None
    model: str
    prompt_sha256: str
    resolved: dict[str, Any]
    status: str = "proposed"  # proposed, applied, rejected
    reviewer: str | None = None
    note: str | None = None
    created_at: float = field(default_factory=time.time)


@dataclass
class RepairReport:
    """What a repair attempt found: the failing step, the proposal, and why it was or was not recorded."""

    action: str
    failed_step: str | None = None
    error: str | None = None
    proposal: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    patch: CatalogPatch | None = None


class PatchStore:
    """Catalog patches as JSON files in one folder (``HOME/catalog-patches``), one per patch."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, patch: CatalogPatch) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{patch.id}.json").write_text(json.dumps(asdict(patch), indent=2, sort_keys=True) + "\n")

    def get(self, patch_id: str) -> CatalogPatch:
        path = self.folder / f"{Path(patch_id).name}.json"
        if not path.is_file():
            raise KeyError(f"no catalog patch {patch_id!r}")
        return CatalogPatch(**json.loads(path.read_text()))

    def list(self) -> list[CatalogPatch]:
        if not self.folder.is_dir():
            return []
        patches = [CatalogPatch(**json.loads(p.read_text())) for p in self.folder.glob("*.json")]
        return sorted(patches, key=lambda p: p.created_at)


def _fields(locator: Locator) -> dict[str, Any]:
    """A locator as the catalog writes it (only what is set)."""
    return locator.model_dump(exclude_none=True, exclude_defaults=True)


def _locator_of(step: Step) -> Locator | None:
    spec = step.spec
    locator = getattr(spec, "locator", None)
    return locator if isinstance(locator, Locator) else None


def _mask(snapshot: str, secrets: list[str]) -> str:
    for value in secrets:
        if value:
            snapshot = snapshot.replace(value, "***")
    return snapshot


def _secret_values(steps: list[Step], values: dict[str, dict[str, Any]]) -> list[str]:
    """The rendered values of secret fills, to mask in the snapshot sent to the model."""
    out = []
    for step in steps:
        try:
            rendered = render_step(step, values)
        except TemplateError:
            continue
        if rendered.fill is not None:
            out.append(str(rendered.fill.value))
    return out


def _parse(content: str) -> tuple[Locator | None, list[str]]:
    text = content.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        return Locator.model_validate(json.loads(text)), []
    except (ValueError, ValidationError) as exc:
        return None, [f"not a locator in the catalog's vocabulary: {str(exc).splitlines()[0]}"]


async def propose_repair(
    catalog: Catalog, driver: BrowserDriver, action_name: str, params: dict[str, Any], llm: OpenAI, model: str,
    *, store: PatchStore, request_id: str | None = None, audit: Any = None,
) -> RepairReport:
    """Dry-run ``action_name`` to its failing locator, ask ``model`` for a replacement, test it, record a patch."""
    action = catalog.action(action_name)
    target = catalog.target_of(action)
    values: dict[str, dict[str, Any]] = {
        "params": validate_params(action.params, params), "extracted": {},
        "request": {"id": "dry-run", "ref": request_ref("dry-run")},
    }
    report = RepairReport(action.name)
    secret_steps = [s for s in action.preconditions + action.steps if s.is_secret]
    plan: list[tuple[str, int, Step]] = [("precondition", i, s) for i, s in enumerate(action.preconditions)]
    plan += [("step", i, s) for i, s in enumerate(action.steps)]
    if action.commit is not None:  # located only, as in a dry run: never clicked
        plan.append(("commit", 0, Step(expect=ExpectSpec(locator=action.commit.spec.locator, state="enabled"))))
    session = await driver.open_session(target, trace=False, mask=secret_steps)
    try:
        failed: tuple[str, int, Step, Locator] | None = None
        for phase, index, step in plan:
            try:
                rendered = render_step(step, values)
                value = await session.run(rendered, timeout_ms=action.step_timeout_ms)
            except (ExecutionError, TemplateError) as exc:
                locator = _locator_of(step)
                report.failed_step, report.error = step.describe(), str(exc)
                if locator is None or not isinstance(exc, ExecutionError):
                    report.problems.append("the failing step has no locator to repair")
                    return report
                failed = (phase, index, step, locator)
                break
            if step.extract is not None and step.extract.name:
                values["extracted"][step.extract.name] = value
        if failed is None:
            report.problems.append("every locator up to the commit matches: nothing to repair")
            return report
        phase, index, step, old = failed
        page = session.page  # type: ignore[attr-defined]  # the Playwright session's page
        secrets = _secret_values(secret_steps, values)
        snapshot = _mask(await page.locator("body").aria_snapshot(timeout=action.step_timeout_ms), secrets)
        messages = [{"role": "system", "content": _PROMPT},
                    {"role": "user", "content": json.dumps({
                        "step": step.describe(), "failed_locator": _fields(old),
                        "error": report.error, "page_accessibility_snapshot": snapshot}, sort_keys=True)}]
        prompt_sha256 = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
        response = llm.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
        new, report.problems = _parse(response.choices[0].message.content or "")
        if new is None:
            return report
        report.proposal = _fields(new)
        from executor.browser.locate import build_locator

        count = await build_locator(page, new).count()
        if count != 1:
            report.problems.append(f"the proposal matches {count} elements, not exactly one")
            return report
        resolved = await session.inspect(new, timeout_ms=action.step_timeout_ms)
        if old.role is not None and resolved.get("role") != old.role:
            report.problems.append(f"the proposal is a {resolved.get('role')}, not a {old.role}")
            return report
        patch = CatalogPatch(id=f"patch_{uuid.uuid4().hex[:12]}", action=action.name, phase=phase, step_index=index,
                             old=_fields(old), new=_fields(new), request_id=request_id, model=model,
                             prompt_sha256=prompt_sha256, resolved=resolved)
        store.save(patch)
        report.patch = patch
        if audit is not None:
            audit.append("catalog.patch_proposed", actor="drift-repair", action_id=request_id,
                         payload={"patch": patch.id, "action": patch.action, "phase": phase, "step": index,
                                  "old": patch.old, "new": patch.new, "model": model, "prompt_sha256": prompt_sha256})
        return report
    finally:
        await session.finish()


def apply_patch(patch: CatalogPatch, catalog_dir: Path, reviewer: str) -> Path:
    """Write ``patch`` into the catalog file of its action; returns the file.

    Only a change of ``name`` (or ``label``, ``text``...: one text value) is
    applied automatically, and only when the old value occurs once in the
    action's block; the catalog must still load afterwards, else the file is
    restored. Anything else raises ``PatchError``.
    """
    from action_classes import load_catalog

    if not reviewer.strip():
        raise PatchError("a patch is applied by a named reviewer")
    changed = [k for k in set(patch.old) | set(patch.new) if patch.old.get(k) != patch.new.get(k)]
    if len(changed) != 1 or not isinstance(patch.old.get(changed[0]), str) or changed[0] not in patch.new:
        raise PatchError(f"only a one-value change is applied automatically; this one changes {sorted(changed)}")
    key, old, new = changed[0], str(patch.old[changed[0]]), str(patch.new[changed[0]])
    for path in sorted(catalog_dir.glob("*.yaml")):
        lines = path.read_text().splitlines(keepends=True)
        start = next((i for i, line in enumerate(lines) if line.rstrip() == f"  {patch.action}:"), None)
        if start is None:
            continue
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i].startswith("  ") and not lines[i].startswith("   ") and lines[i].strip()), len(lines))
        needle = f"{key}: {old}"
        hits = [i for i in range(start, end) if needle in lines[i]]
        if len(hits) != 1 or lines[hits[0]].count(needle) != 1:
            raise PatchError(f"{needle!r} occurs {len(hits)} times in {patch.action}: apply it by hand")
        original = path.read_text()
        lines[hits[0]] = lines[hits[0]].replace(needle, f"{key}: {new}")
        path.write_text("".join(lines))
        try:
            load_catalog(catalog_dir, env={})
        except Exception as exc:
            path.write_text(original)
            raise PatchError(f"the patched catalog does not load: {exc}") from exc
        return path
    raise PatchError(f"no catalog file in {catalog_dir} defines {patch.action}")

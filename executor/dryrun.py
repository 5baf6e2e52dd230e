"""Dry runs: perform an action's preconditions and steps for real, stop before the commit.

For automation engineers tuning a catalog: nothing is stored, no policy is
consulted, and the commit step is only located (it must resolve to exactly one
enabled element), never performed. The report names the element the commit
resolves to (role, accessible name, tag, text, and any destructive-sounding
controls of the same form), and the screenshot outlines it. Read-only actions
also report their extracted values. ``{request.ref}`` renders as the
reference of the request id ``dry-run``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from action_classes import Catalog, ExpectSpec, Step, TemplateError, render_step, request_ref, validate_params
from executor.browser.driver import BrowserDriver
from executor.errors import ExecutionError

__all__ = ["DryRunReport", "dry_run"]


@dataclass
class DryRunReport:
    """What a dry run did, step by step."""

    action: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    extracted: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    error: str | None = None
    screenshot: str | None = None
    commit: dict[str, Any] | None = None


async def dry_run(
    catalog: Catalog, driver: BrowserDriver, action_name: str, params: dict[str, Any], *, screenshot: Path | None = None
) -> DryRunReport:
    """Run ``action_name`` up to (not including) its commit step."""
    action = catalog.action(action_name)
    target = catalog.target_of(action)
    values: dict[str, dict[str, Any]] = {
        "params": validate_params(action.params, params),
        "extracted": {},
        "request": {"id": "dry-run", "ref": request_ref("dry-run")},
    }
    report = DryRunReport(action.name)
    secret = [s for s in action.preconditions + action.steps if s.is_secret]
    session = await driver.open_session(target, trace=False, mask=secret)
    plan: list[tuple[str, Step]] = [("precondition", s) for s in action.preconditions]
    plan += [("step", s) for s in action.steps]
    if action.commit is not None:
        plan.append(
            ("commit (located only)", Step(expect=ExpectSpec(locator=action.commit.spec.locator, state="enabled")))
        )
    located: Step | None = None
    try:
        for phase, step in plan:
            t0 = time.perf_counter()
            try:
                rendered = render_step(step, values)
                value = await session.run(rendered, timeout_ms=action.step_timeout_ms)
                if phase.startswith("commit"):
                    located = rendered
                    report.commit = await session.inspect(rendered.spec.locator, timeout_ms=action.step_timeout_ms)
            except (ExecutionError, TemplateError) as exc:
                message = exc.message if isinstance(exc, ExecutionError) else str(exc)
                report.ok, report.error = False, message
                report.steps.append({"phase": phase, "step": step.describe(), "ok": False, "error": message})
                break
            if step.extract is not None and step.extract.name:
                values["extracted"][step.extract.name] = value
            report.steps.append(
                {"phase": phase, "step": step.describe(), "ok": True, "ms": round((time.perf_counter() - t0) * 1000, 1)}
            )
        if report.ok and action.read_only:
            for name, spec in action.extract.items():
                extract = Step(extract=spec.model_copy(update={"name": name}))
                values["extracted"][name] = await session.run(
                    render_step(extract, values), timeout_ms=action.step_timeout_ms
                )
        report.extracted = dict(values["extracted"])
        if screenshot is not None:
            if located is not None:
                shot = await session.screenshot_outlined(located.spec.locator)
            else:
                shot = await session.screenshot()
            screenshot.write_bytes(shot)
            report.screenshot = str(screenshot)
    finally:
        await session.finish()
    return report

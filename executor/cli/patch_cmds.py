"""``steward catalog patches``: review the catalog patches that drift repair proposed (list, show, apply, reject)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from executor.cli._common import (
    CatalogOption,
    DbOption,
    HomeOption,
    JsonOption,
    PolicyOption,
    emit_json,
    fail,
    friendly_errors,
    open_steward,
)

if TYPE_CHECKING:
    from executor.agents.drift_repair import PatchStore

__all__ = ["app"]

app = typer.Typer(name="patches", help="Catalog patches proposed by drift repair, awaiting a named reviewer.",
                  no_args_is_help=True, rich_markup_mode=None)
ReviewerOption = Annotated[str, typer.Option("--reviewer", help="Your name: recorded on the patch and audited.")]


def _store(steward: Any) -> PatchStore:
    from executor.agents.drift_repair import PatchStore

    return PatchStore(steward.settings.home / "catalog-patches")


@app.command("list")
@friendly_errors
def patches_list(db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Every patch, oldest first: id, status, action, old and new locator, the request it came from."""
    with open_steward(db, None, None, home, by="catalog-patches") as steward:
        patches = _store(steward).list()
    if as_json:
        emit_json({"patches": [asdict(p) for p in patches]})
        return
    for p in patches:
        typer.echo(f"{p.id}  {p.status:<8}  {p.action} {p.phase} {p.step_index}: {p.old} -> {p.new}  "
                   f"(request {p.request_id})")


@app.command("show")
@friendly_errors
def patches_show(patch_id: Annotated[str, typer.Argument(help="Patch id.")], db: DbOption = None,
                 home: HomeOption = None) -> None:
    """One patch as JSON, with what its proposal resolved to in the dry run."""
    steward = open_steward(db, None, None, home, by="catalog-patches")
    try:
        emit_json(asdict(_store(steward).get(patch_id)))
    except KeyError as exc:
        fail(str(exc.args[0]))
    finally:
        steward.close()


def _decide(patch_id: str, reviewer: str, note: str, verdict: str, db: str | None, catalog: str | None,
            policy: str | None, home: str | None) -> None:
    from executor.agents.drift_repair import PatchError, apply_patch

    if not reviewer.strip():
        fail("--reviewer must name a person")
    with open_steward(db, catalog, policy, home, by="catalog-patches") as steward:
        store = _store(steward)
        try:
            patch = store.get(patch_id)
        except KeyError as exc:
            fail(str(exc.args[0]))
        if patch.status != "proposed":
            fail(f"{patch_id} is already {patch.status}")
        if verdict == "applied":
            try:
                apply_patch(patch, steward.settings.catalog_dir, reviewer)
            except PatchError as exc:
                fail(str(exc))
        patch.status, patch.reviewer, patch.note = verdict, reviewer, note or None
        store.save(patch)
        steward.audit.append(f"catalog.patch_{verdict}", actor=reviewer, action_id=patch.request_id,
                             payload={"patch": patch.id, "action": patch.action, "old": patch.old, "new": patch.new,
                                      "note": note})
        emit_json(asdict(patch))


@app.command("apply")
@friendly_errors
def patches_apply(patch_id: Annotated[str, typer.Argument(help="Patch id.")], reviewer: ReviewerOption,
                  note: Annotated[str, typer.Option(help="Why, for the audit log.")] = "",
                  db: DbOption = None, catalog: CatalogOption = None, policy: PolicyOption = None,
                  home: HomeOption = None) -> None:
    """Write the patch into the catalog file (a one-value locator change; the catalog must still load), audited.
    Running workers pick the catalog up on their next reload, as for any catalog edit."""
    _decide(patch_id, reviewer, note, "applied", db, catalog, policy, home)


@app.command("reject")
@friendly_errors
def patches_reject(patch_id: Annotated[str, typer.Argument(help="Patch id.")], reviewer: ReviewerOption,
                   note: Annotated[str, typer.Option(help="Why, for the audit log.")] = "",
                   db: DbOption = None, catalog: CatalogOption = None, policy: PolicyOption = None,
                   home: HomeOption = None) -> None:
    """Reject the patch: the catalog is unchanged; audited."""
    _decide(patch_id, reviewer, note, "rejected", db, catalog, policy, home)


@app.command("propose")
@friendly_errors
def patches_propose(
    request_id: Annotated[str, typer.Argument(help="A request that failed before its commit on a locator.")],
    model: Annotated[str, typer.Option(envvar="STEWARD_REPAIR_MODEL", help="The model that proposes a locator "
                                                                           "($OPENAI_BASE_URL, $OPENAI_API_KEY).")],
    db: DbOption = None, catalog: CatalogOption = None, policy: PolicyOption = None, home: HomeOption = None,
) -> None:
    """Replay the failed request as a dry run, ask the model for a replacement locator, try it (exactly one
    element of the same role, never acted on) and record it as a patch awaiting review."""
    import asyncio

    from openai import OpenAI

    from executor.agents.drift_repair import RepairReport, propose_repair
    from executor.browser.playwright_driver import PlaywrightDriver

    steward = open_steward(db, catalog, policy, home, by="catalog-patches")
    try:
        rec = steward.get(request_id)
        if rec.state.value != "failed":
            fail(f"{request_id} is {rec.state.value}: only a request that failed before its commit is repaired")
        action = steward.catalog.action(rec.action)
        masked = set(action.sensitive_params()[0]) & set(rec.params or {})
        if masked:
            fail(f"{request_id}'s {sorted(masked)} were recorded masked: replay it with steward dry-run by hand")

        async def main() -> RepairReport:
            driver = PlaywrightDriver()
            await driver.start()
            try:
                return await propose_repair(steward.catalog, driver, rec.action, dict(rec.params or {}), OpenAI(),
                                            model, store=_store(steward), request_id=rec.id, audit=steward.audit)
            finally:
                await driver.close()

        report = asyncio.run(main())
    finally:
        steward.close()
    emit_json({**asdict(report), "patch": asdict(report.patch) if report.patch else None})
    if report.patch is None:
        raise typer.Exit(1)

"""Governed repair of UI drift: a renamed button gives a reviewed catalog patch, never a commit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from typer.testing import CliRunner

from action_classes import load_catalog
from executor.agents.drift_repair import PatchError, PatchStore, apply_patch, propose_repair
from executor.cli import app
from executor.config import DEFAULT_CATALOG_DIR, DEFAULT_POLICY_PATH, Settings
from executor.models import RequestContext, SubmitRequest
from tests.agents.chat_server import ScriptedChatServer
from tests.helpers import LoopThread

_STALE = "      - click: {role: button, name: Add a credit}\n"


@pytest.fixture
def drifted(tmp_path: Path) -> Path:
    """A catalog that still names the button by its old label: the UI renamed "Add a credit" to "Add credit"."""
    folder = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG_DIR, folder)
    billing = folder / "billing_console.yaml"
    text = billing.read_text()
    assert text.count("      - click: {role: button, name: Add credit}\n") == 1
    text = text.replace("      - click: {role: button, name: Add credit}\n", _STALE)
    # A short step timeout: each attempt waits it out on the stale locator.
    billing.write_text(text.replace("  issue_credit:\n", "  issue_credit:\n    step_timeout_ms: 3000\n", 1))
    return folder


def test_renamed_button_gives_a_reviewed_patch_and_never_a_commit(
    drifted: Path, tmp_path: Path, billing: Any, driver: Any, loop_thread: LoopThread, run_worker: Any,
    accounts: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The request fails before its commit; the model's proposal is tried in a dry run, recorded, reviewed."""
    from executor.service import Steward

    steward = Steward(Settings(db_url=f"sqlite:///{tmp_path / 's.db'}", home=tmp_path / "home",
                               catalog_dir=drifted, policy_path=DEFAULT_POLICY_PATH))
    try:
        account = accounts.take()
        before = billing.db.count_credits(account)
        params = {"account_id": account, "amount_cents": 1500, "reason": "Drift test"}
        rec, _ = steward.submit(SubmitRequest(action="issue_credit", params=params, idempotency_key="drift-1",
                                              context=RequestContext(account_tier="pro", agent_confidence=0.9)),
                                "agent-1")
        assert rec.state.value == "queued"
        run_worker(steward)
        failed = steward.get(rec.id)
        assert failed.state.value == "failed", failed.error_message  # before the commit, as today
        assert "Add a credit" in (failed.error_message or "")

        store = PatchStore(tmp_path / "home" / "catalog-patches")
        outside = {"content": '{"role": "button", "name": "Add credit", "sudo": true}'}
        other_role = {"content": '{"test_id": "balance"}'}
        good = {"content": '{"role": "button", "name": "Add credit"}'}
        with ScriptedChatServer([outside, other_role, good]) as model:
            llm = OpenAI(base_url=model.base_url, api_key="test-key", max_retries=0)

            def attempt() -> Any:
                return loop_thread.run(propose_repair(steward.catalog, driver, "issue_credit", params, llm, "m",
                                                      store=store, request_id=rec.id, audit=steward.audit))

            refused, mismatched = attempt(), attempt()
            monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
            monkeypatch.setenv("OPENAI_API_KEY", "test-key")
            cli = CliRunner().invoke(app, ["catalog", "patches", "propose", rec.id, "--model", "m", "--catalog",
                                           str(drifted), "--db", f"sqlite:///{tmp_path / 's.db'}",
                                           "--home", str(tmp_path / "home")])
            sent = model.requests[0]["messages"][1]["content"]
        assert "Add a credit" in sent and "page_accessibility_snapshot" in sent
        assert refused.patch is None and "vocabulary" in refused.problems[0]
        assert mismatched.patch is None and "not a button" in mismatched.problems[0]
        assert cli.exit_code == 0, cli.output
        [patch] = store.list()
        assert json.loads(cli.output)["patch"]["id"] == patch.id and json.loads(cli.output)["problems"] == []
        assert patch.old == {"role": "button", "name": "Add a credit"} and patch.new == {"role": "button",
                                                                                         "name": "Add credit"}
        assert patch.resolved["role"] == "button" and patch.status == "proposed" and patch.request_id == rec.id
        assert [p.id for p in store.list()] == [patch.id]
        events = [e for e in steward.audit.entries(action_id=rec.id) if e.type == "catalog.patch_proposed"]
        assert [e.payload["patch"] for e in events] == [patch.id]
        assert steward.get(rec.id).state.value == "failed"  # the request ends as it did
        assert billing.db.count_credits(account) == before  # never a commit

        with pytest.raises(PatchError, match="named reviewer"):
            apply_patch(patch, drifted, " ")
        where = ["--db", f"sqlite:///{tmp_path / 's.db'}", "--home", str(tmp_path / "home")]
        listed = CliRunner().invoke(app, ["catalog", "patches", "list", "--json", *where])
        assert [p["id"] for p in json.loads(listed.output)["patches"]] == [patch.id], listed.output
        shown = CliRunner().invoke(app, ["catalog", "patches", "show", patch.id, *where])
        assert json.loads(shown.output)["new"] == {"role": "button", "name": "Add credit"}
        assert (drifted / "billing_console.yaml").read_text().count(_STALE) == 1  # nothing changes unreviewed
        applied = CliRunner().invoke(app, ["catalog", "patches", "apply", patch.id, "--reviewer", "rita",
                                           "--note", "UI renamed the button", "--catalog", str(drifted), *where])
        assert applied.exit_code == 0, applied.output
        assert json.loads(applied.output)["status"] == "applied" and json.loads(applied.output)["reviewer"] == "rita"
        assert _STALE not in (drifted / "billing_console.yaml").read_text()
        again = CliRunner().invoke(app, ["catalog", "patches", "reject", patch.id, "--reviewer", "rita", *where])
        assert again.exit_code != 0 and "already applied" in again.output
        reviewed = [e for e in steward.audit.entries(action_id=rec.id) if e.type == "catalog.patch_applied"]
        assert [(e.actor, e.payload["patch"]) for e in reviewed] == [("rita", patch.id)]
        assert load_catalog(drifted, env={}).actions["issue_credit"].steps[0].describe().find("Add credit") >= 0
        assert billing.db.count_credits(account) == before
    finally:
        steward.close()

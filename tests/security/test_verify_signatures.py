"""Issue 17 item 6: every audit verify (API, console, CLI) checks signatures with the configured key, fails closed."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from audit import Signer
from executor.api import ApiConfig, create_app
from executor.cli import app as cli_app
from executor.config import Settings
from tests.api.conftest import Api, make_keys

runner = CliRunner()


def tamper(engine: Engine, *statements: str) -> None:
    """Run SQL behind the audit log's append-only triggers, as an attacker with database access would."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            names = [r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'")]
            for name in names:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        else:
            for table in ("audit_entries", "audit_tree_nodes", "audit_checkpoints"):
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql in statements:
            conn.exec_driver_sql(sql)


def forge(note: str) -> str:
    """The note with its signature bytes replaced (same key name and id, signature of nothing)."""
    text, _, sig_line = note.rstrip("\n").rpartition("\n")
    name, blob = sig_line.removeprefix("\u2014 ").split(" ")
    raw = base64.b64decode(blob)
    forged = base64.b64encode(raw[:4] + bytes(64)).decode()
    return f"{text}\n\u2014 {name} {forged}\n"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'verify.db'}"


@pytest.fixture
def signed_api(make_steward: Callable[..., Any]) -> Iterator[Callable[[str], Api]]:
    """An API whose log has a few entries and one signed checkpoint (keys in the Steward's home)."""
    clients: list[TestClient] = []

    def build(db_url: str) -> Api:
        steward = make_steward(db_url)
        client = TestClient(create_app(steward, config=ApiConfig(rate_per_s=0)), raise_server_exceptions=False)
        clients.append(client)
        api = Api(steward=steward, client=client, tokens=make_keys(steward))
        r = client.post("/v1/actions", headers=api.h("agent"),
                        json={"action": "lookup_account", "params": {"account_id": "ACC-000003"}})
        assert r.status_code == 202, r.text
        steward.checkpoint()
        return api

    yield build
    for c in clients:
        c.close()


def _verify(api: Api) -> dict[str, Any]:
    r = api.client.get("/v1/audit/verify", headers=api.h("auditor"))
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


class TestApiVerify:
    def test_forged_checkpoint_signature_fails(self, db_url: str, signed_api: Callable[[str], Api]) -> None:
        """A checkpoint whose signature was forged makes GET /v1/audit/verify not ok, naming the key used."""
        api = signed_api(db_url)
        good = _verify(api)
        key_id = f"{api.steward.checkpointer.signer.key_id:08x}"
        assert good["ok"] and good["signatures_checked"] and good["verifier"]["key_id"] == key_id
        note = api.steward.audit.latest_checkpoint().note
        tamper(api.steward.engine, "UPDATE audit_checkpoints SET note = '" + forge(note).replace("'", "''") + "'")
        bad = _verify(api)
        assert not bad["ok"] and bad["first_bad_checkpoint"] is not None
        assert any("invalid signature" in p for p in bad["problems"]), bad["problems"]
        assert bad["verifier"]["key_id"] == key_id
        assert bad["verifier"]["path"] == str(api.steward.settings.key_dir / "audit.pub")

    def test_without_a_key_signed_checkpoints_fail_closed(self, sqlite_url: str,
                                                          signed_api: Callable[[str], Api]) -> None:
        """No verifier key and signed checkpoints: not ok, and the report says signatures were NOT checked."""
        api = signed_api(sqlite_url)
        (api.steward.settings.key_dir / "audit.pub").unlink()
        data = _verify(api)
        assert not data["ok"] and not data["signatures_checked"]
        assert data["problems"][0].startswith("signatures NOT checked")
        assert data["verifier"]["key_id"] is None and data["verifier"]["source"] == "none"
        assert "NOT checked" in data["summary"]

    def test_configured_key_is_used_and_reported(self, sqlite_url: str, signed_api: Callable[[str], Api],
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """STEWARD_VERIFIER_KEY names the key; a key that did not sign the checkpoints fails the log."""
        api = signed_api(sqlite_url)
        elsewhere = tmp_path / "auditor" / "steward.pub"
        elsewhere.parent.mkdir()
        shutil.move(api.steward.settings.key_dir / "audit.pub", elsewhere)
        monkeypatch.setenv("STEWARD_VERIFIER_KEY", str(elsewhere))
        api.steward.settings = replace(api.steward.settings, verifier_key=Settings().verifier_key)
        data = _verify(api)
        assert data["ok"] and data["verifier"]["source"] == "STEWARD_VERIFIER_KEY"
        assert data["verifier"]["path"] == str(elsewhere)
        stranger = Signer.generate("steward-audit").verifier().key_string
        api.steward.settings = replace(api.steward.settings, verifier_key=stranger)
        data = _verify(api)
        assert not data["ok"] and data["verifier"]["path"] is None
        assert any("not signed by" in p for p in data["problems"]), data["problems"]


class TestCliVerify:
    def test_cli_fails_closed_without_a_key_and_names_the_key(self, sqlite_url: str,
                                                              signed_api: Callable[[str], Api],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
        """`steward audit verify` names the key it used; with the key gone it exits 1: signatures NOT checked."""
        api = signed_api(sqlite_url)
        monkeypatch.setenv("STEWARD_HOME", str(api.steward.settings.home))
        monkeypatch.delenv("STEWARD_VERIFIER_KEY", raising=False)
        ok = runner.invoke(cli_app, ["audit", "verify", "--db", sqlite_url])
        assert ok.exit_code == 0 and "verifier key steward-audit+" in ok.stdout, ok.output
        (api.steward.settings.key_dir / "audit.pub").unlink()
        bad = runner.invoke(cli_app, ["audit", "verify", "--db", sqlite_url])
        assert bad.exit_code == 1 and "signatures NOT checked" in bad.stderr


@pytest.mark.browser
class TestConsoleVerify:
    def test_console_shows_the_key_and_a_clear_failure(self, make_steward: Callable[..., Any], tmp_path: Path,
                                                       sqlite_url: str) -> None:
        """The auditor's console shows which key verified, and NOT VERIFIED with the reason for a forgery."""
        from playwright.sync_api import expect, sync_playwright

        from executor.api._server import BackgroundServer
        from executor.browser.launch import launch_args

        steward = make_steward(sqlite_url)
        tokens = make_keys(steward)
        steward.store.record(None, [("drill.note", {"text": "an entry"})], "system:test")
        steward.checkpoint()
        key = f"{steward.checkpointer.signer.key_id:08x}"
        with BackgroundServer(create_app(steward, config=ApiConfig(rate_per_s=0))) as server, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium"), args=launch_args())
            try:
                page = browser.new_page(base_url=server.url)
                page.goto("/console")
                page.get_by_label("API key").fill(tokens["auditor"])
                page.get_by_role("button", name="Sign in").click()
                page.get_by_role("button", name="Verify now").click()
                expect(page.locator("#verify-out")).to_contain_text(f"Verifier key: steward-audit+{key}")
                note = steward.audit.latest_checkpoint().note
                tamper(steward.engine, "UPDATE audit_checkpoints SET note = '" + forge(note) + "'")
                page.get_by_role("button", name="Verify now").click()
                expect(page.locator("#verify-out")).to_contain_text("NOT VERIFIED")
                expect(page.locator("#verify-out")).to_contain_text("invalid signature")
                expect(page.locator("#status")).to_contain_text("does NOT verify")
            finally:
                browser.close()

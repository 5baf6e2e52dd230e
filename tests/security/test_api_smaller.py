"""Issue 17 item 10: kill scopes are checked against the catalog; checkpoints reach a witness as they are signed."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from executor.api import ApiConfig, create_app
from executor.cli import app as cli_app
from tests.api.conftest import Api, make_keys
from tests.security.test_verify_signatures import tamper

runner = CliRunner()


@pytest.fixture
def build(make_steward: Callable[..., Any]) -> Iterator[Callable[..., Api]]:
    clients: list[TestClient] = []

    def make(db_url: str, **settings: Any) -> Api:
        steward = make_steward(db_url)
        if settings:
            steward.settings = replace(steward.settings, **settings)
        client = TestClient(create_app(steward, config=ApiConfig(rate_per_s=0)), raise_server_exceptions=False)
        clients.append(client)
        return Api(steward=steward, client=client, tokens=make_keys(steward))

    yield make
    for c in clients:
        c.close()


class TestKillScopes:
    def test_typo_in_a_scope_is_refused_listing_known_names(self, db_url: str, build: Callable[..., Api]) -> None:
        """action: and target: scopes must name catalog entries (422 with the known names); nothing engages."""
        api = build(db_url)
        before = api.steward.audit.size()
        for scope, known in (("action:issue_creditt", "issue_credit"), ("target:billing", "billing_console")):
            r = api.client.post("/v1/kill-switch", headers=api.h("operator"), json={"scope": scope, "reason": "x"})
            assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_scope", r.text
            assert known in r.json()["error"]["message"]
        assert api.steward.store.kill_switches() == [] and api.steward.audit.size() == before
        for scope in ("action:issue_credit", "target:billing_console", "class:autonomous", "global"):
            r = api.client.post("/v1/kill-switch", headers=api.h("operator"), json={"scope": scope, "reason": "x"})
            assert r.status_code == 201, r.text

    def test_an_engaged_unknown_scope_can_still_be_released(self, sqlite_url: str, build: Callable[..., Api]) -> None:
        """A halt engaged before its action left the catalog is released normally."""
        api = build(sqlite_url)
        api.steward.store.engage("action:retired_action", "olga", "engaged under an older catalog")
        r = api.client.delete("/v1/kill-switch/action:retired_action", params={"reason": "cleanup"},
                              headers=api.h("operator"))
        assert r.status_code == 200 and r.json()["released"], r.text
        assert api.steward.store.kill_switches() == []

    def test_cli_typo_is_one_line(self, sqlite_url: str, build: Callable[..., Api],
                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """`steward kill --scope action:TYPO` exits 1 with one error line naming the known actions."""
        build(sqlite_url)
        monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
        result = runner.invoke(cli_app, ["kill", "--scope", "action:refund", "--operator", "olga",
                                         "--reason", "drill", "--db", sqlite_url])
        assert result.exit_code == 1
        error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(error) == 1 and "unknown action 'refund'" in error[0] and "lookup_account" in error[0]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'smaller.db'}"


def _entries(api: Api, n: int) -> None:
    api.steward.store.record(None, [("drill.note", {"i": i}) for i in range(n)], "system:test")


class TestWitnessFolder:
    def test_each_checkpoint_is_witnessed_as_it_is_signed(self, sqlite_url: str, build: Callable[..., Api],
                                                          tmp_path: Path) -> None:
        """With a witness folder, every signed checkpoint's note is written there at once."""
        api = build(sqlite_url, witness_dir=tmp_path / "witness")
        _entries(api, 3)
        first = api.steward.checkpoint()
        _entries(api, 2)
        second = api.steward.checkpoint()
        files = sorted(p.name for p in (tmp_path / "witness").iterdir())
        assert files == [first.file_name, second.file_name]
        assert (tmp_path / "witness" / second.file_name).read_text(encoding="utf-8") == second.note

    def test_truncated_tail_is_caught_by_verify_witness(self, db_url: str, build: Callable[..., Api],
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An attacker cuts the log back to an older checkpoint and deletes the newer ones: plain verify
        passes, `audit verify --witness` and the API (witness configured) fail naming the witnessed checkpoint."""
        witness = tmp_path / "witness"
        api = build(db_url, witness_dir=witness)
        _entries(api, 4)
        kept = api.steward.checkpoint()
        _entries(api, 6)
        lost = api.steward.checkpoint()
        tamper(api.steward.engine,
               f"DELETE FROM audit_entries WHERE seq >= {kept.size}",
               f"DELETE FROM audit_tree_nodes WHERE seq >= {kept.size}",
               f"DELETE FROM audit_checkpoints WHERE size > {kept.size}")
        for path in api.steward.settings.checkpoint_dir.glob("*.checkpoint"):
            if path.name != kept.file_name:
                path.unlink()
        monkeypatch.setenv("STEWARD_HOME", str(api.steward.settings.home))
        plain = runner.invoke(cli_app, ["audit", "verify", "--db", db_url])
        assert plain.exit_code == 0, plain.output  # the attack works against the log alone
        caught = runner.invoke(cli_app, ["audit", "verify", "--db", db_url, "--witness", str(witness)])
        assert caught.exit_code == 1
        assert f"witnessed checkpoint {lost.file_name}: covers {lost.size} entries" in caught.stdout
        assert "truncated" in caught.stdout
        report = api.client.get("/v1/audit/verify", headers=api.h("auditor")).json()
        assert not report["ok"] and report["first_bad_checkpoint"] == lost.size

    def test_witness_keeps_its_first_note_for_a_size(self, sqlite_url: str, build: Callable[..., Api],
                                                     tmp_path: Path) -> None:
        """A second, different note for a size already witnessed is refused; the first stays."""
        from audit import InconsistentCheckpointError, write_witness_file

        api = build(sqlite_url)
        _entries(api, 2)
        cp = api.steward.checkpoint()
        write_witness_file(tmp_path / "w", cp)
        with pytest.raises(InconsistentCheckpointError, match="forked"):
            write_witness_file(tmp_path / "w", cp.model_copy(update={"note": cp.note.replace("\n\n", "\n\nx")}))
        assert (tmp_path / "w" / cp.file_name).read_text(encoding="utf-8") == cp.note
        shutil.rmtree(tmp_path / "w")


class _Witness(BaseHTTPRequestHandler):
    """Answers 503 to the first POST, then 200; records every body."""

    bodies: ClassVar[list[bytes]] = []
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.bodies.append(body)
            first = len(self.bodies) == 1
        self.send_response(503 if first else 200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class TestWitnessUrl:
    def test_checkpoints_are_posted_and_a_failure_is_retried(self, sqlite_url: str,
                                                             build: Callable[..., Api]) -> None:
        """Each checkpoint is POSTed to STEWARD_WITNESS_URL; a 503 is retried in the background."""
        _Witness.bodies = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Witness)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            api = build(sqlite_url, witness_url=f"http://127.0.0.1:{server.server_address[1]}/witness")
            _entries(api, 3)
            cp = api.steward.checkpoint()  # returns at once; delivery happens on the witness thread
            witnesses = api.steward.witnesses
            assert witnesses is not None
            deadline = time.monotonic() + 60
            while cp.size not in witnesses.delivered and time.monotonic() < deadline:
                time.sleep(0.05)
            assert witnesses.delivered == [cp.size] and witnesses.pending() == 0
            assert _Witness.bodies == [cp.note.encode(), cp.note.encode()]  # refused once, then accepted
        finally:
            server.shutdown()
            server.server_close()

"""Remote browsers: a worker drives Chromium through ``steward browser-server`` on loopback.

The browser server is a separate process (as on another machine); the worker
connects with ``ws_endpoint``. Confinement, evidence and the secret rules hold
there as they do with a local browser, and a connection that drops before the
commit costs a retry, never a second commit.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from action_classes import Step, Target
from executor.logs import configure_logging
from tests.executor.conftest import AGENT, credit
from tests.helpers import CANARY_PASSWORD, LoopThread
from tests.security.two_origins import TwoOrigins

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read(out: Any) -> str:
    out.seek(0)
    return str(out.read())


class BrowserServer:
    """``steward browser-server`` in its own process group, so a kill takes Chromium with it."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"ws://127.0.0.1:{self.port}/steward-test"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        code = "from executor.cli import main; main()"
        with tempfile.TemporaryFile("w+") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code, "browser-server", "--port", str(self.port), "--path", "/steward-test"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
            deadline = time.monotonic() + 60
            while self.url not in (printed := _read(out)):  # Playwright prints the endpoint once it listens
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"browser server did not start: {printed[-500:]!r}")
                time.sleep(0.05)

    def kill(self) -> None:
        """Drop every connection at once, as a crashed browser host would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self.proc = None


@pytest.fixture
def browser_server() -> Iterator[BrowserServer]:
    server = BrowserServer()
    server.start()
    yield server
    server.kill()


@pytest.fixture
def remote_driver(loop_thread: LoopThread, browser_server: BrowserServer, billing: Any) -> Iterator[Any]:
    """A driver connected to the browser server (its own session pool, as a worker on another host has)."""
    from executor.browser.playwright_driver import PlaywrightDriver

    drv = PlaywrightDriver(ws_endpoint=browser_server.url, step_timeout_ms=15_000)  # a loaded machine
    loop_thread.run(drv.start())
    yield drv
    loop_thread.run(drv.close())


@pytest.fixture
def run_remote(loop_thread: LoopThread, remote_driver: Any) -> Any:
    from executor.worker import Worker

    def run(steward: Any) -> list[Any]:
        worker = Worker(steward, remote_driver, concurrency=1, poll_s=0.02, lease_s=30)
        return loop_thread.run(worker.run(once=True))

    return run


def _evidence_bytes(folder: Path) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out.append((str(path), data))
            if data[:2] == b"PK":
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    out.extend((f"{path}!{name}", zf.read(name)) for name in zf.namelist())
    return out


class TestRemoteRun:
    def test_credit_through_the_browser_server(
        self, db_url: str, make_steward: Any, run_remote: Any, remote_driver: Any, billing: Any, accounts: Any,
    ) -> None:
        """A credit runs in the remote browser: committed once, screenshots hashed into the audit log, no secret."""
        steward = make_steward(db_url)
        logs = io.StringIO()
        configure_logging(stream=logs)
        try:
            acc = accounts.take()
            rec, _ = steward.submit(credit(acc, 432, "Remote browser goodwill"), AGENT)
            run_remote(steward)
        finally:
            structlog.reset_defaults()
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert [c.amount_cents for c in billing.db.credits(acc)] == [432]
        evidence = (rec.outcome or {})["evidence"]
        assert sorted(e["kind"] for e in evidence) == ["screenshot", "screenshot", "trace"]
        logged = {e.payload["sha256"] for e in steward.audit.entries(action_id=rec.id, types=["evidence.stored"])}
        assert logged == {e["sha256"] for e in evidence}
        for item in evidence:
            assert steward.evidence.verify(item["sha256"])
        assert steward.audit.verify().ok
        # The login happened in the remote browser (its own pool): its password went nowhere.
        assert logs.getvalue() and CANARY_PASSWORD not in logs.getvalue()
        assert CANARY_PASSWORD not in json.dumps([e.payload for e in steward.audit.entries()])
        files = _evidence_bytes(steward.settings.evidence_dir)
        assert any("trace" in name for name, _ in files)
        for name, data in files:
            assert CANARY_PASSWORD.encode() not in data, name

    def test_another_origin_is_blocked_in_the_remote_browser(self, loop_thread: LoopThread, remote_driver: Any) -> None:
        """A goto redirected to another origin fails as navigation_blocked; the other origin receives nothing."""
        from executor.browser.perform import perform_step
        from executor.errors import ExecutionError

        with TwoOrigins() as lab:
            target = Target(name="lab", base_url=lab.allowed, allowed_origins=[lab.allowed])

            async def scenario() -> tuple[Any, list[Any]]:
                ctx, confinement = await remote_driver.new_context(target, None)
                try:
                    page = await ctx.new_page()
                    await page.goto(lab.allowed + "/login")  # a cookie an escape would carry along
                    try:
                        await perform_step(
                            page, Step(goto=f"/redirect?to={lab.other}/goto-hop%3Fq%3Dleak"), base_url=lab.allowed,
                            confinement=confinement, timeout_ms=10_000,
                        )
                    except ExecutionError as exc:
                        return exc, list(confinement.blocked)
                    return None, list(confinement.blocked)
                finally:
                    await ctx.close()
                    await confinement.close()

            error, blocked = loop_thread.run(scenario())
            assert lab.received() == []
        assert error is not None and error.code == "navigation_blocked"
        assert any(b.origin == lab.other and b.path == "/goto-hop" and b.navigation for b in blocked)
        assert "leak" not in repr(blocked)


class TestConnectionDrops:
    def test_drop_before_the_commit_retries(
        self, make_steward: Any, run_remote: Any, remote_driver: Any, browser_server: BrowserServer, billing: Any,
        accounts: Any, tmp_path: Path,
    ) -> None:
        """The browser server dies after the session opened: the attempt fails, the retry reconnects, one credit."""
        steward = make_steward(f"sqlite:///{tmp_path / 'drop.db'}")
        real_open = remote_driver.open_session
        drops: list[str] = []

        async def open_then_drop(*args: Any, **kwargs: Any) -> Any:
            session = await real_open(*args, **kwargs)
            if not drops:  # first attempt only: the server (and its Chromium) go away, a new one comes up
                drops.append("dropped")
                browser_server.kill()
                browser_server.start()
            return session

        remote_driver.open_session = open_then_drop
        try:
            acc = accounts.take()
            rec, _ = steward.submit(credit(acc, 111, "Dropped connection"), AGENT)
            run_remote(steward)
        finally:
            del remote_driver.open_session
        rec = steward.get(rec.id)
        assert drops == ["dropped"]
        assert rec.state.value == "succeeded", rec.error_message
        retries = steward.audit.entries(action_id=rec.id, types=["step.retry"])
        assert [e.payload["error"] for e in retries] == ["transient_fault"]
        types = [e.type for e in steward.audit.entries(action_id=rec.id)]
        assert types.count("commit.started") == 1
        assert [c.amount_cents for c in billing.db.credits(acc)] == [111]

    def test_drop_after_the_commit_started_is_settled_by_verification(
        self, make_steward: Any, run_remote: Any, browser_server: BrowserServer, billing: Any, accounts: Any,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """The server dies right after commit.started: in_doubt, a verify-only run decides; no second commit."""
        steward = make_steward(f"sqlite:///{tmp_path / 'after.db'}")
        real = steward.store.mark_commit_started

        def mark_then_drop(*args: Any, **kwargs: Any) -> bool:
            ok = bool(real(*args, **kwargs))
            browser_server.kill()
            browser_server.start()
            return ok

        monkeypatch.setattr(steward.store, "mark_commit_started", mark_then_drop)
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 333, "Dropped during the commit"), AGENT)
        run_remote(steward)
        assert steward.get(rec.id).state.value == "in_doubt"
        monkeypatch.undo()
        run_remote(steward)  # a worker's first recovery sweep settles it, verify-only
        rec = steward.get(rec.id)
        types = [e.type for e in steward.audit.entries(action_id=rec.id)]
        assert types.count("commit.started") == 1  # never committed twice
        credits = [c.amount_cents for c in billing.db.credits(acc)]
        # Settled by a verify-only run through the reconnected browser: succeeded when the credit is there;
        # when the click never landed, not done and flagged for a person (unverified), never retried blindly.
        assert (rec.state.value, credits) in [("succeeded", [333]), ("unverified", []), ("failed", [])], (
            rec.state.value, credits)

    def test_server_gone_fails_without_committing(
        self, make_steward: Any, run_remote: Any, remote_driver: Any, browser_server: BrowserServer, billing: Any,
        accounts: Any, tmp_path: Path,
    ) -> None:
        """With the browser server down for good, the request fails after its retries, naming the server; no credit."""
        steward = make_steward(f"sqlite:///{tmp_path / 'gone.db'}")
        browser_server.kill()
        acc = accounts.take()
        rec, _ = steward.submit(credit(acc, 222, "Server gone"), AGENT)
        run_remote(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "failed"
        assert "browser server 127.0.0.1:" in (rec.error_message or "") and "steward-test" not in rec.error_message
        types = [e.type for e in steward.audit.entries(action_id=rec.id)]
        assert "commit.started" not in types and "step.retry" in types
        assert billing.db.credits(acc) == []


class TestGateAddress:
    def test_loopback_browser_uses_loopback(self) -> None:
        """A local or loopback browser server reaches the gates on 127.0.0.1."""
        from executor.browser.launch import gate_host_for

        assert gate_host_for(None) == gate_host_for("ws://127.0.0.1:3000/x") == "127.0.0.1"

    def test_remote_browser_gets_the_routing_address(self) -> None:
        """A browser on another host is told this host's address on the route to it, never loopback."""
        from executor.browser.launch import gate_host_for

        address = gate_host_for("ws://192.0.2.10:3000/x")  # TEST-NET-1: routed by the default route, never sent to
        assert address != "127.0.0.1" and socket.inet_aton(address)

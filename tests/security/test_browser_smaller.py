"""Smaller browser items: login-time blocks are audited, blocked navigations keep the page, errors name their cause."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from action_classes import Step, Target, load_catalog
from executor.errors import ExecutionError
from executor.models import SubmitRequest
from policies import Policy
from tests.executor.conftest import AGENT
from tests.security.two_origins import TwoOrigins

pytestmark = pytest.mark.browser
CATALOG = Path(__file__).parent / "catalogs" / "lab"


def _step(spec: dict[str, Any]) -> Step:
    return Step.model_validate(spec)


def _in_session(loop_thread: Any, driver: Any, target: Target, steps: list[dict[str, Any]]) -> tuple[Any, list[Any]]:
    """Run steps in a real action session; (the first error or None, what the confinement blocked)."""

    async def go() -> tuple[Any, list[Any]]:
        session = await driver.open_session(target, trace=False, mask=[])
        try:
            for spec in steps:
                if "until_blocked" in spec:  # wait for an attempt the page makes on its own
                    deadline = time.monotonic() + 15
                    while not any(b.path == spec["until_blocked"] for b in session.blocked):
                        if time.monotonic() > deadline:
                            raise AssertionError(f"{spec['until_blocked']} was never attempted")
                        await asyncio.sleep(0.05)
                    continue
                step = _step({k: v for k, v in spec.items() if k != "timeout_ms"})
                try:
                    await session.run(step, timeout_ms=spec.get("timeout_ms", 5_000))
                except ExecutionError as exc:
                    return exc, list(session.blocked)
            return None, list(session.blocked)
        finally:
            await session.finish()

    return loop_thread.run(go())


class TestLoginBlocked:
    def test_keylogger_during_login_is_audited(
        self, make_steward: Any, tmp_path: Path, run_worker: Any, driver: Any, two_origins: TwoOrigins, monkeypatch: Any
    ) -> None:
        """A login page posting keystrokes to another origin leaves a browser.blocked event with phase login."""
        monkeypatch.setenv("LAB_URL", two_origins.allowed)
        monkeypatch.setenv("LAB_USER", "lab-user")
        monkeypatch.setenv("LAB_PASSWORD", "lab-password-123")
        steward = make_steward(
            f"sqlite:///{tmp_path / 'lab.db'}", catalog=load_catalog(CATALOG), policy=Policy([], version="empty")
        )
        driver.forget_login(steward.catalog.targets["lab_login"])
        rec, _ = steward.submit(SubmitRequest(action="keylogged_lab"), AGENT)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert two_origins.received() == []
        events = steward.audit.entries(action_id=rec.id, types=["browser.blocked"])
        login = [e.payload for e in events if e.payload.get("phase") == "login"]
        assert login, f"no login-phase browser.blocked event in {[e.payload for e in events]}"
        assert {"origin": two_origins.other, "path": "/keys"} in [
            {"origin": r["origin"], "path": r["path"]} for r in login[0]["requests"]
        ]
        assert "lab-password-123" not in repr(login) and "k=" not in repr(login)


class TestBlockedNavigation:
    @pytest.mark.parametrize(
        ("page_name", "leave", "hop"),
        [
            ("js-redirect", [{"click": {"role": "button", "name": "Leave"}}], "/js-hop"),
            ("meta-refresh", [], "/meta-hop"),
        ],
    )
    def test_page_stays_usable(
        self,
        loop_thread: Any,
        driver: Any,
        lab_target: Target,
        two_origins: TwoOrigins,
        page_name: str,
        leave: list[dict[str, Any]],
        hop: str,
    ) -> None:
        """A JS redirect or meta refresh to another origin is recorded, and the next step works on the same page."""
        steps = [
            {"goto": f"/page/{page_name}"},
            *leave,
            {"until_blocked": hop},
            {"click": {"role": "button", "name": "Stay"}},
            {"expect": {"css": "#said", "text": "still here"}},
        ]
        error, blocked = _in_session(loop_thread, driver, lab_target, steps)
        assert error is None, error
        assert two_origins.received() == []
        assert any(b.origin == two_origins.other and b.path == hop and b.navigation for b in blocked)


class TestErrorCause:
    def test_earlier_blocked_popup_does_not_explain_a_timeout(
        self, loop_thread: Any, driver: Any, lab_target: Target, two_origins: TwoOrigins
    ) -> None:
        """A click that times out is a locator error even after a popup was blocked in an earlier step."""
        steps = [
            {"goto": "/page/popup"},
            {"click": {"role": "button", "name": "Open"}},
            {"until_blocked": "/popup-hop"},
            {"click": {"role": "button", "name": "Missing"}, "timeout_ms": 1_000},
        ]
        error, blocked = _in_session(loop_thread, driver, lab_target, steps)
        assert any(b.path == "/popup-hop" and b.navigation for b in blocked)
        assert error is not None and error.code == "locator_error", error

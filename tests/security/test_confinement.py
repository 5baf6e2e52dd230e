"""Origin confinement holds at every hop: redirects, workers, prefetch and prerender, WebRTC.

Each case runs in a context opened like the driver opens one, on the two-origin
lab: the page on the allowed origin tries one way out; the forbidden origin
records whatever reaches it. A case passes when the forbidden origin received
nothing (so no cookie went along either) and the attempt is recorded by origin
and path, never its query string.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from action_classes import load_catalog
from executor.models import SubmitRequest
from policies import Policy
from tests.executor.conftest import AGENT
from tests.security.two_origins import TwoOrigins

pytestmark = pytest.mark.browser
CATALOG = Path(__file__).parent / "catalogs" / "lab"
_WAIT_S = 15.0


async def _until(check: Any, what: str) -> None:
    """Wait for an observable effect (never a fixed sleep, never a timing assertion)."""
    deadline = time.monotonic() + _WAIT_S
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


def _blocked_paths(confinement: Any, origin: str) -> set[str]:
    return {b.path for b in confinement.blocked if b.origin == origin}


def _assert_nothing_left(lab: TwoOrigins) -> None:
    hits = lab.received()
    assert hits == [], f"the forbidden origin was reached: {[(h.path, h.headers.get('cookie')) for h in hits]}"


def _open_page(lab: TwoOrigins, page_name: str, expected: set[str]) -> Any:
    async def scenario(page: Any, confinement: Any) -> Any:
        await page.goto(f"{lab.allowed}/page/{page_name}")

        async def recorded() -> bool:
            return expected <= _blocked_paths(confinement, lab.other)

        await _until(recorded, f"the blocked record of {sorted(expected)}")
        return list(confinement.blocked)

    return scenario


class TestRedirectHops:
    @pytest.mark.parametrize(
        ("page_name", "hop"), [("img", "/img-hop"), ("fetch", "/fetch-hop"), ("iframe", "/iframe-hop")]
    )
    def test_redirect_to_another_origin_is_refused(
        self, in_context: Any, two_origins: TwoOrigins, page_name: str, hop: str
    ) -> None:
        """An open redirect on the allowed origin cannot take an img, fetch or iframe to another port."""
        blocked = in_context(_open_page(two_origins, page_name, {hop}))
        _assert_nothing_left(two_origins)
        assert any(b.origin == two_origins.other and b.path == hop for b in blocked)
        assert "leak" not in repr(blocked)

    def test_top_level_goto_through_redirect_is_refused(self, in_context: Any, two_origins: TwoOrigins) -> None:
        """A goto step to the allowed origin that redirects away fails as navigation_blocked; nothing leaves."""
        from action_classes import Step
        from executor.browser.perform import perform_step
        from executor.errors import ExecutionError

        async def scenario(page: Any, confinement: Any) -> Any:
            try:
                await perform_step(
                    page,
                    Step(goto=f"/redirect?to={two_origins.other}/goto-hop%3Fq%3Dleak"),
                    base_url=two_origins.allowed,
                    confinement=confinement,
                    timeout_ms=10_000,
                )
            except ExecutionError as exc:
                return exc, list(confinement.blocked)
            return None, list(confinement.blocked)

        error, blocked = in_context(scenario)
        _assert_nothing_left(two_origins)
        assert error is not None and error.code == "navigation_blocked"
        assert any(b.origin == two_origins.other and b.path == "/goto-hop" and b.navigation for b in blocked)
        assert "leak" not in repr(blocked)


class TestWorkers:
    def test_shared_worker_cannot_fetch_elsewhere(self, in_context: Any, two_origins: TwoOrigins) -> None:
        """Shared workers do not exist in a confined context, so their fetch and importScripts never leave."""

        async def scenario(page: Any, confinement: Any) -> Any:
            await page.goto(f"{two_origins.allowed}/page/shared-worker")

            async def settled() -> bool:
                return await page.title() == "no SharedWorker" or bool(two_origins.received())

            await _until(settled, "the shared worker to run or fail")
            return await page.title()

        title = in_context(scenario)
        _assert_nothing_left(two_origins)
        assert title == "no SharedWorker"

    def test_gate_alone_confines_shared_workers(self, loop_thread: Any, two_origins: TwoOrigins) -> None:
        """In a browser without Steward's flags (a remote one), the network gate still refuses shared workers."""
        from playwright.async_api import async_playwright

        from executor.browser.confine import Confinement
        from executor.browser.launch import find_chromium, launch_args

        bare = [a for a in launch_args() if "SharedWorker" not in a]

        async def go() -> list[Any]:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=find_chromium(), args=bare)
                confinement = Confinement(frozenset([two_origins.allowed]))
                try:
                    ctx = await browser.new_context(proxy=await confinement.open_gate())
                    page = await ctx.new_page()  # no route layer and no init script: the gate alone
                    await page.goto(f"{two_origins.allowed}/login")
                    await page.goto(f"{two_origins.allowed}/page/shared-worker")

                    async def recorded() -> bool:
                        paths = _blocked_paths(confinement, two_origins.other)
                        return {"/sharedworker-fetch", "/sharedworker-import.js"} <= paths

                    await _until(recorded, "the shared worker's requests at the gate")
                    return list(confinement.blocked)
                finally:
                    await browser.close()
                    await confinement.close()

        blocked = loop_thread.run(go())
        _assert_nothing_left(two_origins)
        assert all(b.origin == two_origins.other for b in blocked) and "leak" not in repr(blocked)

    def test_dedicated_worker_requests_are_confined(self, in_context: Any, two_origins: TwoOrigins) -> None:
        """A dedicated worker may run; its fetch, importScripts and redirected fetch to another origin are refused."""
        expected = {"/worker-fetch", "/worker-import.js", "/worker-redirect-hop"}
        blocked = in_context(_open_page(two_origins, "dedicated-worker", expected))
        _assert_nothing_left(two_origins)
        assert "leak" not in repr(blocked)


class TestSpeculation:
    def test_prefetch_and_prerender_stay_inside(self, in_context: Any, two_origins: TwoOrigins) -> None:
        """Speculation rules (prefetch, prerender, direct or through a redirect) reach no other origin."""
        expected = {"/prefetch-direct", "/prefetch-hop", "/prerender-hop"}
        blocked = in_context(_open_page(two_origins, "prefetch", expected))
        _assert_nothing_left(two_origins)
        assert "leak" not in repr(blocked)


class TestWebRTC:
    def test_stun_packet_never_sent(self, in_context: Any, two_origins: TwoOrigins) -> None:
        """An RTCPeerConnection with a STUN server on loopback gathers candidates without sending it a packet."""

        async def scenario(page: Any, confinement: Any) -> str:
            await page.goto(f"{two_origins.allowed}/page/webrtc")

            async def gathered() -> bool:
                return await page.title() in ("gathered", "no RTCPeerConnection") or bool(two_origins.udp_packets)

            await _until(gathered, "ICE gathering to finish")
            return str(await page.title())

        in_context(scenario)
        assert two_origins.udp_packets == [], "a STUN binding request left the browser"


@pytest.fixture
def lab_steward(make_steward: Any, tmp_path: Path, two_origins: TwoOrigins, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LAB_URL", two_origins.allowed)
    monkeypatch.setenv("LAB_OTHER", two_origins.other)
    catalog = load_catalog(CATALOG)
    return make_steward(f"sqlite:///{tmp_path / 'lab.db'}", catalog=catalog, policy=Policy([], version="empty"))


class TestAudit:
    def test_runner_records_redirect_hops_by_origin_and_path(
        self, lab_steward: Any, run_worker: Any, two_origins: TwoOrigins
    ) -> None:
        """Through the runner, a refused redirect hop is a browser.blocked event without its query string."""
        rec, _ = lab_steward.submit(SubmitRequest(action="redirect_lab"), AGENT)
        run_worker(lab_steward)
        rec = lab_steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        _assert_nothing_left(two_origins)
        events = lab_steward.audit.entries(action_id=rec.id, types=["browser.blocked"])
        requests = [r for e in events for r in e.payload["requests"]]
        assert {"origin": two_origins.other, "path": "/img-hop"} in [
            {"origin": r["origin"], "path": r["path"]} for r in requests
        ]
        assert "leak" not in repr([e.payload for e in events])

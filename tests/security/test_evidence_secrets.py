"""Evidence holds no credential-equivalent or personal data; pooled sessions do not outlive their use.

Traces are unzipped member by member: no session cookie, no Cookie, Set-Cookie
or Authorization value, no PII parameter in any encoding, no query string of a
blocked URL. A session cookie taken from the pool stops working once the
driver has signed it out.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
import structlog

from action_classes import load_catalog
from executor.logs import configure_logging
from executor.models import SubmitRequest
from policies import Policy
from tests.executor.conftest import AGENT, confirmation_for, context
from tests.security.two_origins import TwoOrigins

pytestmark = pytest.mark.browser
CATALOG = Path(__file__).parent / "catalogs" / "lab"


def _trace_members(steward: Any) -> list[tuple[str, bytes]]:
    """Every member of every stored trace zip."""
    members: list[tuple[str, bytes]] = []
    for path in steward.settings.evidence_dir.rglob("*"):
        data = path.read_bytes() if path.is_file() else b""
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                members.extend((f"{path.name}!{name}", zf.read(name)) for name in zf.namelist())
    assert members, "no trace was stored"
    return members


def _header_values(members: list[tuple[str, bytes]], names: set[str]) -> list[str]:
    """Values of the named headers in the traces' network records (every JSON line must still parse)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if str(value.get("name", "")).lower() in names and isinstance(value.get("value"), str):
                found.append(value["value"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for name, data in members:
        if name.endswith((".trace", ".network")):
            for line in data.decode().splitlines():
                if line.strip():
                    walk(json.loads(line))
    return found


def _session_cookie(state: Any) -> str:
    cookies = [c for c in state["cookies"] if c["name"] == "bc_session"]
    assert cookies, "the pooled state has no session cookie"
    return str(cookies[0]["value"])


def _opens_account(base_url: str, cookie: str) -> bool:
    """Whether the cookie alone still opens an account page (a signed-out one bounces to /login)."""
    response = httpx.get(f"{base_url}/accounts/ACC-000040", cookies={"bc_session": cookie}, follow_redirects=False)
    return response.status_code == 200


@pytest.fixture
def sqlite_steward(make_steward: Any, tmp_path: Path) -> Any:
    return make_steward(f"sqlite:///{tmp_path / 'evidence.db'}")


class TestTraceScrub:
    def test_trace_has_no_session_cookie(self, sqlite_steward: Any, run_worker: Any, driver: Any, billing: Any) -> None:
        """A traced run stores no cookie or authorization value, and not the session cookie in any member."""
        target = sqlite_steward.catalog.targets["billing_console"]
        driver.forget_login(target)
        rec, _ = sqlite_steward.submit(
            SubmitRequest(action="lookup_account", params={"account_id": "ACC-000041"}, context=context()), AGENT
        )
        run_worker(sqlite_steward)
        assert sqlite_steward.get(rec.id).state.value == "succeeded"
        cookie = _session_cookie(driver._idle[target.name][-1].state)
        members = _trace_members(sqlite_steward)
        values = _header_values(members, {"cookie", "set-cookie", "authorization", "proxy-authorization"})
        assert values, "the trace recorded no cookie header at all: nothing was checked"
        assert set(values) == {"[redacted]"}
        for name, data in members:
            assert cookie.encode() not in data, name

    def test_pii_parameter_in_no_trace_member(
        self, sqlite_steward: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """A pii: true parameter is in no trace member: typed, URL-encoded, HTML- or JSON-escaped."""
        email = f"pii.{accounts.take().lower()}+tag@example.com"
        account = accounts.take()
        rec, _ = sqlite_steward.submit(
            SubmitRequest(
                action="update_contact_email",
                params={"account_id": account, "new_email": email},
                context=context(),
            ),
            AGENT,
        )
        sqlite_steward.confirm(rec.id, confirmation_for(rec), AGENT)
        run_worker(sqlite_steward)
        assert sqlite_steward.get(rec.id).state.value == "succeeded"
        members = _trace_members(sqlite_steward)
        forms = {email, quote(email, safe=""), quote_plus(email), html.escape(email), json.dumps(email)[1:-1]}
        for name, data in members:
            for form in forms:
                assert form.encode() not in data, (name, form)
        assert not any(name.endswith((".jpeg", ".jpg")) for name, _ in members), "screencast frames show typed PII"

    def test_blocked_urls_lose_their_query(
        self, make_steward: Any, tmp_path: Path, run_worker: Any, origins: TwoOrigins, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A request blocked at the first hop or at a redirect hop appears in the trace without its query string."""
        origins.reset()
        monkeypatch.setenv("LAB_URL", origins.allowed)
        steward = make_steward(
            f"sqlite:///{tmp_path / 'lab.db'}", catalog=load_catalog(CATALOG), policy=Policy([], version="empty")
        )
        for action in ("pixel_lab", "redirect_lab"):
            steward.submit(SubmitRequest(action=action), AGENT)
        run_worker(steward)
        members = _trace_members(steward)
        text = b"\n".join(data for _, data in members)
        assert f"{origins.other}/pixel.png".encode() in text, "the blocked pixel is not in the trace at all"
        for leaked in (b"pixel.png?q=leak", b"img-hop?q=leak"):
            assert leaked not in text


class TestSessionsEnd:
    def test_pooled_cookie_dead_after_close(self, loop_thread: Any, billing: Any) -> None:
        """After the driver closes, the session cookie from its pool no longer opens an account page."""
        from executor.browser.playwright_driver import PlaywrightDriver
        from executor.config import DEFAULT_CATALOG_DIR

        target = load_catalog(DEFAULT_CATALOG_DIR).targets["billing_console"]
        drv = PlaywrightDriver(step_timeout_ms=5_000)

        async def pooled() -> Any:
            await drv.start()
            state = await drv.login_state(target)
            drv.release_state(target, state)
            return state

        cookie = _session_cookie(loop_thread.run(pooled()))
        assert _opens_account(billing.base_url, cookie)
        loop_thread.run(drv.close())
        assert not _opens_account(billing.base_url, cookie)

    def test_idle_session_signed_out(self, loop_thread: Any, billing: Any) -> None:
        """A pooled session idle longer than the limit is signed out and leaves the pool."""
        from executor.browser.playwright_driver import PlaywrightDriver
        from executor.config import DEFAULT_CATALOG_DIR

        target = load_catalog(DEFAULT_CATALOG_DIR).targets["billing_console"]
        drv = PlaywrightDriver(step_timeout_ms=5_000)

        async def go() -> tuple[str, int, int]:
            await drv.start()
            try:
                state = await drv.login_state(target)
                drv.release_state(target, state)
                drv.idle_logout_s = 0.0  # everything idle counts as too old now
                evicted = await drv.evict_idle()
                return _session_cookie(state), evicted, len(drv._idle.get(target.name, []))
            finally:
                await drv.close()

        cookie, evicted, left = loop_thread.run(go())
        assert (evicted, left) == (1, 0)
        assert not _opens_account(billing.base_url, cookie)

    def test_failed_logout_is_logged_not_raised(self, loop_thread: Any, billing: Any) -> None:
        """A session whose logout steps fail is dropped anyway; the failure is a log line, close() succeeds."""
        from action_classes import Step
        from executor.browser.playwright_driver import PlaywrightDriver
        from executor.config import DEFAULT_CATALOG_DIR

        good = load_catalog(DEFAULT_CATALOG_DIR).targets["billing_console"]
        broken = good.model_copy(update={"logout": [Step.model_validate({"click": {"text": "No such button"}})]})
        drv = PlaywrightDriver(step_timeout_ms=5_000)
        logs = io.StringIO()
        configure_logging(stream=logs)
        try:

            async def go() -> None:
                await drv.start()
                drv.release_state(broken, await drv.login_state(broken))
                await drv.close()

            loop_thread.run(go())
        finally:
            structlog.reset_defaults()
        events = [json.loads(line) for line in logs.getvalue().splitlines() if line.strip()]
        assert any(e.get("event") == "session.logout_failed" for e in events)
        assert drv._idle == {}


class TestScrubber:
    def _zip(self, members: dict[str, bytes]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        return out.getvalue()

    def test_every_encoding_and_header_shape(self) -> None:
        """Header lists, header objects and cookies are redacted; values go in every encoding; JSON stays JSON."""
        from executor.browser.trace_scrub import Sensitive, scrub_trace

        email, secret = "ana+x@example.com", "s3cr3t&value"
        network = {
            "type": "resource-snapshot",
            "snapshot": {
                "request": {
                    "url": "http://other.test:81/p?token=abc#frag",
                    "headers": [{"name": "Cookie", "value": "sid=1"}, {"name": "Accept", "value": "*/*"}],
                    "cookies": [{"name": "sid", "value": "1"}],
                    "postData": {"text": f"email={quote_plus(email)}&k={quote(secret, safe='')}"},
                },
                "response": {"headers": {"Set-Cookie": "sid=2", "Location": "http://other.test:81/x?y=1"}},
            },
        }
        body = f"<p>{html.escape(email)}</p><script>var s = {json.dumps(secret)}</script>".encode()
        data = self._zip({"trace.network": json.dumps(network).encode() + b"\n", "resources/a.html": body})
        sensitive = Sensitive((secret,), (email,), frozenset({"http://allowed.test:80"}))
        with zipfile.ZipFile(io.BytesIO(scrub_trace(data, sensitive))) as zf:
            line = json.loads(zf.read("trace.network").decode().strip())
            page = zf.read("resources/a.html")
        request, response = line["snapshot"]["request"], line["snapshot"]["response"]
        assert request["url"] == "http://other.test:81/p"
        assert request["headers"] == [{"name": "Cookie", "value": "[redacted]"}, {"name": "Accept", "value": "*/*"}]
        assert request["cookies"] == [{"name": "sid", "value": "[redacted]"}]
        assert request["postData"]["text"] == "email=[pii]&k=[secret]"
        assert response["headers"] == {"Set-Cookie": "[redacted]", "Location": "http://other.test:81/x"}
        assert page == b'<p>[pii]</p><script>var s = "[secret]"</script>'


class TestLogoutSteps:
    def test_checked_like_login_steps(self) -> None:
        """Logout steps may not use template values or leave the allowed origins; the catalog check says where."""
        from action_classes import Target
        from action_classes.checks import check_target

        target = Target.model_validate(
            {
                "name": "t",
                "base_url": "http://bo.test:8000",
                "allowed_origins": ["http://bo.test:8000"],
                "logout": [
                    {"goto": "http://elsewhere.test/logout"},
                    {"fill": {"label": "Why", "value": "{credentials.password}"}},
                    {"click": {"role": "link", "name": "Sign out"}},
                ],
            }
        )
        problems = check_target(target)
        assert {where for _, where in problems} >= {("logout", 0, "goto"), ("logout", 1, "fill", "value")}
        assert not any(where[:2] == ("logout", 2) for _, where in problems)

"""The catalog features real staff UIs need, run by a real worker and Chromium against the billing console."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from action_classes import load_catalog, request_ref
from executor.cli import app
from executor.models import SubmitRequest
from policies import Policy
from tests.executor.conftest import AGENT
from tests.helpers import CANARY_PASSWORD

pytestmark = pytest.mark.browser
CATALOG = Path(__file__).parent / "catalogs" / "format_gaps"
MASK_RGB = (255, 0, 255)  # Playwright's default mask colour

_COUNT_JS = """async ([src, rgb]) => {
  const img = new Image(); img.src = src; await img.decode();
  const canvas = document.createElement('canvas'); canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
  const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) n++;
  return n;
}"""


def count_pixels(loop_thread: Any, driver: Any, png: bytes, rgb: tuple[int, int, int]) -> int:
    """How many pixels of a PNG have exactly this colour (decoded by Chromium itself)."""

    async def go() -> int:
        page = await driver.browser.new_page()
        try:
            src = "data:image/png;base64," + base64.b64encode(png).decode()
            return int(await page.evaluate(_COUNT_JS, [src, list(rgb)]))
        finally:
            await page.close()

    return loop_thread.run(go())


@pytest.fixture
def gaps(make_steward: Any, tmp_path: Path, billing: Any) -> Any:
    return make_steward(
        f"sqlite:///{tmp_path / 'gaps.db'}", catalog=load_catalog(CATALOG), policy=Policy([], version="empty")
    )


def _run(steward: Any, run_worker: Any, action: str, **params: Any) -> Any:
    rec, _ = steward.submit(SubmitRequest(action=action, params=params), AGENT)
    run_worker(steward)
    return steward.get(rec.id)


def _payloads(steward: Any, rec: Any, kind: str) -> list[dict[str, Any]]:
    return [e.payload for e in steward.audit.entries(action_id=rec.id, types=[kind])]


class TestSelectsAndLocators:
    def test_controls(self, gaps: Any, run_worker: Any) -> None:
        """select by value, label and index; role options; nth -1; one_of, number, count and url extracts."""
        rec = _run(gaps, run_worker, "controls_lab")
        assert rec.state.value == "succeeded", rec.error_message
        values = (rec.outcome or {})["extracted"]
        assert values["h3_id"] == "orders-3"
        assert values["pressed_id"] == "alert-on"
        assert values["selected_tab"] == "Summary"
        assert values["checked_id"] == "notify-paper"
        assert values["last_entry"] == "third"
        assert values["entries"] == "3"
        assert values["page_path"] == "/static/controls.html"
        assert values["page_name"] == "controls"

    def test_one_of_names_what_the_page_showed(self, gaps: Any, run_worker: Any) -> None:
        """A text outside the one_of list fails the action, quoting the text and the list."""
        rec = _run(gaps, run_worker, "one_of_lab")
        assert rec.state.value == "failed" and rec.error_code == "expectation_failed"
        assert "'Pending' is not one of ['Shipped', 'Delivered']" in (rec.error_message or "")

    @pytest.mark.parametrize(("cents", "ok"), [(123450, True), (99900, False)])
    def test_number_compared_with_a_parameter(self, gaps: Any, run_worker: Any, cents: int, ok: bool) -> None:
        """A number read through a pattern is compared with a rendered parameter; a mismatch says both."""
        rec = _run(gaps, run_worker, "number_lab", expected_cents=cents)
        assert (rec.state.value == "succeeded") is ok, rec.error_message
        if not ok:
            assert "expected = 999.00, got 1234.50" in (rec.error_message or "")


class TestExtractedPaths:
    def test_a_link_to_another_origin_is_not_followed(self, gaps: Any, run_worker: Any) -> None:
        """goto to an extracted absolute URL fails before any navigation, naming why."""
        rec = _run(gaps, run_worker, "leave_lab")
        assert rec.state.value == "failed"
        assert "cannot be used as a path: it starts with a scheme" in (rec.error_message or "")
        blocked = _payloads(gaps, rec, "browser.blocked")
        assert not any(r["path"] == "/steal" for p in blocked for r in p["requests"])


class TestCommitChecks:
    def test_before_and_after_comparisons_with_request_ref(
        self, gaps: Any, run_worker: Any, billing: Any, accounts: Any, tmp_path: Path
    ) -> None:
        """Row count +1, balance = before + amount and the request's ref all verify one real credit."""
        acc = accounts.take()
        balance_before = billing.db.balance_cents(acc)
        rec = _run(gaps, run_worker, "credit_checked", account_id=acc, amount_cents=1234, reason="Format check")
        assert rec.state.value == "succeeded", rec.error_message
        ref = request_ref(rec.id)
        assert rec.public()["ref"] == ref and ref.startswith("S-") and len(ref) == 12
        credits = billing.db.credits(acc)
        assert [c.reason for c in credits] == [f"Format check {ref}"]
        assert billing.db.balance_cents(acc) == balance_before + 1234
        started = _payloads(gaps, rec, "commit.started")[0]["extracted"]
        assert started["rows_before"] == "0" and started["balance_before"].startswith("$")
        completed = _payloads(gaps, rec, "commit.completed")[0]
        assert completed["after_commit"] == {"credits_path": f"/accounts/{acc}/credits"}
        assert completed["refused"] is None
        assert _payloads(gaps, rec, "request.executing")[0]["ref"] == ref
        shown = CliRunner().invoke(
            app, ["status", rec.id, "--db", gaps.settings.db_url, "--home", str(gaps.settings.home)]
        )
        assert shown.exit_code == 0 and f"ref: {ref}" in shown.output

    def test_a_refused_commit_fails(self, gaps: Any, run_worker: Any, billing: Any, accounts: Any) -> None:
        """The console answers an over-limit credit with an error: after-commit check fails, verification
        finds nothing, the request is failed (commit_refused), never unverified."""
        acc = accounts.take()
        rec = _run(gaps, run_worker, "credit_checked", account_id=acc, amount_cents=2_000_000, reason="Too much")
        assert rec.state.value == "failed", rec.error_message
        assert rec.error_code == "commit_refused"
        assert "expect test_id=\"flash\"" in (rec.error_message or "") and "refused" in (rec.error_message or "")
        assert billing.db.count_credits(acc) == 0
        refused = _payloads(gaps, rec, "commit.completed")[0]["refused"]
        assert refused["step"].startswith("expect test_id=\"flash\"")

    def test_failed_check_but_verified_change_succeeds(
        self, gaps: Any, run_worker: Any, billing: Any, accounts: Any
    ) -> None:
        """Only verification decides after the commit: a change it finds succeeds, noting the failed check."""
        acc = accounts.take()
        rec = _run(gaps, run_worker, "credit_strict_flash", account_id=acc, amount_cents=500, reason="Noted")
        assert rec.state.value == "succeeded", rec.error_message
        reason = (rec.outcome or {})["reason"]
        assert "after-commit check" in reason and "verification found the change" in reason
        assert "never_read" not in (rec.outcome or {})["extracted"]  # steps after a failed check do not run
        assert billing.db.count_credits(acc) == 1


class TestLoginFailures:
    def test_wrong_password_names_the_step_with_a_masked_screenshot(
        self, gaps: Any, run_worker: Any, monkeypatch: pytest.MonkeyPatch, loop_thread: Any, driver: Any
    ) -> None:
        """A refused login fails naming the login step; its screenshot is evidence with the fields masked."""
        wrong = "wrong-" + uuid.uuid4().hex
        monkeypatch.setenv("FORMAT_WRONG_PASSWORD", wrong)
        rec = _run(gaps, run_worker, "wrong_password_lab")
        assert rec.state.value == "failed" and rec.error_code == "login_failed"
        assert "login step 5 (wait_for)" in (rec.error_message or "")
        shots = [e for e in (rec.outcome or {})["evidence"] if e["label"] == "login failed"]
        assert len(shots) == 1
        png = Path(shots[0]["path"]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert count_pixels(loop_thread, driver, png, MASK_RGB) > 0
        log = json.dumps([e.payload for e in gaps.audit.entries(action_id=rec.id)])
        assert wrong not in log and CANARY_PASSWORD not in log

    def test_session_check_failure_names_the_step(self, gaps: Any, run_worker: Any) -> None:
        """A login whose session check does not pass fails naming the session_check step."""
        rec = _run(gaps, run_worker, "bad_check_lab")
        assert rec.state.value == "failed" and rec.error_code == "login_failed"
        message = rec.error_message or ""
        assert "did not reach a signed-in page" in message and "session_check step 3" in message
        assert "never-shown" in message
        assert any(e["label"] == "login failed" for e in (rec.outcome or {})["evidence"])

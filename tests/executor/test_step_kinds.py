"""Every step kind of SPEC section 5, performed by a real browser, plus strict locators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from action_classes import load_catalog
from executor.models import SubmitRequest
from policies import Policy
from tests.executor.conftest import AGENT

pytestmark = pytest.mark.browser
CATALOG = Path(__file__).parent / "catalogs"


@pytest.fixture
def lab(make_steward: Any, tmp_path: Path, billing: Any) -> Any:
    catalog = load_catalog(CATALOG)
    return make_steward(f"sqlite:///{tmp_path / 'lab.db'}", catalog=catalog, policy=Policy([], version="empty"))


class TestStepKinds:
    def test_every_kind(self, lab: Any, run_worker: Any) -> None:
        """goto, select, check, uncheck, fill, press, click, wait_for, expect and extract all work."""
        rec, _ = lab.submit(SubmitRequest(action="step_lab", params={"ref": "INV-2042", "language": "French"}), AGENT)
        run_worker(lab)
        rec = lab.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        values = (rec.outcome or {})["extracted"]
        assert values["preview"] == "Preview: French, no email, paper, ref INV-2042"
        assert values["ref_value"] == "INV-2042" and values["language_code"] == "fr"
        assert values["channel"] == "Portal" and values["ref_digits"] == "2042" and values["kind"] == "reference"
        kinds = {e.payload["kind"] for e in lab.audit.entries(action_id=rec.id, types=["step.completed"])}
        assert kinds == {
            "goto",
            "wait_for",
            "expect",
            "select",
            "uncheck",
            "check",
            "fill",
            "press",
            "click",
            "extract",
        }

    def test_ambiguous_locator_fails_safely(self, lab: Any, run_worker: Any) -> None:
        """A locator matching several elements fails the action instead of guessing."""
        rec, _ = lab.submit(SubmitRequest(action="ambiguous_lab"), AGENT)
        run_worker(lab)
        rec = lab.get(rec.id)
        assert rec.state.value == "failed" and rec.error_code == "locator_error"
        assert "ambiguous" in (rec.error_message or "")

    def test_missing_element_fails(self, lab: Any, run_worker: Any) -> None:
        """A value that cannot be read fails a read-only action with the name of the value."""
        rec, _ = lab.submit(SubmitRequest(action="escape_lab"), AGENT)
        run_worker(lab)
        rec = lab.get(rec.id)
        assert rec.state.value == "failed" and "other" in (rec.error_message or "")


class TestConfinement:
    def test_foreign_origin_blocked_and_recorded(self, lab: Any, run_worker: Any) -> None:
        """A third-party request from the page is blocked, logged by origin and path, never its query."""
        rec, _ = lab.submit(SubmitRequest(action="step_lab", params={"ref": "INV-1", "language": "German"}), AGENT)
        run_worker(lab)
        events = lab.audit.entries(action_id=rec.id, types=["browser.blocked"])
        assert events, "the foreign pixel was not blocked"
        blocked = events[0].payload["requests"]
        assert {"origin": "http://127.0.0.2:9", "path": "/pixel.png"}.items() <= blocked[0].items()
        assert "leak-me" not in str(events[0].payload)

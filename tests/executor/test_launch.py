"""Chromium's launch flags keep Playwright's own disabled features (Chromium reads only the last list)."""

from __future__ import annotations

import re
from pathlib import Path

import playwright

from executor.browser.launch import DISABLED_FEATURES, PLAYWRIGHT_DISABLED_FEATURES, launch_args


def _installed_playwright_list() -> list[str]:
    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    source = bundle.read_text(encoding="utf-8", errors="replace")
    found = re.search(r"disabledFeatures = \[(.*?)\]\.filter", source, re.S)
    assert found, f"Playwright's disabled-features list was not found in {bundle}: check executor/browser/launch.py"
    body = re.sub(r"//[^\n]*", "", found.group(1))
    return re.findall(r'"([^"]+)"', body)


class TestDisabledFeatures:
    def test_playwright_list_is_repeated(self) -> None:
        """Every feature the installed Playwright disables is in the one --disable-features Steward passes."""
        assert _installed_playwright_list() == list(PLAYWRIGHT_DISABLED_FEATURES)

    def test_one_disable_features_switch(self) -> None:
        """Exactly one --disable-features, holding Playwright's list and autofill's calls home."""
        switches = [a for a in launch_args() if a.startswith("--disable-features=")]
        assert switches == ["--disable-features=" + ",".join(DISABLED_FEATURES)]
        assert "AutofillServerCommunication" in DISABLED_FEATURES

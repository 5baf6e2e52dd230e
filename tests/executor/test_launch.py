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


def _chromium_threads_nice(root_pid: int) -> dict[int, int]:
    """Nice value of every thread of every Chromium process under ``root_pid`` (by thread id)."""
    found: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            name = (proc / "comm").read_text().strip()
        except OSError:
            continue
        ppids = re.search(r"^PPid:\s+(\d+)", status, re.M)
        if "chrom" not in name or ppids is None or not _descends(int(proc.name), root_pid):
            continue
        for task in (proc / "task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[int(task.name)] = int(fields[16])  # stat field 19: nice
    return found


def _descends(pid: int, root: int) -> bool:
    while pid > 1:
        if pid == root:
            return True
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        pid = int(re.search(r"^PPid:\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]
    return False


class TestChromiumPriority:
    def test_chromium_never_rises_above_the_worker(self) -> None:
        """As root Chromium would raise its browser threads to nice -8; launched by Steward none goes below 0."""
        import asyncio
        import os

        from executor.browser.launch import launch_executable

        executable = launch_executable()
        assert executable, "Chromium is required for this test (apt-get install -y chromium)"
        if os.geteuid() == 0:
            assert "steward-chromium-" in executable, "as root Chromium must be launched without CAP_SYS_NICE"

        async def launch_and_read() -> dict[int, int]:
            from playwright.async_api import async_playwright

            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=executable, args=launch_args())
                page = await browser.new_page()
                await page.set_content("<p>priority</p>")
                await asyncio.sleep(0.5)
                nice = _chromium_threads_nice(os.getpid())
                await browser.close()
                return nice

        nice = asyncio.run(launch_and_read())
        assert len(nice) > 10, f"Chromium's threads were not found under this process: {nice}"
        assert min(nice.values()) >= 0, f"Chromium threads below the worker's priority: {sorted(nice.values())}"


class TestBrowserNice:
    def test_default_and_bounds(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        """STEWARD_BROWSER_NICE defaults to 5; a value outside 0-19 or not a number is a clear error."""
        import pytest

        from executor.browser.launch import browser_nice

        monkeypatch.delenv("STEWARD_BROWSER_NICE", raising=False)
        assert browser_nice() == 5
        monkeypatch.setenv("STEWARD_BROWSER_NICE", "0")
        assert browser_nice() == 0
        for bad in ("-3", "20", "five"):
            monkeypatch.setenv("STEWARD_BROWSER_NICE", bad)
            with pytest.raises(ValueError, match="STEWARD_BROWSER_NICE"):
                browser_nice()

    def test_noexec_temporary_folder_launches_chromium_as_found(self, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """A launcher cannot run from a noexec TMPDIR: Chromium is launched directly, nothing left behind."""
        import os
        import types

        from executor.browser import launch

        monkeypatch.setenv("TMPDIR", str(tmp_path))
        monkeypatch.setattr(launch.tempfile, "tempdir", None)
        monkeypatch.setattr(launch.os, "statvfs", lambda _: types.SimpleNamespace(f_flag=os.ST_NOEXEC))
        launch._launcher.cache_clear()
        try:
            assert launch.launch_executable() == launch.find_chromium()
            assert list(tmp_path.iterdir()) == []
        finally:
            launch._launcher.cache_clear()

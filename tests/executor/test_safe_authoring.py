"""Safe authoring at the command line: catalog check --strict, and dry-run naming and outlining the commit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from executor.browser.inspect import OUTLINE_RGB
from executor.cli import app
from tests.executor.test_format_gaps import count_pixels

CATALOGS = Path(__file__).parent / "catalogs"
UNSAFE = """\
targets:
  t: {base_url: "http://127.0.0.1:9000", allowed_origins: ["http://127.0.0.1:9000"], owner: qa}
actions:
  a:
    target: t
    category: x
    class: autonomous
    params: {reason: {type: string}}
    commit: {click: {role: button, name: Cancel}}
    verify:
      - goto: /credits
      - expect: {test_id: credit-row, has_text: "{params.reason}"}
    compensate: {none: A test action; nothing undoes it}
"""


class TestCatalogCheckStrict:
    def test_shipped_catalog_passes_strict(self) -> None:
        """steward catalog check --strict passes on the shipped catalog (billing console and orders admin)."""
        result = CliRunner().invoke(app, ["catalog", "check", "--strict"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ok: 2 target(s), 11 action(s)")

    def test_warnings_fail_only_strict(self, tmp_path: Path) -> None:
        """Warnings print with file:line; exit 0 without --strict, 1 with it."""
        (tmp_path / "a.yaml").write_text(UNSAFE)
        relaxed = CliRunner().invoke(app, ["catalog", "check", str(tmp_path)])
        assert relaxed.exit_code == 0, relaxed.output
        assert f"{tmp_path / 'a.yaml'}:9: warning: the commit's name 'Cancel' is not exact" in relaxed.output
        assert f"{tmp_path / 'a.yaml'}:10: warning: verification only matches text" in relaxed.output
        strict = CliRunner().invoke(app, ["catalog", "check", str(tmp_path), "--strict", "--json"])
        assert strict.exit_code == 1
        report = json.loads(strict.output)
        assert not report["ok"] and report["problems"] == []
        assert {w["line"] for w in report["warnings"]} == {9, 10} and len(report["warnings"]) == 3

    def test_test_catalogs_are_strict_clean(self, billing: Any) -> None:
        """The catalogs these tests run pass the strict check too (they model good practice)."""
        result = CliRunner().invoke(app, ["catalog", "check", str(CATALOGS / "format_gaps"), "--strict"])
        assert result.exit_code == 0, result.output


@pytest.mark.browser
class TestDryRunShowsTheCommit:
    def test_names_the_element_and_outlines_it(
        self, billing: Any, accounts: Any, tmp_path: Path, loop_thread: Any, driver: Any
    ) -> None:
        """The report names the commit's role, accessible name, tag and text; the PNG shows the outline."""
        shot = tmp_path / "commit.png"
        args = ["dry-run", "issue_credit", "-p", f"account_id={accounts.take()}", "-p", "amount_cents=250"]
        result = CliRunner().invoke(app, [*args, "-p", "reason=Look", "--screenshot", str(shot), "--json"])
        assert result.exit_code == 0, result.output
        commit = json.loads(result.stdout)["commit"]
        assert commit == {
            "role": "button",
            "name": "Apply credit",
            "tag": "button",
            "text": "Apply credit",
            "destructive_neighbours": [],
        }
        assert count_pixels(loop_thread, driver, shot.read_bytes(), OUTLINE_RGB) > 100
        text = CliRunner().invoke(app, [*args, "-p", "reason=Look"])
        assert text.exit_code == 0 and 'commit -> button "Apply credit" <button> text="Apply credit"' in text.output

    def test_warns_about_destructive_neighbours(self, billing: Any) -> None:
        """A destructive-sounding control in the commit's form is named in the report."""
        catalog = str(CATALOGS / "format_gaps")
        result = CliRunner().invoke(app, ["dry-run", "save_note_lab", "-p", "note=x", "--catalog", catalog])
        assert result.exit_code == 0, result.output
        assert 'commit -> button "Save note" <button>' in result.output
        assert 'warning: the same form also has "Delete shipment"' in result.output

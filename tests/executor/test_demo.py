"""The demo, the project's main job, passes end to end and its claims hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from executor.demo import run_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class TestDemo:
    def test_every_row_checks_out(self, tmp_path: Path) -> None:
        """Each class's path, the mid-run halt and the audit (live and offline) all pass."""
        lines: list[str] = []
        result = run_demo(home=tmp_path / "home", out=lines.append)
        assert [r.state for r in result.rows] == [
            "succeeded",
            "succeeded",
            "succeeded",
            "rejected",
            "aborted",
            "rejected",
        ]
        assert all(r.ok for r in result.rows), [r for r in result.rows if not r.ok]
        assert result.audit_ok and result.ok
        assert any("offline verify with only audit.pub: ok" in line for line in lines)
        assert len(result.evidence) >= 9
        assert (tmp_path / "home" / "checkpoints" / "latest.checkpoint").is_file()

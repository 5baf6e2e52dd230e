"""`steward bench cli` at a small scale: every command timed in fresh processes, results on file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cli import run_cli_bench, summarize


@pytest.mark.slow
class TestCliBench:
    def test_small_run_writes_results(self, tmp_path: Path) -> None:
        """Three runs of each command: medians recorded beside the Python and bare-Typer references."""
        out = tmp_path / "cli.json"
        result = run_cli_bench(runs=3, out=out, say=lambda _: None)
        assert json.loads(out.read_text()) == json.loads(json.dumps(result))
        for name in ("python_startup", "bare_typer_help", "help", "status", "status_server"):
            timed = result["commands"][name]
            assert timed["runs"] == 3 and 0 < timed["min_ms"] <= timed["median_ms"] <= timed["max_ms"]
        assert set(result["pass"]) == {"help", "status"}
        assert "steward status ID" in summarize(result)

"""`steward bench soak` at a tiny scale: a real console, a real browser, commits counted in the console's database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.soak import run_soak


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(300)
def test_tiny_soak_counts_commits_and_samples_memory(tmp_path: Path) -> None:
    """Three credits with one injected fault: each commits once, and memory is sampled while the worker runs."""
    out = tmp_path / "soak.json"
    plan = {"error_rate": {"/accounts/*": 0.3}, "seed": 3}
    lines: list[str] = []
    result = run_soak(actions=3, out=out, plan=plan, say=lines.append, sample_every_s=0.2)
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert sum(result["states"].values()) == 3
    assert result["states"].get("succeeded", 0) + result["states"].get("unverified", 0) >= 2
    assert result["double_commits"] == 0 and result["missing_commits_for_succeeded"] == 0
    assert lines[-1].strip() == "3/3 terminal"
    samples = result["rss_samples"]
    assert samples and all(s["worker_kb"] > 0 for s in samples)
    assert any(s["browser_kb"] > 0 and s["browser_procs"] > 0 for s in samples)
    assert [s["t_s"] for s in samples] == sorted(s["t_s"] for s in samples)

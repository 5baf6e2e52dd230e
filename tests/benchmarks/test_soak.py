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
    assert result["pass"]["no_double_commits"] and result["pass"]["no_missing_commits"]
    assert lines[-1].strip() == "3/3 terminal"
    samples = result["rss_samples"]
    assert samples and all(s["worker_kb"] > 0 for s in samples)
    assert any(s["browser_kb"] > 0 and s["browser_procs"] > 0 for s in samples)
    assert [s["t_s"] for s in samples] == sorted(s["t_s"] for s in samples)
    # each sample says how many actions had finished, and the worker's parts: anonymous memory and the C heap
    assert [s["finished"] for s in samples] == sorted(s["finished"] for s in samples)
    assert all(0 < s["worker_anon_kb"] < s["worker_kb"] and s["heap_in_use_kb"] > 0 for s in samples)
    assert set(result["memory"]) == {"worker", "browser", "worker_anon", "heap_in_use", "heap_free"}


def test_memory_slope_is_fitted_over_the_second_half_of_the_actions() -> None:
    """A steady climb shows as its KB per action; the warm-up before the halfway mark does not count."""
    from benchmarks.soak import _flat

    warm = [{"finished": i, "worker_kb": 120_000 + 2_000 * i} for i in range(0, 100, 10)]  # steep warm-up
    steady = [{"finished": i, "worker_kb": 140_000 + 2 * i + (300 if i % 20 else -300)} for i in range(100, 1001, 10)]
    verdict = _flat(warm + steady, "worker_kb")
    assert verdict["kb_per_action"] == pytest.approx(2.0, abs=0.3)
    # 2 KB per action on 140 MB: 1.4% more per 1,000 actions, not flat
    assert verdict["pct_per_1000_actions"] == pytest.approx(1.4, abs=0.25) and verdict["flat"] is False
    level = _flat([{"finished": i, "worker_kb": 140_000 + (300 if i % 20 else -300)} for i in range(0, 1001, 10)],
                  "worker_kb")
    assert abs(level["kb_per_action"]) < 0.3 and level["flat"] is True
    assert _flat([{"finished": 1, "worker_kb": 5}], "worker_kb") == {"samples": 1}

"""``steward bench vs-raw`` end to end, cut down: both fixtures, every side, the result file.

It asserts the benchmark works (every side ran every action and the figures
are consistent), never how fast anything was: targets live in the benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.vs_raw import SIDES, markdown, run_vs_raw_bench

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.timeout(360)  # two fixtures, two browsers and a dozen real actions on a shared 2-core machine
def test_small_run_writes_every_figure(tmp_path: Path) -> None:
    """One action, one measured round per side, then throughput at concurrency 2 (both fixtures start).

    At concurrency 2 each raw action signs in a session of its own (the fixtures' one-time flash lives in it).
    """
    out = tmp_path / "vs-raw.json"
    lines: list[str] = []
    result = run_vs_raw_bench(runs=1, levels=(2,), per_level=2, out=out,
                              actions=["lookup_account"], say=lines.append)
    assert json.loads(out.read_text()) == result
    assert set(result["actions"]) == {"lookup_account"}
    for row in result["actions"].values():
        times = [row["steward_ms"]] + [row[f"raw_{side}_ms"] for side in SIDES[1:]]
        assert all(t > 0 for t in times)
        assert row["ratio_b"] == round(row["steward_ms"] / row["raw_b_ms"], 2)
        assert row["met_b"] == (row["ratio_b"] <= result["targets"]["ratio_b"])
    level = result["throughput"]["2"]
    assert level["steward"]["per_minute"] > 0 and level["raw_b"]["per_minute"] > 0
    assert level["steward"]["cpu_ms_per_action"] > 0 and level["raw_b"]["cpu_ms_per_action"] > 0
    assert result["load_average_start"] is not None and "cpu_model" in result["machine"]
    assert any("lookup_account" in line for line in lines)
    table = markdown(result)
    assert "| `lookup_account` |" in table and "| 2 |" in table


def test_unknown_action_is_refused_before_anything_starts(tmp_path: Path) -> None:
    """A typo names the known actions; no fixture is started and no file is written."""
    out = tmp_path / "vs-raw.json"
    with pytest.raises(ValueError, match=r"unknown action.*issue_credits.*known: lookup_account"):
        run_vs_raw_bench(runs=1, out=out, actions=["issue_credits"])
    assert not out.exists()

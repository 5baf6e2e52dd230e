"""`steward bench fleet` at a tiny scale: worker processes on one PostgreSQL, throughput and kill-switch trials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.fleet import run_fleet_bench, summarize
from tests.helpers import PG_URL, require_postgres


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.timeout(600)
class TestFleetBench:
    def test_tiny_run_writes_results(self, tmp_path: Path) -> None:
        """One and two workers, two credits, two kill trials: every credit succeeds, every trial aborts all."""
        require_postgres()
        out = tmp_path / "fleet.json"
        result = run_fleet_bench(workers=(1, 2), actions=2, trials=2, concurrency=1, pg_url=PG_URL, out=out,
                                 say=lambda _: None)
        assert json.loads(out.read_text()) == json.loads(json.dumps(result))
        assert [lv["workers"] for lv in result["levels"]] == [1, 2]
        for level in result["levels"]:
            assert level["throughput"]["succeeded"] == 2 and level["throughput"]["actions_per_min"] > 0
            kill = level["kill_switch"]
            assert kill["trials"] == 2 and kill["in_flight_per_trial"] == level["workers"]
            assert 0 <= kill["min_ms"] <= kill["p50_ms"] <= kill["p99_ms"] <= kill["max_ms"]
        assert result["audit_verified"] is True
        assert set(result["pass"]) == {"one_node", "fleet"}
        assert "kill p99 ms" in summarize(result)

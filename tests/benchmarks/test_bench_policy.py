"""`steward bench policy` at a small scale: its figures, its file and its check against the reference."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from benchmarks.policy import generated_rules, run_policy_bench
from executor.cli.bench_cmds import app


class TestPolicyBench:
    def test_small_run_writes_results(self, tmp_path: Path) -> None:
        """A 200-rule run times all three scenarios, agrees with the reference and records the machine."""
        out = tmp_path / "policy.json"
        result = run_policy_bench(rules=200, decisions=200, runs=2, out=out, say=lambda _: None)
        assert json.loads(out.read_text()) == json.loads(json.dumps(result))
        assert set(result["scenarios"]) == {"generated", "unindexed", "default"}
        for scenario in result["scenarios"].values():
            assert scenario["same_as_reference"] is True
            timed = scenario["decision"]
            assert 0 < timed["p50_ms"] <= timed["p95_ms"] <= timed["p99_ms"]
            assert len(scenario["decision_runs"]) == 2 and scenario["load_ms"] > 0
        generated = result["scenarios"]["generated"]
        assert generated["rules"] == 200 and generated["rules_for_action"]["indexed"] > 150
        assert result["scenarios"]["unindexed"]["rules_for_action"]["indexed"] == 0
        assert result["machine"]["load_average_at_start"] is not None and "pass" in result

    def test_generated_rules_are_stable(self) -> None:
        """The same seed gives the same policy, so runs on different days compare."""
        assert [r.when for r in generated_rules(50)] == [r.when for r in generated_rules(50)]

    def test_command(self, tmp_path: Path) -> None:
        """`steward bench policy` prints one line per scenario and writes the file it names."""
        out = tmp_path / "p.json"
        res = CliRunner().invoke(app, ["policy", "--rules", "50", "--decisions", "100", "--runs", "1",
                                       "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert "generated" in res.output and "default" in res.output and out.is_file()

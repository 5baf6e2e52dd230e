"""The benchmarks package depends on the product, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("executor", "audit", "policies", "action_classes", "fixtures")
# The one product module that reaches benchmarks: the `steward bench` commands, inside each command.
BENCH_COMMANDS = ROOT / "executor" / "cli" / "bench_cmds.py"


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, id(node) in top))
    return out


class TestDirection:
    """benchmarks -> product, and nothing in the product loads benchmarks."""

    def test_product_never_imports_benchmarks(self) -> None:
        """No product module imports benchmarks, except the bench commands, lazily inside each command."""
        lazy = []
        for package in PRODUCT:
            for path in (ROOT / package).rglob("*.py"):
                for name, module_level in imports(path):
                    if name.split(".")[0] != "benchmarks":
                        continue
                    assert path == BENCH_COMMANDS and not module_level, (path, name)
                    lazy.append(name)
        assert {"benchmarks.policy", "benchmarks.cli", "benchmarks.audit"} <= set(lazy)

    def test_benchmarks_use_no_tests(self) -> None:
        """Benchmarks import the product and libraries, never the test suite."""
        for path in (ROOT / "benchmarks").rglob("*.py"):
            for name, _ in imports(path):
                assert name.split(".")[0] != "tests", (path, name)

    def test_bench_code_left_the_product(self) -> None:
        """The old homes of the benchmark code are gone."""
        for old in ("executor/bench_e2e.py", "executor/bench_soak.py", "executor/cli/bench_api.py",
                    "executor/cli/soak_cmd.py", "audit/bench.py", "audit/_bench_log.py"):
            assert not (ROOT / old).exists(), old

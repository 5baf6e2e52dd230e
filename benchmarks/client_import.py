"""``steward bench client-import``: how long ``import executor.client`` takes, in fresh processes.

Each run is a new interpreter that times the import itself with
``time.perf_counter`` (so interpreter start-up is not counted) and reports
which heavy modules the import loaded. Reported: the median and fastest of
``runs`` runs, the import of ``pydantic`` alone as the floor (the client
returns pydantic models), and the first ``StewardClient(...)``, which is when
httpx loads. Target: median import <= 150 ms.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._machine import load_average, machine, now_utc

__all__ = ["HEAVY", "TARGET_MS", "run_client_import_bench", "summarize"]

TARGET_MS = 150.0
HEAVY = ("sqlalchemy", "celpy", "cel", "playwright", "fastapi", "starlette", "httpx", "openai", "mcp")
_PROBE = """
import json, sys, time
t0 = time.perf_counter()
{stmt}
t1 = time.perf_counter()
{after}
t2 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1000, "after_ms": (t2 - t1) * 1000,
                  "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def _probe(stmt: str, after: str, runs: int) -> dict[str, Any]:
    """Median and min of the import (and of ``after``), over ``runs`` fresh interpreters after one warm-up."""
    code = _PROBE.format(stmt=stmt, after=after or "pass", heavy=HEAVY)
    imports: list[float] = []
    afters: list[float] = []
    loaded: list[str] = []
    for i in range(runs + 1):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        if i:
            imports.append(row["import_ms"])
            afters.append(row["after_ms"])
            loaded = row["loaded"]
    return {"median_ms": round(statistics.median(imports), 1), "min_ms": round(min(imports), 1),
            "then_median_ms": round(statistics.median(afters), 1), "heavy_loaded": loaded, "runs": runs}


def run_client_import_bench(runs: int = 15, out: Path | None = None,
                            say: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Time the client's import in fresh processes; write ``out`` when given."""
    results: dict[str, Any] = {"benchmark": "client-import", "at": now_utc(), "target_ms": TARGET_MS,
                               "machine": machine()}
    cases = {
        "pydantic": ("from pydantic import BaseModel", ""),
        "client": ("import executor.client", ""),
        "client_then_construct": ("import executor.client",
                                  "executor.client.StewardClient('http://127.0.0.1:9', 't').close()"),
    }
    timed = {}
    for name, (stmt, after) in cases.items():
        say(f"{name}: {runs} runs...")
        timed[name] = _probe(stmt, after, runs)
    results["imports"] = timed
    results["machine"]["load_average_at_end"] = load_average()
    results["pass"] = timed["client"]["median_ms"] <= TARGET_MS and not timed["client"]["heavy_loaded"]
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results


def summarize(results: dict[str, Any]) -> str:
    """The printed summary: one line per case."""
    t = results["imports"]
    lines = [
        f"from pydantic import BaseModel   median {t['pydantic']['median_ms']:>6.1f} ms  (the floor)",
        f"import executor.client           median {t['client']['median_ms']:>6.1f} ms  min "
        f"{t['client']['min_ms']:.1f} ms  target <= {results['target_ms']:.0f} ms; heavy modules loaded: "
        f"{t['client']['heavy_loaded'] or 'none'}",
        f"then the first StewardClient()   median {t['client_then_construct']['then_median_ms']:>6.1f} ms (httpx)",
        f"(load average {results['machine'].get('load_average_at_start')} at start, "
        f"{results['machine'].get('load_average_at_end')} at end)",
    ]
    return "\n".join(lines)

"""``steward bench cli``: how long CLI commands take to start, in fresh processes.

Each command runs ``runs`` times as a subprocess of the installed ``steward``
entry point (the median and the fastest run are reported):

- ``steward --help``;
- ``steward status ID`` on a SQLite database holding one real request;
- ``steward status ID --server URL`` against a live API on loopback.

Two references put the figures in proportion: a bare ``python -c pass`` and
the ``--help`` of an empty Typer app in the same interpreter. Target for the
first two commands: median <= 300 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks._machine import load_average, machine, now_utc

__all__ = ["TARGET_MS", "run_cli_bench", "steward_command", "summarize"]

TARGET_MS = 300.0
_BARE_TYPER = "import typer; app = typer.Typer(); app.command()(lambda: None); app()"


def steward_command() -> list[str]:
    """The installed console script beside this interpreter, else the same entry point through -c."""
    script = Path(sys.executable).with_name("steward")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from executor.cli import main; main()"]


def _time(argv: list[str], runs: int, env: dict[str, str]) -> dict[str, Any]:
    """Wall time of ``argv`` in a fresh process, ``runs`` times after one warm-up (page cache)."""
    times: list[float] = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=120)
        elapsed = (time.perf_counter() - t0) * 1000
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[-4:])} failed: {done.stderr.strip()[:300]}")
        if i:
            times.append(elapsed)
    return {"median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1), "runs": len(times)}


@contextmanager
def _one_request(work: Path) -> Iterator[tuple[str, str, str, str]]:
    """(db URL, request id, API URL, operator token) for a database holding one request, served by an API."""
    from executor import Settings, Steward, SubmitRequest
    from executor.api import ApiConfig, create_app
    from executor.api._server import BackgroundServer
    from executor.apikeys import KeyStore
    from executor.config import normalize_db_url
    from executor.models import RequestContext

    settings = Settings(db_url=normalize_db_url(str(work / "steward.db")), home=work / "home")
    steward = Steward(settings, loaded_by="bench")
    try:
        body = SubmitRequest(action="issue_credit",
                             params={"account_id": "ACC-000042", "amount_cents": 1500, "reason": "late parcel"},
                             context=RequestContext(account_tier="pro", agent_confidence=0.9))
        rec, _ = steward.submit(body, "bench-agent")
        keys = KeyStore(steward.engine)
        token = keys.create("bench-operator", "operator")[1]
        with BackgroundServer(create_app(steward, config=ApiConfig(rate_per_s=0), keys=keys)) as server:
            yield settings.db_url, rec.id, server.url, token
    finally:
        steward.close()


def run_cli_bench(
    *, runs: int = 15, out: Path | None = Path("bench-results/cli.json"), say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Time the commands, write ``out`` (JSON) and return the results."""
    steward = steward_command()
    results: dict[str, Any] = {"benchmark": "cli_startup", "machine": machine(), "target_ms": TARGET_MS,
                               "runs": runs, "command": steward, "at": now_utc()}
    with tempfile.TemporaryDirectory(prefix="steward-bench-cli-") as tmp, _one_request(Path(tmp)) as found:
        db, request_id, api, token = found
        env = {k: v for k, v in os.environ.items() if k not in ("STEWARD_SERVER", "STEWARD_TOKEN")}
        commands = {
            "python_startup": [sys.executable, "-c", "pass"],
            "bare_typer_help": [sys.executable, "-c", _BARE_TYPER, "--help"],
            "help": [*steward, "--help"],
            "status": [*steward, "status", request_id, "--db", db],
            "status_server": [*steward, "status", request_id, "--server", api, "--token", token],
        }
        timed: dict[str, Any] = {}
        for name, argv in commands.items():
            say(f"{name}: {runs} runs...")
            timed[name] = _time(argv, runs, env)
    results["commands"] = timed
    results["machine"]["load_average_at_end"] = load_average()
    results["pass"] = {name: timed[name]["median_ms"] <= TARGET_MS for name in ("help", "status")}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results


def summarize(results: dict[str, Any]) -> str:
    """The printed summary: one line per command."""
    labels = {"python_startup": "python -c pass", "bare_typer_help": "bare Typer app --help",
              "help": "steward --help", "status": "steward status ID",
              "status_server": "steward status ID --server URL"}
    lines = []
    for name, label in labels.items():
        t = results["commands"][name]
        target = f"  target <= {results['target_ms']:.0f} ms" if name in results["pass"] else ""
        lines.append(f"{label:<32} median {t['median_ms']:>7.1f} ms  min {t['min_ms']:>7.1f} ms{target}")
    m = results["machine"]
    lines.append(f"({m.get('cpus')} CPUs, load average {m.get('load_average_at_start')} at start, "
                 f"{m.get('load_average_at_end')} at end; {results['runs']} runs each)")
    return "\n".join(lines)

"""Fleet benchmark: 1, 2, 4 worker processes on one PostgreSQL; throughput and kill-switch latency.

Each level starts N ``steward worker`` processes (each with its own Chromium)
against one fresh PostgreSQL schema and the billing fixture, then:

- **throughput**: submits a batch of autonomous ``issue_credit`` requests at once
  and times first submit to last terminal: actions per minute;
- **kill-switch latency**: fills every worker slot with a request stuck in a
  30 s wait on the console, engages ``action:bench_wait`` from this process and
  takes the time from the engage to the last of those requests recorded
  ``aborted`` (its ``updated_at``, the same machine's clock), over ``trials``
  trials; p50 and p99.

Targets (issue #16): p99 <= 1 s fleet-wide (the largest level), <= 200 ms on
one node (one worker process). The machine's load average is recorded beside
every level: on a small shared machine it explains most of the spread.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks._machine import load_average, machine, now_utc, percentile
from executor.config import DEFAULT_CATALOG_DIR, Settings
from executor.fixture_env import billing_env
from executor.models import RequestContext, SubmitRequest
from executor.service import Steward
from executor.store import RequestRecord

__all__ = ["FLEET_P99_MS", "ONE_NODE_P99_MS", "run_fleet_bench", "summarize"]

ONE_NODE_P99_MS = 200.0
FLEET_P99_MS = 1000.0
_WAIT_ACTION = "bench_wait"
_ACTIVE = [f"ACC-{n:06d}" for n in range(1, 61) if n not in (7, 13, 21)]
# A step that waits on the console for 30 s: what the kill switch has to cut short.
_WAIT_CATALOG = f"""# The fleet benchmark's long wait (benchmarks/fleet.py).
actions:
  {_WAIT_ACTION}:
    target: billing_console
    category: test
    class: autonomous
    read_only: true
    step_timeout_ms: 30000
    timeout_s: 120
    preconditions:
      - goto: /accounts
    steps:
      - wait_for: {{test_id: never-appears, state: visible, timeout_ms: 30000}}
"""


@contextmanager
def _fresh_schema(pg_url: str) -> Iterator[str]:
    """A new PostgreSQL schema for one run, dropped after; yields a URL whose search_path points at it."""
    name = "bench_fleet_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        sep = "&" if "?" in pg_url else "?"
        try:
            yield f"{pg_url}{sep}options=-csearch_path%3D{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    finally:
        admin.dispose()


def _catalog(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for shipped in DEFAULT_CATALOG_DIR.glob("*.yaml"):  # the policy names actions of every shipped target
        shutil.copy(shipped, folder / shipped.name)
    (folder / "bench_wait.yaml").write_text(_WAIT_CATALOG)
    return folder


class _Fleet:
    """N ``steward worker`` processes; stopped with SIGTERM (they drain), killed if they linger."""

    def __init__(self, n: int, *, db_url: str, home: Path, catalog: Path, concurrency: int, logs: Path) -> None:
        code = "from executor.cli import main; main()"
        self.procs: list[subprocess.Popen[bytes]] = []
        for i in range(n):
            log = open(logs / f"worker-{n}-{i}.log", "wb")  # noqa: SIM115 - closed with the process
            self.procs.append(subprocess.Popen(
                [sys.executable, "-c", code, "worker", "--db", db_url, "--home", str(home), "--catalog", str(catalog),
                 "--concurrency", str(concurrency)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            ))
            log.close()

    def check(self) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"a worker exited with {proc.returncode} (see its log under the run folder)")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _credit(i: int) -> SubmitRequest:
    return SubmitRequest(
        action="issue_credit",
        params={"account_id": _ACTIVE[i % len(_ACTIVE)], "amount_cents": 100 + i % 50, "reason": f"fleet bench {i}"},
        context=RequestContext(account_tier="pro", agent_confidence=0.9),
    )


def _until_terminal(steward: Steward, ids: list[str], fleet: _Fleet, timeout_s: float) -> list[RequestRecord]:
    deadline = time.monotonic() + timeout_s
    pending, done = list(ids), list[RequestRecord]()
    while pending:
        fleet.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} request(s) not finished within {timeout_s:g} s")
        still: list[RequestRecord] = []
        for request_id in pending:
            rec = steward.get(request_id)
            (done if rec.terminal else still).append(rec)
        pending = [r.id for r in still]
        if pending:
            time.sleep(0.02)
    return done


def _throughput(steward: Steward, fleet: _Fleet, actions: int, offset: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    ids = [steward.submit(_credit(offset + i), f"bench-agent-{offset + i}")[0].id for i in range(actions)]
    done = _until_terminal(steward, ids, fleet, 60 + 20 * actions)
    elapsed = time.perf_counter() - t0
    succeeded = sum(r.state.value == "succeeded" for r in done)
    return {"actions": actions, "succeeded": succeeded, "seconds": round(elapsed, 2),
            "actions_per_min": round(60 * succeeded / elapsed, 1)}


def _waiting(steward: Steward, ids: list[str]) -> bool:
    """Every request is executing and past its first step: inside the 30 s wait."""
    for request_id in ids:
        if steward.get(request_id).state.value != "executing":
            return False
        if not steward.audit.entries(action_id=request_id, types=["step.completed"]):
            return False
    return True


def _kill_trial(steward: Steward, fleet: _Fleet, slots: int, trial: int) -> float:
    """Milliseconds from engaging the switch to the last in-flight request recorded aborted."""
    ids = [steward.submit(SubmitRequest(action=_WAIT_ACTION), f"bench-wait-{trial}")[0].id for _ in range(slots)]
    deadline = time.monotonic() + 120
    while not _waiting(steward, ids):
        fleet.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"trial {trial}: the waiting requests never all started")
        time.sleep(0.05)
    time.sleep(0.2)  # past the step boundary's own check: the wait is under way
    engaged = time.time()
    steward.kill(f"action:{_WAIT_ACTION}", "bench-operator", f"fleet bench trial {trial}")
    try:
        done = _until_terminal(steward, ids, fleet, 60)
    finally:
        steward.release(f"action:{_WAIT_ACTION}", "bench-operator", f"fleet bench trial {trial} over")
    states = {r.state.value for r in done}
    if states != {"aborted"}:
        raise RuntimeError(f"trial {trial}: requests ended {sorted(states)}, expected aborted")
    return float(max(0.0, (max(r.updated_at for r in done) - engaged) * 1000))


def _level(
    steward: Steward, n: int, *, concurrency: int, actions: int, trials: int, offset: int, fleet_args: dict[str, Any],
    say: Callable[[str], None],
) -> dict[str, Any]:
    load_before = load_average()
    fleet = _Fleet(n, concurrency=concurrency, **fleet_args)
    try:
        warm = _throughput(steward, fleet, n * concurrency, offset)  # every worker logs in once (not counted)
        say(f"  {n} worker(s): warmed up ({warm['succeeded']}/{warm['actions']})")
        through = _throughput(steward, fleet, actions, offset + n * concurrency)
        say(f"  {n} worker(s): {through['actions_per_min']} actions/min ({through['succeeded']}/{actions})")
        latencies = []
        for trial in range(trials):
            latencies.append(_kill_trial(steward, fleet, n * concurrency, trial))
        ms = sorted(latencies)
        say(f"  {n} worker(s): kill switch p50 {percentile(ms, 0.5):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms")
    finally:
        fleet.stop()
    return {
        "workers": n,
        "concurrency": concurrency,
        "throughput": through,
        "kill_switch": {"trials": len(ms), "in_flight_per_trial": n * concurrency,
                        "p50_ms": round(percentile(ms, 0.5), 1), "p99_ms": round(percentile(ms, 0.99), 1),
                        "max_ms": round(ms[-1], 1), "min_ms": round(ms[0], 1),
                        "trials_ms": [round(v, 1) for v in latencies]},
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def run_fleet_bench(
    *, workers: tuple[int, ...] = (1, 2, 4), actions: int = 24, trials: int = 50, concurrency: int = 2,
    pg_url: str | None = None, out: Path, say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every level against a fresh schema and a fresh billing fixture; write and return the results."""
    from fixtures.billing_console import FixtureServer

    pg_url = pg_url or os.environ.get("STEWARD_TEST_PG") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    work = Path(tempfile.mkdtemp(prefix="steward-fleet-"))
    password = secrets.token_urlsafe(12)
    started = machine()
    levels: list[dict[str, Any]] = []
    with (
        _fresh_schema(pg_url) as db_url,
        FixtureServer(work / "billing.db", password=password) as server,
        billing_env(server.base_url, server.user, password),
    ):
        catalog = _catalog(work / "catalog")
        settings = Settings(db_url=db_url, home=work / "home", catalog_dir=catalog)
        steward = Steward(settings, loaded_by="bench")
        fleet_args = {"db_url": db_url, "home": settings.home, "catalog": catalog, "logs": work}
        try:
            offset = 0
            for n in workers:
                levels.append(_level(steward, n, concurrency=concurrency, actions=actions, trials=trials,
                                     offset=offset, fleet_args=fleet_args, say=say))
                offset += actions + n * concurrency
            verified = steward.audit.verify().ok
        finally:
            steward.close()
    shutil.rmtree(work, ignore_errors=True)
    one = next((lv for lv in levels if lv["workers"] == 1), None)
    biggest = levels[-1]
    result = {
        "benchmark": "fleet",
        "database": "postgresql",
        "machine": started,
        "levels": levels,
        "targets": {"one_node_p99_ms": ONE_NODE_P99_MS, "fleet_p99_ms": FLEET_P99_MS},
        "pass": {
            "one_node": one is not None and one["kill_switch"]["p99_ms"] <= ONE_NODE_P99_MS,
            "fleet": biggest["kill_switch"]["p99_ms"] <= FLEET_P99_MS,
        },
        "audit_verified": verified,
        "at": now_utc(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def summarize(result: dict[str, Any]) -> str:
    """A markdown table of the levels."""
    rows = ["| workers | actions/min | kill p50 ms | kill p99 ms | in flight | load avg |",
            "|---:|---:|---:|---:|---:|---:|"]
    for lv in result["levels"]:
        ks = lv["kill_switch"]
        rows.append(f"| {lv['workers']} | {lv['throughput']['actions_per_min']} | {ks['p50_ms']} | {ks['p99_ms']} "
                    f"| {ks['in_flight_per_trial']} | {lv['load_average_before']} -> {lv['load_average_after']} |")
    verdict = ", ".join(f"{k}: {'pass' if v else 'FAIL'}" for k, v in result["pass"].items())
    return "\n".join([*rows, f"targets (p99): one node <= {ONE_NODE_P99_MS:g} ms, fleet <= {FLEET_P99_MS:g} ms; "
                      f"{verdict}"])

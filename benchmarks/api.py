"""``steward bench api``: sustained submissions over HTTP, latency, and an exactly-once count.

Four clients (separate processes, one agent key each, as real agents are)
submit ``lookup_account`` requests with unique idempotency keys for N seconds
against a real uvicorn on loopback, API only (no worker: this measures intake,
not the browser). The clients start together at an agreed wall-clock time, so
process start-up is not counted. Afterwards every
accepted submission must be in the database exactly once, and nothing else.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from benchmarks import _machine

__all__ = ["run_api_bench"]

_WARM_UP_S = 3.0  # for the client processes to start and connect


def _pct(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return 0.0
    return round(sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))], 2)


def _client_loop(
    job: tuple[str, str, int, float, float],
) -> tuple[list[float], list[tuple[str, str]], int, float, float]:
    """One client process: submit from ``start_at`` (wall clock) for ``seconds``; last, its CPU seconds."""
    from executor.client import StewardAPIError, StewardClient

    url, token, n, start_at, seconds = job
    latencies: list[float] = []
    accepted: list[tuple[str, str]] = []
    errors = 0
    with StewardClient(url, token, timeout=30) as api:
        api.me()  # connect and warm up before the clock starts
        time.sleep(max(0.0, start_at - time.time()))
        cpu_before = time.process_time()
        deadline = time.monotonic() + seconds
        i = 0
        while time.monotonic() < deadline:
            key = f"bench-{n}-{i}"
            i += 1
            started = time.perf_counter()
            try:
                rec = api.submit("lookup_account", {"account_id": f"ACC-{(i % 500) + 1:06d}"}, idempotency_key=key)
            except StewardAPIError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            accepted.append((key, rec.id))
    return latencies, accepted, errors, time.time(), time.process_time() - cpu_before


def run_api_bench(*, seconds: float, clients: int, out: Path, db: str | None = None) -> dict[str, Any]:
    """Run the benchmark and write its JSON result to ``out``."""
    from sqlalchemy import func, select

    from executor.api import ApiConfig, create_app
    from executor.api._server import BackgroundServer
    from executor.apikeys import KeyStore
    from executor.config import Settings, normalize_db_url
    from executor.service import Steward
    from executor.store.tables import requests

    with tempfile.TemporaryDirectory(prefix="steward-bench-api-") as tmp:
        work = Path(tmp)
        settings = Settings(db_url=normalize_db_url(db or str(work / "steward.db")), home=work / "home")
        steward = Steward(settings, loaded_by="bench")
        keys = KeyStore(steward.engine)
        stamp = f"{int(time.time())}-{threading.get_ident() % 1000}"
        tokens = [keys.create(f"bench-agent-{stamp}-{n}", "agent")[1] for n in range(clients)]
        names = [f"bench-agent-{stamp}-{n}" for n in range(clients)]
        app = create_app(steward, config=ApiConfig(rate_per_s=0), keys=keys)
        try:
            with BackgroundServer(app) as server, ProcessPoolExecutor(clients, mp_context=get_context("spawn")) as pool:
                start_at = time.time() + _WARM_UP_S
                jobs = [(server.url, tokens[n], n, start_at, seconds) for n in range(clients)]
                cpu_before = time.process_time()
                parts = list(pool.map(_client_loop, jobs))
                server_cpu_s = time.process_time() - cpu_before
                elapsed = max(part[3] for part in parts) - start_at
            latencies = sorted(ms for part in parts for ms in part[0])
            accepted = [a for part in parts for a in part[1]]
            with steward.engine.connect() as conn:
                rows = conn.execute(select(requests.c.id, requests.c.idempotency_key, requests.c.requester)
                                    .where(requests.c.requester.in_(names))).all()
                total = conn.execute(select(func.count()).select_from(requests)
                                     .where(requests.c.requester.in_(names))).scalar_one()
        finally:
            steward.close()
    by_key: dict[str, list[str]] = {}
    for rid, key, _ in rows:
        by_key.setdefault(key, []).append(rid)
    exactly_once = (total == len(accepted) == len({rid for _, rid in accepted})
                    and all(by_key.get(key) == [rid] for key, rid in accepted))
    result = {
        "benchmark": "api_submit", "seconds": round(elapsed, 2), "clients": clients,
        "database": "postgresql" if (db or "").startswith("postgres") else "sqlite",
        "accepted": len(accepted), "errors": sum(p[2] for p in parts),
        "submissions_per_s": round(len(accepted) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {"p50": _pct(latencies, 0.50), "p99": _pct(latencies, 0.99),
                       "mean": round(statistics.fmean(latencies), 2) if latencies else 0.0,
                       "max": round(latencies[-1], 2) if latencies else 0.0},
        "rows_in_db": total, "exactly_once": exactly_once,
        # the API process's CPU per accepted submission: what bounds throughput on a busy machine
        "server_cpu_ms_per_submission": round(server_cpu_s * 1000 / len(accepted), 2) if accepted else 0.0,
        # the clients' CPU (HTTP client, JSON): on 2 cores it shares the machine with the server
        "client_cpu_ms_per_submission": (round(sum(p[4] for p in parts) * 1000 / len(accepted), 2)
                                         if accepted else 0.0),
        "load_average": _machine.load_average(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result

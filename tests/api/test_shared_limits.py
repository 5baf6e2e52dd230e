"""Rate limits hold across API processes: three `steward serve` processes on one database allow one key's rate once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

RATE, BURST = 2.0, 4


def _serve(db_url: str, home: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "STEWARD_DB": db_url, "STEWARD_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from executor.cli import main; main()", "serve", "--no-workers", "--port", str(port),
         "--rate-limit", str(RATE), "--burst", str(BURST)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    return proc, lines


def _ready(base: str, proc: subprocess.Popen[str], lines: list[str]) -> None:
    for _ in range(900):  # start-up: at most about 90 s on a loaded machine
        assert proc.poll() is None, lines
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the API at {base} did not start: {lines[-20:]}")


class TestSharedRateLimit:
    def test_three_servers_hold_one_limit(self, db_url: str, tmp_path: Path) -> None:
        from audit.engine import open_engine
        from executor.api._server import free_port
        from executor.apikeys import KeyStore
        from executor.store.migrate import ensure_schema

        engine = open_engine(db_url)
        ensure_schema(engine)
        _, token = KeyStore(engine).create("limited-agent", "agent")
        engine.dispose()
        servers = [_serve(db_url, tmp_path / f"home{n}", free_port()) for n in range(3)]
        try:
            bases = []
            for proc, lines in servers:
                port = proc.args[proc.args.index("--port") + 1]  # type: ignore[union-attr]
                bases.append(f"http://127.0.0.1:{port}")
                _ready(bases[-1], proc, lines)
            statuses: list[tuple[int, int]] = []  # (server, status)
            headers = {"Authorization": f"Bearer {token}"}

            def hammer(n: int) -> list[tuple[int, int]]:
                got = []
                with httpx.Client(headers=headers, timeout=30) as client:
                    for _ in range(10):
                        got.append((n, client.get(f"{bases[n]}/v1/me").status_code))
                return got

            started = time.monotonic()
            with ThreadPoolExecutor(3) as pool:
                for part in pool.map(hammer, range(3)):
                    statuses.extend(part)
            elapsed = time.monotonic() - started
        finally:
            for proc, _ in servers:
                proc.send_signal(signal.SIGINT)
            for proc, _ in servers:
                proc.wait(timeout=60)
                proc.stderr.close()  # type: ignore[union-attr]
        allowed = [s for s in statuses if s[1] == 200]
        limited = [s for s in statuses if s[1] == 429]
        assert len(allowed) + len(limited) == 30, statuses
        # One bucket for the key: the burst plus what the rate refilled while the 30 requests ran.
        assert BURST <= len(allowed) <= BURST + RATE * elapsed + 1, (len(allowed), elapsed)
        assert {n for n, _ in limited} == {0, 1, 2}, statuses  # every server refused once the shared bucket was empty


def test_the_bucket_is_one_row_per_key(db_url: str) -> None:
    """The limiter's state is in the database, where every process reads it."""
    from audit.engine import open_engine
    from executor.api.limits import RateLimiter
    from executor.store.migrate import ensure_schema

    engine = open_engine(db_url)
    ensure_schema(engine)
    now = [1000.0]
    first = RateLimiter(1.0, 2, engine, clock=lambda: now[0])
    second = RateLimiter(1.0, 2, engine, clock=lambda: now[0])  # another process's limiter
    assert first.take("k") == 0.0
    assert second.take("k") == 0.0
    assert first.take("k") == 1.0  # empty for both
    assert second.take("other") == 0.0  # another key has its own bucket
    now[0] += 0.5
    assert second.take("k") == 0.5
    now[0] += 0.5
    assert first.take("k") == 0.0
    engine.dispose()

"""End-to-end benchmark: submit-to-succeeded time of autonomous issue_credit requests."""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from executor.config import Settings, normalize_db_url
from executor.fixture_env import billing_env
from executor.models import RequestContext, SubmitRequest
from executor.service import Steward

__all__ = ["run_e2e_bench"]

# Active accounts of the fixture's seed (7 and 13 are suspended, 21 cancelled).
_ACTIVE = [f"ACC-{n:06d}" for n in range(1, 61) if n not in (7, 13, 21)]


async def _measure(steward: Steward, runs: int, concurrency: int, say: Callable[[str], None]) -> list[float]:
    from executor.browser.playwright_driver import PlaywrightDriver
    from executor.worker import Worker

    driver = PlaywrightDriver()
    await driver.start()
    worker = Worker(steward, driver, concurrency=concurrency, poll_s=0.01)
    task = asyncio.create_task(worker.run())
    times: list[float] = []
    try:
        for i in range(runs + 1):  # the first run warms the login session and is not counted
            body = SubmitRequest(
                action="issue_credit",
                params={"account_id": _ACTIVE[i % len(_ACTIVE)], "amount_cents": 100 + i, "reason": f"bench run {i}"},
                context=RequestContext(account_tier="pro", agent_confidence=0.9),
            )
            t0 = time.perf_counter()
            rec, _ = await asyncio.to_thread(steward.submit, body, "bench-agent")
            while not rec.terminal:
                await asyncio.sleep(0.005)
                rec = await asyncio.to_thread(steward.get, rec.id)
            elapsed = time.perf_counter() - t0
            if rec.state.value != "succeeded":
                raise RuntimeError(f"bench request {rec.id} ended {rec.state.value}: {rec.error_message}")
            if i:
                times.append(elapsed)
                say(f"  run {i:3d}: {elapsed * 1000:7.1f} ms")
    finally:
        worker.stop()
        await task
        await driver.close()
    return times


def run_e2e_bench(
    *, runs: int = 20, out: Path, db: str | None = None, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run the benchmark against a fresh fixture; write and return the results."""
    from fixtures.billing_console import FixtureServer

    work = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    password = secrets.token_urlsafe(12)
    with (
        FixtureServer(work / "billing.db", password=password) as server,
        billing_env(server.base_url, server.user, password),
    ):
        settings = Settings(db_url=normalize_db_url(db or str(work / "steward.db")), home=work / "home")
        steward = Steward(settings, loaded_by="bench")
        try:
            times = asyncio.run(_measure(steward, runs, 1, say))
            verified = steward.audit.verify()
        finally:
            steward.close()
    ms = sorted(t * 1000 for t in times)
    result = {
        "benchmark": "e2e_issue_credit_autonomous",
        "runs": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "min_ms": round(ms[0], 1),
        "max_ms": round(ms[-1], 1),
        "database": settings.db_url.split(":", 1)[0],
        "audit_verified": verified.ok,
        "save_delay_ms": 300,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result

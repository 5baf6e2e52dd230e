"""Per-page cost of origin confinement: page loads with no confinement, the route layer, the gate, and both.

Usage: .venv/bin/python scripts/bench_confinement.py [PATH] [ROUNDS]
(PATH on the billing console fixture, default /accounts/ACC-000040; 20 loads per round and mode.)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from action_classes import load_catalog
from executor.browser.confine import Confinement
from executor.browser.playwright_driver import PlaywrightDriver
from executor.config import DEFAULT_CATALOG_DIR
from fixtures.billing_console import FixtureServer

LOADS = 20


async def bench(url: str, rounds: int) -> dict[str, list[float]]:
    target = load_catalog(DEFAULT_CATALOG_DIR).targets["billing_console"]
    driver = PlaywrightDriver()
    await driver.start()
    state = await driver.login_state(target)
    origins = frozenset(target.allowed_origins)

    async def none() -> tuple[Any, Confinement | None]:
        return await driver.browser.new_context(storage_state=state), None

    async def route() -> tuple[Any, Confinement | None]:
        ctx = await driver.browser.new_context(storage_state=state, service_workers="block")
        await Confinement(origins).install(ctx)
        return ctx, None

    async def gate() -> tuple[Any, Confinement | None]:
        confinement = Confinement(origins)
        ctx = await driver.browser.new_context(storage_state=state, proxy=await confinement.open_gate())
        return ctx, confinement

    async def both() -> tuple[Any, Confinement | None]:
        return await driver.new_context(target, state)

    modes: dict[str, Callable[[], Awaitable[tuple[Any, Confinement | None]]]] = {
        "none": none,
        "route layer": route,
        "gate": gate,
        "route layer + gate": both,
    }
    results: dict[str, list[float]] = {name: [] for name in modes}
    try:
        for _ in range(rounds):
            for name, make in modes.items():
                ctx, confinement = await make()
                page = await ctx.new_page()
                await page.goto(url)  # warm connections and caches
                start = time.perf_counter()
                for _ in range(LOADS):
                    await page.goto(url, wait_until="load")
                results[name].append((time.perf_counter() - start) / LOADS * 1000)
                await ctx.close()
                if confinement is not None:
                    await confinement.close()
    finally:
        await driver.close()
    return results


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "/accounts/ACC-000040"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    user, password = "steward-bot", "bench-password-123"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(BILLING_USER=user, BILLING_PASSWORD=password)
        with FixtureServer(Path(tmp) / "billing.db", user=user, password=password, n_accounts=100) as server:
            os.environ["BILLING_URL"] = server.base_url
            results = asyncio.run(bench(server.base_url + path, rounds))
    for name, runs in results.items():
        print(f"{name:20s} median {statistics.median(runs):6.1f} ms/page   rounds {[round(r, 1) for r in runs]}")


if __name__ == "__main__":
    main()

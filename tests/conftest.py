"""Project-wide fixtures: databases (SQLite and PostgreSQL), the billing console, the orders admin, a browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import BILLING_USER, CANARY_PASSWORD, ORDERS_USER, LoopThread, pg_schema, settings_for


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on a SQLite file and on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steward.db'}"
    else:
        with pg_schema() as url:
            yield url


@pytest.fixture(scope="session")
def billing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One billing console for the session, with a canary password; env points the catalog at it."""
    from fixtures.billing_console import FixtureServer

    if not shutil.which(os.environ.get("STEWARD_CHROMIUM", "chromium")) and not Path("/usr/bin/chromium").exists():
        raise RuntimeError("Chromium is required for the browser tests (install the chromium package)")
    folder = tmp_path_factory.mktemp("billing")
    saved = {k: os.environ.get(k) for k in ("BILLING_URL", "BILLING_USER", "BILLING_PASSWORD")}
    with FixtureServer(
        folder / "billing.db",
        user=BILLING_USER,
        password=CANARY_PASSWORD,
        save_delay_ms=50,
        n_accounts=600,
        env={"BILLING_ADMIN_TOKEN": "test-admin"},
    ) as server:
        os.environ.update(BILLING_URL=server.base_url, BILLING_USER=BILLING_USER, BILLING_PASSWORD=CANARY_PASSWORD)
        yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One orders admin (stock Django admin) for the session, with a canary password; env points at it."""
    from fixtures.orders_admin import OrdersServer

    if not shutil.which(os.environ.get("STEWARD_CHROMIUM", "chromium")) and not Path("/usr/bin/chromium").exists():
        raise RuntimeError("Chromium is required for the browser tests (install the chromium package)")
    folder = tmp_path_factory.mktemp("orders")
    saved = {k: os.environ.get(k) for k in ("ORDERS_URL", "ORDERS_USER", "ORDERS_PASSWORD")}
    with OrdersServer(folder / "orders.db", user=ORDERS_USER, password=CANARY_PASSWORD) as server:
        os.environ.update(ORDERS_URL=server.base_url, ORDERS_USER=ORDERS_USER, ORDERS_PASSWORD=CANARY_PASSWORD)
        yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.close()


@pytest.fixture(scope="session")
def driver(loop_thread: LoopThread, billing: Any) -> Iterator[Any]:
    """One Chromium for the session (a fresh context per action, as in production)."""
    from executor.browser.playwright_driver import PlaywrightDriver

    drv = PlaywrightDriver(step_timeout_ms=5_000)
    loop_thread.run(drv.start())
    yield drv
    loop_thread.run(drv.close())


@pytest.fixture
def make_steward(tmp_path: Path, billing: Any) -> Iterator[Callable[..., Any]]:
    """Build Steward services on a database URL; all are closed after the test."""
    from executor.service import Steward

    made: list[Any] = []

    def make(db_url: str, **kwargs: Any) -> Any:
        steward = Steward(settings_for(db_url, tmp_path / "home"), **kwargs)
        made.append(steward)
        return steward

    yield make
    for steward in made:
        steward.close()


@pytest.fixture
def run_worker(loop_thread: LoopThread, driver: Any) -> Callable[..., list[Any]]:
    """Drain the queue with a real worker and browser: returns the finished records."""
    from executor.worker import Worker

    def run(steward: Any, *, concurrency: int = 1) -> list[Any]:
        worker = Worker(steward, driver, concurrency=concurrency, poll_s=0.02, lease_s=30)

        async def go() -> list[Any]:
            return await worker.run(once=True)

        return loop_thread.run(go())

    return run

"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI

from executor.api import (
    routes_actions,
    routes_audit,
    routes_console,
    routes_evidence,
    routes_health,
    routes_ops,
)
from executor.api.auth import ApiConfig, ApiState
from executor.api.errors import install_error_handlers
from executor.api.limits import BodyLimit, RateLimiter, StorableUrl
from executor.apikeys import KeyStore

__all__ = ["create_app"]

log = structlog.get_logger("steward.api")

_DESCRIPTION = """Governed execution of AI agents' actions in back-office web UIs.

Every route needs `Authorization: Bearer <API key>` (except `/healthz`, `/readyz`
and `/metrics`, for probes and the Prometheus scraper); keys have one role
(`agent`, `operator`, `auditor`) and their name is the identity in the audit
log. Errors are always `{"error": {"code", "message", "details"}}` with a 4xx
status, and nothing is executed on a 4xx."""


def create_app(steward: Any, *, config: ApiConfig | None = None, keys: KeyStore | None = None,
               workers: int = 0, driver_factory: Callable[[], Any] | None = None) -> FastAPI:
    """The API over ``steward``; with ``workers > 0`` a worker runs in the same event loop.

    ``driver_factory`` builds the browser driver for the worker (default: a
    local Chromium through Playwright).
    """
    config = config or ApiConfig()
    state = ApiState(steward=steward, keys=keys or KeyStore(steward.engine), config=config,
                     limiter=RateLimiter(config.rate_per_s, config.burst))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if workers <= 0:
            yield
            return
        from executor.worker import Worker

        if driver_factory is None:
            from executor.browser.playwright_driver import PlaywrightDriver

            driver: Any = PlaywrightDriver()
        else:
            driver = driver_factory()
        await driver.start()
        worker = Worker(steward, driver, concurrency=workers)
        task = asyncio.create_task(worker.run(), name="steward-worker")
        log.info("api.worker_started", concurrency=workers)
        try:
            yield
        finally:
            worker.stop()
            await task
            await driver.close()

    app = FastAPI(title="Steward", version="1", description=_DESCRIPTION, lifespan=lifespan)
    app.state.steward_api = state
    install_error_handlers(app)
    app.include_router(routes_actions.router)
    app.include_router(routes_evidence.router)
    app.include_router(routes_ops.router)
    app.include_router(routes_audit.router)
    app.include_router(routes_console.router)
    app.include_router(routes_health.router)
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(StorableUrl)
    return app

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
    routes_rollback,
)
from executor.api.auth import ApiConfig, ApiState
from executor.api.errors import install_error_handlers
from executor.api.limits import BodyLimit, RateLimiter, StorableUrl
from executor.api.openapi import custom_openapi
from executor.apikeys import KeyStore

__all__ = ["build_app", "create_app"]

log = structlog.get_logger("steward.api")

_DESCRIPTION = """Governed execution of AI agents' actions in back-office web UIs.

Every route needs `Authorization: Bearer <API key>` (except `/healthz`, `/readyz`
and `/metrics`, for probes and the Prometheus scraper); keys have one role
(`agent`, `operator`, `auditor`) and their name is the identity in the audit
log. Errors are always `{"error": {"code", "message", "details"}}` (the
`ErrorEnvelope` schema) with the status each operation lists, and nothing is
executed on a 4xx. On 429 and 503, wait `Retry-After` seconds.

Response objects may gain fields in later versions (never lose or rename
one): clients should ignore keys they do not know."""


def build_app(lifespan: Any = None) -> FastAPI:
    """The routes, error handlers and OpenAPI document, without state or middleware."""
    app = FastAPI(title="Steward", version="1", description=_DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(routes_actions.router)
    app.include_router(routes_evidence.router)
    app.include_router(routes_ops.router)
    app.include_router(routes_audit.router)
    app.include_router(routes_rollback.router)
    app.include_router(routes_console.router)
    app.include_router(routes_health.router)
    app.openapi = lambda: custom_openapi(app)  # type: ignore[method-assign]
    return app


def create_app(steward: Any, *, config: ApiConfig | None = None, keys: KeyStore | None = None,
               workers: int = 0, driver_factory: Callable[[], Any] | None = None) -> FastAPI:
    """The API over ``steward``; with ``workers > 0`` a worker runs in the same event loop.

    ``driver_factory`` builds the browser driver for the worker (default: a
    local Chromium through Playwright).
    """
    config = config or ApiConfig()
    state = ApiState(steward=steward, keys=keys or KeyStore(steward.engine), config=config,
                     limiter=RateLimiter(config.rate_per_s, config.burst, steward.engine))

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

    app = build_app(lifespan)
    app.state.steward_api = state
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(StorableUrl)
    return app

"""``/healthz``, ``/readyz`` and ``/metrics``: for probes and the Prometheus scraper, without an API key.

No API key, on purpose: a liveness or readiness probe (a load balancer, an
orchestrator) and a Prometheus server hold no Steward key, and a key given to
them would be one more secret to rotate. What they answer carries no request
data: aliveness, which readiness checks pass (failure details go to the log)
and aggregate metrics with bounded labels. Bind the server where only the
probes and the scraper reach these paths, or set ``STEWARD_METRICS_TOKEN`` to
also require ``Authorization: Bearer <token>`` on ``/metrics``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from executor.api.auth import state_of
from executor.api.errors import ApiError
from executor.health import metrics_authorized, readiness
from executor.metrics import CONTENT_TYPE

__all__ = ["router"]

# Probes and the scraper are not API clients: these routes stay out of the OpenAPI contract
# (docs/openapi.json) and are documented in docs/operating.md.
router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Always 200 while the process serves requests; checks nothing else."""
    return {"status": "alive"}


@router.get("/readyz", summary="Readiness: database, audit log and kill-switch state readable",
            responses={503: {"description": "A check failed; the body names it (fails closed)."}})
async def readyz(request: Request) -> Any:
    """200 when every check passes, else 503 naming the failing checks."""
    ready = await run_in_threadpool(readiness, state_of(request).steward)
    return JSONResponse(ready.body(), status_code=200 if ready.ok else 503)


@router.get("/metrics", summary="Prometheus metrics (text exposition format)",
            responses={200: {"content": {CONTENT_TYPE: {}}}})
async def metrics(request: Request, authorization: str | None = Header(default=None, include_in_schema=False)) -> Any:
    """Every steward_* metric; with STEWARD_METRICS_TOKEN set, only with that bearer token."""
    if not metrics_authorized(authorization):
        raise ApiError(401, "unauthorized", "a metrics bearer token is required (STEWARD_METRICS_TOKEN)",
                       headers={"WWW-Authenticate": "Bearer"})
    body = await run_in_threadpool(state_of(request).steward.metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE)

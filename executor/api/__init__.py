"""The HTTP API (SPEC section 7): FastAPI routes with bearer keys, roles and limits."""

from __future__ import annotations

from executor.api._app import create_app
from executor.api.auth import ApiConfig
from executor.api.errors import ApiError

__all__ = ["ApiConfig", "ApiError", "create_app"]

"""The API fixtures (in-process or live API with keys, distinct billing accounts), shared with tests/api."""

from __future__ import annotations

from tests.api.conftest import accounts, api, build_api, live_api, sqlite_url

__all__ = ["accounts", "api", "build_api", "live_api", "sqlite_url"]

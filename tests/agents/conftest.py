"""The API fixtures (live API with keys, distinct billing accounts), shared with tests/api."""

from __future__ import annotations

from tests.api.conftest import accounts, live_api, sqlite_url

__all__ = ["accounts", "live_api", "sqlite_url"]

"""Fixtures for API tests: a Steward, keys for every role, an in-process client or a live server."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from executor.api import ApiConfig, create_app
from executor.api._server import BackgroundServer
from executor.apikeys import KeyStore

_ACCOUNTS = itertools.count(401)  # session-wide: the billing console is shared by all tests
NAMES = {"agent": "agent-1", "agent2": "agent-2", "operator": "olga", "auditor": "audra"}


@dataclass
class Api:
    """A running API: its client, its Steward and a token per role."""

    steward: Any
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    base_url: str = "http://testserver"

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def make_keys(steward: Any) -> dict[str, str]:
    keys = KeyStore(steward.engine)
    tokens = {}
    for who, name in NAMES.items():
        _, tokens[who] = keys.create(name, who.rstrip("2"))
    return tokens


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def build_api(make_steward: Callable[..., Any]) -> Iterator[Callable[..., Api]]:
    """Build an in-process API (FastAPI TestClient) on a database URL."""
    clients: list[TestClient] = []

    def build(db_url: str, config: ApiConfig | None = None) -> Api:
        steward = make_steward(db_url)
        tokens = make_keys(steward)
        client = TestClient(create_app(steward, config=config or ApiConfig(rate_per_s=0)),
                            raise_server_exceptions=False)
        clients.append(client)
        return Api(steward=steward, client=client, tokens=tokens)

    yield build
    for c in clients:
        c.close()


@pytest.fixture
def api(build_api: Callable[..., Api], sqlite_url: str) -> Api:
    """An API on SQLite with rate limiting off."""
    return build_api(sqlite_url)


@pytest.fixture
def live_api(make_steward: Callable[..., Any]) -> Iterator[Callable[..., Api]]:
    """Build an API served by uvicorn on loopback; ``workers`` > 0 runs a worker with its own Chromium."""
    servers: list[BackgroundServer] = []

    def build(db_url: str, *, workers: int = 0, config: ApiConfig | None = None) -> Api:
        steward = make_steward(db_url)
        tokens = make_keys(steward)
        factory = None
        if workers:
            from executor.browser.playwright_driver import PlaywrightDriver

            def factory() -> Any:
                return PlaywrightDriver(step_timeout_ms=5_000)

        app = create_app(steward, config=config or ApiConfig(rate_per_s=0), workers=workers,
                         driver_factory=factory)
        server = BackgroundServer(app).__enter__()
        servers.append(server)
        return Api(steward=steward, client=TestClient(app), tokens=tokens, base_url=server.url)

    yield build
    for s in servers:
        s.__exit__(None, None, None)


@pytest.fixture
def accounts() -> Any:
    """Distinct active accounts for API browser tests (400+: apart from the executor tests' pool)."""
    from fixtures.billing_console import account_id

    class Pool:
        def take(self) -> str:
            return str(account_id(next(_ACCOUNTS)))

    return Pool()

"""The light client: what it imports, its own errors for a refused connection and for 429, its retries."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

import pytest

from executor.api import ApiConfig
from executor.client import RetryPolicy, StewardClient, StewardConnectionError, StewardRateLimited
from executor.wire import Identity

_HEAVY = ("sqlalchemy", "celpy", "cel", "playwright", "fastapi", "starlette", "httpx", "openai", "mcp",
          "jsonschema", "action_classes", "policies", "audit")


def _refused_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class TestImport:
    def test_import_loads_no_heavy_module(self) -> None:
        """import executor.client loads pydantic and the wire models only (httpx when a client is made)."""
        code = (f"import sys, executor.client; print([m for m in {_HEAVY!r} if m in sys.modules]); "
                "executor.client.StewardClient('http://127.0.0.1:9', 't').close(); "
                f"print([m for m in {_HEAVY!r} if m in sys.modules])")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
        at_import, after_client = done.stdout.strip().splitlines()
        assert at_import == "[]", done.stdout
        assert after_client == "['httpx']", done.stdout

    def test_typed_package(self) -> None:
        """The executor package ships py.typed; the public surface is pinned."""
        import executor
        import executor.agents
        import executor.client

        assert executor.__file__ is not None
        from pathlib import Path

        assert (Path(executor.__file__).parent / "py.typed").is_file()
        assert sorted(executor.client.__all__) == ["AsyncStewardClient", "RetryPolicy", "StewardAPIError",
                                                   "StewardClient", "StewardConnectionError", "StewardRateLimited"]
        assert sorted(executor.agents.__all__) == [
            "AsyncStewardClient", "ResolutionAgent", "RetryPolicy", "StewardAPIError", "StewardClient",
            "StewardClientError", "StewardConnectionError", "StewardRateLimited", "StewardTools", "ToolCallError",
            "ToolResult", "ToolSpec", "build_mcp_server", "openai_tools", "strict_schema", "tool_specs"]
        for name in executor.agents.__all__:
            assert getattr(executor.agents, name) is not None


class TestErrors:
    def test_refused_connection_is_the_clients_error(self) -> None:
        """A refused connection raises StewardConnectionError (retryable) after the policy's attempts."""
        port = _refused_port()
        with StewardClient(f"http://127.0.0.1:{port}", "t", retry=RetryPolicy(max_attempts=2, backoff_s=0.01)) as c, \
                pytest.raises(StewardConnectionError) as caught:
            c.me()
        assert caught.value.retryable and str(port) in str(caught.value)

    def test_async_refused_connection(self) -> None:
        """The async client maps a refused connection the same way."""
        import asyncio

        from executor.client import AsyncStewardClient

        async def go() -> None:
            async with AsyncStewardClient(f"http://127.0.0.1:{_refused_port()}", "t",
                                          retry=RetryPolicy(max_attempts=1)) as c:
                await c.me()

        with pytest.raises(StewardConnectionError):
            asyncio.run(go())

    def test_429_waits_retry_after_then_succeeds(self, live_api: Any, sqlite_url: str) -> None:
        """Past the key's burst the API answers 429 with Retry-After; the client waits and the call succeeds."""
        api = live_api(sqlite_url, config=ApiConfig(rate_per_s=1.0, burst=1))
        with StewardClient(api.base_url, api.tokens["agent"]) as c:
            first, second = c.me(), c.me()
        assert isinstance(first, Identity) and second.name == first.name == "agent-1"

    def test_429_after_the_last_attempt_is_rate_limited(self, live_api: Any, sqlite_url: str) -> None:
        """With one attempt allowed, the 429 is raised as StewardRateLimited carrying Retry-After."""
        api = live_api(sqlite_url, config=ApiConfig(rate_per_s=0.01, burst=1))
        with StewardClient(api.base_url, api.tokens["agent"], retry=RetryPolicy(max_attempts=1)) as c:
            c.me()
            with pytest.raises(StewardRateLimited) as caught:
                c.me()
        assert caught.value.status == 429 and caught.value.retryable and caught.value.retry_after is not None

    def test_policy_is_bounded(self) -> None:
        """The wait is Retry-After when given, else doubling backoff, capped; other errors are never retried."""
        from executor.client import StewardAPIError

        policy = RetryPolicy(max_attempts=3, backoff_s=0.5, max_delay_s=10)
        assert policy.delay(1, StewardAPIError(429, "rate_limited", "x", retry_after=3)) == 3
        assert policy.delay(1, StewardAPIError(503, "unavailable", "x", retry_after=600)) == 10
        assert policy.delay(2, StewardConnectionError("u", "refused")) == 1.0
        assert policy.delay(3, StewardConnectionError("u", "refused")) is None
        assert policy.delay(1, StewardAPIError(422, "invalid_request", "x")) is None

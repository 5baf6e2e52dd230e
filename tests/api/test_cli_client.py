"""Key commands, the Python clients, the public surface and the API benchmark."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from executor.apikeys import KeyStore, hash_token
from tests.api.conftest import Api


def _cli() -> typer.Typer:
    from executor.cli import serve_cmds

    app = typer.Typer()
    serve_cmds.register(app)
    app.add_typer(serve_cmds.keys_app)
    return app


class TestKeyCommands:
    def test_create_list_revoke(self, tmp_path: Path) -> None:
        """The token is printed once, only its hash is stored, and revoking takes effect."""
        db = f"sqlite:///{tmp_path / 'keys.db'}"
        runner = CliRunner()
        res = runner.invoke(_cli(), ["keys", "create", "--role", "operator", "--name", "olga", "--db", db])
        assert res.exit_code == 0, res.output
        token = res.stdout.strip().splitlines()[0]
        assert token.startswith("stw_")
        engine = sa.create_engine(db)
        with engine.connect() as conn:
            dump = json.dumps([list(map(str, r)) for r in conn.execute(sa.text("select * from steward_api_keys"))])
        assert token not in dump and hash_token(token) in dump
        assert KeyStore(engine).authenticate(token) is not None
        res = runner.invoke(_cli(), ["keys", "list", "--db", db, "--json"])
        assert json.loads(res.stdout)["keys"][0]["role"] == "operator" and token not in res.stdout
        res = runner.invoke(_cli(), ["keys", "create", "--role", "boss", "--name", "x", "--db", db])
        assert res.exit_code == 1 and "unknown role" in res.output
        res = runner.invoke(_cli(), ["keys", "create", "--role", "agent", "--name", "olga", "--db", db])
        assert res.exit_code == 1 and "already exists" in res.output
        assert runner.invoke(_cli(), ["keys", "revoke", "olga", "--db", db]).exit_code == 0
        assert KeyStore(engine).authenticate(token) is None
        assert runner.invoke(_cli(), ["keys", "revoke", "olga", "--db", db]).exit_code == 1
        engine.dispose()

    def test_serve_help(self) -> None:
        """``serve`` offers --host, --port, --db, --concurrency and --no-workers."""
        res = CliRunner().invoke(_cli(), ["serve", "--help"])
        for flag in ("--host", "--port", "--db", "--concurrency", "--no-workers", "--rate-limit"):
            assert flag in res.output


class TestClients:
    def test_async_client(self, api: Api) -> None:
        """The async client speaks every route it is used for here, and raises typed errors."""
        import httpx

        from executor.client import AsyncStewardClient, StewardAPIError

        app: Any = api.client.app

        async def go() -> None:
            transport = httpx.ASGITransport(app=app)
            async with AsyncStewardClient("http://api", api.tokens["agent"], transport=transport) as agent, \
                    AsyncStewardClient("http://api", api.tokens["auditor"], transport=transport) as auditor:
                cat = await agent.catalog()
                assert "issue_credit" in {a.name for a in cat.actions}
                req = await agent.submit("lookup_account", {"account_id": "ACC-000003"}, idempotency_key="a-1")
                assert (await agent.get(req.id)).state == "queued"
                assert (await agent.list_requests()).requests[0].id == req.id
                page = await auditor.audit_events(limit=2)
                assert len(page.events) == 2 and page.next_after_seq is not None
                nxt = await auditor.audit_events(after_seq=page.next_after_seq, limit=1000)
                assert nxt.events[0].seq == page.next_after_seq + 1
                with pytest.raises(StewardAPIError) as exc:
                    await auditor.submit("lookup_account", {})
                assert exc.value.status == 403 and not exc.value.retryable

        asyncio.run(go())

    def test_public_surface(self) -> None:
        """The packages export exactly their documented names."""
        import executor.api
        import executor.client

        assert sorted(executor.api.__all__) == ["ApiConfig", "ApiError", "create_app"]
        assert sorted(executor.client.__all__) == ["AsyncStewardClient", "RetryPolicy", "StewardAPIError",
                                                   "StewardClient", "StewardConnectionError", "StewardRateLimited"]


@pytest.mark.slow
class TestBench:
    def test_short_run_counts_exactly_once(self, tmp_path: Path, billing: Any) -> None:
        """A two-second run accepts submissions and finds each in the database exactly once."""
        from benchmarks.api import run_api_bench

        result = run_api_bench(seconds=2, clients=4, out=tmp_path / "api.json")
        assert result["accepted"] > 10 and result["errors"] == 0 and result["exactly_once"]
        assert json.loads((tmp_path / "api.json").read_text())["latency_ms"]["p99"] > 0

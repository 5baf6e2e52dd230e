"""The CLI acting through the HTTP API (--server/--token) instead of the local database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from executor.cli import app
from tests.api.conftest import Api

CTX = ["-c", "account_tier=pro", "-c", "agent_confidence=0.9"]


def _run(api: Api, who: str, *args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--server", api.base_url, "--token", api.tokens[who]])
    return result


class TestRemoteCli:
    def test_lifecycle_through_the_api(self, live_api: Callable[..., Api], tmp_path: Path, accounts: Any) -> None:
        """submit, status, confirm, approve, reject and kill switch commands work with a key's rights."""
        api = live_api(f"sqlite:///{tmp_path / 'remote.db'}")
        acc = accounts.take()
        out = _run(
            api,
            "agent",
            "submit",
            "issue_credit",
            "-p",
            f"account_id={acc}",
            "-p",
            "amount_cents=20000",
            "-p",
            "reason=Double charge",
            *CTX,
            "--json",
        )
        assert out.exit_code == 0, out.output
        big = json.loads(out.output)
        assert big["state"] == "awaiting_approval" and big["requester"] == "agent-1"
        denied = _run(api, "agent", "approve", big["id"])
        assert denied.exit_code == 1 and "403" in denied.output
        approved = _run(api, "operator", "approve", big["id"], "--note", "ok", "--json")
        assert approved.exit_code == 0 and json.loads(approved.output)["state"] == "queued"
        shown = _run(api, "auditor", "status", big["id"], "--json")
        assert json.loads(shown.output)["approval"]["operator"] == "olga"

        out = _run(
            api,
            "agent",
            "submit",
            "update_contact_email",
            "-p",
            f"account_id={acc}",
            "-p",
            "new_email=remote@example.com",
            *CTX,
            "--json",
        )
        email = json.loads(out.output)
        assert email["state"] == "awaiting_confirmation"
        confirmed = _run(api, "agent", "confirm", email["id"], "--quote", "Yes please", "--json")
        assert confirmed.exit_code == 0 and json.loads(confirmed.output)["state"] == "queued"

        out = _run(api, "agent", "submit", "cancel_subscription", "-p", f"account_id={acc}", *CTX, "--json")
        cancel = json.loads(out.output)
        rejected = _run(api, "operator", "reject", cancel["id"], "--reason", "customer stays", "--json")
        assert json.loads(rejected.output)["state"] == "denied"

        engaged = _run(api, "operator", "kill", "--scope", "class:autonomous", "--reason", "incident", "--json")
        assert engaged.exit_code == 0 and json.loads(engaged.output)["operator"] == "olga"
        listed = _run(api, "operator", "kill", "--list", "--json")
        assert [s["scope"] for s in json.loads(listed.output)["kill_switches"]] == ["class:autonomous"]
        halted = _run(
            api,
            "agent",
            "submit",
            "issue_credit",
            "-p",
            f"account_id={acc}",
            "-p",
            "amount_cents=100",
            "-p",
            "reason=Goodwill",
            *CTX,
        )
        assert halted.exit_code == 1 and "halted" in halted.output
        assert _run(api, "operator", "release", "class:autonomous", "--reason", "over").exit_code == 0
        assert _run(api, "agent", "kill", "--scope", "global", "--reason", "x").exit_code == 1

    def test_server_without_token(self, tmp_path: Path) -> None:
        """--server without a token is a clear usage error."""
        result = CliRunner().invoke(
            app, ["status", "req_x", "--server", "http://127.0.0.1:9"], env={"STEWARD_TOKEN": ""}
        )
        assert result.exit_code != 0 and "--token" in result.output

"""The reference resolution agent, end to end: the real ``openai`` client against a loopback Chat Completions
server replaying scripted model turns (streamed and not), a live Steward API with a worker, and the billing
fixture, whose own database is checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from typer.testing import CliRunner

from executor.agents import ResolutionAgent, StewardTools
from executor.cli import app
from executor.client import StewardClient
from tests.agents.chat_server import ScriptedChatServer, Turn, last_tool_result
from tests.api.conftest import Api


def _context(goal: str, tier: str | None = None) -> dict[str, Any]:
    """A strict-mode model's context: every key present, null where it knows nothing."""
    return {"conversation_id": None, "customer_id": None, "account_tier": tier, "customer_goal": goal,
            "agent_confidence": 0.95}


def _awaiting(body: dict[str, Any]) -> dict[str, Any]:
    for message in body["messages"]:
        if message["role"] == "tool":
            result = json.loads(message["content"])
            if result.get("state") == "awaiting_confirmation":
                out: dict[str, Any] = result
                return out
    raise AssertionError("no request awaiting confirmation in the conversation")


class Harness:
    """A live API with a worker, the agent's client, and a scripted model per conversation."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.client = StewardClient(api.base_url, api.tokens["agent"])
        self.tools = StewardTools(self.client)

    def agent(self, server: ScriptedChatServer, *, stream: bool) -> ResolutionAgent:
        llm = OpenAI(base_url=server.base_url, api_key="test-key", max_retries=0)
        return ResolutionAgent(self.tools, llm, "scripted-model", stream=stream)


@pytest.fixture
def harness(live_api: Any, sqlite_url: str, billing: Any) -> Iterator[Harness]:
    h = Harness(live_api(sqlite_url, workers=1))
    try:
        yield h
    finally:
        h.client.close()


def _wait(body: dict[str, Any]) -> dict[str, Any]:
    return {"tool_calls": [("get_request", {"request_id": last_tool_result(body)["id"], "wait_seconds": 60})]}


class TestConversations:
    def test_autonomous_credit(self, harness: Harness, accounts: Any, billing: Any) -> None:
        """Look the account up, credit $15 autonomously, wait, and tell the customer what Steward verified."""
        account = accounts.take()
        before = billing.db.count_credits(account)

        def credit(body: dict[str, Any]) -> dict[str, Any]:
            tier = str(last_tool_result(body)["outcome"]["extracted"]["plan"]).lower()
            return {"tool_calls": [("issue_credit", {
                "params": {"account_id": account, "amount_cents": 1500, "reason": "Charged twice in March"},
                "idempotency_key": f"conv-credit-{account}", "context": _context("A $15 credit", tier)})]}

        script: list[Turn] = [
            {"tool_calls": [("lookup_account", {"params": {"account_id": account},
                                                "idempotency_key": f"conv-lookup-{account}",
                                                "context": _context("Check the account")})]},
            _wait, credit, _wait,
            {"content": f"I've added a $15.00 credit to {account}; our system confirms it."},
        ]
        conversation = [{"role": "user", "content": f"Hi, I was charged twice in March on {account}. "
                                                    "Could I get $15 back?"}]
        with ScriptedChatServer(script) as model:
            turn = harness.agent(model, stream=True).respond(conversation)
        assert turn.replaced is None, turn.replaced
        assert turn.reply.startswith("I've added a $15.00 credit")
        states = {r["action"]: r["state"] for r in turn.requests.values()}
        assert states == {"lookup_account": "succeeded", "issue_credit": "succeeded"}
        assert billing.db.count_credits(account) == before + 1  # the back-office's own database
        assert billing.db.credits(account)[-1].reason == "Charged twice in March"
        first = model.requests[0]
        assert first["stream"] is True and all(t["function"]["strict"] for t in first["tools"])
        assert {t["function"]["name"] for t in first["tools"]} >= {"issue_credit", "get_request",
                                                                     "attach_confirmation", "cancel_request"}

    def test_confirmed_email_change(self, harness: Harness, accounts: Any, billing: Any) -> None:
        """Ask the customer, attach their own words (an invented quote is refused), wait, report."""
        account = accounts.take()
        email = f"agent-{account.lower()}@example.com"
        ask = {"tool_calls": [("update_contact_email", {
            "params": {"account_id": account, "new_email": email}, "idempotency_key": f"conv-email-{account}",
            "context": _context("Change the contact email")})]}
        question = f"To confirm: change the contact email of {account} to {email}? Please reply yes."
        with ScriptedChatServer([ask, {"content": question}]) as model:
            first = harness.agent(model, stream=False).respond(
                [{"role": "user", "content": f"Please change the email on {account} to {email}."}])
        assert first.reply == question and first.replaced is None
        assert [r["state"] for r in first.requests.values()] == ["awaiting_confirmation"]

        def confirm(quote: str) -> Turn:
            def turn(body: dict[str, Any]) -> dict[str, Any]:
                pending = _awaiting(body)
                return {"tool_calls": [("attach_confirmation", {
                    "request_id": pending["id"], "quote": quote, "params_hash": pending["params_hash"],
                    "channel": None, "reference": None})]}
            return turn

        said = f"Yes, please change it to {email}"
        script = [confirm("I, the customer, confirm"), confirm(said), _wait,
                  {"content": f"Done: the contact email of {account} is now {email}, checked in our system."}]
        with ScriptedChatServer(script) as model:
            second = harness.agent(model, stream=False).respond(
                [*first.messages, {"role": "user", "content": said + "."}])
        refused = json.loads(model.requests[1]["messages"][-1]["content"])
        assert refused["error"]["code"] == "not_the_customers_words"
        assert second.replaced is None and second.reply.startswith("Done:")
        assert [r["state"] for r in second.requests.values()] == ["succeeded"]
        assert billing.db.account(account).email == email
        stored = harness.api.client.get(f"/v1/actions/{next(iter(second.requests))}",
                                        headers=harness.api.h("operator")).json()
        assert stored["confirmation"]["quote"] == said

    def test_refused_huge_credit_is_explained(self, harness: Harness, accounts: Any, billing: Any) -> None:
        """A $900 credit is forbidden; the customer is told so, and no credit exists."""
        account = accounts.take()
        before = billing.db.count_credits(account)
        script: list[Turn] = [
            {"tool_calls": [("issue_credit", {
                "params": {"account_id": account, "amount_cents": 90_000, "reason": "Outage compensation"},
                "idempotency_key": f"conv-huge-{account}", "context": _context("A $900 credit", "pro")})]},
            {"content": "I'm sorry: I can't issue a $900.00 credit myself. Credits above $500 are handled by our "
                        "billing team, who will follow up with you."},
        ]
        with ScriptedChatServer(script) as model:
            turn = harness.agent(model, stream=True).respond(
                [{"role": "user", "content": f"The outage cost me a lot. Credit $900 to {account}."}])
        assert turn.replaced is None and "billing team" in turn.reply
        [refused] = turn.requests.values()
        assert refused["state"] == "rejected" and refused["error"]["code"] == "forbidden"  # stored, never run
        assert billing.db.count_credits(account) == before

    def test_a_reply_beyond_what_steward_verified_is_replaced(self, harness: Harness, accounts: Any,
                                                              billing: Any) -> None:
        """A model claiming the forbidden credit was made gets its reply replaced by the recorded state."""
        account = accounts.take()
        script: list[Turn] = [
            {"tool_calls": [("issue_credit", {
                "params": {"account_id": account, "amount_cents": 90_000, "reason": "Outage compensation"},
                "idempotency_key": f"conv-lie-{account}", "context": _context("A $900 credit", "pro")})]},
            {"content": "Good news, I've added a $900.00 credit to your account!"},
        ]
        with ScriptedChatServer(script) as model:
            turn = harness.agent(model, stream=True).respond(
                [{"role": "user", "content": f"Credit $900 to {account}."}])
        assert turn.replaced == "it says something was done, but no request succeeded"
        assert turn.reply == "I can't do the issue credit myself; a colleague will follow up with you."


class TestCli:
    def test_steward_agent_appends_its_turn(self, harness: Harness, accounts: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
        """steward agent reads the transcript, works through the API and the model, and writes the turn back."""
        account = accounts.take()
        script: list[Turn] = [
            {"tool_calls": [("issue_credit", {"params": {"account_id": account, "amount_cents": 90_000,
                                                         "reason": "Outage compensation"},
                                              "idempotency_key": f"cli-{account}", "context": None})]},
            {"content": "I can't issue that credit myself; our billing team will follow up with you."},
        ]
        transcript = tmp_path / "conversation.json"
        with ScriptedChatServer(script) as model:
            monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
            monkeypatch.setenv("OPENAI_API_KEY", "test-key")
            monkeypatch.setenv("STEWARD_MODEL", "scripted-model")
            result = CliRunner().invoke(app, ["agent", str(transcript), "--say", f"Credit $900 to {account}",
                                              "--server", harness.api.base_url, "--token",
                                              harness.api.tokens["agent"], "--json"])
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        assert out["reply"].startswith("I can't issue") and out["replaced"] is None
        assert [r["state"] for r in out["requests"].values()] == ["rejected"]
        saved = json.loads(transcript.read_text())
        assert [m["role"] for m in saved] == ["system", "user", "assistant", "tool", "assistant"]

"""LLM handoff summaries: a model's summary of the recorded facts stands only if it invents nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openai import OpenAI

from executor.agents.handoff_summary import record_summary, validate_summary
from executor.models import RequestContext, SubmitRequest
from tests.agents.chat_server import ScriptedChatServer

_FACTS = {"request_id": "req_0abc", "goal": "A credit for the outage", "state": "rejected",
          "params": {"account_id": "ACC-000412", "amount_cents": 90000, "reason": "Outage"},
          "why": [{"rule": "huge-credits-forbidden", "reason": "Credits above $500 are handled by the billing team"}],
          "expires_at": None}


class TestValidator:
    def test_a_faithful_summary_stands(self) -> None:
        """Bullets stating only the facts' ids, amounts (cents as dollars) and numbers pass."""
        summary = ("- Goal: a credit for the outage on ACC-000412.\n"
                   "- $900.00 requested; policy huge-credits-forbidden: credits above $500 go to billing.\n"
                   "- Next step: the billing team contacts the customer about req_0abc.")
        assert validate_summary(summary, _FACTS) == []

    def test_an_invented_amount_is_rejected(self) -> None:
        """An amount absent from the facts is named and rejects the summary."""
        summary = "- Offer the customer $1,000 instead.\n- Account ACC-000412."
        assert validate_summary(summary, _FACTS) == ["amount 1,000 is not in the facts"]

    def test_invented_ids_dates_numbers_length_and_prose_are_rejected(self) -> None:
        """Other ids, dates and numbers, more than 200 words, and prose are each a problem."""
        assert validate_summary("- Same as ACC-000999.", _FACTS) == ["id ACC-000999 is not in the facts"]
        assert validate_summary("- Due 2026-01-31.", _FACTS) == ["date 2026-01-31 is not in the facts"]
        assert validate_summary("- Tried 3 times.", _FACTS) == ["number 3 is not in the facts"]
        assert validate_summary("The customer wants a credit.", _FACTS) == ["not bullet points"]
        assert validate_summary("- " + "word " * 201, _FACTS) == ["202 words (at most 200)"]


class TestRecorded:
    def test_model_verdict_and_prompt_hash_are_audited(self, make_steward: Callable[..., Any],
                                                       sqlite_url: str) -> None:
        """A forbidden credit: the inventing summary is dropped, the faithful one kept; both verdicts audited."""
        steward = make_steward(sqlite_url)
        rec, _ = steward.submit(SubmitRequest(
            action="issue_credit", params={"account_id": "ACC-000412", "amount_cents": 90000, "reason": "Outage"},
            idempotency_key="sum-1", context=RequestContext(customer_goal="A credit for the outage",
                                                            agent_confidence=0.9)), "agent-1")
        assert rec.state.value == "rejected" and rec.error_code == "forbidden"
        invented = "- Offer $137.50 instead to ACC-000412."
        faithful = "- ACC-000412 asked for $900.00; policy forbids credits above $500.\n- Next: billing team."
        with ScriptedChatServer([{"content": invented}, {"content": faithful}]) as model:
            llm = OpenAI(base_url=model.base_url, api_key="test-key", max_retries=0)
            dropped = record_summary(steward, rec.id, llm, "summary-model")
            kept = record_summary(steward, rec.id, llm, "summary-model")
        assert "summary" not in dropped and dropped["request_id"] == rec.id  # the packet stands alone
        assert kept["summary"] == faithful
        assert record_summary(steward, rec.id, None, None) == dropped  # no model: exactly as before
        events = [e for e in steward.audit.entries(action_id=rec.id) if e.type == "handoff.summary"]
        assert [e.payload["verdict"] for e in events] == ["rejected", "accepted"]
        assert events[0].payload["problems"] == ["amount 137.50 is not in the facts"]
        assert "summary" not in events[0].payload and events[1].payload["summary"] == faithful
        assert {e.payload["model"] for e in events} == {"summary-model"}
        assert len(events[0].payload["prompt_sha256"]) == 64
        assert events[0].payload["prompt_sha256"] == events[1].payload["prompt_sha256"]  # same facts, same prompt


class TestCli:
    def test_handoff_summary_command(self, make_steward: Callable[..., Any], sqlite_url: str, tmp_path: Any,
                                     monkeypatch: Any) -> None:
        """steward handoff-summary prints the packet, with the model's summary when it stands."""
        import json

        from typer.testing import CliRunner

        from executor.cli import app

        steward = make_steward(sqlite_url)
        rec, _ = steward.submit(SubmitRequest(
            action="issue_credit", params={"account_id": "ACC-000413", "amount_cents": 90000, "reason": "Outage"},
            idempotency_key="sum-cli", context=RequestContext(agent_confidence=0.9)), "agent-1")
        args = ["handoff-summary", rec.id, "--db", sqlite_url, "--home", str(tmp_path / "home")]
        plain = CliRunner().invoke(app, args)
        assert plain.exit_code == 0, plain.output
        assert json.loads(plain.output)["request_id"] == rec.id and "summary" not in json.loads(plain.output)
        with ScriptedChatServer([{"content": "- ACC-000413: $900.00 credit forbidden by policy."}]) as model:
            monkeypatch.setenv("OPENAI_BASE_URL", model.base_url)
            monkeypatch.setenv("OPENAI_API_KEY", "test-key")
            summarized = CliRunner().invoke(app, [*args, "--model", "summary-model"])
        assert summarized.exit_code == 0, summarized.output
        assert json.loads(summarized.output)["summary"].startswith("- ACC-000413")

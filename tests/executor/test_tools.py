"""Agent tool schemas from the catalog."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from action_classes import load_catalog
from executor.cli import app
from executor.config import DEFAULT_CATALOG_DIR
from executor.models import SubmitRequest
from executor.tools import openai_tools, tool_call_to_submission


class TestOpenAITools:
    def test_one_tool_per_action(self) -> None:
        """Every action is a function tool with its parameter schema."""
        tools = openai_tools(load_catalog(DEFAULT_CATALOG_DIR, env={}))
        names = [t["function"]["name"] for t in tools]
        assert names == sorted([
            "lookup_account", "issue_credit", "reverse_credit", "update_contact_email", "cancel_subscription",
            "lookup_order", "refund_order", "change_shipping_address", "cancel_order", "add_internal_note",
            "create_shipment",
        ])
        credit = next(t for t in tools if t["function"]["name"] == "issue_credit")["function"]
        params = credit["parameters"]["properties"]["params"]
        assert params["properties"]["amount_cents"]["maximum"] == 1_000_000
        assert params["required"] == ["account_id", "amount_cents", "reason"]
        assert "human_approved" in credit["description"]

    def test_tool_call_becomes_a_valid_submission(self) -> None:
        """A tool call's arguments map onto the submit body the API validates."""
        body = tool_call_to_submission(
            "issue_credit",
            {
                "params": {"account_id": "ACC-000001", "amount_cents": 100, "reason": "Late"},
                "idempotency_key": "conv-9",
                "context": {"agent_confidence": 0.9},
            },
        )
        assert SubmitRequest.model_validate(body).idempotency_key == "conv-9"

    def test_cli(self) -> None:
        """steward catalog tools prints the schemas as JSON."""
        result = CliRunner().invoke(app, ["catalog", "tools"])
        assert result.exit_code == 0 and len(json.loads(result.output)["tools"]) == 11

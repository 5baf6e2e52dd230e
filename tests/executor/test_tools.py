"""Agent tool schemas from the catalog (``executor.tools``, kept for existing imports)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from action_classes import load_catalog
from executor.agents import ToolCallError
from executor.cli import app
from executor.config import DEFAULT_CATALOG_DIR
from executor.models import SubmitRequest
from executor.tools import openai_tools, tool_call_to_submission

_ACTIONS = ["lookup_account", "issue_credit", "reverse_credit", "update_contact_email", "cancel_subscription",
            "lookup_order", "refund_order", "change_shipping_address", "cancel_order", "add_internal_note",
            "create_shipment"]


class TestOpenAITools:
    def test_one_tool_per_action_and_the_request_tools(self) -> None:
        """Every action is a strict function tool with its parameter schema; then the three request tools."""
        tools = openai_tools(load_catalog(DEFAULT_CATALOG_DIR, env={}))
        names = [t["function"]["name"] for t in tools]
        assert names == [*sorted(_ACTIONS), "get_request", "attach_confirmation", "cancel_request"]
        credit = next(t for t in tools if t["function"]["name"] == "issue_credit")["function"]
        params = credit["parameters"]["properties"]["params"]
        assert params["properties"]["amount_cents"]["maximum"] == 1_000_000
        assert params["required"] == ["account_id", "amount_cents", "reason"]
        assert "human_approved" in credit["description"] and credit["strict"] is True

    def test_tool_call_becomes_a_valid_submission(self) -> None:
        """A tool call's JSON arguments string maps onto the submit body the API validates; nulls are dropped."""
        body = tool_call_to_submission("issue_credit", json.dumps({
            "params": {"account_id": "ACC-000001", "amount_cents": 100, "reason": "Late"},
            "idempotency_key": "conv-9",
            "context": {"agent_confidence": 0.9, "customer_id": None},
        }))
        assert SubmitRequest.model_validate(body).idempotency_key == "conv-9"
        assert body["context"] == {"agent_confidence": 0.9}

    def test_bad_arguments_are_refused(self) -> None:
        """Not JSON, not an object, or an unknown key: ToolCallError, which is never retryable."""
        for bad in ("{not json", "[1]", json.dumps({"params": {}, "sudo": True})):
            with pytest.raises(ToolCallError) as caught:
                tool_call_to_submission("issue_credit", bad)
            assert not caught.value.retryable

    def test_cli(self) -> None:
        """steward catalog tools prints the schemas as JSON."""
        result = CliRunner().invoke(app, ["catalog", "tools"])
        assert result.exit_code == 0 and len(json.loads(result.output)["tools"]) == 14

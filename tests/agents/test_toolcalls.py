"""StewardTools: a model's tool call (name + JSON arguments string) in, a tool result message out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from executor.agents import StewardTools, ToolCallError
from executor.client import StewardClient
from tests.api.conftest import Api


@pytest.fixture
def tools(api: Api) -> StewardTools:
    return StewardTools(StewardClient(api.base_url, api.tokens["agent"], http=api.client))


def _stored(api: Api) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = api.client.get("/v1/actions", headers=api.h("operator")).json()["requests"]
    return out


_CREDIT = {"account_id": "ACC-000401", "amount_cents": 20_000, "reason": "Double charge"}


class TestBadCalls:
    @pytest.mark.parametrize(("name", "arguments", "says"), [
        ("issue_credit", "{not json", "not JSON"),
        ("issue_credit", "[1, 2]", "JSON object"),
        ("issue_credit", json.dumps({"params": _CREDIT}), "idempotency_key"),
        ("issue_credit", json.dumps({"params": _CREDIT, "idempotency_key": "k", "sudo": True}), "sudo"),
        ("issue_credit", json.dumps({"params": {**_CREDIT, "amount": 1}, "idempotency_key": "k"}), "amount"),
        ("issue_credit", json.dumps({"params": {**_CREDIT, "amount_cents": "lots"}, "idempotency_key": "k"}),
         "lots"),
        ("issue_credit", json.dumps({"params": _CREDIT, "idempotency_key": None}), "idempotency_key"),
        ("wire_money", "{}", "unknown tool"),
        ("get_request", json.dumps({"request_id": "r", "wait_seconds": 61}), "61"),
        ("attach_confirmation", json.dumps({"request_id": "r", "quote": "yes", "params_hash": "nope"}), "nope"),
    ])
    def test_refused_with_a_message_and_never_run(self, tools: StewardTools, api: Api, name: str, arguments: str,
                                                  says: str) -> None:
        """Each bad call is an error result naming the problem; the API never sees it."""
        message = tools.chat_message("call_1", name, arguments)
        assert message["role"] == "tool" and message["tool_call_id"] == "call_1"
        body = json.loads(message["content"])
        assert body["error"]["code"] == "invalid_tool_call" and body["error"]["executed"] is False
        assert says in body["error"]["message"]
        assert _stored(api) == []

    def test_parse_raises_tool_call_error(self, tools: StewardTools) -> None:
        """parse() is the check on its own: ToolCallError with every problem listed."""
        with pytest.raises(ToolCallError) as caught:
            tools.parse("issue_credit", {"params": {}, "extra": 1})
        assert len(caught.value.problems) >= 2 and not caught.value.retryable


class TestGoodCalls:
    def test_strict_mode_nulls_are_dropped_and_the_call_submits(self, tools: StewardTools, api: Api) -> None:
        """A strict-mode call (every key, nulls for unknowns) submits; the result is the API's request."""
        arguments = json.dumps({"params": _CREDIT, "idempotency_key": "conv-1-credit",
                                "context": {"conversation_id": "conv-1", "customer_id": None, "account_tier": None,
                                            "customer_goal": None, "agent_confidence": 0.9}})
        result = tools.call("issue_credit", arguments)
        assert not result.is_error and result.executed
        assert result.body["state"] == "awaiting_approval" and result.body["created"] is True
        assert result.body["context"] == {"conversation_id": "conv-1", "agent_confidence": 0.9, "metadata": {}}
        [stored] = _stored(api)
        assert stored["id"] == result.body["id"] and stored["idempotency_key"] == "conv-1-credit"

    def test_responses_api_output_item(self, tools: StewardTools) -> None:
        """The Responses API answer is a function_call_output item with the same JSON."""
        item = tools.responses_output("fc_1", "get_request", json.dumps({"request_id": "req_missing",
                                                                         "wait_seconds": None}))
        assert item["type"] == "function_call_output" and item["call_id"] == "fc_1"
        assert json.loads(item["output"])["error"]["status"] == 404  # an API refusal: readable, not raised

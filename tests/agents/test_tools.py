"""Tool specs and the OpenAI strict-mode schemas, for Chat Completions and the Responses API."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import ChatCompletionFunctionToolParam
from openai.types.responses import FunctionToolParam
from pydantic import TypeAdapter

from action_classes import load_catalog
from executor.agents import openai_tools, strict_schema, tool_specs
from executor.config import DEFAULT_CATALOG_DIR

_FORBIDDEN = {"propertyNames", "patternProperties", "minLength", "maxLength", "default", "minProperties",
              "maxProperties", "unevaluatedProperties"}


def _assert_strict(node: Any, where: str = "$") -> None:
    """Every object closed with all properties required; no keyword strict mode refuses, anywhere."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _assert_strict(item, f"{where}[{i}]")
        return
    if not isinstance(node, dict):
        return
    assert not _FORBIDDEN & set(node), f"{where}: {_FORBIDDEN & set(node)}"
    if "properties" in node:
        assert node["additionalProperties"] is False, where
        assert sorted(node["required"]) == sorted(node["properties"]), where
    for key, value in node.items():
        if key != "enum":
            _assert_strict(value, f"{where}.{key}")


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog(DEFAULT_CATALOG_DIR, env={})


class TestStrictSchemas:
    def test_chat_completions_tools_are_strict_and_typed(self, catalog: Any) -> None:
        """Every Chat Completions tool is strict, closed, fully required, and a valid openai tool param."""
        tools = openai_tools(catalog, api="chat")
        adapter = TypeAdapter(ChatCompletionFunctionToolParam)
        for tool in tools:
            adapter.validate_python(tool, strict=True)
            assert tool["function"]["strict"] is True
            _assert_strict(tool["function"]["parameters"])
        names = [t["function"]["name"] for t in tools]
        assert names[-3:] == ["get_request", "attach_confirmation", "cancel_request"]
        assert len(names) == len(catalog.actions) + 3

    def test_responses_api_tools_are_strict_and_typed(self, catalog: Any) -> None:
        """The Responses API form (flat) validates against the openai FunctionToolParam."""
        adapter = TypeAdapter(FunctionToolParam)
        for tool in openai_tools(catalog, api="responses"):
            adapter.validate_python(tool, strict=True)
            assert tool["strict"] is True and "function" not in tool
            _assert_strict(tool["parameters"])

    def test_optional_becomes_nullable_and_limits_move_to_the_description(self, catalog: Any) -> None:
        """context and its fields are nullable; a dropped maxLength is stated in words; bounds stay."""
        credit = next(t for t in openai_tools(catalog) if t["function"]["name"] == "issue_credit")["function"]
        props = credit["parameters"]["properties"]
        assert props["context"]["type"] == ["object", "null"]
        assert props["context"]["properties"]["agent_confidence"]["type"] == ["number", "null"]
        assert "metadata" not in props["context"]["properties"]  # a free object cannot be strict
        assert props["params"]["properties"]["amount_cents"]["maximum"] == 1_000_000
        assert "3 to 200 characters" in props["params"]["properties"]["reason"]["description"]
        confirm = next(t for t in openai_tools(catalog) if t["function"]["name"] == "attach_confirmation")
        channel = confirm["function"]["parameters"]["properties"]["channel"]
        assert channel["type"] == ["string", "null"] and None in channel["enum"]

    def test_strict_schema_closes_nested_objects(self) -> None:
        """Nested objects, arrays and unions are made strict too; open maps lose their open keywords."""
        schema = {"type": "object", "properties": {
            "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
            "either": {"anyOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}, {"type": "null"}]},
            "labels": {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"},
                       "patternProperties": {".*": {"type": "string"}}},
        }, "required": ["tags"]}
        strict = strict_schema(schema)
        _assert_strict(strict)
        assert strict["properties"]["tags"]["type"] == "array"  # required: not made nullable
        assert strict["properties"]["either"]["anyOf"][0]["additionalProperties"] is False


class TestSpecs:
    def test_hints_follow_the_catalog(self, catalog: Any) -> None:
        """Read-only actions are readOnly; writes are destructive; every submission is idempotent by key."""
        specs = {s.name: s for s in tool_specs(catalog)}
        assert specs["lookup_account"].annotations()["readOnlyHint"] is True
        write = specs["issue_credit"].annotations()
        assert write == {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": True,
                         "openWorldHint": True}
        assert specs["get_request"].read_only and not specs["attach_confirmation"].idempotent
        assert specs["issue_credit"].input_schema["required"] == ["params", "idempotency_key"]
        assert "created" in specs["issue_credit"].output_schema["properties"]

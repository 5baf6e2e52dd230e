"""The reference resolution agent (``steward agent``): an LLM on the ``openai`` client, working through Steward.

It reads a customer conversation (Chat Completions messages: the customer is
``user``), lets the model choose Steward tools, and answers the customer::

    from openai import OpenAI
    from executor.agents import ResolutionAgent, StewardTools

    agent = ResolutionAgent(StewardTools(client), OpenAI(), model="gpt-4.1-mini")
    turn = agent.respond(messages)       # messages: the transcript so far, tool turns included
    print(turn.reply)                    # what to send the customer
    messages = turn.messages             # keep for the customer's next message

Works with any OpenAI-compatible server (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``,
``STEWARD_MODEL``), streamed or not. Three rules are enforced in code, not
left to the prompt:

- a confirmation quotes the customer: ``attach_confirmation`` is refused (an
  error for the model, nothing sent) unless its ``quote`` is words the customer
  actually wrote in this conversation;
- every tool call goes through ``StewardTools``: a malformed one never executes;
- the reply states only what Steward verified: an amount, email or id the
  conversation and Steward's answers do not hold, or a claim that something was
  done while no request succeeded, replaces the model's reply with one built
  from the requests' recorded states.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from executor.agents.toolcalls import StewardTools, ToolResult

if TYPE_CHECKING:
    from collections.abc import Iterable

    from openai import OpenAI
    from openai.types.chat import ChatCompletionChunk

__all__ = ["SYSTEM_PROMPT", "AgentTurn", "ResolutionAgent", "check_reply"]

SYSTEM_PROMPT = """You are a customer-support resolution agent. You act on the back-office only through the \
Steward tools; Steward decides under policy whether an action runs.
- Use one idempotency_key per intended action (the conversation id plus a short step name).
- Set context.agent_confidence to how sure you are that this is what the customer asked for.
- When a result's state is awaiting_confirmation, ask the customer to confirm exactly those parameters and stop.
  When they confirm, call attach_confirmation with their exact words as quote and the request's params_hash.
- When a request is queued or running, call get_request with wait_seconds to learn its final state.
- Tell the customer only what Steward's results say: succeeded means done and verified; awaiting_approval means a
  colleague must approve it; forbidden means you cannot do it and a colleague will follow up. Never promise more."""

_MONEY = re.compile(r"[$€£]\s?(\d[\d,]*(?:\.\d{1,2})?)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IDS = re.compile(r"\b(?:ACC|ORD)-\d{6}\b|\breq_[0-9a-z]+\b")
_CLAIM = re.compile(r"\b(?:has|have) been\b|\bI(?:'ve| have) (?:added|applied|updated|changed|issued|credited|"
                    r"cancel+ed|refunded|processed|completed)\b|\b(?:is|it's) (?:done|complete)\b", re.IGNORECASE)


@dataclass
class AgentTurn:
    """One answer to the customer: the reply, the transcript to continue from, and the requests seen."""

    reply: str
    messages: list[dict[str, Any]]
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    replaced: str | None = None  # why the model's own reply was replaced, when it was
    tool_results: list[ToolResult] = field(default_factory=list)


def _cents(text: str) -> set[int]:
    return {round(float(m.replace(",", "")) * 100) for m in _MONEY.findall(text)}


def _facts(messages: list[dict[str, Any]]) -> tuple[str, set[int]]:
    """What the reply may rely on: the customer's words and Steward's answers (amounts also in cents)."""
    texts: list[str] = []
    cents: set[int] = set()
    for m in messages:
        if m.get("role") in ("user", "tool") and isinstance(m.get("content"), str):
            texts.append(m["content"])
            cents |= _cents(m["content"])
            if m["role"] == "tool":
                cents |= {int(n) for n in re.findall(r'"\w*_cents": (\d+)', m["content"])}
    return "\n".join(texts), cents


def check_reply(reply: str, messages: list[dict[str, Any]], requests: dict[str, dict[str, Any]]) -> str | None:
    """Why ``reply`` says more than Steward verified, or None when it may be sent."""
    facts, cents = _facts(messages)
    for amount in _cents(reply):
        if amount not in cents:
            return f"the amount {amount / 100:.2f} is in no message or result"
    lowered = facts.lower()
    for token in (*_EMAIL.findall(reply), *_IDS.findall(reply)):
        if token.lower() not in lowered:
            return f"{token} is in no message or result"
    if _CLAIM.search(reply) and not any(r.get("state") == "succeeded" for r in requests.values()):
        return "it says something was done, but no request succeeded"
    return None


def _status_reply(requests: dict[str, dict[str, Any]]) -> str:
    """A reply built only from the requests' recorded states."""
    lines = []
    for r in requests.values():
        action = str(r.get("action", "the request")).replace("_", " ")
        state = r.get("state")
        if state == "succeeded":
            lines.append(f"Your {action} is done and was checked in our system.")
        elif state == "awaiting_confirmation":
            lines.append(f"Before I go ahead with the {action}, please confirm: {json.dumps(r.get('params'))}.")
        elif state == "awaiting_approval":
            lines.append(f"Your {action} needs a colleague's approval; we will let you know.")
        elif state == "forbidden" or (state == "rejected" and (r.get("error") or {}).get("code") == "forbidden"):
            lines.append(f"I can't do the {action} myself; a colleague will follow up with you.")
        elif state in ("queued", "running", "verifying"):
            lines.append(f"Your {action} is in progress; we will let you know when it is done.")
        else:
            lines.append(f"Your {action} could not be completed; a colleague will follow up with you.")
    return " ".join(lines) or "Let me pass this to a colleague, who will follow up with you."


def _quoted(quote: str, messages: list[dict[str, Any]]) -> bool:
    """True when ``quote`` is the customer's own words (whitespace and case aside)."""
    want = " ".join(quote.split()).lower()
    return bool(want) and any(
        m.get("role") == "user" and isinstance(m.get("content"), str) and want in " ".join(m["content"].split()).lower()
        for m in messages
    )


class ResolutionAgent:
    """A small tool-using loop: model turn, Steward tool calls, until the model answers the customer."""

    def __init__(self, tools: StewardTools, llm: OpenAI, model: str, *, stream: bool = True,
                 max_steps: int = 12, system_prompt: str = SYSTEM_PROMPT) -> None:
        self.tools, self.llm, self.model = tools, llm, model
        self.stream, self.max_steps, self.system_prompt = stream, max_steps, system_prompt

    def respond(self, conversation: list[dict[str, Any]]) -> AgentTurn:
        """The agent's answer to the conversation so far (``conversation`` is not changed)."""
        messages = [dict(m) for m in conversation]
        if not messages or messages[0].get("role") != "system":
            messages.insert(0, {"role": "system", "content": self.system_prompt})
        turn = AgentTurn(reply="", messages=messages, requests=_requests_in(messages))
        schemas = self.tools.openai_tools("chat")
        for _ in range(self.max_steps):
            assistant = self._complete(messages, schemas)
            messages.append(assistant)
            calls = assistant.get("tool_calls") or []
            if not calls:
                return self._answer(turn, str(assistant.get("content") or ""))
            for call in calls:
                fn = call["function"]
                result = self._call(fn["name"], fn["arguments"], messages)
                turn.tool_results.append(result)
                request = _request_of(result.body)
                if request is not None:
                    turn.requests[request["id"]] = request
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result.text()})
        return self._answer(turn, "")

    def _call(self, name: str, arguments: str, messages: list[dict[str, Any]]) -> ToolResult:
        if name == "attach_confirmation":
            try:
                quote = json.loads(arguments).get("quote")
            except (ValueError, AttributeError):
                quote = None
            if isinstance(quote, str) and not _quoted(quote, messages):
                body = {"error": {"code": "not_the_customers_words", "executed": False,
                                  "message": "quote must be the customer's exact words from this conversation; "
                                  "ask the customer to confirm first"}}
                return ToolResult(name, body, is_error=True, executed=False)
        return self.tools.call(name, arguments)

    def _answer(self, turn: AgentTurn, reply: str) -> AgentTurn:
        why = check_reply(reply, turn.messages, turn.requests) if reply else "the model gave no reply"
        if why is not None:
            turn.replaced = why
            reply = _status_reply(turn.requests)
            turn.messages.append({"role": "assistant", "content": reply})
        turn.reply = reply
        return turn

    def _complete(self, messages: list[dict[str, Any]], schemas: list[dict[str, Any]]) -> dict[str, Any]:
        """One model turn as an assistant message dict (content and/or tool_calls), streamed or not."""
        if not self.stream:
            response = self.llm.chat.completions.create(model=self.model, messages=messages,  # type: ignore[arg-type]
                                                        tools=schemas)  # type: ignore[arg-type]
            message = response.choices[0].message
            out: dict[str, Any] = {"role": "assistant", "content": message.content}
            if message.tool_calls:
                out["tool_calls"] = [{"id": c.id, "type": "function",
                                      "function": {"name": c.function.name, "arguments": c.function.arguments}}
                                     for c in message.tool_calls if c.type == "function"]
            return out
        content: list[str] = []
        calls: dict[int, dict[str, Any]] = {}
        # The messages and tools are plain dicts, so mypy cannot pick the streaming overload by itself.
        stream = cast("Iterable[ChatCompletionChunk]", self.llm.chat.completions.create(
            model=self.model, messages=messages, tools=schemas, stream=True))  # type: ignore[arg-type]
        for chunk in stream:
            if not chunk.choices:
                continue
            delta = chunk.choices[0].delta
            if delta.content:
                content.append(delta.content)
            for part in delta.tool_calls or []:
                call = calls.setdefault(part.index, {"id": "", "type": "function",
                                                     "function": {"name": "", "arguments": ""}})
                if part.id:
                    call["id"] = part.id
                if part.function is not None:
                    call["function"]["name"] += part.function.name or ""
                    call["function"]["arguments"] += part.function.arguments or ""
        out = {"role": "assistant", "content": "".join(content) or None}
        if calls:
            out["tool_calls"] = [calls[i] for i in sorted(calls)]
        return out


def _requests_in(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The requests earlier turns' tool results show, latest state last."""
    seen: dict[str, dict[str, Any]] = {}
    for m in messages:
        if m.get("role") == "tool" and isinstance(m.get("content"), str):
            try:
                body = json.loads(m["content"])
            except ValueError:
                continue
            request = _request_of(body)
            if request is not None:
                seen[request["id"]] = request
    return seen


def _request_of(body: Any) -> dict[str, Any] | None:
    """The request a tool result shows: the result itself, or a refusal's ``details.request`` (e.g. forbidden)."""
    if isinstance(body, dict) and "id" not in body and isinstance(body.get("error"), dict):
        details = body["error"].get("details")
        body = details.get("request") if isinstance(details, dict) else None
    if isinstance(body, dict) and isinstance(body.get("id"), str) and "state" in body:
        return body
    return None

"""LLM handoff summaries: an optional model writes, for the human who takes over, a summary of the recorded facts.

When a request ends ``rejected`` (forbidden), ``unverified``, ``aborted``,
``failed`` or ``expired``, or waits for approval, ``summarize_handoff`` asks a
model (any OpenAI-compatible server) for at most 200 words of bullet points
built from the handoff packet only: goal, state, what was tried, policy
references, evidence, recommended next step.

``validate_summary`` rejects a summary that is too long, is not bullet
points, or states a number, id, amount or date the facts do not hold (an
amount in dollars matches the facts' ``*_cents``). A rejected summary is
dropped and the deterministic packet stands alone. Either way one audit
event ``handoff.summary`` records the model's name, the prompt's sha256 and
the verdict (with the summary only when accepted). Without a model nothing
of this runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai import OpenAI

__all__ = ["MAX_WORDS", "SUMMARY_STATES", "SummaryVerdict", "record_summary", "summarize_handoff", "validate_summary"]

MAX_WORDS = 200
SUMMARY_STATES = frozenset({"rejected", "unverified", "aborted", "failed", "expired", "awaiting_approval"})
_PROMPT = """You write the handoff note for the support colleague who takes over this request.
Use only the facts in the JSON below. Write at most 200 words, as bullet points starting with "- ":
the customer's goal, the request's state, what was tried, the policy rules and reasons, the evidence, and the
recommended next step. Do not state any number, id, amount or date that is not in the facts."""
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
_ID = re.compile(r"\b(?:[A-Z]{2,5}-\d+|req_[0-9a-z]+|[0-9a-f]{12,64})\b")
_MONEY = re.compile(r"[$€£]\s?(\d[\d,]*(?:\.\d+)?)")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w])")


@dataclass(frozen=True)
class SummaryVerdict:
    """What the model wrote and whether it stands: ``summary`` is None when rejected (or no model ran)."""

    model: str
    prompt_sha256: str
    accepted: bool
    summary: str | None
    problems: list[str] = field(default_factory=list)

    def audit_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.model, "prompt_sha256": self.prompt_sha256,
                                   "verdict": "accepted" if self.accepted else "rejected", "problems": self.problems}
        if self.accepted:
            payload["summary"] = self.summary
        return payload


def _flatten(value: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flatten(v, str(k))]
    if isinstance(value, list):
        return [pair for v in value for pair in _flatten(v, key)]
    return [] if value is None else [(key, str(value))]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _known(facts: dict[str, Any]) -> tuple[str, set[float]]:
    """The facts as one lower-case text, and every number they state (cents also in dollars)."""
    pairs = _flatten(facts)
    text = "\n".join(v for _, v in pairs).lower()
    numbers: set[float] = set()
    for key, value in pairs:
        for match in _NUMBER.findall(value):
            numbers.add(_number(match))
            if key.endswith("_cents"):
                numbers.add(_number(match) / 100)
    return text, numbers


def validate_summary(summary: str, facts: dict[str, Any]) -> list[str]:
    """Why ``summary`` may not stand (empty when it may): length, form, and anything stated beyond the facts."""
    problems: list[str] = []
    words = len(summary.split())
    if words > MAX_WORDS:
        problems.append(f"{words} words (at most {MAX_WORDS})")
    lines = [line for line in summary.splitlines() if line.strip()]
    if not lines or any(not _BULLET.match(line) for line in lines):
        problems.append("not bullet points")
    text, numbers = _known(facts)
    body = "\n".join(_BULLET.sub("", line) for line in lines)  # a list's own "1." is not a claim
    for date in _DATE.findall(body):
        if date.lower() not in text:
            problems.append(f"date {date} is not in the facts")
    body = _DATE.sub(" ", body)
    for ident in _ID.findall(body):
        if ident.lower() not in text:
            problems.append(f"id {ident} is not in the facts")
    body = _ID.sub(" ", body)
    for amount in _MONEY.findall(body):
        if _number(amount) not in numbers:
            problems.append(f"amount {amount} is not in the facts")
    body = _MONEY.sub(" ", body)
    for number in _NUMBER.findall(body):
        if _number(number) not in numbers:
            problems.append(f"number {number} is not in the facts")
    return problems


def _messages(facts: dict[str, Any]) -> list[dict[str, str]]:
    return [{"role": "system", "content": _PROMPT},
            {"role": "user", "content": json.dumps(facts, sort_keys=True, default=str)}]


def summarize_handoff(llm: OpenAI, model: str, facts: dict[str, Any]) -> SummaryVerdict:
    """Ask ``model`` for the summary of ``facts`` (a handoff packet, plus the state) and judge it."""
    messages = _messages(facts)
    prompt_sha256 = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
    response = llm.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
    summary = (response.choices[0].message.content or "").strip()
    problems = validate_summary(summary, facts)
    return SummaryVerdict(model=model, prompt_sha256=prompt_sha256, accepted=not problems,
                          summary=summary if not problems else None, problems=problems)


def record_summary(steward: Any, request_id: str, llm: OpenAI | None, model: str | None) -> dict[str, Any]:
    """The handoff packet of ``request_id``, with the model's summary when one is configured and it stands.

    Records the ``handoff.summary`` audit event (model, prompt hash, verdict).
    Without ``llm`` and ``model``, or outside ``SUMMARY_STATES``, it is the
    deterministic packet, as before.
    """
    rec = steward.get(request_id)
    packet: dict[str, Any] = steward.handoff(rec)
    state = rec.state.value
    if llm is None or not model or state not in SUMMARY_STATES:
        return packet
    facts = {**packet, "state": state, "error": {"code": rec.error_code, "message": rec.error_message}}
    verdict = summarize_handoff(llm, model, facts)
    steward.audit.append("handoff.summary", actor="handoff-summarizer", action_id=rec.id,
                         payload=verdict.audit_payload())
    return {**packet, "summary": verdict.summary} if verdict.accepted else packet

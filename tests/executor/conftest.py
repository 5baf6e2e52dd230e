"""Helpers for executor tests: submitting requests quickly."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from executor.models import Confirmation, RequestContext, SubmitRequest

AGENT = "agent-007"
OPERATOR = "olga.ops"


DEFAULT_CONTEXT: dict[str, Any] = {"account_tier": "pro", "agent_confidence": 0.95}


def context(**overrides: Any) -> RequestContext:
    """A context the default policy accepts for autonomous small credits."""
    return RequestContext(**{**DEFAULT_CONTEXT, **overrides})


def credit(account: str, cents: int, reason: str = "Goodwill credit", **ctx: Any) -> SubmitRequest:
    return SubmitRequest(
        action="issue_credit",
        params={"account_id": account, "amount_cents": cents, "reason": reason},
        context=context(**ctx),
    )


def confirmation_for(rec: Any, quote: str = "Yes, go ahead") -> Confirmation:
    return Confirmation(channel="chat", quote=quote, params_hash=rec.params_hash)


_UNUSABLE = {7, 13, 21}  # suspended or cancelled in the seed
_NEXT_ACCOUNT = itertools.count(30)


@pytest.fixture
def accounts() -> Any:
    """Hands out distinct active accounts so tests sharing one console never collide."""
    from fixtures.billing_console import account_id

    class Pool:
        def take(self) -> str:
            number = next(_NEXT_ACCOUNT)
            while number in _UNUSABLE:
                number = next(_NEXT_ACCOUNT)
            return str(account_id(number))

    return Pool()

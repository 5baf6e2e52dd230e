"""Helpers shared by the policy tests (a uniquely named module, not conftest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import action_classes
from action_classes import Action, ActionClass, Catalog
from policies import PolicyInput

CATALOG_DIR = Path(action_classes.__file__).parent / "catalog"
POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
DEFAULT_POLICY = POLICIES_DIR / "default.yaml"
DEFAULT_CASES = POLICIES_DIR / "default_cases.yaml"

CREDIT = {"account_id": "ACC-000001", "amount_cents": 1000, "reason": "goodwill"}
GOOD_CONTEXT = {"account_tier": "standard", "agent_confidence": 0.9}


def action_with(catalog: Catalog, name: str, default: ActionClass | None = None) -> Action:
    """A catalog action, optionally with another default class."""
    action = catalog.action(name)
    return action if default is None else action.model_copy(update={"action_class": default})


def request(
    action: Action,
    params: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    requester: str = "agent-1",
    usage: dict[str, float] | None = None,
) -> PolicyInput:
    """A PolicyInput with credit-like defaults."""
    return PolicyInput(
        action=action,
        params=dict(CREDIT) if params is None else params,
        context=dict(GOOD_CONTEXT) if context is None else context,
        requester=requester,
        usage=usage,
    )

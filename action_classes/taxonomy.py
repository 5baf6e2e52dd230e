"""The action class taxonomy: how much human involvement an action needs.

Classes are ordered by strictness. Policy evaluation takes the strictest class
among an action's default and every matching rule, so the order here is the
one place that decides what "stricter" means.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["ActionClass", "strictest"]


class ActionClass(StrEnum):
    """How an action request may run, from least to most strict."""

    AUTONOMOUS = "autonomous"
    CUSTOMER_CONFIRMED = "customer_confirmed"
    HUMAN_APPROVED = "human_approved"
    FORBIDDEN = "forbidden"

    @property
    def rank(self) -> int:
        """Position in the strictness order; higher is stricter."""
        return _ORDER.index(self)

    def stricter_than(self, other: ActionClass) -> bool:
        """True when this class needs more oversight than ``other``."""
        return self.rank > other.rank


_ORDER: tuple[ActionClass, ...] = (
    ActionClass.AUTONOMOUS,
    ActionClass.CUSTOMER_CONFIRMED,
    ActionClass.HUMAN_APPROVED,
    ActionClass.FORBIDDEN,
)


def strictest(classes: Iterable[ActionClass]) -> ActionClass:
    """The strictest of ``classes``; raises ValueError when it is empty."""
    items = list(classes)
    if not items:
        raise ValueError("strictest() needs at least one class")
    return max(items, key=lambda c: c.rank)

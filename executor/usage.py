"""Budget usage for policy limits: what a window already holds.

The policy says which limits apply and how much a request adds; the executor
owns the history, so it sums the requests still counting against a budget
(everything not rejected, denied, cancelled, expired, failed or aborted).
"""

from __future__ import annotations

from typing import Any

from action_classes import UnknownActionError
from executor.states import RequestState
from executor.store import Store
from policies import Policy, PolicyInput

__all__ = ["COUNTED_STATES", "BudgetUsage"]

S = RequestState
COUNTED_STATES = frozenset(set(S) - {S.REJECTED, S.DENIED, S.CANCELLED, S.EXPIRED, S.FAILED, S.ABORTED})


class BudgetUsage:
    """Callable: (policy, request) -> {limit id: amount already used in its window}."""

    def __init__(self, store: Store, catalog: Any = None, conn: Any = None) -> None:
        self.store = store
        self.catalog = catalog
        self.conn = conn  # read inside the caller's budget transaction when set

    def within(self, conn: Any) -> BudgetUsage:
        """The same reader, bound to one transaction."""
        return BudgetUsage(self.store, self.catalog, conn)

    def __call__(self, policy: Policy, pin: PolicyInput) -> dict[str, float]:
        usage: dict[str, float] = {}
        for limit in policy.limits_for(pin.action.name):
            since = self.store.clock.now() - limit.window_seconds
            requester = pin.requester if limit.scope == "requester" else None
            total = 0.0
            for rec in self.store.since(since, states=COUNTED_STATES, requester=requester, conn=self.conn):
                if not limit.names_action(rec.action) or rec.params is None:
                    continue
                action = pin.action if rec.action == pin.action.name else self._action(self.catalog, rec.action)
                if action is None:
                    continue
                # An amount that cannot be computed raises PolicyEvaluationError: fail closed.
                total += limit.amount(
                    PolicyInput(action=action, params=rec.params, context=rec.context, requester=rec.requester)
                )
            usage[limit.id] = total
        return usage

    @staticmethod
    def _action(catalog: Any, name: str) -> Any:
        if catalog is None:
            return None
        try:
            return catalog.action(name)
        except UnknownActionError:
            return None

"""Budget usage for policy limits: what a window already holds.

The policy says which limits apply and how much a request adds; the executor
owns the history, so it sums the requests still counting against a budget
(everything not rejected, denied, cancelled, expired, failed or aborted).

A request's parameters never change, so what it adds to a limit is computed
once per process and remembered (keyed by the limit's id and ``sum``
expression): each decision reads only the ids and actions of the window's
requests, and the parameters of those it has not seen before. The state is
always read afresh, so a request that fails or is rejected stops counting at
once.
"""

from __future__ import annotations

import threading
from typing import Any

from action_classes import UnknownActionError
from executor.states import RequestState
from executor.store import Store
from policies import Limit, Policy, PolicyInput

__all__ = ["COUNTED_STATES", "BudgetUsage"]

S = RequestState
COUNTED_STATES = frozenset(set(S) - {S.REJECTED, S.DENIED, S.CANCELLED, S.EXPIRED, S.FAILED, S.ABORTED})
_REMEMBERED = 200_000  # amounts kept per process; beyond it the oldest half is forgotten (and recomputed if needed)


class _Amounts:
    """What each request adds to each limit, shared by the threads of one process."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> float | None:
        return self._known.get(key)

    def put(self, key: tuple[str, str, str], amount: float) -> None:
        with self._lock:
            if len(self._known) >= _REMEMBERED:
                for old in list(self._known)[: _REMEMBERED // 2]:
                    del self._known[old]
            self._known[key] = amount


class BudgetUsage:
    """Callable: (policy, request) -> {limit id: amount already used in its window}."""

    def __init__(self, store: Store, catalog: Any = None, conn: Any = None, amounts: _Amounts | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.conn = conn  # read inside the caller's budget transaction when set
        self.amounts = amounts if amounts is not None else _Amounts()

    def within(self, conn: Any) -> BudgetUsage:
        """The same reader, bound to one transaction."""
        return BudgetUsage(self.store, self.catalog, conn, self.amounts)

    def __call__(self, policy: Policy, pin: PolicyInput) -> dict[str, float]:
        usage: dict[str, float] = {}
        for limit in policy.limits_for(pin.action.name):
            since = self.store.clock.now() - limit.window_seconds
            requester = pin.requester if limit.scope == "requester" else None
            window = self.store.window(since, states=COUNTED_STATES, requester=requester,
                                       actions=limit.action_names, conn=self.conn)
            usage[limit.id] = sum(self._amounts_of(limit, pin, window))
        return usage

    def _amounts_of(self, limit: Limit, pin: PolicyInput, window: list[tuple[str, str]]) -> list[float]:
        amounts: list[float] = []
        unseen: list[str] = []
        for request_id, _action in window:
            known = self.amounts.get((limit.id, limit.sum, request_id))
            if known is None:
                unseen.append(request_id)
            else:
                amounts.append(known)
        if unseen:
            for request_id, row in self.store.inputs(unseen, conn=self.conn).items():
                amount = self._amount(limit, pin, row)
                if amount is not None:
                    self.amounts.put((limit.id, limit.sum, request_id), amount)
                    amounts.append(amount)
        return amounts

    def _amount(self, limit: Limit, pin: PolicyInput, row: dict[str, Any]) -> float | None:
        """What one stored request adds; None when it cannot count (no params, action gone)."""
        if row["params"] is None:
            return None
        action = pin.action if row["action"] == pin.action.name else self._action(self.catalog, row["action"])
        if action is None:
            return None
        # An amount that cannot be computed raises PolicyEvaluationError: fail closed.
        return limit.amount(
            PolicyInput(action=action, params=row["params"], context=row["context"], requester=row["requester"])
        )

    @staticmethod
    def _action(catalog: Any, name: str) -> Any:
        if catalog is None:
            return None
        try:
            return catalog.action(name)
        except UnknownActionError:
            return None

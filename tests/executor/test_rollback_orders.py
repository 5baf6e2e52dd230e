"""Rollback on the second fixture (the stock Django admin): an address change is undone by writing the old one back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from executor.models import SubmitRequest
from executor.rollback import Window, approve_batch, rollback
from executor.states import RequestState
from tests.executor.conftest import AGENT, OPERATOR, confirmation_for, context

pytestmark = pytest.mark.browser


def _free_order(orders: Any) -> Any:
    """A placed or paid order far from the numbers other tests use (they stay below ORD-001100)."""
    return next(o for o in orders.db.orders() if o.number >= "ORD-001100" and o.status.lower() in ("placed", "paid"))


class TestAddressRollback:
    def test_previous_address_comes_back(self, orders: Any, make_steward: Any, run_worker: Any, tmp_path: Path) -> None:
        """The change read the old address first; the approved rollback restores it, and the log never shows it."""
        steward = make_steward(f"sqlite:///{tmp_path / 'steward.db'}")
        order = _free_order(orders)
        before = order.address
        params = {"order_number": order.number, "recipient": "Wrong Person", "address_line1": "1 Mistake Street",
                  "address_line2": "Flat 9", "city": "Leiden", "postcode": "2311 AA", "country": "NL"}
        since = time.time() - 0.5
        rec, _ = steward.submit(SubmitRequest(action="change_shipping_address", params=params, context=context()),
                                AGENT)
        steward.confirm(rec.id, confirmation_for(rec), AGENT)
        run_worker(steward)
        assert steward.get(rec.id).state == RequestState.SUCCEEDED
        assert orders.db.order(order.number).ship_line1 == "1 Mistake Street"

        batch = rollback(steward, Window(since, time.time() + 0.5, target="orders_admin"), OPERATOR, "wrong order")
        [item] = batch.items
        assert item.status == "submitted" and item.inverse == "change_shipping_address"
        approve_batch(steward, batch.batch_id or "", "sam.ops")
        run_worker(steward)
        assert steward.get(item.compensation_id or "").state == RequestState.SUCCEEDED
        assert orders.db.order(order.number).address == before
        logged = str([e.payload for e in steward.audit.entries(rec.id)])
        assert before[1] not in logged and "1 Mistake Street" not in logged

"""The orders admin catalog end to end: real Chromium, the stock Django admin, the default policy.

Each action runs through a real worker on the shipped catalog and policy, on
the path its policy class gives it (autonomous, customer_confirmed,
human_approved), and its outcome is checked in the admin's own SQLite file
(``OrdersDB``), never in Steward's records alone.

The ``orders`` server is shared by the whole session, so every test touches
its own seeded orders (tests/fixtures/test_orders_ui.py uses 1042, 1050-1051,
1060, 1063, 1065, 1067, 1075, 1085-1086 and 1095):

=============  =========  ======================================================
order          seeded as  used by
=============  =========  ======================================================
ORD-001031     delivered  lookup (read only, both store backends)
ORD-001025/26  paid       small refund (one per store backend)
ORD-001003     delivered  over-refund: already refunded in full
ORD-001035     paid       internal note
ORD-001036     paid       address change
ORD-001037     paid       cancellation
ORD-001043     shipped    cancellation of a shipped order
ORD-001045     paid       shipment
ORD-001046     paid       forbidden refund (never reaches the browser)
ORD-009999     (none)     lookup of an order that does not exist
=============  =========  ======================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from action_classes import request_ref
from executor.errors import ConfirmationMismatch, SelfApproval
from executor.models import Confirmation, SubmitRequest
from tests.executor.conftest import AGENT, OPERATOR, confirmation_for, context
from tests.helpers import ORDERS_USER

pytestmark = pytest.mark.browser


def _orders_request(action: str, tier: str = "standard", **params: Any) -> SubmitRequest:
    return SubmitRequest(action=action, params=params, context=context(account_tier=tier))


@pytest.fixture
def steward(orders: Any, make_steward: Any, tmp_path: Path) -> Any:
    """Steward on a SQLite store with the shipped catalog and policy (the orders server started first)."""
    return make_steward(f"sqlite:///{tmp_path / 'steward.db'}")


def _audit_text(steward: Any, request_id: str) -> str:
    return str([e.payload for e in steward.audit.entries(action_id=request_id)])


def _types(steward: Any, request_id: str) -> list[str]:
    return [e.type for e in steward.audit.entries(action_id=request_id)]


class TestAutonomous:
    def test_lookup_reads_the_order_from_the_admin(
        self, orders: Any, db_url: str, make_steward: Any, run_worker: Any
    ) -> None:
        """lookup_order reads status, customer, money and address; the address reaches the audit log only hashed."""
        steward = make_steward(db_url)
        stored = orders.db.order("ORD-001031")
        rec, _ = steward.submit(SubmitRequest(action="lookup_order", params={"order_number": "ORD-001031"}), AGENT)
        assert rec.action_class == "autonomous"
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        values = (rec.outcome or {})["extracted"]
        assert values["status"] == stored.status.capitalize()
        assert values["customer_name"] == stored.customer_name
        assert values["total"] == f"${stored.total_cents / 100:,.2f}"
        assert values["refundable"] == f"${stored.refundable_cents / 100:,.2f}"
        address = (values["recipient"], values["address_line1"], values["address_line2"], values["city"],
                   values["postcode"], values["country"])
        assert address == stored.address
        assert values["order_path"] == f"/admin/orders/order/{stored.id}/change/"
        assert "commit.started" not in _types(steward, rec.id)
        recorded = steward.audit.entries(action_id=rec.id, types=["values.extracted"])[-1].payload["values"]
        assert recorded["address_line1"].startswith("hmac-sha256:")
        assert stored.ship_line1 not in _audit_text(steward, rec.id)

    def test_small_refund_is_stored_with_the_request_ref(
        self, orders: Any, db_url: str, make_steward: Any, run_worker: Any
    ) -> None:
        """A small refund runs without a human and the admin holds exactly one refund with its ref and amount."""
        number = "ORD-001025" if db_url.startswith("sqlite") else "ORD-001026"
        steward = make_steward(db_url)
        before = orders.db.order(number)
        rec, _ = steward.submit(
            _orders_request("refund_order", order_number=number, amount_cents=1234, reason="Mug arrived chipped"), AGENT
        )
        assert rec.state.value == "queued" and rec.action_class == "autonomous"
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        ref = request_ref(rec.id)
        mine = [r for r in orders.db.refunds(number) if r.reference == ref]
        assert [(r.amount_cents, r.reason, r.created_by) for r in mine] == [(1234, "Mug arrived chipped", ORDERS_USER)]
        assert orders.db.order(number).refunded_cents == before.refunded_cents + 1234
        extracted = (rec.outcome or {})["extracted"]
        assert extracted["refund_id"] == str(mine[0].id)
        assert extracted["refunded_after"] == f"${(before.refunded_cents + 1234) / 100:,.2f}"
        assert _types(steward, rec.id).count("commit.started") == 1

    def test_internal_note_through_the_inline(self, steward: Any, run_worker: Any, orders: Any) -> None:
        """A note is added through the inline's new form (not the hidden template) and signed by the staff user."""
        notes_before = orders.db.notes("ORD-001035")
        body = "Customer asked for delivery after 5 pm; told them we will pass it on."
        rec, _ = steward.submit(_orders_request("add_internal_note", order_number="ORD-001035", body=body), AGENT)
        assert rec.action_class == "autonomous"
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        notes = orders.db.notes("ORD-001035")
        assert notes[: len(notes_before)] == notes_before and len(notes) == len(notes_before) + 1
        assert (notes[-1].body, notes[-1].author) == (f"{body} [Steward {request_ref(rec.id)}]", ORDERS_USER)
        assert (rec.outcome or {})["extracted"]["author"] == ORDERS_USER


class TestRefusedByTheAdmin:
    def test_over_refund_ends_failed_with_nothing_stored(
        self, steward: Any, run_worker: Any, orders: Any
    ) -> None:
        """Django's form refuses a refund beyond what is refundable: failed (commit_refused), never unverified."""
        assert orders.db.order("ORD-001003").refundable_cents == 0
        refunds_before = orders.db.refunds("ORD-001003")
        rec, _ = steward.submit(
            _orders_request("refund_order", order_number="ORD-001003", amount_cents=500, reason="Goodwill"), AGENT
        )
        assert rec.action_class == "autonomous"
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "failed", rec.error_message
        assert rec.error_code == "commit_refused"
        assert (rec.outcome or {})["step"] == 'expect css="ul.messagelist li.success"'  # the after-commit check
        assert orders.db.refunds("ORD-001003") == refunds_before
        assert _types(steward, rec.id).count("commit.started") == 1  # the form was submitted, and refused

    def test_shipped_order_is_never_cancelled(
        self, steward: Any, run_worker: Any, orders: Any
    ) -> None:
        """An approved cancellation of a shipped order stops at its precondition: failed, nothing submitted."""
        assert orders.db.order("ORD-001043").status == "shipped"
        rec, _ = steward.submit(_orders_request("cancel_order", order_number="ORD-001043"), AGENT)
        steward.approve(rec.id, OPERATOR, "customer asked")
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "failed", rec.error_message
        assert "is not one of ['Placed', 'Paid']" in (rec.error_message or "")
        assert orders.db.order("ORD-001043").status == "shipped"
        assert "commit.started" not in _types(steward, rec.id)


    def test_unknown_order_fails_without_a_guess(self, steward: Any, run_worker: Any, orders: Any) -> None:
        """A number the search does not find fails the lookup at its precondition, naming the step."""
        assert orders.db.order("ORD-009999") is None
        rec, _ = steward.submit(SubmitRequest(action="lookup_order", params={"order_number": "ORD-009999"}), AGENT)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "failed", rec.error_message
        assert (rec.outcome or {})["step"] == 'extract link "ORD-009999" within css="#result_list"'
        assert "no matching element" in (rec.error_message or "")


class TestCustomerConfirmed:
    def test_address_change_runs_only_after_a_bound_confirmation(
        self, steward: Any, run_worker: Any, orders: Any
    ) -> None:
        """The new address is written only once the customer confirmed these exact parameters."""
        before = orders.db.order("ORD-001036")
        params = {
            "order_number": "ORD-001036",
            "recipient": "Marta Quintero",
            "address_line1": "17 Quayside Lofts",
            "address_line2": "",
            "city": "Utrecht",
            "postcode": "3512 JE",
            "country": "NL",
        }
        rec, _ = steward.submit(_orders_request("change_shipping_address", **params), AGENT)
        assert rec.state.value == "awaiting_confirmation"
        run_worker(steward)
        assert orders.db.order("ORD-001036").address == before.address
        with pytest.raises(ConfirmationMismatch):
            steward.confirm(rec.id, Confirmation(channel="chat", quote="yes", params_hash="0" * 64), AGENT)
        steward.confirm(rec.id, confirmation_for(rec, "Yes, that is my new address"), AGENT)
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert orders.db.order("ORD-001036").address == (
            "Marta Quintero", "17 Quayside Lofts", "", "Utrecht", "3512 JE", "NL")
        received = steward.audit.entries(action_id=rec.id, types=["request.received"])[0].payload["params"]
        assert received["address_line1"].startswith("hmac-sha256:") and received["country"] == "NL"
        assert "Quayside" not in _audit_text(steward, rec.id)


class TestHumanApproved:
    def test_cancellation_needs_another_person_then_cancels(
        self, steward: Any, run_worker: Any, orders: Any
    ) -> None:
        """The requester cannot approve; after a different operator does, the dropdown action cancels the order."""
        assert orders.db.order("ORD-001037").status == "paid"
        rec, _ = steward.submit(_orders_request("cancel_order", order_number="ORD-001037"), AGENT)
        assert rec.state.value == "awaiting_approval"
        assert "order-cancellation-approval" in str(rec.decision)
        run_worker(steward)
        assert orders.db.order("ORD-001037").status == "paid"
        with pytest.raises(SelfApproval):
            steward.approve(rec.id, AGENT)
        steward.approve(rec.id, OPERATOR, "customer changed their mind before dispatch")
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        assert (rec.approval or {})["operator"] == OPERATOR
        assert orders.db.order("ORD-001037").status == "cancelled"
        assert (rec.outcome or {})["extracted"]["status"] == "Cancelled"

    def test_shipment_with_carrier_and_date(
        self, steward: Any, run_worker: Any, orders: Any
    ) -> None:
        """An approved shipment lands in the tabular inline's new row with carrier, tracking number and date."""
        assert orders.db.shipments("ORD-001045") == []
        rec, _ = steward.submit(
            _orders_request(
                "create_shipment", order_number="ORD-001045", carrier="fedex", tracking_number="FX-7730-0145",
                ship_date="2025-04-02",
            ),
            AGENT,
        )
        assert rec.state.value == "awaiting_approval"
        steward.approve(rec.id, OPERATOR, "warehouse confirmed the pickup")
        run_worker(steward)
        rec = steward.get(rec.id)
        assert rec.state.value == "succeeded", rec.error_message
        shipped = [(s.carrier, s.tracking_number, s.ship_date, s.status) for s in orders.db.shipments("ORD-001045")]
        assert shipped == [("fedex", "FX-7730-0145", "2025-04-02", "label_created")]


class TestForbidden:
    def test_huge_refund_is_rejected_at_intake(self, steward: Any, orders: Any) -> None:
        """A refund above $1000 is forbidden by policy and never reaches the admin."""
        refunds_before = orders.db.refunds("ORD-001046")
        body = _orders_request("refund_order", order_number="ORD-001046", amount_cents=150_000, reason="Whole order")
        rec, _ = steward.submit(body, AGENT)
        assert rec.state.value == "rejected" and rec.error_code == "forbidden"
        assert "billing team" in (rec.error_message or "")
        assert orders.db.refunds("ORD-001046") == refunds_before

"""The same flows as the shipped catalogs, written by hand as plain Playwright scripts.

These are what a careful developer would write without Steward: Playwright's
own locators and web-first assertions, the same pages in the same order as the
catalog's action (the checks before the change, the form, the save, and the
same read-back afterwards), but in one page, with no audit log, evidence,
policy or kill switch. They are deliberately not generated from the catalog,
so ``steward bench vs-raw`` compares Steward with the code it replaces. Each
flow takes a signed-in page and the action's parameters.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, expect

__all__ = ["FLOWS", "LOGINS", "Flow"]

Flow = Callable[[Page, str, dict[str, Any]], Awaitable[None]]


# -- billing console --------------------------------------------------------------


async def billing_login(page: Page, base: str, user: str, password: str) -> None:
    await page.goto(f"{base}/login")
    await page.get_by_label("Username").fill(user)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/accounts*")


async def lookup_account(page: Page, base: str, p: dict[str, Any]) -> None:
    await page.goto(f"{base}/accounts/{p['account_id']}")
    for test_id in ("account-status", "account-plan", "balance", "contact-email"):
        await page.get_by_test_id(test_id).inner_text()
    await page.locator("table.meta").get_by_role("cell").first.inner_text()


async def issue_credit(page: Page, base: str, p: dict[str, Any]) -> None:
    await page.goto(f"{base}/accounts/{p['account_id']}")
    await expect(page.get_by_test_id("account-status")).to_have_text("Active")
    await page.get_by_role("button", name="Add credit").click()
    await page.get_by_label("Amount").fill(f"{p['amount_cents'] / 100:.2f}")
    await page.get_by_label("Reason").fill(p["reason"])
    await page.get_by_role("button", name="Review credit").click()
    dialog = page.get_by_role("dialog", name="Confirm credit")
    await dialog.get_by_role("button", name="Apply credit", exact=True).click()
    flash = page.get_by_test_id("flash")
    await expect(flash).to_contain_text("applied")
    found = re.search(r"CR-[0-9]+", await flash.inner_text())
    assert found, "the flash names no credit"
    await page.goto(f"{base}/accounts/{p['account_id']}/credits")
    await expect(page.get_by_test_id("credit-row").filter(has_text=found.group(0))).to_contain_text(p["reason"])
    await page.get_by_test_id("balance").inner_text()


async def update_contact_email(page: Page, base: str, p: dict[str, Any]) -> None:
    await page.goto(f"{base}/accounts/{p['account_id']}")
    await page.get_by_role("link", name="Change email").click()
    await page.get_by_label("New email").fill(p["new_email"])
    await page.get_by_role("button", name="Save email", exact=True).click()
    await page.goto(f"{base}/accounts/{p['account_id']}")
    await expect(page.get_by_test_id("contact-email")).to_have_text(p["new_email"])


async def cancel_subscription(page: Page, base: str, p: dict[str, Any]) -> None:
    await page.goto(f"{base}/accounts/{p['account_id']}")
    await page.get_by_role("link", name="Cancel subscription").click()
    await page.get_by_label("Type the account ID to confirm").fill(p["account_id"])
    await page.get_by_role("button", name="Cancel subscription", exact=True).click()
    await page.goto(f"{base}/accounts/{p['account_id']}")
    await expect(page.get_by_test_id("account-status")).to_have_text("Cancelled")


# -- orders admin (stock Django admin) --------------------------------------------


async def orders_login(page: Page, base: str, user: str, password: str) -> None:
    await page.goto(f"{base}/admin/login/")
    await page.get_by_label("Username").fill(user)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/admin/")


def _row(page: Page, number: str) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=number, exact=True))


async def _find_order(page: Page, base: str, number: str, statuses: tuple[str, ...] = ()) -> str:
    """Search the changelist; the change form's path (and the status checked, when asked)."""
    await page.goto(f"{base}/admin/orders/order/?q={number}")
    href = await page.locator("#result_list").get_by_role("link", name=number, exact=True).get_attribute("href")
    assert href, f"no link for {number}"
    if statuses:
        status = (await _row(page, number).locator("td.field-status").inner_text()).strip()
        assert status in statuses, f"{number} is {status}"
    return href.split("?", 1)[0]


async def _open_order(page: Page, base: str, number: str, statuses: tuple[str, ...] = ()) -> str:
    path = await _find_order(page, base, number, statuses)
    await page.goto(f"{base}{path}")
    await expect(page.get_by_role("heading", level=2, name=number)).to_be_visible()
    return path


async def _saved(page: Page) -> None:
    await expect(page.locator("ul.messagelist li.success")).to_be_visible()


async def lookup_order(page: Page, base: str, p: dict[str, Any]) -> None:
    number = p["order_number"]
    path = await _find_order(page, base, number)
    for css in ("td.field-status", "td.field-customer_name"):
        await _row(page, number).locator(css).inner_text()
    await page.goto(f"{base}{path}")
    await expect(page.get_by_role("heading", level=2, name=number)).to_be_visible()
    for css in (".field-total .readonly", ".field-refunded .readonly", ".field-refundable .readonly"):
        await page.locator(css).inner_text()
    for label in ("Recipient", "Address line 1", "City", "Postcode", "Country"):
        await page.get_by_label(label).input_value()


async def refund_order(page: Page, base: str, p: dict[str, Any]) -> None:
    await _find_order(page, base, p["order_number"], ("Paid", "Shipped", "Delivered", "Cancelled"))
    await page.goto(f"{base}/admin/orders/refund/add/")
    await page.get_by_label("Order").select_option(label=p["order_number"])
    await page.get_by_label("Amount (cents)").fill(str(p["amount_cents"]))
    await page.get_by_label("Reason").fill(p["reason"])
    await page.get_by_label("External reference").fill(p["reference"])
    await page.get_by_role("button", name="Save", exact=True).click()
    await _saved(page)
    await page.goto(f"{base}/admin/orders/refund/?q={p['reference']}")
    await expect(page.locator("#result_list tbody tr")).to_have_count(1)
    await expect(page.locator("#result_list td.field-order")).to_have_text(p["order_number"])
    await page.goto(f"{base}/admin/orders/order/?q={p['order_number']}")
    await _row(page, p["order_number"]).locator("td.field-refunded").inner_text()


_ADDRESS = (("Recipient", "recipient"), ("Address line 1", "address_line1"), ("Address line 2", "address_line2"),
            ("City", "city"), ("Postcode", "postcode"))


async def change_shipping_address(page: Page, base: str, p: dict[str, Any]) -> None:
    path = await _open_order(page, base, p["order_number"], ("Placed", "Paid"))
    for label, key in _ADDRESS:
        await page.get_by_label(label).fill(p[key])
    await page.get_by_label("Country").select_option(value=p["country"])
    await page.get_by_role("button", name="Save", exact=True).click()
    await _saved(page)
    await page.goto(f"{base}{path}")
    for label, key in _ADDRESS:
        await expect(page.get_by_label(label)).to_have_value(p[key])
    await expect(page.get_by_label("Country")).to_have_value(p["country"])


async def cancel_order(page: Page, base: str, p: dict[str, Any]) -> None:
    number = p["order_number"]
    path = await _find_order(page, base, number, ("Placed", "Paid"))
    await page.get_by_role("checkbox", name=f"Select this object for an action - {number}").check()
    await page.get_by_role("combobox", name="Action:").select_option(value="cancel_orders")
    await page.get_by_role("button", name="Go", exact=True).click()
    await expect(page.locator("#orders-to-cancel li")).to_have_count(1)
    await page.get_by_role("button", name="Yes, cancel these orders").click()
    await _saved(page)
    await page.goto(f"{base}{path}")
    await expect(page.get_by_label("Status")).to_have_value("cancelled")
    await page.goto(f"{base}/admin/orders/order/?q={number}")
    await expect(_row(page, number).locator("td.field-status")).to_have_text("Cancelled")


async def add_internal_note(page: Page, base: str, p: dict[str, Any]) -> None:
    await _open_order(page, base, p["order_number"])
    await page.get_by_role("button", name="Add another Internal note").click()
    await page.locator("#notes-group .dynamic-notes:not(.has_original) textarea").fill(p["body"])
    await page.get_by_role("button", name="Save", exact=True).click()
    await _saved(page)
    marker = p["body"].rsplit(" ", 1)[-1]
    await page.goto(f"{base}/admin/orders/internalnote/?q={marker}")
    await expect(page.locator("#result_list tbody tr")).to_have_count(1)
    await expect(page.locator("#result_list td.field-body")).to_have_text(p["body"])
    await page.locator("#result_list td.field-author").inner_text()


async def create_shipment(page: Page, base: str, p: dict[str, Any]) -> None:
    await page.goto(f"{base}/admin/orders/shipment/?q={p['tracking_number']}")
    await expect(page.locator("#result_list")).to_have_count(0)
    await _open_order(page, base, p["order_number"], ("Paid", "Shipped"))
    await page.get_by_role("button", name="Add another Shipment").click()
    row = page.locator("#shipments-group tr.dynamic-shipments:not(.has_original)")
    await row.locator("td.field-carrier select").select_option(value=p["carrier"])
    await row.locator("td.field-tracking_number input").fill(p["tracking_number"])
    await row.locator("td.field-ship_date input").fill(p["ship_date"])
    await page.get_by_role("button", name="Save", exact=True).click()
    await _saved(page)
    await page.goto(f"{base}/admin/orders/shipment/?q={p['tracking_number']}")
    await expect(page.locator("#result_list tbody tr")).to_have_count(1)
    href = await page.locator("#result_list th.field-order a").get_attribute("href")
    await page.goto(f"{base}{href}")
    await expect(page.get_by_label("Carrier")).to_have_value(p["carrier"])
    await expect(page.get_by_label("Ship date")).to_have_value(p["ship_date"])


LOGINS = {"billing_console": billing_login, "orders_admin": orders_login}

FLOWS: dict[str, Flow] = {
    "lookup_account": lookup_account,
    "issue_credit": issue_credit,
    "update_contact_email": update_contact_email,
    "cancel_subscription": cancel_subscription,
    "lookup_order": lookup_order,
    "refund_order": refund_order,
    "change_shipping_address": change_shipping_address,
    "cancel_order": cancel_order,
    "add_internal_note": add_internal_note,
    "create_shipment": create_shipment,
}

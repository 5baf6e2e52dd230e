import re
from playwright.sync_api import Playwright, sync_playwright, expect


def run(playwright: Playwright) -> None:
    browser = playwright.chromium.launch(headless=False)
    context = browser.new_context()
    page = context.new_page()
    page.goto("http://127.0.0.1:8101/login")
    page.get_by_role("textbox", name="Username").click()
    page.get_by_role("textbox", name="Username").fill("steward-bot")
    page.get_by_role("textbox", name="Username").press("Tab")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("searchbox", name="Search accounts").click()
    page.get_by_role("searchbox", name="Search accounts").fill("ACC-000042")
    page.get_by_role("searchbox", name="Search accounts").press("Enter")
    page.get_by_role("link", name="ACC-000042").click()
    expect(page.get_by_test_id("account-status")).to_contain_text("Active")
    page.get_by_role("button", name="Add credit").click()
    page.get_by_role("textbox", name="Amount").click()
    page.get_by_role("textbox", name="Amount").fill("15.00")
    page.get_by_role("textbox", name="Reason").click()
    page.get_by_role("textbox", name="Reason").fill("Late parcel")
    page.get_by_role("button", name="Review credit").click()
    expect(page.get_by_role("dialog", name="Confirm credit")).to_contain_text("ACC-000042")
    page.get_by_role("dialog", name="Confirm credit").get_by_role("button", name="Apply credit").click()
    expect(page.get_by_test_id("flash")).to_contain_text("applied")
    page.goto("http://127.0.0.1:8101/accounts/ACC-000042/credits")

    # ---------------------
    context.close()
    browser.close()


with sync_playwright() as playwright:
    run(playwright)

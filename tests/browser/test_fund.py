"""The fund in a real browser: a partner officer (a key worker) asks the fund for a phone on
a 320 px phone with the keyboard only; a manager approves it; finance pays it in a payment run;
the key worker says whether it helped. Every page on the way is checked with axe-core and for
console and Content-Security-Policy errors, and the phone pages never scroll sideways."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_forums import _focused, _keyboard_sign_in, _tab_until
from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a 320px screen"


def _tab_to(page, name: str) -> None:
    _tab_until(page, lambda f: f["name"] == name)


def _tag(page) -> str:
    return page.locator("main h1 .govuk-tag").inner_text().strip()


def test_a_phone_from_request_to_it_helped(new_context, sign_in, sign_out):
    # The key worker, on a small phone, with the keyboard only.
    phone = new_context(viewport=PHONE).new_page()
    worker = PageChecks(phone)
    _keyboard_sign_in(phone, "partner", DEMO_PASSWORD)
    phone.goto("/fund/new")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Ask the fund")
    worker.check("request form")
    _no_sideways_scroll(phone)
    _tab_to(phone, "person_ref")
    phone.keyboard.type("Ref 4471")
    _tab_to(phone, "category")  # the first choice, "Phone and data"
    phone.keyboard.press("Space")
    _tab_to(phone, "barrier")
    phone.keyboard.type("No phone, so the housing team cannot reach them about a flat")
    _tab_to(phone, "amount")
    phone.keyboard.type("45")
    _tab_to(phone, "how_it_helps")
    phone.keyboard.type("They can take the call about the flat offer")
    _tab_to(phone, "pay_to")  # the first choice, a supplier
    phone.keyboard.press("Space")
    _tab_until(phone, lambda f: f["tag"] == "SUMMARY")
    phone.keyboard.press("Enter")  # open "Paying a supplier"
    _tab_to(phone, "supplier_name")
    phone.keyboard.type("Phones Direct")
    _tab_to(phone, "quote")
    phone.keyboard.type("INV-883")
    _tab_to(phone, "sort_code")
    phone.keyboard.type("401276")
    _tab_to(phone, "account_number")
    phone.keyboard.type("81234567")
    _tab_until(phone, lambda f: f["tag"] == "BUTTON" and f["text"] == "Send the request")
    assert _focused(phone)["text"] == "Send the request"
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Request F")
    assert _tag(phone) == "Waiting for a decision"
    request_url = phone.url
    request_id = int(re.search(r"/fund/requests/(\d+)$", request_url).group(1))
    reference = f"F{request_id:05d}"
    worker.check("request sent")
    _no_sideways_scroll(phone)

    # A manager approves it from the queue.
    desk = new_context(viewport=DESKTOP).new_page()
    staff = PageChecks(desk)
    sign_in(desk, "manager")
    desk.get_by_role("link", name="Fund", exact=True).first.click()
    staff.check("fund queue")
    desk.get_by_role("link", name=reference).first.click()
    staff.check("request to decide")
    desk.get_by_role("button", name="Approve").click()
    expect(desk.locator(".govuk-notification-banner")).to_contain_text("Approved")
    assert _tag(desk) == "Approved, to be paid"
    staff.check("request approved")
    sign_out(desk)

    # Finance pays it in a payment run.
    finance = PageChecks(desk)
    sign_in(desk, "finance")
    desk.goto("/payments/runs/new")
    box = desk.locator(f'input[type="checkbox"][value="fund:{request_id}"]')
    expect(box).to_be_checked()
    finance.check("new run with fund payments")
    desk.get_by_role("button", name="Make the payment run").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("RUN-")
    expect(desk.locator("main")).to_contain_text("Fund payments to suppliers")
    expect(desk.locator("main")).to_contain_text("Phones Direct")
    finance.check("run with fund payments")
    desk.get_by_role("link", name="Mark as paid").click()
    finance.check("mark paid")
    desk.get_by_role("button", name="Yes, mark it as paid").click()
    expect(desk.locator("main")).to_contain_text("Paid")
    # The fund's accounts show the money out.
    desk.goto("/fund/accounts")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Changing Lives Fund")
    expect(desk.locator("main")).to_contain_text(f"Request {reference}")
    finance.check("fund accounts")

    # The key worker sees it paid and says whether it helped, keyboard only.
    phone.goto(request_url)
    assert _tag(phone) == "Paid"
    worker.check("request paid")
    _no_sideways_scroll(phone)
    _tab_until(phone, lambda f: f["tag"] == "A" and f["text"] == "Did it help? Tell us")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Did it help, and how?")
    worker.check("did it help")
    _no_sideways_scroll(phone)
    _tab_to(phone, "helped")  # the first choice, "Yes"
    phone.keyboard.press("Space")
    _tab_to(phone, "how")
    phone.keyboard.type("They took the call and signed for the flat")
    _tab_until(phone, lambda f: f["tag"] == "BUTTON" and f["text"] == "Send")
    phone.keyboard.press("Enter")
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("Thank you")
    expect(phone.locator("main")).to_contain_text("They took the call and signed for the flat")
    worker.check("answer kept")
    _no_sideways_scroll(phone)
    phone.goto("/fund")
    expect(phone.get_by_role("link", name=reference)).to_be_visible()
    worker.check("your requests")
    _no_sideways_scroll(phone)

    worker.assert_clean()
    staff.assert_clean()
    finance.assert_clean()

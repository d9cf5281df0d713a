"""Expenses in a real browser, from a phone to the bank: a peer on a 320 px phone claims a bus
fare with a photo of the ticket; a manager asks a question; the peer answers; the manager
approves; finance makes a payment run, downloads the spreadsheet and marks the run paid; the
peer sees "Paid". Every page on the way is checked with axe-core and for console and
Content-Security-Policy errors, and the phone pages never scroll sideways.
"""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD, partnership_today
from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 1600), (240, 235, 220)).save(out, format="JPEG")
    return out.getvalue()


def _tag(page) -> str:
    return page.locator("main h1 .govuk-tag").inner_text().strip()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a 320px screen"


def test_a_bus_fare_from_phone_to_paid(new_context, sign_in, sign_out):
    # The peer, on a small phone.
    phone = new_context(viewport=PHONE).new_page()
    peer = PageChecks(phone)
    sign_in(phone, "peer")
    peer.check("home")
    started = time.perf_counter()
    phone.get_by_role("link", name="Claim expenses").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Claim expenses")
    peer.check("claim form")
    _no_sideways_scroll(phone)
    phone.get_by_role("radio", name="Bus fare").check()
    phone.get_by_label("How much did it cost?").fill("3.80")
    phone.get_by_label("Photo of your ticket or receipt (optional)").set_input_files(
        files=[{"name": "IMG_0420.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    phone.get_by_role("radio", name="Bank transfer").check()
    phone.get_by_role("button", name="Send claim").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Claim C")
    took = time.perf_counter() - started
    assert took < 120, f"claiming took {took:.0f} s"
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("sent")
    assert _tag(phone) == "Sent, waiting for a decision"
    claim_url = phone.url
    claim_id = int(re.search(r"/claims/(\d+)$", claim_url).group(1))
    reference = f"C{claim_id:05d}"
    expect(phone.get_by_role("link", name=re.compile(r"^Receipt 1 \(photo"))).to_be_visible()
    peer.check("claim sent")
    _no_sideways_scroll(phone)

    # The manager asks a question.
    desk = new_context(viewport=DESKTOP).new_page()
    staff = PageChecks(desk)
    sign_in(desk, "manager")
    desk.get_by_role("link", name="Expenses").first.click()
    staff.check("claims queue")
    desk.goto(claim_url)
    expect(desk.locator("img.engage-receipt")).to_be_visible()  # the photo, to check it
    staff.check("claim as manager")
    desk.get_by_role("link", name="Ask a question").click()
    desk.get_by_label("What do you want to ask?").fill("Was this a single or a return?")
    staff.check("question form")
    desk.get_by_role("button", name="Send question").click()
    assert _tag(desk) == "We have a question"

    # The peer answers on their phone.
    phone.reload()
    expect(phone.locator(".govuk-inset-text")).to_contain_text("Was this a single or a return?")
    assert _tag(phone) == "We have a question"
    peer.check("question waiting")
    _no_sideways_scroll(phone)
    phone.get_by_label("Your answer").fill("A single. I got a lift home.")
    phone.get_by_role("button", name="Send answer").click()
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("answer is sent")
    assert _tag(phone) == "Sent, waiting for a decision"

    # The manager approves.
    desk.reload()
    expect(desk.locator(".engage-history")).to_contain_text("A single. I got a lift home.")
    desk.get_by_role("button", name="Approve").click()
    assert _tag(desk) == "Approved, to be paid"
    staff.check("claim approved")
    sign_out(desk)

    # Finance makes a run, downloads the spreadsheet and marks the run paid.
    finance = PageChecks(desk)
    sign_in(desk, "finance")
    desk.get_by_role("link", name="Payments").first.click()
    finance.check("finance home")
    desk.goto("/payments/runs/new")
    box = desk.locator(f'input[type="checkbox"][value="claim:{claim_id}"]')
    # Sam has given no bank details: his bank transfer is held out of the run, and finance
    # sees whom to ask.
    expect(box).to_have_count(0)
    held = desk.locator("tr", has_text="Missing bank details").filter(
        has=desk.get_by_role("link", name="Sam", exact=True)
    )
    expect(held).to_contain_text("Ask Sam, or Priya (who approved this)")
    finance.check("new run, missing bank details")
    # Sam gives them on his phone; the claim is then ready to pay.
    phone.goto("/me/bank-details")
    # Bank details ask for the password again first (people/reauth.py), then come back.
    expect(phone.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    peer.check("confirm it is you")
    _no_sideways_scroll(phone)
    phone.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("Name on the account").fill("S PEER")
    phone.get_by_label("Sort code").fill("12-34-56")
    phone.get_by_label("Account number").fill("12345678")
    phone.get_by_role("button", name="Save bank details").click()
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("saved")
    desk.reload()
    expect(box).to_be_checked()
    finance.check("new run")
    desk.get_by_role("button", name="Make the payment run").click()
    expect(desk.get_by_role("heading", level=1)).to_contain_text("RUN-")
    finance.check("run")
    # The file holds bank details: finance types their password again, then it downloads.
    desk.get_by_role("link", name="Download the spreadsheet (XLSX)").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    finance.check("confirm it is you")
    desk.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    desk.get_by_role("button", name="Continue").click()
    # Back on the run's page, whose link now downloads.
    expect(desk.get_by_role("heading", level=1)).to_contain_text("RUN-")
    with desk.expect_download() as download:
        desk.get_by_role("link", name="Download the spreadsheet (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as saved:
        book = load_workbook(io.BytesIO(saved.read()), read_only=True)
    rows = list(book["Bank transfer"].iter_rows(values_only=True))
    mine = [r for r in rows if r[1] == "Sam" and r[2] == "Expenses"]
    assert [Decimal(str(r[5])).quantize(Decimal("0.01")) for r in mine] == [Decimal("3.80")]
    desk.get_by_role("link", name="Mark as paid").click()
    finance.check("mark paid")
    desk.get_by_role("button", name="Yes, mark it as paid").click()
    expect(desk.locator("main")).to_contain_text("Paid")

    # The peer sees it paid.
    phone.goto(claim_url)
    assert _tag(phone) == "Paid"
    expect(phone.get_by_text(re.compile(r"^Paid on "))).to_be_visible()
    peer.check("claim paid")
    _no_sideways_scroll(phone)
    phone.get_by_role("link", name="Back to expenses").click()
    expect(phone.get_by_role("link", name=reference)).to_be_visible()
    peer.check("your expenses")
    _no_sideways_scroll(phone)

    peer.assert_clean()
    staff.assert_clean()
    finance.assert_clean()


def test_big_photos_are_made_smaller_before_they_are_sent(new_context, sign_in):
    """A 12-megapixel phone photo is shrunk in the browser before it uses the person's data."""
    out = io.BytesIO()
    Image.effect_noise((4000, 3000), 60).convert("RGB").save(out, format="JPEG", quality=95)
    big = out.getvalue()
    phone = new_context(viewport=PHONE).new_page()
    sign_in(phone, "peer")
    phone.goto("/claims/new")
    field = phone.get_by_label("Photo of your ticket or receipt (optional)")
    field.set_input_files(files=[{"name": "IMG_9001.JPG", "mimeType": "image/jpeg", "buffer": big}])
    phone.wait_for_function(
        "size => { const f = document.querySelector('input[name=receipts]').files[0];"
        " return f && f.size < size / 2; }",
        arg=len(big),
    )
    name = phone.evaluate("document.querySelector('input[name=receipts]').files[0].name")
    assert name == "IMG_9001.jpg"


def test_a_mistake_on_the_phone_keeps_the_photo(new_context, sign_in):
    """Forgetting the amount brings the form back with the error, what was typed, and the
    photo kept: nobody has to take it again."""
    phone = new_context(viewport=PHONE).new_page()
    checks = PageChecks(phone)
    sign_in(phone, "peer2")
    phone.goto("/claims/new")
    phone.get_by_role("radio", name="Taxi").check()
    phone.get_by_label("If you took a taxi, why did you need one?").fill("No bus after 9pm")
    phone.get_by_label("Photo of your ticket or receipt (optional)").set_input_files(
        files=[{"name": "taxi.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    phone.get_by_role("radio", name="Cash").check()
    phone.get_by_role("button", name="Send claim").click()
    summary = phone.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter how much it cost")
    expect(phone.get_by_label("If you took a taxi, why did you need one?")).to_have_value(
        "No bus after 9pm"
    )
    expect(phone.get_by_text("We have kept your receipt")).to_be_visible()
    checks.check("claim with a mistake")
    _no_sideways_scroll(phone)
    phone.get_by_label("How much did it cost?").fill("12.40")
    phone.get_by_role("button", name="Send claim").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Claim C")
    expect(phone.get_by_role("link", name=re.compile(r"^Receipt 1 \(photo"))).to_be_visible()
    checks.check("taxi claim sent")
    checks.assert_clean()


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
        return {tag: e.tagName, name: e.name || null, value: e.value || null,
                text: (e.innerText || '').trim()}; }"""
    )


def _tab_to(page, wanted, limit: int = 60) -> int:
    """Press Tab until ``wanted(focused)``; returns how many times."""
    for pressed in range(1, limit + 1):
        page.keyboard.press("Tab")
        if wanted(_focused(page)):
            return pressed
    raise AssertionError("Tab never reached the wanted element")


def _is_send(focused: dict) -> bool:
    return "Send claim" in (focused["value"] or "", focused["text"])


def test_a_claim_with_the_keyboard_only_at_320_pixels(new_context, sign_in):
    phone = new_context(viewport=PHONE).new_page()
    checks = PageChecks(phone)
    sign_in(phone, "peer")
    phone.goto("/claims/new")
    _tab_to(phone, lambda f: f["name"] == "kind")  # the first choice: Bus fare
    phone.keyboard.press("Space")
    _tab_to(phone, lambda f: f["name"] == "amount")
    phone.keyboard.type("2.20")
    _tab_to(phone, lambda f: f["name"] == "method")
    phone.keyboard.press("Space")
    _tab_to(phone, _is_send)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Claim C")
    assert _tag(phone) == "Sent, waiting for a decision"
    expect(phone.locator("main")).to_contain_text("£2.20")
    _no_sideways_scroll(phone)
    checks.check("claim made with the keyboard")
    checks.assert_clean()


# The claim form at 320 px without JavaScript, before fields only some expenses need were
# shown only for those: 2,612 px tall, 27 keys for a bus fare with a photo. The keys count
# the Tabs through the menu from the top of the page: 25 since peers' menu has "Training".
FORM_HEIGHT_LIMIT = 2100
CLAIM_KEYS_LIMIT = 25


def _check_as_drawn(checks: PageChecks, page, label: str) -> None:
    """Run axe-core on ``page`` as it is drawn without JavaScript. axe needs JavaScript (its
    timers never fire in a page without it), so it checks a copy of the page, with its
    scripts taken out, in ``checks``'s page, which has JavaScript."""
    html = re.sub(r"<script\b.*?</script>", "", page.content(), flags=re.S)
    checks.page.goto("/login")  # one of our pages: the copy's styles load from here
    checks.page.set_content(html)
    checks.check(f"{label} (without JavaScript)")


def _claim_a_bus_fare_with_the_keyboard(page) -> int:
    """From the top of /claims/new, claim a bus fare with a photo of the ticket with the
    keyboard only, the way Tab goes (no skip link); returns the keys pressed: Tab, Space,
    Enter and the four characters of "3.80". The peer's usual way to be paid is chosen."""
    keys = _tab_to(page, lambda f: f["name"] == "kind")  # the first choice: Bus fare
    page.keyboard.press("Space")
    keys += 1 + _tab_to(page, lambda f: f["name"] == "amount")
    page.keyboard.type("3.80")
    keys += 4 + _tab_to(page, lambda f: f["name"] == "receipts")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(
        files=[{"name": "ticket.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    keys += 1 + _tab_to(page, _is_send)
    # Without JavaScript, Enter posts the form (the photo with it): wait for the claim's page,
    # however long a busy server takes, before looking at it.
    with page.expect_navigation(url=re.compile(r"/claims/\d+$")):
        page.keyboard.press("Enter")
    return keys + 1


def test_a_bus_fare_with_a_photo_is_short_on_a_small_phone_without_javascript(new_context, sign_in):
    phone = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    # Playwright starts catching file choosers when the first listener is added, without
    # waiting: added just before the key that opens one, on a busy machine the chooser can
    # open uncaught and never be reported. Listen from the start.
    phone.on("filechooser", lambda chooser: None)
    checks = PageChecks(new_context(viewport=PHONE).new_page())
    sign_in(phone, "peer")
    phone.goto("/claims/new")
    height = phone.evaluate("document.documentElement.scrollHeight")
    _check_as_drawn(checks, phone, "claim form")
    _no_sideways_scroll(phone)
    # What only some expenses need is not in the way of a bus fare, for eyes, keys or a
    # screen reader.
    for label in (
        "If you took a taxi, why did you need one?",
        "If you drove, how many miles?",
        "If another day, which day?",
    ):
        expect(phone.get_by_label(label)).to_be_hidden()
    phone.bring_to_front()  # after axe's page: a file chooser opens only in the front page
    keys = _claim_a_bus_fare_with_the_keyboard(phone)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Claim C")
    assert _tag(phone) == "Sent, waiting for a decision"
    expect(phone.get_by_role("link", name=re.compile(r"^Receipt 1 \(photo"))).to_be_visible()
    _check_as_drawn(checks, phone, "bus fare sent")
    checks.assert_clean()
    print(f"claim form at 320 px without JavaScript: {height} px tall; bus fare: {keys} keys")
    assert height <= FORM_HEIGHT_LIMIT, f"the claim form is {height} px tall"
    assert keys <= CLAIM_KEYS_LIMIT, f"a bus fare took {keys} keys"


@pytest.mark.parametrize(
    ("choice", "field", "message"),
    [
        ("Taxi", "If you took a taxi, why did you need one?", "Say why you needed a taxi"),
        (
            "Driving my own car (miles)",
            "If you drove, how many miles?",
            "Enter how many miles you drove",
        ),
    ],
)
def test_what_an_expense_needs_shows_when_it_is_chosen_and_with_its_mistake(
    new_context, sign_in, choice, field, message
):
    """Without JavaScript: choosing the expense shows its own question; sent without an
    answer, the form comes back with the message and the question showing."""
    phone = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    checks = PageChecks(new_context(viewport=PHONE).new_page())
    sign_in(phone, "peer")
    phone.goto("/claims/new")
    expect(phone.get_by_label(field)).to_be_hidden()
    phone.get_by_role("radio", name=choice).check()
    expect(phone.get_by_label(field)).to_be_visible()
    phone.get_by_label("How much did it cost?").fill("12.40")
    phone.get_by_role("button", name="Send claim").click()
    expect(phone.locator(".govuk-error-summary")).to_contain_text(message)
    expect(phone.get_by_role("radio", name=choice)).to_be_checked()
    expect(phone.get_by_label(field)).to_be_visible()
    expect(phone.locator(".govuk-error-message")).to_contain_text(message)
    _check_as_drawn(checks, phone, f"{choice} without an answer")
    _no_sideways_scroll(phone)
    checks.assert_clean()


def test_another_day_asks_for_the_day_and_sends(new_context, sign_in):
    phone = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    checks = PageChecks(new_context(viewport=PHONE).new_page())
    sign_in(phone, "peer")
    phone.goto("/claims/new")
    phone.get_by_role("radio", name="Train fare").check()
    phone.get_by_label("How much did it cost?").fill("7.10")
    day = phone.get_by_label("If another day, which day?")
    expect(day).to_be_hidden()
    if not phone.get_by_role("radio", name="Another day").is_visible():
        phone.get_by_text("Not today? Change the day").click()
    phone.get_by_role("radio", name="Another day").check()
    expect(day).to_be_visible()
    phone.get_by_role("button", name="Send claim").click()
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Enter the day you paid")
    expect(day).to_be_visible()
    _check_as_drawn(checks, phone, "another day without the day")
    # The server runs on the real clock: a day a few days back is never in the future.
    paid = partnership_today() - timedelta(days=3)
    day.fill(paid.strftime("%d/%m/%Y"))
    phone.get_by_role("button", name="Send claim").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Claim C")
    expect(phone.locator("main")).to_contain_text(f"{paid.day} {paid:%B %Y}")
    checks.assert_clean()

"""The programme dashboard in a real browser: a board member opens the dashboard from the menu,
changes the period with a quick pick and with dates typed in, follows a figure to the register
items behind it, then opens their board's pack and downloads it as a PDF, whose first page is
read back as text. A manager opens "who is involved" and the funder report; a partner officer
sees only the figures that identify nobody. Every page is checked with axe-core and for
console and Content-Security-Policy errors.

Only the real user interface is used: links and buttons by their visible text, fields by
their labels. Dates are relative to the live server's day (its clock is real).
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import partnership_today
from tests.browser.test_register import PageChecks, _open_menu_link

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 320, "height": 640}


def _h1(page):
    return page.get_by_role("heading", level=1)


def test_a_board_member_reads_the_dashboard_and_downloads_the_board_pack(new_context, sign_in):
    page = new_context(viewport=DESKTOP).new_page()
    checks = PageChecks(page)
    sign_in(page, "board")

    # 1. From the menu to the dashboard: this quarter, compared with the last.
    _open_menu_link(page, "Dashboard")
    expect(_h1(page)).to_have_text("Programme dashboard")
    expect(page.locator("#period-shown")).to_contain_text("Compared with")
    for heading in ("Co-production", "Involvement and money", "People", "Voice", "System change"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    # Charts are pictures with a name, and each has its table.
    assert page.locator("svg[role=img]").count() >= 5
    checks.check("dashboard, this quarter")

    # 2. A quick pick: the last 12 months, each figure beside the 12 before.
    page.get_by_role("link", name="Last 12 months").click()
    expect(page.locator("#quick-picks")).to_contain_text("Last 12 months")
    expect(page.locator('#quick-picks [aria-current="true"]')).to_have_text("Last 12 months")
    held = page.locator("#figure-meetings_held")
    expect(held).to_contain_text("Previous period:")
    checks.check("dashboard, last 12 months")

    # 3. Dates typed in; a mistake first, which keeps what was typed.
    today = partnership_today()
    start = (today - timedelta(days=200)).isoformat()
    page.get_by_role("textbox", name="From").fill(start)
    page.get_by_role("textbox", name="To").fill("not a date")
    page.get_by_role("button", name="Show these dates").click()
    expect(page).to_have_title(re.compile(r"^Error:"))
    expect(page.get_by_role("textbox", name="From")).to_have_value(start)
    checks.check("dashboard, a date that cannot be used")
    # The browser logs the page's 400 status as an error: expected here, and nothing else.
    checks.console = [m for m in checks.console if "status of 400" not in m]
    page.get_by_role("textbox", name="To").fill(today.isoformat())
    page.get_by_role("button", name="Show these dates").click()
    expect(page).not_to_have_title(re.compile(r"^Error:"))
    expect(page.locator("#period-shown")).to_contain_text(str(today.year))

    # 4. From a figure to the records behind it: the items resolved, in the register.
    resolved = page.locator("#figure-items_resolved")
    expect(resolved).to_be_visible()
    resolved.get_by_role("link", name=re.compile("See the records")).click()
    expect(page).to_have_url(re.compile(r"/register\?.*state=resolved"))
    expect(_h1(page)).to_contain_text("register")
    checks.check("register, from the dashboard")

    # 5. The board's pack, printable and as a PDF.
    _open_menu_link(page, "Boards")
    page.get_by_role("link", name="Changing Futures Delivery Board").click()
    page.get_by_role("link", name="Board pack for the next meeting").click()
    expect(_h1(page)).to_contain_text("Board pack")
    checks.check("board pack")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the pack as a PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as saved:
        pdf = PdfReader(io.BytesIO(saved.read()))
    first_page = pdf.pages[0].extract_text()
    assert "Changing Futures Delivery Board" in first_page
    assert "Board pack" in first_page
    checks.assert_clean()


def test_a_manager_sees_who_is_involved_and_makes_a_funder_report(new_context, sign_in):
    page = new_context(viewport=DESKTOP).new_page()
    checks = PageChecks(page)
    sign_in(page, "manager")
    page.goto("/dashboard?period=last-12-months")
    page.get_by_role("link", name="Who is involved, against the cohort estimate").click()
    expect(_h1(page)).to_contain_text("Who is involved")
    checks.check("who is involved")
    page.goto("/dashboard?period=last-12-months")
    page.get_by_role("link", name="Make a funder report from these dates").click()
    expect(_h1(page)).to_contain_text("report")
    checks.check("funder report")
    checks.assert_clean()


def test_a_partner_on_a_phone_sees_only_figures_that_identify_nobody(new_context, sign_in):
    page = new_context(viewport=PHONE).new_page()
    checks = PageChecks(page)
    sign_in(page, "partner")
    _open_menu_link(page, "Dashboard")
    expect(_h1(page)).to_have_text("Programme dashboard")
    main = page.locator("main")
    expect(main).to_contain_text("You see the figures that do not identify anyone")
    expect(main).not_to_contain_text("See the records")
    expect(main).not_to_contain_text("Payments declined")
    expect(main).not_to_contain_text("£")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard scrolls sideways at 320 px ({width}px)"
    checks.check("dashboard, partner on a phone")
    checks.assert_clean()

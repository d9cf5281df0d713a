"""Choosing people for an opportunity that needs a peer role, in a real browser: the demo's
leaflet review needs an ambassador's training, and Jordan (the demo's second peer) let their
confidentiality course run out. The manager is warned next to the name before choosing; the
reason box opens when Jordan is ticked (it is always there without JavaScript); choosing
without a reason is refused with the tick kept; with one, Jordan is chosen and the page says
so. Every page is checked with axe-core and for console and Content-Security-Policy errors.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
CHOOSE = "Choose these people and tell everyone"


def test_a_manager_is_warned_before_choosing_someone_whose_training_ran_out(new_context, sign_in):
    desk = new_context(viewport=DESKTOP).new_page()
    m = PageChecks(desk)
    sign_in(desk, "manager")
    desk.goto("/opportunities")
    desk.get_by_role("link", name="Review our new hostel leaflet").first.click()
    expect(desk.locator("main")).to_contain_text("Needs the checks and training of")
    warning = desk.locator(".govuk-inset-text", has_text="Jordan: a check or training")
    expect(warning).to_contain_text("“Confidentiality and data protection” training ran out on")
    reason = desk.get_by_label(re.compile("If you choose Jordan"))
    expect(reason).to_be_hidden()  # opens when Jordan is ticked
    m.check("choose, with a warning")
    jordan = desk.get_by_role("checkbox", name="Jordan", exact=True)
    jordan.check()
    expect(reason).to_be_visible()
    desk.get_by_role("button", name=CHOOSE).click()

    expect(desk.locator(".govuk-error-summary")).to_contain_text("Say why you are choosing Jordan")
    expect(jordan).to_be_checked()
    expect(reason).to_be_visible()
    m.check("choose, refused without a reason")
    reason.fill("Booked on the refresher next week; this review is on paper only.")
    desk.get_by_role("button", name=CHOOSE).click()

    expect(desk.locator(".govuk-notification-banner")).to_contain_text("1 chosen")
    expect(desk.locator("main")).to_contain_text("Chosen despite a warning")
    expect(desk.locator("main")).to_contain_text("Booked on the refresher next week")
    m.check("opportunity after choosing")
    m.assert_clean()

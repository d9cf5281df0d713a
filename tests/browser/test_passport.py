"""The progression passport in a real browser: the demo ``peer`` (Sam, a peer mentor with
supervision, forum meetings and time given) opens his passport from his profile on a
320 px phone and finds it ready to print, without a word of his supervision notes; a manager
opens it from his profile and prints a reference letter with a few words of her own. Every
page is checked with axe-core and for console and Content-Security-Policy errors.

No ids are assumed: the manager finds Sam by his name in the list of peers.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from engage.mentoring.demo import REFLECTIVE_NOTES, SUPERVISION_NOTES
from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}


def _h1(page):
    return page.get_by_role("heading", level=1)


def _no_private_words(page) -> None:
    html = page.content()
    for note in SUPERVISION_NOTES + REFLECTIVE_NOTES:
        assert note not in html
    for word in ("DBS", "disclosed", "risk"):
        assert word not in page.locator("main").inner_text()


def test_the_demo_peer_opens_his_passport_and_a_manager_prints_a_reference_letter(
    new_context, sign_in
):
    # 1. Sam, on a phone: from his profile to his passport.
    phone = new_context(viewport=PHONE).new_page()
    p = PageChecks(phone)
    sign_in(phone, "peer")
    phone.goto("/me")
    phone.get_by_role("link", name=re.compile(r"^See your progression passport")).click()
    expect(_h1(phone)).to_have_text("Progression passport")
    main = phone.locator("main")
    for text in ("Peer mentor", "Supervision", "Reflective practice", "Time given", "Forums"):
        expect(main).to_contain_text(text)
    expect(main).to_contain_text(re.compile(r"in \d+ sessions"))
    print_button = phone.get_by_role("button", name="Print")
    expect(print_button).to_be_visible()  # shown by the script
    _no_private_words(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the passport scrolls sideways at 320 px ({width}px wide)"
    p.check("passport, phone")
    # Printed, it is the passport alone: no menu, no Print button, no way back.
    phone.emulate_media(media="print")
    expect(print_button).to_be_hidden()
    expect(phone.locator(".govuk-service-navigation")).to_be_hidden()
    expect(phone.get_by_role("heading", name="Roles")).to_be_visible()
    phone.emulate_media(media="screen")
    p.assert_clean()

    # 2. A manager: Sam's profile, his passport, a reference letter.
    desk = new_context(viewport=DESKTOP).new_page()
    m = PageChecks(desk)
    sign_in(desk, "manager")
    desk.goto("/people")
    desk.get_by_role("link", name="Sam", exact=True).click()
    desk.get_by_role("link", name="Their progression passport, and a reference letter").click()
    expect(_h1(desk)).to_have_text("Progression passport")
    expect(desk.locator("main")).to_contain_text("What Sam has done with us.")
    m.check("passport, manager")
    desk.get_by_role("link", name="Make a reference letter").click()
    expect(_h1(desk)).to_have_text("Reference letter")
    letter = desk.locator(".engage-letter")
    expect(letter).to_contain_text("To whom it may concern,")
    expect(letter).to_contain_text("Peer mentor, since")
    expect(letter).to_contain_text("Priya")  # the manager signs it
    m.check("reference letter")
    words = f"Sam welcomes every newcomer to the forum {secrets.token_hex(2)}."
    desk.get_by_label("Your job title (optional)").fill("Lived experience lead")
    desk.get_by_label("A paragraph of your own (optional)").fill(words)
    desk.get_by_role("button", name="Put this in the letter").click()
    expect(letter).to_contain_text(words)
    expect(letter).to_contain_text("Lived experience lead")
    expect(desk.get_by_label("A paragraph of your own (optional)")).to_have_value(words)
    _no_private_words(desk)
    m.check("reference letter with the manager's words")
    desk.emulate_media(media="print")
    expect(desk.get_by_role("button", name="Print the letter")).to_be_hidden()
    expect(desk.get_by_label("A paragraph of your own (optional)")).to_be_hidden()
    expect(letter).to_be_visible()
    desk.emulate_media(media="screen")
    m.assert_clean()

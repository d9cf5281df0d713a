"""Peer roles in a real browser: someone applies at /join on a 320 px phone with the keyboard
only, without an account (making one mistake first, and keeping what they typed); a manager
moves the application card by card along the board (htmx moves it in place), records the DBS
check the role needs, and makes them active (their training is not recorded yet: the warning
asks for a reason first), which gives them an account and sends their invitation. The role
needs Safeguarding: the manager invites everyone missing it to its next session from the gaps
matrix, and the new peer accepts their invitation, signs in and sees that session as their
next training (on a phone). Every page on the way is checked with axe-core and for console
and Content-Security-Policy errors.

Application ids are never assumed: the manager finds the application by its name on the board
(other browser tests share the live server and its demo database).
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import partnership_today
from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}
ROLE = "Peer researcher"  # needs a basic DBS check


def _h1(page):
    return page.get_by_role("heading", level=1)


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
        const label = e && e.id ? document.querySelector(`label[for="${e.id}"]`) : null;
        return {tag: e ? e.tagName : null, id: e ? e.id : null, name: e ? e.name : null,
                type: e ? e.getAttribute('type') : null, checked: e ? !!e.checked : null,
                value: e && 'value' in e ? e.value : null,
                label: label ? label.innerText.trim() : null,
                text: e ? (e.innerText || e.textContent || '').trim() : null}; }"""
    )


def _tab_until(page, wanted, limit: int = 80) -> dict:
    """Press Tab until ``wanted(focused)`` holds; fail if it never does."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if wanted(focused):
            return focused
        seen.append(f"{focused['tag']}#{focused['id']}:{(focused['text'] or '')[:30]}")
    raise AssertionError("Tab never reached the wanted element; went through:\n" + "\n".join(seen))


def _choose_radio(page, name: str, label: str) -> None:
    """Tab into the radios called ``name`` and move with the arrow keys until ``label`` is
    chosen (arrows choose as they move)."""
    focused = _tab_until(page, lambda f: f["type"] == "radio" and f["name"] == name)
    if not focused["checked"]:
        page.keyboard.press("Space")
    for _ in range(12):
        focused = _focused(page)
        if focused["label"] == label and focused["checked"]:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"never reached {label!r} in {name}")


def _no_sideways_scroll(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where} scrolls sideways at 320 px ({width}px wide)"


def test_someone_applies_on_a_phone_and_a_manager_makes_them_active(new_context, sign_in, sign_out):
    name = f"Keyboard {secrets.token_hex(3)}"

    # 1. On a phone, with the keyboard only, without an account.
    phone = new_context(viewport=PHONE, has_touch=False).new_page()
    p = PageChecks(phone)
    phone.goto("/join")
    expect(_h1(phone)).to_have_text("Join us in a peer role")
    p.check("join, phone")
    _no_sideways_scroll(phone, "/join")
    _choose_radio(phone, "role", ROLE)
    # Skip the name by mistake; write what draws them.
    _tab_until(phone, lambda f: f["tag"] == "TEXTAREA" and f["name"] == "what_draws")
    phone.keyboard.type("I want to help services listen.")
    _choose_radio(phone, "contact_way", "Text message")
    # The phone number question shows once "Text message" is chosen, and comes next.
    focused = _tab_until(phone, lambda f: f["tag"] == "INPUT" and f["type"] != "radio", limit=3)
    assert focused["name"] == "phone", focused
    phone.keyboard.type("07700 900 555")
    # The field for bots is never reached: Tab goes from the worker box to the button.
    _tab_until(phone, lambda f: f["tag"] == "INPUT" and f["name"] == "by_worker", limit=5)
    focused = _tab_until(phone, lambda f: f["tag"] in ("BUTTON", "INPUT"), limit=3)
    assert focused["tag"] == "BUTTON" and focused["text"] == "Send", focused
    phone.keyboard.press("Enter")

    # The mistake is said plainly, and nothing typed is lost.
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Tell us what to call you")
    p.check("join with a mistake, phone")
    _no_sideways_scroll(phone, "/join with a mistake")
    expect(phone.get_by_label("What makes you interested? (optional)")).to_have_value(
        "I want to help services listen."
    )
    expect(phone.get_by_label("Your phone number")).to_have_value("07700 900 555")
    _tab_until(phone, lambda f: f["tag"] == "INPUT" and f["name"] == "name")
    phone.keyboard.type(name)
    _tab_until(phone, lambda f: f["tag"] == "BUTTON" and f["text"] == "Send")
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(r"/join/thanks$"))
    expect(_h1(phone)).to_have_text("Thank you, we have your application")
    expect(phone.locator("main")).to_contain_text("within 10 working days")
    expect(phone.locator("main")).to_contain_text("We have also sent you a text message")
    p.check("thanks, phone")
    _no_sideways_scroll(phone, "/join/thanks")
    p.assert_clean()

    # 2. A manager moves the card along the board.
    desk = new_context(viewport=DESKTOP).new_page()
    m = PageChecks(desk)
    sign_in(desk, "manager")
    desk.get_by_role("link", name="Applications", exact=True).first.click()
    expect(_h1(desk)).to_have_text("Applications for peer roles")
    m.check("board")
    board = desk.locator("#board")
    for stage in ("First conversation", "References", "Checks"):
        # The card's button names the person to screen readers ("...: Keyboard 1a2b3c").
        button = board.get_by_role("button", name=re.compile(rf"^Move to {stage}\s*: {name}$"))
        button.click()
        expect(board).to_contain_text(f"{name} moved to “{stage}”.")
        expect(
            board.locator(f"section[aria-labelledby=column-{_column(stage)}] .engage-card")
        ).to_contain_text([name])
    m.check("board after moving in place")
    assert urlsplit(desk.url).path == "/applications"  # htmx moved it in place

    # 3. The role needs a DBS check before induction.
    board.get_by_role("link", name=name).click()
    expect(_h1(desk)).to_have_text(name)
    m.check("application at checks")
    desk.get_by_role("link", name="Record a DBS check").click()
    expect(_h1(desk)).to_have_text("Record a DBS check")
    m.check("record a DBS check")
    today = partnership_today()
    expect(desk.get_by_label("Basic DBS check")).to_be_checked()  # what the role needs
    desk.get_by_label("Date on the certificate").fill((today - timedelta(days=7)).isoformat())
    desk.get_by_label("Clear").check()
    desk.get_by_label("Renew by (optional)").fill((today + timedelta(days=3 * 365)).isoformat())
    desk.get_by_role("button", name="Save the check").click()
    expect(desk.locator(".govuk-notification-banner")).to_contain_text("The DBS check is saved.")
    m.check("application with its DBS check")

    # 4. On to induction and training from the application page, then active.
    for stage in ("Induction", "Training"):
        desk.get_by_role("button", name=f"Move to {stage}").click()
        expect(desk.locator(".govuk-notification-banner")).to_contain_text(
            f"{name} moved to “{stage}”."
        )
    # The role's training is not recorded for them (a new account has none): the page says
    # so before the move, and going ahead needs a reason.
    expect(desk.locator("main")).to_contain_text(
        f"Before you make {name} active: something the role needs is missing"
    )
    desk.get_by_role("link", name="Make active").click()
    expect(_h1(desk)).to_have_text(f"Make {name} active")
    expect(desk.locator("#readiness")).to_contain_text("There is no record of them doing")
    m.check("make active, with the training warning")
    desk.get_by_label("Yes", exact=True).check()
    desk.get_by_role("button", name="Make active").click()
    expect(desk.locator(".govuk-error-summary")).to_contain_text("Say why you are going ahead")
    m.check("make active without a reason")
    expect(desk.get_by_label("Yes", exact=True)).to_be_checked()  # kept
    desk.get_by_label(re.compile("Going ahead although")).fill(
        "They did the courses with us in the training stage; records to follow."
    )
    desk.get_by_role("button", name="Make active").click()
    expect(desk.locator(".govuk-notification-banner")).to_contain_text(
        f"{name} is active. We have sent them an invitation to sign in."
    )
    expect(desk.locator("main")).to_contain_text("Active")
    m.check("application, active")
    application_url = desk.url

    # 5. Their role needs Safeguarding: invite everyone missing it to its next session.
    _menu(desk, "Training")
    expect(_h1(desk)).to_have_text("Training")
    m.check("training, manager")
    desk.get_by_role("link", name="Who is missing what").first.click()
    expect(_h1(desk)).to_have_text("Who is missing what")
    desk.get_by_label("Role").select_option(label=ROLE)
    desk.get_by_role("button", name="Filter").click()
    expect(desk.locator("table").last).to_contain_text(name)
    m.check("gaps matrix, one role")
    row = desk.locator("table").last.locator("tr", has_text=name)
    expect(row).to_contain_text("Not done yet")
    invite = desk.get_by_role(
        "button",
        name=re.compile(r"^Invite the \d+ (person|people) missing this to .*: Safeguarding$"),
    )
    invite.click()
    expect(desk.locator(".govuk-notification-banner")).to_contain_text("to Safeguarding on")
    m.check("gaps matrix, after inviting")
    m.assert_clean()

    # 6. A sign-in link for them (as for someone without email), which they accept on a phone.
    desk.goto(application_url)
    desk.get_by_role("link", name=re.compile(re.escape(name))).last.click()
    desk.get_by_role("link", name="Make a sign-in link").click()
    desk.get_by_label("Also send it to them by their preferred way of contact").uncheck()
    desk.get_by_role("button", name="Make a sign-in link").click()
    link = desk.locator("code.engage-link-text").inner_text().strip()
    username = re.search(r"Their username is (\S+)\.", desk.locator("main").inner_text())[1]

    peer = new_context(viewport=PHONE).new_page()
    q = PageChecks(peer)
    peer.goto(urlsplit(link).path)
    expect(_h1(peer)).to_have_text(f"Welcome, {name}")
    q.check("accept the invitation, phone")
    password = "river otter lantern"
    peer.get_by_label("New password").fill(password)
    peer.get_by_role("button", name="Save password").click()
    expect(peer.locator(".govuk-notification-banner")).to_contain_text("Your account is ready")
    peer.wait_for_load_state()  # the menu toggle works once the page's script has run
    sign_out(peer)
    sign_in(peer, username, password)
    _menu(peer, "Training")
    expect(_h1(peer)).to_have_text("Training")
    next_training = peer.locator("#next + ul li", has_text="Safeguarding")
    expect(next_training).to_contain_text("Safeguarding")
    expect(next_training).to_contain_text("Not replied yet")
    q.check("training, new peer, phone")
    _no_sideways_scroll(peer, "/training")
    next_training.get_by_role("link", name=re.compile("See the session")).click()
    expect(_h1(peer)).to_have_text("Safeguarding")
    # The reply is answered in place once htmx has run; a click before that is an ordinary
    # form post, whose thank-you is a banner instead.
    peer.wait_for_load_state()
    peer.get_by_role("button", name="Yes, I can come").click()
    expect(peer.locator("#reply")).to_contain_text("You are coming")
    q.check("training session, new peer, phone")
    _no_sideways_scroll(peer, "training session page")
    q.assert_clean()


def _menu(page, label: str) -> None:
    """Follow a link of the menu (opening it first on a narrow screen)."""
    page.wait_for_load_state()
    toggle = page.locator(".govuk-service-navigation__toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.locator(".govuk-service-navigation").get_by_role("link", name=label, exact=True).click()


def _column(stage: str) -> str:
    return {"First conversation": "conversation", "References": "references", "Checks": "checks"}[
        stage
    ]

"""The change register in a real browser: a peer raises an item; a manager triages; a board
member plans and resolves it; the peer sees it on "you said, we did" and has a notification in
the outbox. Every register page on the way is checked with axe-core and for console and
Content-Security-Policy errors.

Only the real user interface is used: links and buttons by their visible text, fields by their
labels. The live server and its demo partnership come from conftest.py.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_run, partnership_today

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


class PageChecks:
    """Collects, for one page object, axe violations and console or CSP errors.

    Call :meth:`check` on each page worth checking; :meth:`assert_clean` at the end fails
    listing everything found, so one run shows every problem rather than only the first.
    """

    def __init__(self, page):
        self.page = page
        self.checked: list[str] = []
        self.violations: list[str] = []
        self.console: list[str] = []
        self.axe_seconds = 0.0
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error} ({page.url})"))

    def _on_console(self, msg) -> None:
        if msg.type == "error" or "Content Security Policy" in msg.text:
            self.console.append(f"{msg.type}: {msg.text} ({self.page.url})")

    def check(self, label: str) -> None:
        """Run axe-core on the page as it is now."""
        page = self.page
        page.wait_for_load_state()
        started = time.perf_counter()
        results = axe_run(page)
        self.axe_seconds += time.perf_counter() - started
        url = urlsplit(page.url)
        where = f"{label} ({url.path}{'?' + url.query if url.query else ''})"
        self.checked.append(where)
        for violation in results["violations"]:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
            self.violations.append(
                f"{violation['id']} ({violation['impact']}) on {where}: "
                f"{violation['help']} -> {targets}"
            )

    def assert_clean(self) -> None:
        problems = self.violations + self.console
        print(f"axe checked {len(self.checked)} page(s):", *self.checked, sep="\n  ")
        assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def _path(page) -> str:
    return urlsplit(page.url).path


def _status(page) -> str:
    """The item's status tag, under its heading."""
    return page.locator("main .govuk-tag").first.inner_text().strip()


def _item_rows(page):
    """The rows of the register's table of items (its caption says "N items")."""
    table = page.locator("#results").get_by_role("table", name=re.compile(r"^\d+ items?$"))
    return table.locator("tbody tr")


def _assert_similar_items_open(page) -> None:
    """Every item under "Has someone raised this already?" opens for this person (items they
    raised themselves go to the item page: they cannot say "this happened to me too")."""
    page.get_by_text("Has someone raised this already?").click()
    links = page.locator(".govuk-details__text").get_by_role("link")
    expect(links.first).to_be_visible()
    broken = []
    for href in links.evaluate_all("els => els.map(e => e.href)"):
        response = page.request.get(href)
        if not response.ok:
            broken.append(f"{urlsplit(href).path}: answered {response.status}")
    assert not broken, "links under 'Has someone raised this already?':\n" + "\n".join(broken)


def _open_menu_link(page, name: str) -> None:
    """Follow a link in the service menu, opening the menu first if it is collapsed."""
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    menu = page.get_by_role("navigation", name="Menu")
    menu.get_by_role("link", name=name, exact=True).click()


def _act(page, checks: PageChecks, link: str, label: str, heading: str | None = None) -> None:
    """From an item page, follow one of the "Work on this item" links and check the form,
    whose heading is the link's text unless ``heading`` says otherwise."""
    item_path = _path(page)
    page.get_by_role("link", name=link, exact=True).click()
    page.wait_for_url(re.compile(re.escape(item_path) + r"/\w+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading or link)
    checks.check(label)


def _saved(page, checks: PageChecks, item_path: str, status: str, label: str) -> None:
    page.wait_for_url(re.compile(re.escape(item_path) + r"$"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Saved.")
    assert _status(page) == status
    checks.check(label)


def test_an_item_goes_from_a_peer_through_the_board_and_back(
    new_context, live_server, sign_in, sign_out
):
    token = secrets.token_hex(3)
    title = f"Bus pass office shut at lunch {token}"
    what_happened = "I went at one o'clock twice and the door was locked both times."
    what_changed = f"The bus pass office now stays open over lunch ({token})."
    page = new_context(viewport=PHONE).new_page()
    checks = PageChecks(page)

    # 1. A peer raises an item on a phone, from the home page and the menu.
    sign_in(page, "peer")
    started = time.perf_counter()
    axe_before = checks.axe_seconds
    _open_menu_link(page, "Register")
    page.wait_for_url(re.compile(r"/register$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Things you raised or supported")
    checks.check("register list, peer, phone")
    page.get_by_role("link", name="Raise an item").click()
    page.wait_for_url(re.compile(r"/register/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise an item")
    checks.check("raise an item, phone")
    untimed = time.perf_counter()
    _assert_similar_items_open(page)
    untimed = time.perf_counter() - untimed

    page.get_by_label("In a few words, what got in your way?").fill(title)
    page.get_by_label("What happened?").fill(what_happened)
    page.get_by_label("Which service or organisation was it?").select_option(label="Jobcentre Plus")
    page.get_by_role("group", name="What is it about?").get_by_label("Benefits and money").check()
    page.get_by_label("No, keep my name private").check()
    page.get_by_role("button", name="Send").click()

    page.wait_for_url(re.compile(r"/register/\d+/raised$"))
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Thank you, we have your item")
    number = panel.locator(".govuk-panel__body strong").inner_text().strip()
    assert number.isdigit(), f"no item number on the confirmation panel: {number!r}"
    assert _path(page) == f"/register/{number}/raised"
    seconds = time.perf_counter() - started - (checks.axe_seconds - axe_before) - untimed
    print(f"peer raised item {number} at phone width in {seconds:.1f} s (not counting checks)")
    checks.check("confirmation, phone")
    item_path = f"/register/{number}"

    page.get_by_role("link", name="See your item").click()
    page.wait_for_url(re.compile(re.escape(item_path) + r"$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert _status(page) == "Raised"
    checks.check("item, raised, peer, phone")
    sign_out(page)

    # 2. A manager accepts it into the register.
    page.set_viewport_size(DESKTOP)
    sign_in(page, "manager")
    page.goto(item_path)
    assert _status(page) == "Raised"
    checks.check("item, raised, manager")
    _act(page, checks, "Accept into the register", "triage form")
    page.get_by_role("button", name="Confirm").click()
    _saved(page, checks, item_path, "Accepted", "item, accepted, manager")

    # The whole register, with its filters: find the item by words in its title.
    _open_menu_link(page, "Register")
    page.wait_for_url(re.compile(r"/register$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("The register")
    checks.check("register list, manager")
    page.get_by_label("Words in the title").fill(token)
    page.get_by_label("Status").select_option(label="Accepted")
    with page.expect_response(lambda r: "/register?" in r.url and token in r.url):
        page.get_by_role("button", name="Filter").click()
    rows = _item_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(title)
    expect(rows.first).to_contain_text("Accepted")
    checks.check("register list, manager, filtered")
    sign_out(page)

    # 3. A board member sets the owner, date and level, plans, starts and resolves it.
    sign_in(page, "board")
    page.goto(item_path)
    checks.check("item, accepted, board")

    target = partnership_today() + timedelta(days=60)
    _act(page, checks, "Owner, target date and level", "owner form")
    owner = "Helen, Riverside NHS Mental Health Trust"  # names, not usernames
    page.get_by_label("Owner", exact=True).select_option(label=owner)
    page.get_by_label("Target date").fill(target.isoformat())
    page.get_by_role("group", name="Escalation level").get_by_label("Delivery board").check()
    page.get_by_role("button", name="Save").click()
    _saved(page, checks, item_path, "Accepted", "item, owned, board")
    details = page.locator(".govuk-summary-list").first
    expect(details).to_contain_text("Delivery board")
    expect(details).to_contain_text("Helen")

    step_due = partnership_today() + timedelta(days=30)
    _act(page, checks, "Add a step to the action plan", "step form")
    page.get_by_label("What will be done?").fill("Agree lunchtime cover with the office manager")
    page.get_by_label("Who will do it, and for which organisation?").fill(
        "Office manager, Jobcentre Plus"
    )
    page.get_by_label("By when?").fill(step_due.isoformat())
    page.get_by_role("button", name="Add step").click()
    _saved(page, checks, item_path, "Action planned", "item, action planned, board")
    expect(page.locator("main ol").first).to_contain_text(
        "Agree lunchtime cover with the office manager"
    )

    _act(page, checks, "Start work", "start form")
    page.get_by_role("button", name="Confirm").click()
    _saved(page, checks, item_path, "In progress", "item, in progress, board")

    _act(page, checks, "Resolve", "resolve form", heading="Resolve: check it really changed")
    page.get_by_label("What changed?").fill(what_changed)
    page.get_by_label("For whom?").fill("Everyone who can only come at lunchtime.")
    page.get_by_label("Will it last beyond the people who made it? How?").fill(
        "The opening hours are written into the service's contract."
    )
    page.get_by_role("button", name="Mark resolved").click()
    _saved(page, checks, item_path, "Resolved", "item, resolved, board")

    _open_menu_link(page, "Register")
    page.wait_for_url(re.compile(r"/register$"))
    checks.check("register list, board")
    page.get_by_label("Status").select_option(label="Resolved")
    with page.expect_response(lambda r: "/register?" in r.url and "state=resolved" in r.url):
        page.get_by_role("button", name="Filter").click()
    expect(_item_rows(page).filter(has_text=title)).to_have_count(1)
    checks.check("register list, board, filtered")
    sign_out(page)

    # 4. The peer sees what changed, on "you said, we did" and on their item.
    sign_in(page, "peer")
    page.goto("/register")
    page.get_by_role("link", name="You said, we did: what has changed").click()
    page.wait_for_url(re.compile(r"/you-said-we-did$"))
    card = page.locator(".govuk-summary-card", has=page.get_by_role("heading", name=title))
    expect(card).to_have_count(1)
    expect(card.locator(".govuk-summary-list__row", has_text="We did")).to_contain_text(
        what_changed
    )
    expect(card.locator(".govuk-summary-list__row", has_text="You said")).to_contain_text(
        what_happened
    )
    checks.check("you said, we did")

    page.goto("/register")
    page.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(re.escape(item_path) + r"$"))
    assert _status(page) == "Resolved"
    expect(page.get_by_role("heading", level=2, name="What changed")).to_be_visible()
    expect(page.locator("main")).to_contain_text(what_changed)
    checks.check("item, resolved, peer")
    sign_out(page)

    # The peer was told: by text to their phone if they have one, else kept as undeliverable.
    # Admins read every message (managers only those that never reached a peer).
    expected_to, expected_status = _expected_address(live_server, "peer")
    sign_in(page, "admin")
    page.goto("/admin/outbox")
    messages = page.locator(
        ".govuk-summary-card",
        has=page.get_by_role("heading", name=f"Update on what you raised: {title}"),
    )
    expect(messages.first).to_be_visible()
    resolved = messages.filter(has_text=what_changed)
    expect(resolved).to_have_count(1)
    row = resolved.locator(".govuk-summary-list__row")
    expect(row.filter(has_text="To")).to_contain_text(expected_to)
    if expected_status == "undeliverable":
        expect(row.filter(has_text="Status")).to_contain_text("Undeliverable")
    else:
        expect(row.filter(has_text="Status")).not_to_contain_text("Undeliverable")
    checks.check("outbox, admin")

    checks.assert_clean()


def _expected_address(live_server, username: str) -> tuple[str, str]:
    """What the outbox should show for ``username``'s messages, from the demo data.

    The demo peer prefers text and has the number 07700 900001; a person with no address
    for any channel gets an "undeliverable" entry with "No address".
    """
    from sqlalchemy import select

    from engage.extensions import db
    from engage.people.models import User

    with live_server.app.app_context():
        try:
            user = db.session.scalar(select(User).filter_by(username=username))
            preferred = getattr(user.profile, "contact_channel", None)
            phone, email = user.phone, user.email
        finally:
            db.session.remove()
    if preferred == "text" and phone:
        return f"{phone} (text)", "pending or sent"
    if email:
        return f"{email} (email)", "pending or sent"
    if phone:
        return f"{phone} (text)", "pending or sent"
    return "No address", "undeliverable"


def test_raising_an_item_without_a_title_keeps_what_was_typed(new_context, sign_in):
    page = new_context(viewport=PHONE).new_page()
    checks = PageChecks(page)
    sign_in(page, "peer2")
    page.goto("/register/new")
    _assert_similar_items_open(page)
    page.get_by_label("What happened?").fill("The phone line rang out for an hour.")
    page.get_by_label("Which service or organisation was it?").select_option(
        label="Citizens Advice"
    )
    page.get_by_role("group", name="What is it about?").get_by_label("Something else").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()

    assert _path(page) == "/register/new", "nothing should be raised without a title"
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link", name="Say in a few words what got in your way")
    assert link.get_attribute("href") == "#title"
    expect(page.locator(".govuk-error-message").first).to_contain_text(
        "Say in a few words what got in your way"
    )
    # What was typed and chosen is kept.
    assert page.get_by_label("What happened?").input_value() == (
        "The phone line rang out for an hour."
    )
    assert (
        page.get_by_label("Which service or organisation was it?")
        .locator("option:checked")
        .inner_text()
        == "Citizens Advice"
    )
    expect(
        page.get_by_role("group", name="What is it about?").get_by_label("Something else")
    ).to_be_checked()
    checks.check("raise an item, with a mistake")
    link.click()
    assert page.evaluate("document.activeElement.id") == "title"
    checks.assert_clean()

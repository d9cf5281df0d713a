"""Forums in a real browser: a manager schedules a recurring forum meeting; a peer replies
"yes" from a 320 px phone with the keyboard only; the manager sees the combined needs of those
coming (names only for organisers), takes attendance, records minutes, an action and a register
item; the forum's next meeting carries the action on its agenda. Every page on the way is
checked with axe-core and for console and Content-Security-Policy errors.

Attendance can only be taken from the day of a meeting, and a schedule cannot start in the
past, so attendance, minutes, the action and the register item are recorded at the forum's
latest PAST (demo) meeting; the action must then be carried to the forum's next meeting.
The newly scheduled series is checked for its own carry-forward too: an action set at its first
meeting goes on the agenda of its second.
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
FORUM = "Expert Citizen Forum"


def _path(page) -> str:
    return urlsplit(page.url).path


def _h1(page):
    return page.get_by_role("heading", level=1)


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
        return {tag: e ? e.tagName : null, id: e ? e.id : null, name: e ? e.name : null,
                text: e ? (e.innerText || '').trim() : null}; }"""
    )


def _tab_until(page, wanted, limit: int = 80) -> dict:
    """Press Tab until ``wanted(focused)`` holds; fail if it never does."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if wanted(focused):
            return focused
        seen.append(f"{focused['tag']}#{focused['id']}:{(focused['text'] or '')[:20]}")
    raise AssertionError("Tab never reached the wanted element; went through:\n" + "\n".join(seen))


def _keyboard_sign_in(page, username: str, password: str) -> None:
    page.goto("/login")
    _tab_until(page, lambda f: f["tag"] == "INPUT" and f["name"] == "login")
    page.keyboard.type(username)
    _tab_until(page, lambda f: f["tag"] == "INPUT" and f["name"] == "password")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def _open_forum(page, checks: PageChecks, label: str) -> None:
    page.goto("/forums")
    expect(_h1(page)).to_be_visible()
    checks.check(f"forums list, {label}")
    page.get_by_role("link", name=FORUM, exact=True).first.click()
    page.wait_for_url(re.compile(r"/forums/\d+$"))
    expect(_h1(page)).to_have_text(FORUM)
    checks.check(f"forum page, {label}")


def _upcoming_links(page):
    return page.locator("#meetings ~ ul.engage-meeting-list").first.locator("li > a")


def _past_links(page):
    heading = page.get_by_role("heading", name="Past meetings", level=2)
    return heading.locator("xpath=following-sibling::ul[1]").locator("li > a")


def test_a_forum_meeting_from_schedule_to_carried_action(
    new_context, live_server, sign_in, sign_out
):
    token = secrets.token_hex(3)
    title = f"Housing check-in {token}"
    venue = f"Library meeting room {token}"
    action_text = f"Write to the council ({token})"
    item_title = f"No interpreter at the housing office {token}"
    first_day = partnership_today() + timedelta(days=4)

    # 1. A manager schedules three meetings, every two weeks.
    manager_page = new_context(viewport=DESKTOP).new_page()
    m = PageChecks(manager_page)
    sign_in(manager_page, "manager")
    _open_forum(manager_page, m, "manager")
    forum_path = _path(manager_page)
    manager_page.get_by_role("link", name="Schedule a meeting").click()
    manager_page.wait_for_url(re.compile(r"/forums/\d+/schedule$"))
    expect(_h1(manager_page)).to_have_text("Schedule a meeting")
    m.check("schedule form")

    # First a date in the past, which is refused.
    manager_page.get_by_label("Title (optional)").fill(title)
    manager_page.get_by_label("Date", exact=True).fill(
        (partnership_today() - timedelta(days=7)).isoformat()
    )
    manager_page.get_by_label("Start time").fill("10:30")
    manager_page.get_by_label("Yes, every few weeks").check()
    manager_page.get_by_label("Every how many weeks?").fill("2")
    manager_page.get_by_label("How many meetings?").fill("3")
    manager_page.get_by_label("Name of the place").fill(venue)
    manager_page.get_by_label("Step-free access").check()
    manager_page.get_by_label("How many places? (optional)").fill("20")
    manager_page.get_by_role("button", name="Schedule").click()
    expect(manager_page.locator(".govuk-error-summary")).to_contain_text(
        "Choose a date and time that has not passed yet"
    )
    m.check("schedule form, past date refused")

    manager_page.get_by_label("Date", exact=True).fill(first_day.isoformat())
    # A refused form keeps what was typed, except perhaps the new place's access ticks.
    if not manager_page.get_by_label("Step-free access").is_checked():
        manager_page.get_by_label("Step-free access").check()
    manager_page.get_by_role("button", name="Schedule").click()
    manager_page.wait_for_url(re.compile(re.escape(forum_path) + r"(#meetings)?$"))
    expect(manager_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "3 meetings scheduled"
    )
    m.check("forum page after scheduling")
    rows = manager_page.locator("ul.engage-meeting-list").first.locator("li").filter(has_text=title)
    expect(rows).to_have_count(3)
    meeting_paths = [
        urlsplit(h).path for h in rows.locator("a").evaluate_all("els => els.map(e => e.href)")
    ]
    assert all(re.fullmatch(r"/meetings/\d+", p) for p in meeting_paths), meeting_paths
    first_path, second_path, _third = meeting_paths

    manager_page.goto(first_path)
    expect(_h1(manager_page)).to_have_text(title)
    expect(manager_page.locator("main")).to_contain_text(venue)
    expect(manager_page.locator("main")).to_contain_text("10:30")
    expect(manager_page.locator("main")).to_contain_text("20 places left")
    m.check("new meeting, manager, before replies")

    # 2. Sam (peer) replies "yes" on a 320 px phone, with the keyboard only.
    phone = new_context(viewport=PHONE, has_touch=False).new_page()
    p = PageChecks(phone)
    _keyboard_sign_in(phone, "peer", "engage-demo")
    phone.goto(first_path)
    expect(_h1(phone)).to_have_text(title)
    p.check("new meeting, peer, phone")
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the meeting page scrolls sideways at 320 px ({overflow}px)"
    _tab_until(phone, lambda f: f["id"] == "reply-yes")
    with phone.expect_response(lambda r: r.url.endswith(first_path + "/reply")) as answer:
        phone.keyboard.press("Enter")
    assert answer.value.ok, f"reply answered {answer.value.status}"
    block = phone.locator("#reply")
    expect(block).to_contain_text("You are coming")
    expect(block.locator(".govuk-tag")).to_have_text("Coming")
    assert _path(phone) == first_path, "with JavaScript the reply should swap in place"
    focused = _focused(phone)
    assert focused["tag"] not in (None, "BODY"), f"focus was lost after replying: {focused}"
    p.check("new meeting, peer replied, phone")
    # Space works on the buttons too: change to "maybe" and back to "yes".
    _tab_until(phone, lambda f: f["id"] == "reply-maybe", limit=5)
    with phone.expect_response(lambda r: r.url.endswith(first_path + "/reply")):
        phone.keyboard.press("Space")
    expect(block).to_contain_text("might come")
    focused = _focused(phone)
    assert focused["tag"] not in (None, "BODY"), f"focus was lost after replying: {focused}"
    phone.goto(first_path)
    _tab_until(phone, lambda f: f["id"] == "reply-yes")
    with phone.expect_response(lambda r: r.url.endswith(first_path + "/reply")):
        phone.keyboard.press("Space")
    expect(block).to_contain_text("You are coming")
    # Peers see no names and no needs.
    expect(phone.get_by_role("heading", name="What those coming need")).to_have_count(0)
    p.assert_clean()

    # 3. The manager sees the combined needs, names folded away in "Who".
    manager_page.goto(first_path)
    needs_heading = manager_page.get_by_role("heading", name="What those coming need")
    expect(needs_heading).to_be_visible()
    needs = manager_page.locator("#needs + p + dl.govuk-summary-list")
    interpreter = needs.locator(".govuk-summary-list__row").filter(
        has=manager_page.locator("dt", has_text="Interpreter: Polish")
    )
    expect(interpreter).to_have_count(1)
    count = int(re.search(r"(\d+) (person|people)", interpreter.inner_text()).group(1))
    assert count >= 1
    step_free = needs.locator(".govuk-summary-list__row").filter(
        has=manager_page.locator("dt", has_text=re.compile(r"^\s*Step-free access\s*$"))
    )
    expect(step_free).to_have_count(1)
    assert int(re.search(r"(\d+) (person|people)", step_free.inner_text()).group(1)) >= 1
    who = interpreter.locator("details")
    expect(who.locator(".govuk-details__text")).not_to_be_visible()
    who.locator("summary").click()
    expect(who.locator(".govuk-details__text")).to_contain_text("Sam")
    expect(who.locator(".govuk-details__text")).to_be_visible()
    step_free.locator("summary").click()
    expect(step_free.locator(".govuk-details__text")).to_contain_text("Sam")
    m.check("new meeting, manager, needs open")

    # ... and Jordan (peer2), another member, sees neither the needs nor Sam's name.
    other = new_context(viewport=DESKTOP).new_page()
    o = PageChecks(other)
    sign_in(other, "peer2")
    other.goto(first_path)
    expect(_h1(other)).to_have_text(title)
    expect(other.get_by_role("heading", name="What those coming need")).to_have_count(0)
    expect(other.locator("#needs")).to_have_count(0)
    main_text = other.locator("main").inner_text()
    assert "Sam" not in main_text, "a peer sees another peer's name on the meeting page"
    assert "Interpreter" not in main_text
    o.check("new meeting, peer2")
    o.assert_clean()

    # 4. Attendance is refused before the day of the meeting ...
    expect(manager_page.get_by_role("link", name="Take attendance")).to_have_count(0)
    manager_page.goto(first_path + "/attendance")
    expect(manager_page.locator("main")).to_contain_text(
        "You can take attendance on the day of the meeting."
    )
    m.check("attendance, too early")

    # ... so it is taken at the forum's latest past meeting.
    manager_page.goto(forum_path)
    past = _past_links(manager_page).first
    past_path = urlsplit(past.get_attribute("href")).path
    past.click()
    manager_page.wait_for_url(re.compile(re.escape(past_path) + r"$"))
    m.check("past meeting, manager")
    manager_page.get_by_role("link", name="Take attendance").click()
    manager_page.wait_for_url(re.compile(r"/attendance$"))
    expect(_h1(manager_page)).to_have_text("Who came")
    m.check("attendance form")
    manager_page.get_by_role("group", name="Sam", exact=True).get_by_label("Attended").check()
    manager_page.get_by_role("button", name="Save attendance").click()
    manager_page.wait_for_url(re.compile(re.escape(past_path) + r"$"))
    expect(manager_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Attendance saved."
    )
    expect(manager_page.locator("main")).to_contain_text("Attended:")
    m.check("past meeting, attendance saved")
    manager_page.get_by_role("link", name="Take attendance").click()
    expect(
        manager_page.get_by_role("group", name="Sam", exact=True).get_by_label("Attended")
    ).to_be_checked()
    manager_page.go_back()

    # Minutes and an action.
    manager_page.get_by_role("link", name="Minutes and actions").click()
    manager_page.wait_for_url(re.compile(r"/minutes$"))
    expect(_h1(manager_page)).to_have_text("Minutes and actions")
    m.check("minutes form")
    manager_page.get_by_label("Decisions").fill(f"Write to the council about interpreters. {token}")
    manager_page.get_by_label("Minutes", exact=True).fill(
        f"Sam told us about the housing office. {token}"
    )
    manager_page.get_by_role("button", name="Save minutes").click()
    expect(manager_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Minutes saved."
    )
    due = partnership_today() + timedelta(days=21)
    manager_page.get_by_label("What needs to be done?").fill(action_text)
    manager_page.get_by_label("Who will do it?").fill("Alex Manager")
    manager_page.get_by_label("By when? (optional)").fill(due.isoformat())
    manager_page.get_by_role("button", name="Add action").click()
    manager_page.wait_for_url(re.compile(r"/minutes(#actions)?$"))
    expect(manager_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Action added."
    )
    expect(manager_page.locator("#actions ~ ul").first).to_contain_text(action_text)
    m.check("minutes, action added")

    # A register item raised from the meeting.
    manager_page.goto(past_path)
    expect(manager_page.locator("#minutes ~ *").filter(has_text=action_text).first).to_be_visible()
    manager_page.get_by_role("link", name="Raise an item from this meeting").click()
    manager_page.wait_for_url(re.compile(r"/raise$"))
    expect(_h1(manager_page)).to_have_text("Raise an item from this meeting")
    m.check("raise from meeting form")
    manager_page.get_by_label("In a few words, what got in your way?").fill(item_title)
    manager_page.get_by_label("What happened?").fill(
        "The housing office had no Polish interpreter, so Sam could not be helped."
    )
    manager_page.get_by_label("Which service or organisation was it?").select_option(index=1)
    manager_page.get_by_role("group", name="What is it about?").get_by_role("radio").first.check()
    manager_page.get_by_role("button", name="Add to the register").click()
    manager_page.wait_for_url(re.compile(re.escape(past_path) + r"(#raised)?$"))
    banner = manager_page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Added to the register as item")
    raised = manager_page.get_by_role("heading", name="Raised in the register from this meeting")
    expect(raised).to_be_visible()
    link = manager_page.locator("#raised + ul").get_by_role("link", name=re.compile(item_title))
    expect(link).to_have_count(1)
    m.check("past meeting, item raised")
    link.click()
    manager_page.wait_for_url(re.compile(r"/register/\d+$"))
    expect(_h1(manager_page)).to_have_text(item_title)
    expect(manager_page.locator("main")).to_contain_text("Raised at a meeting")
    m.check("register item from a meeting")

    # The action is on the agenda of the forum's next meeting, marked as carried forward.
    manager_page.goto(forum_path)
    upcoming = [
        urlsplit(h).path
        for h in _upcoming_links(manager_page).evaluate_all("els => els.map(e => e.href)")
    ]
    carried_at = []
    for meeting_path in upcoming[:3]:
        manager_page.goto(meeting_path)
        agenda = manager_page.locator("#agenda + ol")
        if agenda.count() and action_text in agenda.inner_text():
            carried_at.append(meeting_path)
    assert carried_at, f"the action is not on the agenda of any of {upcoming[:3]}"
    # The first upcoming meeting may already have started (it is then not "still to come").
    assert carried_at[0] in upcoming[:2], (carried_at, upcoming)
    assert len(carried_at) == 1, f"the action is on more than one agenda: {carried_at}"
    manager_page.goto(carried_at[0])
    item = manager_page.locator("#agenda + ol li").filter(has_text=action_text)
    expect(item.locator(".govuk-tag")).to_have_text("Action carried forward")
    expect(item).to_contain_text("Alex Manager")
    m.check("next meeting, agenda with carried action")

    # In the new series, an action set at its first meeting goes to its SECOND meeting.
    series_action = f"Book the interpreter ({token})"
    manager_page.goto(first_path + "/minutes")
    manager_page.get_by_label("What needs to be done?").fill(series_action)
    manager_page.get_by_label("Who will do it?").fill("Alex Manager")
    manager_page.get_by_role("button", name="Add action").click()
    expect(manager_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Action added."
    )
    manager_page.goto(second_path)
    item = manager_page.locator("#agenda + ol li").filter(has_text=series_action)
    expect(item.locator(".govuk-tag")).to_have_text("Action carried forward")
    m.check("second new meeting, agenda with carried action")
    manager_page.goto(first_path)
    expect(manager_page.locator("#agenda + ol, #agenda + p").first).not_to_contain_text(
        series_action
    )

    sign_out(manager_page)
    m.assert_clean()


def test_a_manager_replies_to_a_meeting_for_a_peer(new_context, sign_in, sign_out):
    """Assisted digital in a real browser: from Sam's page the manager replies "maybe" for him
    with the keyboard; Sam then sees on the meeting page who replied for him."""
    desk = new_context(viewport=DESKTOP).new_page()
    checks = PageChecks(desk)
    sign_in(desk, "manager")
    desk.goto("/people")
    desk.get_by_role("link", name="Sam", exact=True).first.click()
    desk.get_by_role("link", name="Reply to meetings for them").click()
    expect(_h1(desk)).to_have_text("Meetings: Sam")
    expect(desk.locator(".engage-on-behalf")).to_contain_text("on behalf of Sam")
    checks.check("meetings for a peer")
    first = desk.locator(".govuk-summary-card").first
    meeting_link = first.get_by_role("link").first.get_attribute("href")
    first.get_by_role("button", name=re.compile(r"^Maybe")).focus()
    desk.keyboard.press("Enter")
    expect(desk.locator(".govuk-notification-banner")).to_contain_text(
        "We have noted that Sam might come."
    )
    expect(desk.locator(".govuk-summary-card").first).to_contain_text("Priya replied for Sam.")
    checks.check("replied for a peer")
    sign_out(desk)
    sign_in(desk, "peer")
    desk.goto(meeting_link)
    expect(desk.locator("#reply")).to_contain_text("Priya replied for you.")
    checks.check("meeting replied for")
    # "You said, we did" is in Sam's menu and on his home page.
    desk.goto("/")
    expect(desk.get_by_role("navigation", name="Menu")).to_contain_text("You said, we did")
    expect(desk.get_by_role("heading", name="You said, we did")).to_be_visible()
    checks.check("peer home")
    checks.assert_clean()

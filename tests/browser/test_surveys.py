"""Surveys in a real browser: a peer answers the open round of the co-production partners
survey on a 320 px phone with the keyboard only, stops half-way, carries on from another
device, changes an answer on "check your answers" and sends them; a manager reads a closed
round's results, its breakdown by group, the paper form and the form for a new round; board
members see closed rounds' results only, peers none. Every page on the way is checked with
axe-core and for console and Content-Security-Policy errors.

Round ids are never assumed: they are read from the manager's list at /surveys (other browser
tests share the live server and its demo database).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}
SURVEY = "Co-production partners"
QUESTIONS = 7  # surveys/coproduction-partners.yaml: six agree questions and one in words


def _path(page) -> str:
    return urlsplit(page.url).path


def _h1(page):
    return page.get_by_role("heading", level=1)


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
        return {tag: e ? e.tagName : null, id: e ? e.id : null, name: e ? e.name : null,
                type: e ? e.getAttribute('type') : null,
                href: e ? e.getAttribute('href') : null,
                value: e && 'value' in e ? e.value : null,
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


def _keyboard_sign_in(page, username: str) -> None:
    page.goto("/login")
    _tab_until(page, lambda f: f["tag"] == "INPUT" and f["name"] == "login")
    page.keyboard.type(username)
    _tab_until(page, lambda f: f["tag"] == "INPUT" and f["name"] == "password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))


def _keyboard_sign_out(page) -> None:
    """Open the collapsed menu with the keyboard and press "Sign out"."""
    toggle = page.locator(".govuk-service-navigation__toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        _tab_until(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Menu")
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
    _tab_until(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Sign out")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/login(\?.*)?$"))


def _assert_no_sideways_scroll(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where} scrolls sideways at 320 px ({width}px wide)"


def _open_survey_from_home(page, checks: PageChecks, label: str) -> str:
    """From the home page, follow the link to the open co-production round with the keyboard.
    Returns the start page's path."""
    expect(page.get_by_role("heading", name="A survey for you")).to_be_visible()
    checks.check(f"home, survey waiting, {label}")
    _assert_no_sideways_scroll(page, "the home page")
    link = _tab_until(
        page,
        lambda f: (
            f["tag"] == "A"
            and re.fullmatch(r"/surveys/\d+", f["href"] or "") is not None
            and SURVEY in (f["text"] or "")
        ),
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(link["href"]) + r"$"))
    expect(_h1(page)).to_have_text(link["text"])
    return link["href"]


def _question(page, checks: PageChecks, number: int, label: str) -> None:
    """Check question ``number``'s page: its heading, axe, and no sideways scrolling."""
    expect(_h1(page)).to_contain_text(f"Question {number} of {QUESTIONS}")
    assert re.search(r"/surveys/\d+/questions/\w+$", _path(page)), page.url
    checks.check(f"question {number}, {label}")
    _assert_no_sideways_scroll(page, f"question {number}")


def _answer_agree(page, keys: list[str], expected: str) -> None:
    """Tab into the radios, choose with ``keys`` (Space, arrows), check ``expected`` is the
    chosen answer, then Tab to the button and press Enter."""
    heading = _h1(page).inner_text()
    _tab_until(page, lambda f: f["tag"] == "INPUT" and f["type"] == "radio")
    for key in keys:
        page.keyboard.press(key)
    expect(page.get_by_label(expected, exact=True)).to_be_checked()
    assert page.locator("input[type=radio]:checked").count() == 1
    _tab_until(page, lambda f: f["tag"] == "BUTTON", limit=10)
    page.keyboard.press("Enter")
    expect(_h1(page)).not_to_have_text(heading)


def _check_rows(page):
    return page.locator(".govuk-summary-list__row")


def _check_row(page, question: str):
    return _check_rows(page).filter(has=page.locator("dt", has_text=question))


def test_a_peer_answers_on_a_phone_with_the_keyboard_and_carries_on_elsewhere(new_context):
    # 1. On a phone: sign in, open the survey from the home page, answer three questions.
    phone = new_context(viewport=PHONE, has_touch=False).new_page()
    p = PageChecks(phone)
    _keyboard_sign_in(phone, "peer")
    start_path = _open_survey_from_home(phone, p, "phone")
    expect(phone.locator("main")).to_contain_text(f"There are {QUESTIONS} questions.")
    p.check("start page, phone")
    _assert_no_sideways_scroll(phone, "the start page")
    # The start button is a link styled as a button (role=button): Space must press it.
    _tab_until(phone, lambda f: f["tag"] == "A" and f["text"] == "Start now")
    phone.keyboard.press("Space")

    _question(phone, p, 1, "phone")
    expect(_h1(phone)).to_contain_text("I feel heard and listened to.")
    _answer_agree(phone, ["Space"], "Strongly agree")
    _question(phone, p, 2, "phone")
    _answer_agree(phone, ["ArrowDown"], "Agree")
    _question(phone, p, 3, "phone")
    _answer_agree(phone, ["ArrowDown", "ArrowDown"], "Neither agree nor disagree")
    _question(phone, p, 4, "phone")

    # 2. Stop half-way, and sign out.
    _tab_until(phone, lambda f: f["tag"] == "A" and f["text"] == "Stop and come back later")
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(r"/surveys/\d+/saved$"))
    expect(_h1(phone)).to_have_text("Your answers are saved")
    p.check("saved, phone")
    _assert_no_sideways_scroll(phone, "the saved page")
    _keyboard_sign_out(phone)
    p.assert_clean()

    # 3. Another device: sign in again and carry on where they left off.
    other = new_context(viewport=PHONE, has_touch=False).new_page()
    o = PageChecks(other)
    _keyboard_sign_in(other, "peer")
    assert _open_survey_from_home(other, o, "other device") == start_path
    o.check("start page, carrying on")
    _tab_until(other, lambda f: f["tag"] == "A" and f["text"] == "Carry on where you left off")
    other.keyboard.press("Enter")
    _question(other, o, 4, "other device")
    expect(_h1(other)).to_contain_text("I am told what happened to what I raised.")
    _answer_agree(other, ["ArrowUp"], "Prefer not to say")  # up from the first wraps to last
    _question(other, o, 5, "other device")
    _answer_agree(other, ["Space"], "Strongly agree")
    _question(other, o, 6, "other device")
    _answer_agree(other, ["ArrowDown", "Space"], "Agree")
    _question(other, o, 7, "other device")
    _tab_until(other, lambda f: f["tag"] == "TEXTAREA")
    other.keyboard.type("More notice of meetings, please.")
    _tab_until(other, lambda f: f["tag"] == "BUTTON", limit=10)
    other.keyboard.press("Enter")

    # 4. Check your answers: what was answered on the first phone is there too.
    other.wait_for_url(re.compile(r"/surveys/\d+/check$"))
    expect(_h1(other)).to_have_text("Check your answers")
    o.check("check your answers, other device")
    _assert_no_sideways_scroll(other, "check your answers")
    expect(_check_rows(other)).to_have_count(QUESTIONS)
    expect(_check_row(other, "I feel heard and listened to.").locator("dd").first).to_have_text(
        "Strongly agree"
    )
    valued = _check_row(other, "My views are valued.")
    expect(valued.locator("dd").first).to_have_text("Agree")
    expect(_check_row(other, "What should change?").locator("dd").first).to_have_text(
        "More notice of meetings, please."
    )

    # Change one answer: back to the question, then straight back to check your answers.
    _tab_until(
        other,
        lambda f: (
            f["tag"] == "A"
            and "change=" in (f["href"] or "")
            and "My views are valued." in (f["text"] or "")
        ),
    )
    other.keyboard.press("Enter")
    _question(other, o, 2, "changing an answer")
    expect(other.get_by_label("Agree", exact=True)).to_be_checked()
    expect(other.get_by_role("button", name="Save and go back to your answers")).to_be_visible()
    _answer_agree(other, ["ArrowDown", "ArrowDown"], "Disagree")
    other.wait_for_url(re.compile(r"/surveys/\d+/check$"))
    expect(_h1(other)).to_have_text("Check your answers")
    expect(valued.locator("dd").first).to_have_text("Disagree")
    o.check("check your answers, after a change")

    # 5. Send them.
    _tab_until(other, lambda f: f["tag"] == "BUTTON" and f["text"] == "Send my answers")
    other.keyboard.press("Enter")
    other.wait_for_url(re.compile(r"/surveys/\d+/done$"))
    panel = other.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(panel).to_contain_text("Your answers have been sent")
    o.check("thank you, other device")
    _assert_no_sideways_scroll(other, "the thank-you page")

    # Going back to the survey, on either device, says it is answered; home no longer asks.
    for page, checks, label in ((other, o, "other device"), (phone, p, "phone")):
        if page is phone:
            _keyboard_sign_in(phone, "peer")
        page.goto(start_path)
        expect(_h1(page)).to_have_text("You have already answered this survey")
        checks.check(f"already answered, {label}")
        page.goto("/")
        expect(page.get_by_role("heading", name="A survey for you")).to_have_count(0)
        checks.check(f"home, survey answered, {label}")
    p.assert_clean()
    o.assert_clean()


def _rounds(page) -> list[dict]:
    """The rounds in the manager's table at /surveys: title, id, status, in the table's order."""
    page.goto("/surveys")
    expect(_h1(page)).to_have_text("Surveys")
    rows = page.get_by_role("table", name="Survey rounds").locator("tbody tr")
    expect(rows.first).to_be_visible()
    found = []
    for row in rows.all():
        link = row.get_by_role("link")
        href = link.get_attribute("href")
        match = re.fullmatch(r"/surveys/(\d+)/manage", href or "")
        assert match, f"a round without a manage link: {href!r}"
        found.append(
            {
                "title": link.inner_text().strip(),
                "id": int(match.group(1)),
                "status": row.locator(".govuk-tag").inner_text().strip(),
            }
        )
    return found


def _first(rounds: list[dict], *statuses: str) -> dict:
    chosen = [r for r in rounds if r["status"] in statuses]
    assert chosen, f"no round is {' or '.join(statuses)}: {rounds}"
    return chosen[0]


def test_a_manager_reads_a_closed_rounds_results_and_breakdown(new_context, sign_in, sign_out):
    page = new_context(viewport=DESKTOP).new_page()
    m = PageChecks(page)
    sign_in(page, "manager")
    rounds = _rounds(page)
    m.check("surveys, manager")
    closed = _first(rounds, "Closed", "Results shared")

    # The round's own page, then its results.
    page.get_by_role("link", name=closed["title"], exact=True).click()
    page.wait_for_url(re.compile(rf"/surveys/{closed['id']}/manage$"))
    expect(_h1(page)).to_contain_text(closed["title"])
    m.check("manage a closed round")
    page.get_by_role("link", name="See the results").click()
    page.wait_for_url(re.compile(rf"/surveys/{closed['id']}/results$"))
    expect(_h1(page)).to_contain_text(closed["title"])

    shown = page.locator("section.engage-result").filter(has=page.locator("svg[role=img]"))
    expect(shown.first).to_be_visible()
    question = shown.first
    chart = question.locator("svg[role=img]").first
    assert (chart.get_attribute("aria-label") or "") or chart.locator("title").count(), (
        "the chart has no accessible name"
    )
    table = question.get_by_role("table")
    expect(table).to_have_count(1)
    assert table.locator("tbody tr").count() >= 1
    m.check("results, manager")

    # Break the answers down by gender.
    page.get_by_label("Break the answers down by").select_option(label="Gender")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(rf"/surveys/{closed['id']}/results\?by=gender(#breakdown)?$"))
    expect(page.get_by_label("Break the answers down by")).to_have_value("gender")
    tables = page.locator("main table").filter(has=page.locator("th", has_text="Gender"))
    expect(tables.first).to_be_visible()
    expect(tables.first.locator("tbody tr").last).to_contain_text("Everyone")
    # Every group shows its numbers or says why it does not; with the demo's few peers some
    # groups are too small to show.
    groups = tables.locator("tbody tr:not(.engage-total-row)")
    cells = [row.locator("td").nth(1).inner_text().strip() for row in groups.all()]
    hidden = [c for c in cells if "not shown" in c.lower()]
    assert all(c.isdigit() or "not shown" in c.lower() for c in cells), cells
    assert any("so not shown to protect their privacy" in c for c in hidden), cells
    print(f"breakdown by gender: {tables.count()} table(s), {len(hidden)} hidden group(s)")
    m.check("results by gender, manager")

    # The paper form and a new round.
    page.goto(f"/surveys/{closed['id']}/paper")
    expect(_h1(page)).to_have_text("Type in a paper form")
    m.check("paper form")
    page.goto("/surveys/new")
    expect(_h1(page)).to_have_text("Run a survey")
    m.check("run a survey")
    sign_out(page)
    m.assert_clean()


def test_board_members_see_closed_results_only_and_peers_none(new_context, sign_in, sign_out):
    page = new_context(viewport=DESKTOP).new_page()
    checks = PageChecks(page)
    sign_in(page, "manager")
    rounds = _rounds(page)
    closed = _first(rounds, "Closed", "Results shared")
    open_ = _first(rounds, "Open")
    sign_out(page)

    sign_in(page, "board")
    page.goto("/surveys")
    listed = page.get_by_role("table", name="Survey rounds")
    expect(listed.get_by_role("link", name=closed["title"], exact=True)).to_have_attribute(
        "href", f"/surveys/{closed['id']}/results"
    )
    expect(listed.get_by_role("link", name=open_["title"], exact=True)).to_have_count(0)
    checks.check("surveys, board")
    response = page.goto(f"/surveys/{closed['id']}/results")
    assert response.status == 200, f"board: closed round's results answered {response.status}"
    expect(_h1(page)).to_contain_text(closed["title"])
    # Board members do not read what people wrote in their own words.
    expect(page.get_by_role("heading", name="In their own words")).to_have_count(0)
    checks.check("results, board")
    response = page.goto(f"/surveys/{open_['id']}/results")
    assert response.status in (403, 404), f"board: open round's results answered {response.status}"
    checks.check("open round's results refused, board")
    sign_out(page)

    sign_in(page, "peer2")
    for round_ in (closed, open_):
        for path in (f"/surveys/{round_['id']}/results", f"/surveys/{round_['id']}/results.csv"):
            response = page.request.get(path)
            assert response.status in (403, 404), f"peer: {path} answered {response.status}"
    response = page.goto(f"/surveys/{closed['id']}/results")
    assert response.status in (403, 404)
    checks.check("results refused, peer")
    sign_out(page)
    # The console collects the refused pages' 403/404 as errors: those are expected here.
    checks.console = [c for c in checks.console if "status of 40" not in c]
    checks.assert_clean()

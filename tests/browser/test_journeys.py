"""Journeys through engage in a real browser, as the people who use it would take them.

Each demo role signs in and every page it can reach by following links is checked with axe-core;
pages run under our strict Content-Security-Policy without console errors; a peer edits their
profile with only a keyboard on a 320 pixel wide screen; mistakes are shown the GOV.UK way;
the language switch changes ``lang`` and ``dir``; and signing out ends copies of the session.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import axe_run

#: Demo accounts and the name the home page greets them by (engage/people/demo.py).
ROLES = {
    "peer": "Sam",
    "peer2": "Jordan",
    "manager": "Priya",
    "finance": "Mo",
    "board": "Helen",
    "partner": "Dev",
    "admin": "Alex",
}
MAX_PAGES_PER_ROLE = 40
HOME = re.compile(r"^https?://[^/]+/$")
LOGIN = re.compile(r"/login(\?.*)?$")


def _page_key(path: str) -> str:
    """Pages that differ only by a record number share one template: visit one of them."""
    return re.sub(r"/\d+(?=/|$)", "/<id>", path.rstrip("/") or "/")


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue  # another site, mailto:, tel: ...
        if parts.path.startswith("/static/") or parts.path.rstrip("/") == "/logout":
            continue
        found.append(parts._replace(fragment="").geturl())
    return found


def _axe_violations(page) -> list[str]:
    results = axe_run(page)
    found = []
    for violation in results["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        found.append(
            f"{violation['id']} ({violation['impact']}) at {urlsplit(page.url).path}: "
            f"{violation['help']} -> {targets}"
        )
    return found


def _crawl(page, origin: str, start: str, username: str | None) -> tuple[list[str], list[str]]:
    """Follow links breadth first from ``start`` and check each page with axe-core.

    Returns the paths visited and every problem found: axe violations, error answers, and a
    signed-in person being sent to the sign-in page.
    """
    seen: set[str] = set()
    queue = deque([origin + start])
    visited: list[str] = []
    problems: list[str] = []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        parts = urlsplit(url)
        key = _page_key(parts.path)
        if key in seen:
            continue  # one visit per page: ?page=2, or another person's record, look alike
        seen.add(key)
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a file to save (CSV, calendar ...), not a page
            raise
        visited.append(parts.path)
        if response is None or response.status >= 400:
            status = response.status if response else "no response"
            problems.append(f"{parts.path}: answered {status}")
            continue
        if username and LOGIN.search(page.url):
            problems.append(f"{parts.path}: sent a signed-in {username} to the sign-in page")
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        problems.extend(_axe_violations(page))
        queue.extend(_links(page, origin))
    return visited, problems


@pytest.mark.parametrize("username", list(ROLES))
def test_every_reachable_page_is_accessible(username, new_context, live_server, sign_in, sign_out):
    page = new_context().new_page()
    sign_in(page, username)
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == f"Hello, {ROLES[username]}"

    visited, problems = _crawl(page, live_server.url, "/", username)
    print(f"{username}: checked {len(visited)} page(s):", *visited)
    assert len(visited) > 1, f"{username} found no links to follow from the home page"
    assert not problems, (
        f"{len(problems)} problem(s) for {username} on {len(visited)} page(s):\n"
        + "\n".join(problems)
    )

    page.goto("/")
    sign_out(page)
    assert urlsplit(page.url).path == "/login"
    assert page.get_by_text("You have signed out.").is_visible()


def test_signed_out_pages_are_accessible(page, live_server):
    visited, problems = _crawl(page, live_server.url, "/login", None)
    print(f"signed out: checked {len(visited)} page(s):", *visited)
    assert "/password/forgot" in visited
    assert not problems, "\n".join(problems)


def test_pages_run_under_the_content_security_policy(new_context, sign_in, sign_out):
    """Our own pages, scripts and styles work with the real CSP: no console errors at all."""
    context = new_context()  # bypass_csp stays off
    page = context.new_page()
    messages: list[str] = []
    page.on(
        "console",
        lambda msg: (
            messages.append(f"{msg.type}: {msg.text} ({page.url})")
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error} ({page.url})"))

    page.goto("/login")
    _assert_scripts_ran(page)
    sign_in(page, "manager")
    for path in ("/", "/me", "/me/details", "/people", "/me/consent"):
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
        _assert_scripts_ran(page)

    # htmx works under the CSP: typing in the search swaps in results without a page load.
    page.goto("/people")
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: "/people?" in r.url and "q=Jordan" in r.url):
        page.get_by_label("Find by name or username").fill("Jordan")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Jordan")
    assert page.evaluate("window.__sameDocument") is True, "the search reloaded the page"

    # The same for an administrator's account search, which is sent when the form is submitted.
    sign_out(page)
    sign_in(page, "admin")
    page.goto("/admin")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Find by name, username or email").fill("peer2")
    with page.expect_response(lambda r: "/admin?" in r.url and "q=peer2" in r.url):
        page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Jordan")
    assert page.evaluate("window.__sameDocument") is True, "the search reloaded the page"
    assert not messages, "\n".join(messages)


def _assert_scripts_ran(page) -> None:
    """htmx loaded, and engage.mjs (GOV.UK Frontend) marked the body as ready."""
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    assert page.evaluate("typeof window.htmx") == "object"


def test_keyboard_only_profile_edit_at_320_pixels(new_context):
    context = new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    keyboard = page.keyboard

    page.goto("/login")
    page.focus("#login")
    keyboard.type("peer")
    keyboard.press("Tab")
    _assert_focused_label(page, "Password")
    keyboard.type("engage-demo")
    keyboard.press("Enter")
    page.wait_for_url(HOME)

    page.goto("/me")
    _tab_to(page, "Change Name")
    with page.expect_navigation():
        keyboard.press("Enter")
    assert urlsplit(page.url).path == "/me/details"

    _tab_to_field(page, "What would you like us to call you?")
    keyboard.press("Control+A")
    keyboard.type("Sammy")
    with page.expect_navigation():
        keyboard.press("Enter")
    assert urlsplit(page.url).path == "/me"
    banner = page.locator(".govuk-notification-banner--success")
    assert "Your changes have been saved." in banner.inner_text()
    name_row = page.locator(".govuk-summary-list__row", has_text="Name").first
    assert "Sammy" in name_row.locator(".govuk-summary-list__value").inner_text()

    for path in ("/", "/me", "/me/details"):
        page.goto(path)
        assert _page_width(page) <= 320, f"{path} scrolls sideways at 320px"
    # The collapsed menu opens from the keyboard and is accessible when open.
    page.goto("/")
    _tab_to(page, "Menu")
    keyboard.press("Enter")
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="My profile").is_visible()
    assert _axe_violations(page) == []

    # Put the name back for the other tests, and check the sign-in page when signed out.
    page.goto("/me/details")
    page.get_by_label("What would you like us to call you?").fill("Sam")
    page.get_by_role("button", name=re.compile("Save|Continue")).click()
    page.wait_for_url(re.compile(r"/me$"))
    anonymous = new_context(viewport={"width": 320, "height": 640}).new_page()
    anonymous.goto("/login")
    assert _page_width(anonymous) <= 320, "/login scrolls sideways at 320px"


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _focused_description(page) -> str:
    """The focused element's accessible name, roughly as a screen reader would give it."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el) return "";
            if (el.labels && el.labels.length) return el.labels[0].innerText.trim();
            const text = el.getAttribute('aria-label') || el.innerText || '';
            return text.replace(/\\s+/g, ' ').trim();
        }"""
    )


def _assert_focused_label(page, label: str) -> None:
    assert _focused_description(page) == label


def _tab_to(page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused link or button is called ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused_description(page) == name:
            return
    raise AssertionError(f"could not reach {name!r} with the Tab key")


def _tab_to_field(page, label: str, limit: int = 60) -> None:
    for _ in range(limit):
        if _focused_description(page) == label:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach the field {label!r} with the Tab key")


def test_a_mistake_is_shown_with_an_error_summary(new_context, sign_in):
    page = new_context().new_page()
    sign_in(page, "peer2")
    page.goto("/me/details")
    name = page.get_by_label("What would you like us to call you?")
    pronouns = page.get_by_label("Pronouns (optional)")
    name.fill("")
    pronouns.fill("she/they")
    page.get_by_role("button", name=re.compile("Save|Continue")).click()
    page.wait_for_load_state()

    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "There is a problem" in summary.inner_text()
    assert "Enter the name you would like us to use" in summary.inner_text()
    # GOV.UK Frontend moves focus to the summary so a screen reader announces it.
    assert page.evaluate(
        "document.activeElement && document.activeElement.closest('.govuk-error-summary') !== null"
    ), "focus should move to the error summary"
    # The summary's link takes you to the field with the mistake.
    link = summary.get_by_role("link", name="Enter the name you would like us to use")
    assert link.get_attribute("href") == "#preferred_name"
    # The message is also by the field, and what was typed elsewhere is kept.
    assert (
        "Enter the name you would like us to use"
        in page.locator(".govuk-error-message").first.inner_text()
    )
    assert page.get_by_label("Pronouns (optional)").input_value() == "she/they"
    assert _axe_violations(page) == []
    link.click()
    assert page.evaluate("document.activeElement.id") == "preferred_name"


def test_language_switch_sets_lang_and_direction(new_context, sign_in):
    page = new_context().new_page()
    sign_in(page, "board")
    page.goto("/me")
    html = page.locator("html")
    assert html.get_attribute("lang") == "en"
    assert html.get_attribute("dir") == "ltr"

    def choose(language: str) -> None:
        # The footer's label and button are translated too, so find them by id and class.
        page.locator("#language-locale").select_option(label=language)
        with page.expect_navigation():
            page.locator(".engage-language__button").click()

    # In English, as a person would find them: the "Language" select and its button.
    page.get_by_label("Language", exact=True).select_option(label="Polski")
    with page.expect_navigation():
        page.get_by_role("button", name="Change language").click()
    assert urlsplit(page.url).path == "/me", "the switch should keep you on the same page"
    assert html.get_attribute("lang") == "pl"
    assert html.get_attribute("dir") == "ltr"
    assert _axe_violations(page) == []

    choose("العربية")
    assert urlsplit(page.url).path == "/me"
    assert html.get_attribute("lang") == "ar"
    assert html.get_attribute("dir") == "rtl"
    assert _axe_violations(page) == []

    choose("English")
    assert html.get_attribute("lang") == "en"
    assert html.get_attribute("dir") == "ltr"


def test_signing_out_ends_copies_of_the_session(new_context, sign_in, sign_out):
    first = new_context()
    page_a = first.new_page()
    sign_in(page_a, "peer2")

    second = new_context()
    second.add_cookies(first.cookies())
    page_b = second.new_page()
    page_b.goto("/me")
    assert urlsplit(page_b.url).path == "/me"
    assert page_b.get_by_role("heading", level=1).inner_text() == "Your profile"

    sign_out(page_a)
    page_b.goto("/me")
    assert LOGIN.search(page_b.url), f"the copied session still works: {page_b.url}"

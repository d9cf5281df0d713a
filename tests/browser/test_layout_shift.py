"""Signed-in pages on a phone must not jump once they are drawn (Cumulative Layout Shift, the
Core Web Vitals measure: "good" is at most 0.1; we hold ourselves to 0.05).

The menu is the reason they used to: it is drawn open, then GOV.UK's script folds it behind
a "Menu" button. A one-line script at the top of the body now marks the page as able to run
GOV.UK's scripts before it is first drawn, so the menu is drawn folded from the start. Without
JavaScript nothing is folded: every link of the menu shows and works.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
LIMIT = 0.05

PAGES = {
    "peer": ["/", "/claims", "/claims/new", "/register", "/forums", "/me", "/me/payments"],
    "manager": ["/", "/claims", "/payments/time", "/register", "/people", "/forums"],
    "finance": ["/", "/payments", "/payments/runs", "/claims"],
    "board": ["/", "/register", "/boards"],
    "partner": ["/", "/requests", "/register"],
    "admin": ["/", "/admin", "/admin/audit"],
}

# Every shift since the page began to load (buffered), except those right after a person's
# own input, which do not count in CLS. The sum is never less than CLS's largest window.
LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  const sources = [];  // what moved
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      total += entry.value;
      for (const source of entry.sources) sources.push(source.node && source.node.className);
    }
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve({total, sources}), 300);
})"""


@pytest.mark.parametrize("role", list(PAGES))
def test_signed_in_pages_do_not_jump_on_a_phone(new_context, sign_in, role):
    page = new_context(viewport=PHONE).new_page()
    checks = PageChecks(page)  # also catches a script the Content-Security-Policy refuses
    sign_in(page, role)
    shifts = {}
    for path in PAGES[role]:
        response = page.goto(path)
        assert response.ok, f"{role} {path}: {response.status}"
        page.wait_for_load_state("load")
        shifts[path] = page.evaluate(LAYOUT_SHIFT)
    print(role, {path: round(s["total"], 4) for path, s in shifts.items()})
    jumps = {path: s for path, s in shifts.items() if s["total"] >= LIMIT}
    assert not jumps, f"{role}: layout shift of {LIMIT} or more on {jumps}"

    # The folded menu still opens, and its links work.
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    menu = page.get_by_role("navigation", name="Menu")
    menu.get_by_role("link", name="Home", exact=True).click()
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
    checks.assert_clean()


@pytest.mark.parametrize("role", ["peer", "manager"])
def test_without_javascript_the_whole_menu_shows_and_works(new_context, sign_in, role):
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    sign_in(page, role)
    menu = page.get_by_role("navigation", name="Menu")
    links = menu.get_by_role("link")
    assert links.count() >= 5
    for link in links.all():
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link.inner_text()
    expect(page.locator(".govuk-service-navigation__toggle")).to_be_hidden()
    expect(menu.get_by_role("button", name="Sign out")).to_be_visible()
    menu.get_by_role("link", name="Register", exact=True).click()
    page.wait_for_url(re.compile(r"/register$"))
    expect(page.locator('[aria-current="page"]')).to_have_text("Register")


def test_if_our_script_fails_to_load_the_whole_menu_shows(new_context, sign_in):
    """The menu is drawn folded only while GOV.UK's script is expected: a script that never
    arrives (a bad connection, a filtering proxy) must not leave the menu shut for good."""
    context = new_context(viewport=PHONE)
    context.route(re.compile(r"/static/js/engage\.[0-9a-f]{12}\.mjs"), lambda route: route.abort())
    page = context.new_page()
    sign_in(page, "peer")
    menu = page.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Expenses", exact=True)).to_be_visible()
    menu.get_by_role("link", name="Expenses", exact=True).click()
    page.wait_for_url(re.compile(r"/claims"))

"""Arabic reads right to left: GOV.UK Frontend draws its arrows, borders and columns for left
to right, so engage.css mirrors them. Each check runs in English and in Arabic on a real page
and expects the mirror image, so a rule that breaks English fails here too.

The components the site uses are put on the page as the templates write them (a "gallery"
added to the claim form's page), so every one is checked whatever the demo data holds.
"""

from __future__ import annotations

import pytest

from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1000, "height": 900}
PHONE = {"width": 360, "height": 740}

GALLERY = """
<div id="gallery">
  <a href="#" class="govuk-back-link">Back</a>
  <div class="govuk-inset-text">Inset</div>
  <details class="govuk-details"><summary class="govuk-details__summary">
    <span class="govuk-details__summary-text">Closed</span></summary>
    <div class="govuk-details__text">Text</div></details>
  <div class="govuk-warning-text"><span class="govuk-warning-text__icon">!</span>
    <strong class="govuk-warning-text__text">Warning</strong></div>
  <nav class="govuk-pagination" aria-label="Pages">
    <div class="govuk-pagination__prev"><a class="govuk-link govuk-pagination__link" href="#">
      <span class="govuk-pagination__link-title">Previous</span></a></div>
    <p class="govuk-body engage-pagination__status">Page 2 of 3</p>
    <div class="govuk-pagination__next"><a class="govuk-link govuk-pagination__link" href="#">
      <span class="govuk-pagination__link-title">Next</span></a></div>
  </nav>
  <table class="govuk-table"><tr class="govuk-table__row">
    <th class="govuk-table__header">Month</th><th class="govuk-table__header">Paid</th></tr>
    <tr class="govuk-table__row">
    <td class="govuk-table__cell">May</td><td class="govuk-table__cell">1</td></tr></table>
  <dl class="govuk-summary-list"><div class="govuk-summary-list__row">
    <dt class="govuk-summary-list__key">Key</dt><dd class="govuk-summary-list__value">Value</dd>
    <dd class="govuk-summary-list__actions"><a class="govuk-link" href="#">Change</a></dd>
  </div></dl>
  <div class="govuk-form-group govuk-form-group--error">
    <p class="govuk-error-message">Error</p></div>
</div>
"""

# Computed styles and where things are drawn, measured in the page in one go. side() gives
# a property on both sides: {left: ..., right: ...}.
MEASURE = """() => {
  const q = s => document.querySelector(s);
  const css = (s, pseudo) => getComputedStyle(q(s), pseudo || null);
  const box = s => q(s).getBoundingClientRect();
  const side = (s, prop, pseudo) => {
    const c = css(s, pseudo);
    const name = side => prop.replace('*', side).replace(/^[LR]/, x => x.toLowerCase());
    return {left: c[name('Left')], right: c[name('Right')]};
  };
  const g = '#gallery ', summary = g + '.govuk-details__summary';
  const chevron = css(g + '.govuk-back-link', '::before'), m = new DOMMatrix(chevron.transform);
  const warning = box(g + '.govuk-warning-text'), icon = box(g + '.govuk-warning-text__icon');
  const row = box('main .govuk-grid-row'), column = box('main .govuk-grid-column-two-thirds');
  const prefix = box('main .govuk-input__prefix'), amount = box('main #amount');
  const items = [...document.querySelectorAll('.govuk-service-navigation__item')]
    .map(e => e.getBoundingClientRect());
  return {
    back: {padding: side(g + '.govuk-back-link', 'padding*'),
           at: {left: chevron.left, right: chevron.right},
           angle: Math.round(Math.atan2(m.b, m.a) * 180 / Math.PI)},
    inset: side(g + '.govuk-inset-text', 'border*Width'),
    error: side(g + '.govuk-form-group--error', 'border*Width'),
    summary: {padding: side(summary, 'padding*'), at: side(summary, '*', '::before'),
              clip: css(summary, '::before').clipPath},
    detailsText: side(g + '.govuk-details__text', 'border*Width'),
    warning: {icon: {left: icon.left - warning.left, right: warning.right - icon.right},
              padding: side(g + '.govuk-warning-text__text', 'padding*')},
    prev: {padding: side(g + '.govuk-pagination__prev', 'padding*'),
           x: box(g + '.govuk-pagination__prev').left - box(g + '.govuk-pagination__next').left},
    table: {align: css(g + '.govuk-table__header').textAlign,
            padding: side(g + '.govuk-table__cell', 'padding*')},
    keyPadding: side(g + '.govuk-summary-list__key', 'padding*'),
    column: {left: column.left - row.left, right: row.right - column.right},
    prefix: {x: prefix.left - amount.left,
             border: side('main .govuk-input__prefix', 'border*Width')},
    menuGaps: items.slice(1).map((b, i) => [items[i], b]).filter(([a, b]) => a.top === b.top)
      .map(([a, b]) => Math.round(Math.max(b.left - a.right, a.left - b.right))),
  };
}"""


def _px(value: str) -> float:
    return float(value.removesuffix("px"))


def _arabic_or_english(new_context, sign_in, locale: str, viewport: dict):
    """A peer's page in ``locale``: the demo peer has not chosen a language, so the browser's
    decides (nothing is saved that other tests would see)."""
    page = new_context(locale=locale, viewport=viewport).new_page()
    sign_in(page, "peer")
    assert page.locator("html").get_attribute("dir") == ("rtl" if locale == "ar" else "ltr")
    return page


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_arrows_borders_and_columns_start_where_the_language_starts(new_context, sign_in, locale):
    rtl = locale == "ar"
    start, end = ("right", "left") if rtl else ("left", "right")
    page = _arabic_or_english(new_context, sign_in, locale, DESKTOP)
    checks = PageChecks(page)
    page.goto("/claims/new")
    checks.check(f"claim form in {locale}")
    checks.assert_clean()
    page.locator("main").evaluate(
        "(main, html) => main.insertAdjacentHTML('afterbegin', html)", GALLERY
    )
    got = page.evaluate(MEASURE)

    # Back link: the chevron is before the words and points back (left in English, right in
    # Arabic).
    back = got["back"]
    assert _px(back["padding"][start]) > 10 and back["padding"][end] == "0px", back
    assert _px(back["at"][start]) < 5 < _px(back["at"][end]), back
    assert back["angle"] == (45 if rtl else -135), back

    assert got["inset"] == {start: "10px", end: "0px"}, got["inset"]
    assert got["error"] == {start: "5px", end: "0px"}, got["error"]

    # Details: the triangle is before the words and points the way the words run.
    summary = got["summary"]
    assert summary["padding"] == {start: "25px", end: "0px"}, summary
    assert summary["at"][start] == "0px" and _px(summary["at"][end]) > 50, summary
    if rtl:
        assert summary["clip"] == "polygon(100% 0px, 0px 50%, 100% 100%)", summary
    else:
        assert summary["clip"] == "polygon(0px 0px, 100% 50%, 0px 100%)", summary
    assert got["detailsText"] == {start: "5px", end: "0px"}, got["detailsText"]

    warning = got["warning"]
    assert warning["icon"][start] == 0 and warning["icon"][end] > 100, warning
    assert warning["padding"] == {start: "45px", end: "0px"}, warning

    prev = got["prev"]
    assert prev["padding"][start] == "0px", prev
    assert (prev["x"] > 0) == rtl, prev  # "Previous" comes first in reading order

    table = got["table"]
    assert table["align"] in ("start", start), table
    assert table["padding"] == {start: "0px", end: "20px"}, table
    assert got["keyPadding"][end] == "20px" and got["keyPadding"][start] == "0px", got

    # The two-thirds column starts where a line starts; the £ comes before the amount box.
    column = got["column"]
    assert column[start] < 20 < column[end], column
    prefix = got["prefix"]
    assert (prefix["x"] > 0) == rtl, prefix
    assert prefix["border"] == {start: "2px", end: "0px"}, prefix

    # Every item in the menu stands apart from the next.
    assert got["menuGaps"] and min(got["menuGaps"]) >= 20, got["menuGaps"]


@pytest.mark.parametrize("locale", ["en-GB", "ar"])
def test_the_menu_button_arrow_follows_its_word_on_a_phone(new_context, sign_in, locale):
    page = _arabic_or_english(new_context, sign_in, locale, PHONE)
    margins = page.locator(".govuk-service-navigation__toggle").evaluate(
        "e => { const s = getComputedStyle(e, '::after');"
        " return {left: s.marginLeft, right: s.marginRight}; }"
    )
    after = "right" if locale == "ar" else "left"
    assert margins[after] == "5px", margins


def test_money_reads_right_to_left_in_arabic(new_context, sign_in):
    """In an Arabic sentence the pound sign is drawn to the left of the amount (read after
    it, as Arabic says it), and the digits keep their order."""
    page = _arabic_or_english(new_context, sign_in, "ar", DESKTOP)
    page.goto("/me/payments")
    where = page.evaluate(
        """() => {
          const walker = document.createTreeWalker(
            document.querySelector('main'), NodeFilter.SHOW_TEXT);
          for (let node; (node = walker.nextNode());) {
            const at = node.data.indexOf('\\u2067');
            if (at < 0) continue;
            const text = node.data.slice(at + 1, node.data.indexOf('\\u2069', at));
            const x = i => { const r = document.createRange(); r.setStart(node, at + 1 + i);
              r.setEnd(node, at + 2 + i); return r.getBoundingClientRect().left; };
            const digits = [...text].map((c, i) => /[0-9]/.test(c) ? i : -1).filter(i => i >= 0);
            return {text, pound: x(text.indexOf('\\u00a3')), digits: digits.map(x)};
          }
          return null;
        }"""
    )
    assert where is not None, "no amount of money found on /me/payments"
    assert where["pound"] < min(where["digits"]), where
    assert where["digits"] == sorted(where["digits"]), where  # 174.50, not 05.471

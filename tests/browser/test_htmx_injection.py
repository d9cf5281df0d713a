"""htmx in a real browser never acts on ``hx-*`` attributes people typed (issue 13).

A peer types an htmx element into a register item. Were it live, htmx would fetch the
injected address as soon as the item's page loads; the page is watched for that request.
"""

from __future__ import annotations

import re
import secrets

import pytest

pytestmark = pytest.mark.browser


def test_injected_hx_attributes_make_no_request(new_context, sign_in):
    token = secrets.token_hex(4)
    probe = f"/admin/audit?person=injected-{token}"
    injected = f'<div hx-get="{probe}" hx-trigger="load" hx-target="body">{token}</div>'
    page = new_context().new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    sign_in(page, "peer")
    config = page.evaluate(
        "() => [htmx.config.allowEval, htmx.config.selfRequestsOnly, htmx.config.historyCacheSize]"
    )
    assert config == [False, True, 0]

    page.goto("/register/new")
    page.get_by_label("In a few words, what got in your way?").fill(f"Locked {token} {injected}")
    page.get_by_label("What happened?").fill(f"It was locked. {injected}")
    page.get_by_label("Which service or organisation was it?").select_option(label="Jobcentre Plus")
    page.get_by_role("group", name="What is it about?").get_by_label("Something else").check()
    page.get_by_label("No, keep my name private").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/register/\d+/raised$"))
    number = page.locator(".govuk-panel__body strong").inner_text().strip()

    for path in (f"/register/{number}", "/register"):
        page.goto(path)
        # Loaded, then half a second without a request: a live element's "load" trigger
        # fetches as the page loads (the control below), so it would have been seen.
        page.wait_for_load_state("networkidle")
        # The typed element is shown as text, and no element carries the typed attribute.
        assert page.get_by_text(injected).first.is_visible()
        assert page.locator(f'[hx-get*="{token}"]').count() == 0
    assert not [url for url in requested if token in url and "/register" not in url], requested

    # The control: the same element made live by the page's own code is fetched at once, so
    # the watch above would have seen it.
    with page.expect_request(lambda request: f"injected-{token}" in request.url):
        page.evaluate(
            """(html) => {
                const holder = document.createElement("div");
                holder.innerHTML = html;
                document.querySelector("main").append(holder);
                htmx.process(holder);
            }""",
            injected.replace('hx-target="body"', ""),
        )

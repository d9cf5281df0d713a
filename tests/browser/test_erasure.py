"""Erasure in a real browser: an admin opens a person's account, chooses to erase them,
confirms it is them, gives a reason and types the username, and the account becomes
"A former member". Each page on the way is checked with axe-core; the retention page too."""

from __future__ import annotations

import re
import secrets

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

_axe = Axe()


def _violations(page) -> list[str]:
    page.wait_for_load_state()
    return [f"{v['id']} at {page.url}: {v['help']}" for v in _axe.run(page).response["violations"]]


def _new_peer(live_server) -> tuple[int, str]:
    """A peer of this test's own, so the demo's people stay as other tests expect them."""
    from engage.extensions import db
    from engage.people import services
    from engage.people.models import Role

    username = f"leaving{secrets.token_hex(3)}"
    with live_server.app.app_context():
        user = services.create_account(
            actor=None,
            username=username,
            roles={Role.PEER},
            preferred_name="Leaving Person",
            email=f"{username}@example.org",
        )
        db.session.commit()
        return user.id, username


def test_an_admin_erases_a_person(page, live_server, sign_in):
    person_id, username = _new_peer(live_server)
    problems: list[str] = []
    sign_in(page, "admin")
    page.goto(f"/admin/users/{person_id}")
    page.get_by_role("link", name="Erase this person").click()
    # Confirm it is you first, then back to the erase page.
    page.wait_for_url(re.compile(r"/confirm-it-is-you"))
    problems += _violations(page)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(rf"/people/{person_id}/erase$"))
    expect(page.get_by_role("heading", name="What will be removed")).to_be_visible()
    expect(page.get_by_role("heading", name="What will be kept, and why")).to_be_visible()
    problems += _violations(page)
    # A mistake is shown the GOV.UK way, and checked too.
    page.get_by_label("Why are you erasing this person?").fill("They asked us to forget them")
    page.get_by_label("Type their username to confirm").fill("someone else")
    page.get_by_role("button", name="Erase this person").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    problems += _violations(page)
    page.get_by_label("Type their username to confirm").fill(username)
    page.get_by_role("button", name="Erase this person").click()
    page.wait_for_url(re.compile(rf"/admin/users/{person_id}$"))
    expect(page.get_by_text("The person has been erased")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("A former member")
    problems += _violations(page)
    page.goto("/admin/retention")
    expect(page.get_by_role("heading", name="How long we keep records")).to_be_visible()
    problems += _violations(page)
    assert problems == []

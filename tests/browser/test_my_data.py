"""Download my data in a real browser, on a 320 px phone: the demo peer finds the page from
his profile, confirms it is him, prepares his download and saves the ZIP; the link then says
kindly that it has been used. Every page is checked with axe-core and for console and
Content-Security-Policy errors, and none scrolls sideways."""

from __future__ import annotations

import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_register import PageChecks

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways at 320 px ({width}px wide)"


def test_a_peer_downloads_his_data_on_a_small_phone(new_context, sign_in):
    phone = new_context(viewport=PHONE, accept_downloads=True).new_page()
    checks = PageChecks(phone)
    sign_in(phone, "peer")
    phone.goto("/me")
    phone.get_by_role("link", name=re.compile(r"^Download your data")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Download your data")
    checks.check("my data")
    _fits(phone)
    phone.get_by_role("button", name="Prepare my download").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    phone.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Download your data")
    phone.get_by_role("button", name="Prepare my download").click()
    expect(phone.get_by_role("heading", name="Your download is ready")).to_be_visible()
    checks.check("my data, ready")
    _fits(phone)
    link = phone.get_by_role("link", name="Download my data (ZIP file)")
    with phone.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.value.path()) as archive:
        names = archive.namelist()
        assert "README.txt" in names and "profile.csv" in names
        assert "Information Commissioner" in archive.read("README.txt").decode("utf-8-sig")
    # Pressed again (did it work?): the page says why, rather than the browser saving it.
    link.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link has been used")
    checks.check("link used")
    _fits(phone)
    phone.get_by_role("link", name="Make a new download link").click()
    expect(phone.get_by_role("button", name="Prepare my download")).to_be_visible()
    # The used link answers 410 Gone on purpose (as used sign-in links do), which Chromium
    # logs; any other console error still fails.
    checks.console = [m for m in checks.console if "status of 410" not in m]
    checks.assert_clean()

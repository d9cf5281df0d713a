"""Browser tests: a real engage server and a real (Debian) Chromium driven by Playwright.

The server is ``engage serve`` (gunicorn, as production runs it), started once for the whole run
with the demo partnership in it. By default it uses a throwaway SQLite file; with
``ENGAGE_TEST_DATABASE_URL`` set it makes (and afterwards drops) a sibling PostgreSQL database,
leaving the unit tests' database alone.

Chromium comes from the system (``/usr/bin/chromium``), never from ``playwright install``.
Without it the suite is skipped locally, and fails under CI (``CI`` set).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

CHROMIUM = os.environ.get("ENGAGE_TEST_CHROMIUM", "/usr/bin/chromium")
MISSING_CHROMIUM = (
    f"Browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium "
    "(never `playwright install`)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
DEMO_PASSWORD = "engage-demo"  # noqa: S105  (the demo database's password)
#: How long an action, a navigation or an ``expect`` waits. Generous: the suite shares small
#: machines, and a wait ends as soon as what it waits for is there, so passing tests take no
#: longer (``expect`` would give up after 5 s; a photo sent without JavaScript can take more).
ACTION_TIMEOUT_MS = 20_000
HERE = Path(__file__).parent


def partnership_today() -> date:
    """Today where the live server's partnership is (its clock is real, not pinned): in the
    first hour after midnight in summer the machine's UTC date is still yesterday. Journeys
    pick days relative to it, far from any edge (days ahead, days back)."""
    return datetime.now(ZoneInfo("Europe/London")).date()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: end-to-end tests in a real Chromium (tests/browser)"
    )


def pytest_collection_modifyitems(config, items):
    # Skipped at collection with a reason, so the summary (-rfEs in pyproject.toml) says in one
    # line per file why they did not run; under CI the fixture below fails them instead.
    skip = None
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        skip = pytest.mark.skip(reason=MISSING_CHROMIUM)
    for item in items:
        if item.path.resolve().is_relative_to(HERE.resolve()):
            item.add_marker(pytest.mark.browser)
            if skip is not None:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _rollback():
    """Replace tests/conftest.py's autouse fixture of this name, which swaps ``db.session``
    for one bound to the unit tests' database. The live server must use its own database, and
    its requests really commit (each test here starts from what earlier ones left)."""
    yield


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    """Replace tests/conftest.py's autouse fixture of this name: the live server and its demo
    hash passwords as production does."""
    yield


# --- the live server ---------------------------------------------------------------------


class LiveServer:
    """``engage serve`` (gunicorn, as production runs it) on the demo partnership, and an app
    on the same database for the few checks made from outside."""

    def __init__(self, app, server):
        self.app = app
        self.server = server
        self.url = server.url

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from flask_migrate import upgrade

    from engage import create_app, demo
    from engage.extensions import db
    from tests.servers import Server, engage_env, scratch_database

    instance = tmp_path_factory.mktemp("browser-instance")
    with scratch_database(instance, "test_browser") as url:
        app = create_app(
            {
                "INSTANCE_PATH": str(instance),
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "browser-tests-" + "x" * 40,
            }
        )
        with app.app_context():
            upgrade()
            demo.seed(extra_peers=5)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        server = Server(
            engage_env(instance, url, ENGAGE_EMAIL_SENDER="log", ENGAGE_TEXT_SENDER="log"),
            "serve",
            instance / "server.log",
            "--workers",
            "2",
            "--threads",
            "4",
        )
        try:
            yield LiveServer(app, server)
            assert server.server_errors() == [], server.output()
        finally:
            server.stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


# --- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    from playwright.sync_api import expect

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Make browser contexts that are closed after the test: ``new_context(**options)``."""
    made = []

    def make(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "en-GB")
        context = browser.new_context(**options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


# --- helpers -----------------------------------------------------------------------------

HOME = re.compile(r"^https?://[^/]+/$")


def do_sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real form at /login and wait for the home page."""
    page.goto("/login")
    page.get_by_label("Email address or username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(HOME)


def do_sign_out(page) -> None:
    """Press "Sign out" in the menu (opening the menu first on a narrow screen)."""
    toggle = page.locator(".govuk-service-navigation__toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login(\?.*)?$"))


@dataclass
class StoredSignIn:
    """The cookies (Playwright's ``storage_state``) of one sign-in through the form, and the
    server's row for that signed-in session."""

    cookies: list[dict]
    session_id: int


def _newest_session_id(live_server: LiveServer, username: str) -> int:
    from engage.extensions import db
    from engage.people.models import User, UserSession

    with live_server.app.app_context():
        try:
            return db.session.scalar(
                db.select(db.func.max(UserSession.id))
                .join(User, User.id == UserSession.user_id)
                .where(User.username == username)
            )
        finally:
            db.session.remove()


def _sessions_still_plain(live_server: LiveServer, ids: list[int]) -> set[int]:
    """Of the session rows ``ids``, those still signed in and never confirmed again (the
    password typed again at /confirm-it-is-you is kept on the session's row)."""
    from engage.extensions import db
    from engage.people.models import UserSession

    with live_server.app.app_context():
        try:
            return set(
                db.session.scalars(
                    db.select(UserSession.id).where(
                        UserSession.id.in_(ids),
                        UserSession.revoked_at.is_(None),
                        UserSession.confirmed_at.is_(None),
                    )
                )
            )
        finally:
            db.session.remove()


@pytest.fixture(scope="session")
def stored_sign_ins() -> dict[tuple[str, str], StoredSignIn]:
    """(username, password) -> a sign-in made through the form by an earlier test."""
    return {}


@pytest.fixture
def sign_in(live_server, stored_sign_ins):
    """``sign_in(page, username)``: signed in, on the home page.

    Signing in through the form (its argon2 check is slow on purpose) is done once per person
    for the run: later tests start from the cookies it left (Playwright's ``storage_state``),
    each in its own browser context. Tests about signing in itself use the form (they call
    :func:`do_sign_in` or type into it). A session is used by one context of one test at a
    time: a second sign-in of the same person in a test goes through the form, and a session
    that was signed out, ended, or confirmed again at /confirm-it-is-you is never reused (the
    confirmation belongs to that session, and would let a later test skip it)."""
    used: dict[tuple[str, str], int] = {}

    def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
        key = (username, password)
        stored = stored_sign_ins.get(key)
        if stored is not None and key not in used:
            page.context.add_cookies(stored.cookies)
            page.goto("/")
            if HOME.match(page.url):
                used[key] = stored.session_id
                return
            # Ended since (a password changed, an account paused): sign in afresh.
            page.context.clear_cookies()
            del stored_sign_ins[key]
        do_sign_in(page, username, password)
        if key not in used:
            session_id = _newest_session_id(live_server, username)
            stored_sign_ins[key] = StoredSignIn(page.context.cookies(live_server.url), session_id)
            used[key] = session_id

    yield sign_in
    if used:
        plain = _sessions_still_plain(live_server, list(used.values()))
        for key, session_id in used.items():
            stored = stored_sign_ins.get(key)
            if stored is not None and stored.session_id == session_id and session_id not in plain:
                del stored_sign_ins[key]


@pytest.fixture
def sign_out():
    """``sign_out(page)``: press "Sign out" and wait for /login."""
    return do_sign_out


# --- accessibility -------------------------------------------------------------------------

_AXE_OPTIONS = {"resultTypes": ["violations"]}


def axe_run(page) -> dict:
    """axe-core's results for ``page`` as it is now. axe (570 kB) is put into each document
    once, however many times it is checked (after htmx swaps, say)."""
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("() => typeof window.axe === 'object' && !!window.axe.run"):
        page.evaluate(AXE_SCRIPT)
    return page.evaluate("options => axe.run(document, options)", _AXE_OPTIONS)

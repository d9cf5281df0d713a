"""Languages: the catalogues are sound, pages come out in the chosen language and direction,
the choice is remembered, and dates and plurals follow the locale."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale

from engage.extensions import db
from engage.people.models import Role, User
from tests.conftest import post, sign_in

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
EXPECTED_PLURALS = {"pl": 3, "ar": 6}

#: %(name)s style placeholders, with their conversion (``d``, ``s``...), and ``%%``.
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])|%%")

#: Pages on the main peer journey: every string on them must be translated in every locale.
PEER_JOURNEY = [
    "templates/base.html",
    "templates/macros/ui.html",
    "templates/home/index.html",
    "templates/changes/new.html",
    "templates/changes/raised.html",
    "templates/changes/item.html",
    "templates/changes/support.html",
    "templates/changes/you_said_we_did.html",
    "templates/changes/register.html",
    "templates/fund/new.html",
    "templates/fund/request.html",
    "templates/fund/requests.html",
    "templates/fund/_macros.html",
    "templates/fund/follow_up.html",
    "engage/fund/forms.py",
    "engage/fund/models.py",
    # Its refusals and messages reach peers, and so do the flash messages.
    "engage/fund/services.py",
    "engage/fund/routes.py",
    "templates/people/_section_header.html",
    "templates/people/login.html",
    "templates/people/login_code.html",
    "templates/people/forgot.html",
    "templates/people/forgot_sent.html",
    "templates/people/link_expired.html",
    "templates/people/new_password.html",
    "templates/people/profile.html",
    "templates/people/form_page.html",
    "templates/people/consent.html",
    "templates/people/equality.html",
    "templates/people/pause.html",
    "templates/people/change_password.html",
    "templates/people/two_factor_setup.html",
    "templates/people/two_factor_on.html",
    "templates/people/confirm_it_is_you.html",
    "templates/people/my_data.html",
    "templates/people/my_data_link.html",
    "engage/people/reauth.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates" / "errors").glob("*.html")),
    "engage/core/forms.py",
    "engage/people/forms.py",
    *sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "templates" / "payments" / "claims").glob("*.html")
    ),
    *sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "templates" / "payments" / "earnings").glob("*.html")
    ),
    "engage/payments/models.py",
    "engage/payments/claims/forms.py",
    "engage/payments/my_payments/forms.py",
    "engage/payments/filters.py",
    "engage/payments/claims/services.py",
    "engage/payments/claims/receipts.py",
    # Answering a survey, from the invitation to the thank-you page.
    *(
        f"templates/surveys/{name}.html"
        for name in (
            "index",
            "start",
            "question",
            "check",
            "done",
            "saved",
            "answered",
            "not_open",
            "link_not_working",
        )
    ),
    # Applying for a peer role at /join, and what applicants are sent.
    "templates/mentoring/join.html",
    "templates/mentoring/join_thanks.html",
    "engage/mentoring/join_forms.py",
    "engage/mentoring/join_routes.py",
    "engage/mentoring/letters.py",
    # Their own progression passport.
    "templates/mentoring/passport.html",
    # A peer's own training page (/training) and what its sessions are called.
    "templates/mentoring/training.html",
    "templates/mentoring/_training_macros.html",
    "engage/surveys/definitions.py",
    "engage/surveys/forms.py",
    "engage/surveys/services.py",
    "engage/surveys/models.py",
    "engage/core/suppression.py",
    "engage/core/charts.py",
    # The public "You said, we did" page: its figures' labels, "how this is counted", details
    # and table headings come from each domain's dashboard section and the shared helpers.
    "templates/dashboard/_sections.html",
    "engage/dashboard/formatting.py",
    "engage/forums/measures.py",
    "engage/payments/measures.py",
    "engage/mentoring/measures.py",
    "engage/surveys/measures.py",
    "engage/changes/dashboard.py",
]


def _placeholders(text: str) -> set[tuple[str, str]]:
    return {match.groups() for match in PLACEHOLDER.finditer(text) if match.group(1)}


def _stray_percent(text: str) -> bool:
    """A ``%`` that is not a placeholder or ``%%`` breaks Jinja's newstyle gettext."""
    return "%" in PLACEHOLDER.sub("", text)


def _placeholders_kept(message) -> bool:
    """Same named placeholders as the source, and no stray ``%``."""
    if not isinstance(message.id, (list, tuple)):
        return _placeholders(message.string) == _placeholders(message.id) and (
            _stray_percent(message.id) or not _stray_percent(message.string)
        )
    wanted = _placeholders(message.id[0]) | _placeholders(message.id[1])
    # A plural form may leave out the count ("one message", the Arabic dual), nothing else.
    needed = {p for p in wanted if p[0] != "num"}
    return all(
        form and needed <= _placeholders(form) <= wanted and not _stray_percent(form)
        for form in message.string
    )


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def _load(po_path: Path):
    with po_path.open("rb") as po_file:
        return read_po(po_file, locale=po_path.parent.parent.name)


def test_there_are_catalogues_for_polish_and_arabic():
    assert {p.parent.parent.name for p in CATALOGUES} >= {"pl", "ar"}


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_catalogue_compiles_and_keeps_placeholders(po_path: Path):
    catalogue = _load(po_path)
    locale = po_path.parent.parent.name
    if locale in EXPECTED_PLURALS:
        assert catalogue.num_plurals == EXPECTED_PLURALS[locale]

    # Babel's own checks (python-format compatibility, plural count), then compile.
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalogue.check()]
    assert not errors, errors
    write_mo(BytesIO(), catalogue, use_fuzzy=False)

    problems = [
        (message.id, message.string)
        for message in catalogue
        if message.id and any(_forms(message)) and not _placeholders_kept(message)
    ]
    assert not problems, problems


def _journey_messages() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = set()
    for name in PEER_JOURNEY:
        method = "python" if name.endswith(".py") else "jinja2"
        for _lineno, message, _comments, _context in extract_from_file(
            method, str(ROOT / name), keywords=keywords
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("locale", ["pl", "ar"])
def test_peer_journey_is_fully_translated(locale: str):
    messages = _journey_messages()
    assert "Sign in" in messages  # the extractor found the templates
    catalogue = _load(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
    untranslated = sorted(
        m for m in messages if not (catalogue.get(m) and all(_forms(catalogue.get(m))))
    )
    assert not untranslated, (
        f"Untranslated in {locale} (run `engage translations extract`, then translate): "
        f"{untranslated}"
    )


def test_sign_in_page_in_polish(client):
    page = client.get("/login", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'lang="pl"' in html
    assert 'dir="ltr"' in html
    assert '<h1 class="govuk-heading-l">Zaloguj się</h1>' in html
    assert "Nie pamiętam hasła" in html
    assert "Adres e-mail lub nazwa użytkownika" in html  # form labels are translated too


def test_sign_in_page_in_arabic_is_right_to_left(client):
    page = client.get("/login", headers={"Accept-Language": "ar"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'lang="ar"' in html
    assert 'dir="rtl"' in html
    assert "تسجيل الدخول" in html
    assert "نسيت كلمة المرور" in html


def test_english_is_the_default(client):
    html = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert 'lang="en"' in html
    assert 'dir="ltr"' in html
    assert ">Sign in</h1>" in html


def test_form_errors_are_translated(client):
    # An English browser that chose Polish in the footer.
    post(client, "/language", {"locale": "pl", "next": "/login"}, form_url="/login")
    html = post(client, "/login", {"login": "", "password": ""}).get_data(as_text=True)
    assert "Wpisz adres e-mail lub nazwę użytkownika" in html
    assert "Wystąpił problem" in html


def test_language_choice_is_saved_for_a_signed_in_person(app, client, make_user):
    user = make_user("ola", roles={Role.PEER}, preferred_name="Ola")
    assert sign_in(client, "ola").status_code == 303

    response = post(client, "/language", {"locale": "pl", "next": "/"}, form_url="/")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/")

    with app.app_context():
        assert db.session.get(User, user.id).locale == "pl"

    html = client.get("/").get_data(as_text=True)
    assert 'lang="pl"' in html
    assert "Witaj, Ola" in html
    assert "Mój profil" in html
    assert "Wyloguj się" in html

    # The choice follows the person to another browser, whatever that browser asks for.
    other = app.test_client()
    assert sign_in(other, "ola").status_code == 303
    html = other.get("/me", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="pl"' in html
    assert "Twój profil" in html


def test_language_choice_without_an_account_lasts_for_this_browser(client):
    response = post(client, "/language", {"locale": "ar", "next": "/login"}, form_url="/login")
    assert response.status_code == 303
    html = client.get("/login", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert 'lang="ar"' in html
    assert 'dir="rtl"' in html


def test_unknown_language_is_refused(app, client, make_user):
    user = make_user("kim")
    sign_in(client, "kim")
    post(client, "/language", {"locale": "xx", "next": "/"}, form_url="/")
    with app.app_context():
        assert db.session.get(User, user.id).locale is None


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "March 5, 2026"), ("pl", "5 marca 2026"), ("ar", "مارس")],
)
def test_dates_follow_the_locale(app, locale: str, expected: str):
    with app.test_request_context(), force_locale(locale):
        text = render_template_string("{{ value|dateformat('long') }}", value=date(2026, 3, 5))
    assert expected in text


def test_english_pages_write_dates_the_british_way(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        text = render_template_string("{{ value|dateformat('long') }}", value=date(2026, 3, 5))
        html_lang = render_template_string("{{ current_locale }}")
    assert text == "5 March 2026"
    assert html_lang == "en"


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("pl", 1, "1 osoba z doświadczeniem"),
        ("pl", 3, "3 osoby z doświadczeniem"),
        ("pl", 5, "5 osób z doświadczeniem"),
        ("pl", 22, "22 osoby z doświadczeniem"),
        ("ar", 1, "خبير واحد بالتجربة"),
        ("ar", 2, "خبيران بالتجربة"),
        ("ar", 3, "3 خبراء بالتجربة"),
        ("ar", 11, "11 خبيرًا بالتجربة"),
        ("ar", 100, "100 خبير بالتجربة"),
    ],
)
def test_plurals_follow_the_locale(app, locale: str, count: int, expected: str):
    with app.test_request_context(), force_locale(locale):
        text = render_template_string(
            '{{ ngettext("%(num)d peer", "%(num)d peers", count) }}', count=count
        )
    assert text == expected

"""Languages: which one a person sees, and compiling the translation catalogues.

English is the source language; Polish and Arabic (right to left) are wired end to end.
Partial translations fall back to English string by string.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session
from flask_babel import force_locale, format_date, get_locale
from flask_login import current_user

log = logging.getLogger(__name__)

#: Locales offered in the switcher, each named in its own language.
LANGUAGES = {"en": "English", "pl": "Polski", "ar": "العربية"}
RTL = frozenset({"ar", "ur", "fa", "he"})


#: How each language formats dates and numbers: English here is British English
#: ("5 March 2026", not "March 5, 2026"). The language itself stays "en".
FORMATS = {"en": "en_GB"}


def select_locale() -> str:
    """The person's saved choice, then this browser's choice, then the browser's languages."""
    return FORMATS.get(_chosen_language(), _chosen_language())


def _chosen_language() -> str:
    if not has_request_context():  # commands: messages pick their recipient's locale
        return current_app.config["DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or current_app.config["DEFAULT_LOCALE"]


def in_their_language(person: Any):  # noqa: ANN201
    """Speak to ``person`` in their language, whoever is signed in: a context manager for
    messages, letters and files made for them (their saved language, else the partnership's)."""
    return force_locale(getattr(person, "locale", None) or current_app.config["DEFAULT_LOCALE"])


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0] in RTL else "ltr"


def format_month(day: date) -> str:
    """A month named on its own, as a heading or a table row says it: "April 2026", and in
    Polish "kwiecień 2026". Babel's standalone month (``LLLL``), because ``MMMM`` is the form
    used inside a date ("1 kwietnia 2026"), which is wrong on its own. Templates: ``|month``."""
    return format_date(day, "LLLL y")


def day_labels(days: Iterable[date], format: str = "medium") -> dict[date, str]:  # noqa: A002
    """Each distinct day as the ``dateformat`` filter writes it ("5 Mar 2026"), formatted once
    with the locale looked up once: for long lists, where the filter's look-ups per date cost
    more than the rest of the row. Days only (a moment needs the person's time zone)."""
    locale = get_locale()
    return {day: babel_dates.format_date(day, format, locale=locale) for day in set(days)}


def compile_catalogues(translations: Path, force: bool = False) -> list[Path]:
    """Compile each ``messages.po`` whose ``.mo`` is missing or older; returns what was built.

    Called when the app starts so a fresh checkout never shows stale translations, and by
    ``engage translations compile`` in a build.
    """
    built = []
    for po_path in sorted(translations.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalogue, use_fuzzy=False)
        built.append(mo_path)
        log.info("compiled %s", mo_path)
    return built

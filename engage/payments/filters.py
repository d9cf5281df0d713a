"""Jinja filters for payments pages: ``payment_method`` and ``duration``."""

from __future__ import annotations

from flask_babel import gettext, ngettext

from engage.payments.models import Method


def payment_method(value: str | None) -> str:
    """A payment method's label in the reader's language (``{{ claim.method|payment_method }}``)."""
    try:
        return Method(value).label
    except ValueError:
        return value or ""


def duration(minutes: int | None) -> str:
    """``{{ record.minutes|duration }}``: "2 hours", "1 hour and 30 minutes", "45 minutes".

    Whole hours and minutes, so every language's plural forms fit (a count like 1.5 has no
    plural form of its own in gettext).
    """
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    hour_text = ngettext("%(num)d hour", "%(num)d hours", hours)
    minute_text = ngettext("%(num)d minute", "%(num)d minutes", rest)
    if hours and rest:
        return gettext("%(hours)s and %(minutes)s", hours=hour_text, minutes=minute_text)
    return hour_text if hours else minute_text

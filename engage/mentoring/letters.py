"""What we write to people who applied for a peer role: the confirmation, the kind message
when an application goes no further, a DBS renewal coming up, and training that runs out.
Each returns a subject and a body; call it inside ``in_their_language(...)``, so it reads in
the person's language.

These words are read by people who may have been turned away before. They say what happens
next and when, never judge, never give an internal reason, and never mention what a DBS
certificate says.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _


def _partnership() -> str:
    return current_app.config["PARTNERSHIP_NAME"]


def confirmation(name: str, role: str | None, days: int) -> tuple[str, str]:
    """ "We have your application": what happens next, and within how many working days."""
    role_line = (
        _("Thank you for your interest in the role of %(role)s.", role=role)
        if role
        else _("Thank you for your interest in a peer role.")
    )
    subject = _("Thank you for getting in touch with %(partnership)s", partnership=_partnership())
    body = _(
        "Hello %(name)s,\n\n%(role_line)s\n\nWhat happens next: someone from our lived "
        "experience team will contact you within %(days)d working days, the way you asked "
        "us to. It is a friendly chat, not an interview. You do not need to do anything "
        "before then.\n\nIf you change your mind, that is fine: just tell us when we "
        "contact you.\n\n%(partnership)s\n",
        name=name,
        role_line=role_line,
        days=days,
        partnership=_partnership(),
    )
    return subject, body


def not_progressed(name: str, role: str | None, note: str = "") -> tuple[str, str]:
    """The application goes no further for now: thanks, no judgement, other ways to take
    part, welcome to apply again. ``note``: the manager's own kind words, if any."""
    what = _("the role of %(role)s", role=role) if role else _("a peer role")
    body = _(
        "Hello %(name)s,\n\nThank you for your interest in %(what)s, and for the time you "
        "have given us. We are not taking your application further at the moment.\n\n"
        "This is not a judgement of you. There are other ways to take part, such as our "
        "forums, and you are welcome to apply again in the future.\n\n",
        name=name,
        what=what,
    )
    if note:
        body += note.strip() + "\n\n"
    body += _(
        "If you would like to talk about this, please get in touch with us.\n\n%(partnership)s\n",
        partnership=_partnership(),
    )
    subject = _("About your application to %(partnership)s", partnership=_partnership())
    return subject, body


def renewal_due(name: str, day: date) -> tuple[str, str]:
    """Their DBS check needs renewing soon: routine, and we help."""
    subject = _("Your DBS check is due for renewal")
    body = _(
        "Hello %(name)s,\n\nYour DBS check needs renewing by %(day)s. This is routine and "
        "happens to everyone in the role. We will help you with it: someone from the team "
        "will be in touch, and you do not need to do anything before then.\n\nThank you for "
        "all you do.\n\n%(partnership)s\n",
        name=name,
        day=format_date(day, "d MMMM y"),
        partnership=_partnership(),
    )
    return subject, body


def training_runs_out(name: str, course: str, day: date, link: str) -> tuple[str, str]:
    """A course they did runs out soon: routine, and we will offer them a place."""
    subject = _("Your %(course)s training is due again", course=course)
    body = _(
        "Hello %(name)s,\n\nYour %(course)s training runs out on %(day)s. This is routine: "
        "everyone in a peer role does some training again from time to time. We will offer "
        "you a place on a session before then, and you do not need to do anything now.\n\n"
        "You can see your training here:\n%(link)s\n\nThank you for all you do.\n\n"
        "%(partnership)s\n",
        name=name,
        course=course,
        day=format_date(day, "d MMMM y"),
        link=link,
        partnership=_partnership(),
    )
    return subject, body

"""Finding entries in the audit log: by whose data, by who did it, by what was done and by day.

The filters come from the address (``?person=&actor=&action=&from=&to=``) so a search can be
bookmarked and downloaded with exactly the same filters. Anything typed there is untrusted: a
filter that cannot be understood is reported kindly and ignored, never a server error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from engage.core import dates
from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.people.models import User

#: The most rows one download holds (the newest first): a download is built in memory.
EXPORT_LIMIT = 10_000

#: The address's parameters a search is made of.
PARAMETERS = ("person", "actor", "action", "from", "to")

#: What an action looks like ("supervision.recorded"); a trailing dot asks for every action
#: that starts with it ("supervision.").
_ACTION = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*\.?")

#: Days outside these years are surely a typing slip (and keep date arithmetic in range).
_FIRST_YEAR, _LAST_YEAR = 2000, 2999


@dataclass
class AuditFilters:
    """What an admin asked for. Empty strings and None mean "any"."""

    person: str = ""  # username or e-mail of whose data it is
    actor: str = ""  # username or e-mail of who did it
    action: str = ""  # exact action, or a prefix ending in "."
    day_from: date | None = None  # the partnership's days, both included
    day_to: date | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field name -> kind message

    def as_args(self) -> dict[str, str]:
        """The filters as address parameters (for paging and the download link)."""
        args = {
            "person": self.person,
            "actor": self.actor,
            "action": self.action,
            "from": self.day_from.isoformat() if self.day_from else "",
            "to": self.day_to.isoformat() if self.day_to else "",
        }
        return {name: value for name, value in args.items() if value}


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not _FIRST_YEAR <= day.year <= _LAST_YEAR:
        errors[name] = _("Enter a real date, for example 2026-03-31.")
        return None
    return day


def parse_filters(args: Mapping[str, Any]) -> AuditFilters:
    """The filters in ``args`` (a request's query string). Those that cannot be understood are
    left out and explained in ``errors``; the rest still apply."""
    errors: dict[str, str] = {}

    def text(name: str, longest: int) -> str:
        # Control characters (a NUL, which PostgreSQL refuses in text) are never in a name.
        value = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", str(args.get(name) or "")).split())
        if len(value) > longest:
            errors[name] = _("That is too long to be a username or e-mail address.")
            return ""
        return value.lower()

    person = text("person", 254)
    actor = text("actor", 254)
    action = str(args.get("action") or "").strip().lower()
    if action and (len(action) > 60 or not _ACTION.fullmatch(action)):
        errors["action"] = _("Choose an action from the list.")
        action = ""
    day_from = _day(str(args.get("from") or "").strip(), "from", errors)
    day_to = _day(str(args.get("to") or "").strip(), "to", errors)
    if day_from and day_to and day_to < day_from:
        errors["to"] = _("The last day must be the same as or after the first day.")
        day_to = None
    return AuditFilters(person, actor, action, day_from, day_to, errors)


def _matches(person: Any, value: str) -> Any:
    # Both are stored lower-case (and ``value`` was lowered), so their unique indexes serve.
    return or_(person.username == value, person.email == value)


def search(filters: AuditFilters) -> Select:
    """The matching entries, newest first, as rows of (entry, actor's username, subject's
    username): one query, whatever the number of rows."""
    actor = aliased(User)
    subject = aliased(User)
    query = (
        select(AuditEntry, actor.username, subject.username)
        .outerjoin(actor, AuditEntry.actor_id == actor.id)
        .outerjoin(subject, AuditEntry.subject_id == subject.id)
        .order_by(AuditEntry.id.desc())
    )
    if filters.person:
        query = query.where(_matches(subject, filters.person))
    if filters.actor:
        query = query.where(_matches(actor, filters.actor))
    if filters.action.endswith("."):
        # The pattern only holds [a-z0-9_.]: escape "_", LIKE's one-character wildcard.
        prefix = filters.action.replace("_", "\\_")
        query = query.where(AuditEntry.action.like(prefix + "%", escape="\\"))
    elif filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.day_from:
        query = query.where(AuditEntry.at >= dates.start_of_day(filters.day_from))
    if filters.day_to:
        query = query.where(AuditEntry.at < dates.start_of_day(filters.day_to + timedelta(days=1)))
    return query


def count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def action_choices() -> list[tuple[str, str]]:
    """The actions in use, each family first ("supervision." for all of them), for a select."""
    actions = db.session.scalars(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    ).all()
    choices: list[tuple[str, str]] = []
    families: set[str] = set()
    for action in actions:
        family = action.split(".", 1)[0] + "." if "." in action else ""
        if family and family not in families:
            families.add(family)
            choices.append((family, _("%(family)s (all)", family=family + "*")))
        choices.append((action, action))
    return choices

"""What those coming to a meeting need, combined: counts for everyone who runs it, names only
for managers (``permissions.can_see_needs_names``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select

from engage.extensions import db
from engage.forums.models import Invitation, Meeting, Reply
from engage.people.models import ACCESS_NEEDS, Profile, User


@dataclass
class Needs:
    """The combined needs of those coming: counts for all, names only for managers."""

    counts: Counter = field(default_factory=Counter)
    interpreters: Counter = field(default_factory=Counter)  # language -> count
    dietary: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)


def needs_of_those_coming(meeting: Meeting) -> Needs:
    """One query over the profiles of everyone who said yes."""
    profiles = db.session.execute(
        select(Profile, User.username)
        .join(User, Profile.user_id == User.id)
        .join(Invitation, Invitation.user_id == User.id)
        .where(Invitation.meeting_id == meeting.id, Invitation.reply == Reply.YES.value)
    ).all()
    needs = Needs()
    for profile, username in profiles:
        name = profile.preferred_name or username
        for attr, _label in ACCESS_NEEDS:
            if getattr(profile, attr):
                needs.counts[attr] += 1
                needs.names.setdefault(attr, []).append(name)
        if profile.interpreter_language:
            language = profile.interpreter_language.strip()
            needs.interpreters[language] += 1
            needs.names.setdefault("interpreter:" + language, []).append(name)
        if profile.dietary_needs:
            needs.dietary.append(profile.dietary_needs)
            needs.names.setdefault("dietary", []).append(f"{name}: {profile.dietary_needs}")
    return needs

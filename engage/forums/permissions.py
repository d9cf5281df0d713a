"""Who may see and do what in forums and meetings."""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role, signed_in
from engage.people.models import Role
from engage.people.permissions import can_act_on_behalf


def can_manage_forums(user: Any) -> bool:
    """Lived experience managers run forums: schedule, invite, take attendance, minute."""
    return has_role(user, Role.MANAGER)


def can_view_forum(user: Any, forum: Any, is_member: bool) -> bool:
    """Managers see every forum; others see open forums and the ones they belong to."""
    if not signed_in(user):
        return False
    return can_manage_forums(user) or forum.open_to_all or is_member


def can_view_meeting(user: Any, meeting: Any, invited: bool, is_member: bool) -> bool:
    if not signed_in(user):
        return False
    return can_manage_forums(user) or invited or is_member or meeting.forum.open_to_all


def can_reply(user: Any, meeting: Any, invited: bool) -> bool:
    """People reply to meetings they were invited to, or to an open forum's meetings."""
    return signed_in(user) and not meeting.cancelled and (invited or meeting.forum.open_to_all)


def can_reply_for(user: Any, person: Any, meeting: Any, invited: bool) -> bool:
    """Assisted digital: a manager replies for a peer to a meeting the peer could reply to."""
    return can_act_on_behalf(user, person) and can_reply(person, meeting, invited)


def can_see_needs_names(user: Any) -> bool:
    """Access needs and attendance of others are never shown to peers; managers see names so
    they can arrange interpreters, childcare and step-free rooms in time."""
    return can_manage_forums(user)

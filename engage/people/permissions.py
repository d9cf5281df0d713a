"""Who may see and change people's accounts and profiles."""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role, signed_in
from engage.people.models import Role


def can_view_profile(user: Any, person: Any) -> bool:
    """A person sees their own profile; lived experience managers see every peer's."""
    if not signed_in(user):
        return False
    return user.id == person.id or (user.has_role(Role.MANAGER) and person.has_role(Role.PEER))


def can_edit_profile(user: Any, person: Any) -> bool:
    return can_view_profile(user, person)


def can_act_on_behalf(user: Any, person: Any) -> bool:
    """Assisted digital: a manager can do any peer journey for a peer, recorded as such. Only
    for peers (never for another member of staff), and a peer never acts for anyone."""
    return has_role(user, Role.MANAGER) and user.id != person.id and person.has_role(Role.PEER)


def can_change_own_security(user: Any, person: Any) -> bool:
    """Passwords and two-step codes are only ever set by the person themselves."""
    return signed_in(user) and user.id == person.id


def can_list_people(user: Any) -> bool:
    return has_role(user, Role.MANAGER)


def can_create_peer(user: Any) -> bool:
    """Managers add peers (admins invite any account from the admin pages)."""
    return has_role(user, Role.MANAGER)


def can_issue_sign_in_link(user: Any, person: Any) -> bool:
    """Managers can hand a peer a fresh link (for peers with no e-mail who forget a password);
    only admins can do it for staff accounts."""
    if has_role(user, Role.ADMIN):
        return True
    return has_role(user, Role.MANAGER) and not person.is_staff


def can_manage_users(user: Any) -> bool:
    return has_role(user, Role.ADMIN)


def can_view_outbox(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Role.MANAGER)


def can_view_audit(user: Any) -> bool:
    return has_role(user, Role.ADMIN)


def can_use_two_factor(user: Any) -> bool:
    return signed_in(user)

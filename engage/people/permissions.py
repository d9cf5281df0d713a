"""Who may see and change people's accounts and profiles."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, false, select, true

from engage.core import outbox
from engage.core.outbox import Notification
from engage.core.permissions import has_role, signed_in
from engage.people.models import Role, UserRole


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


def is_peer_only(person: Any) -> bool:
    """A peer's account and nothing more: no staff, board or partner role beside it."""
    return person.role_set == {Role.PEER}


def can_issue_sign_in_link(user: Any, person: Any) -> bool:
    """Managers can hand a peer a fresh link (for peers with no e-mail who forget a password).

    Only for an account that is a peer's and nothing more: a link for a finance, admin, board,
    partner or manager account would let whoever holds it take that account over. Admins can
    do it for anyone. Never for an erased person's tombstone: nobody may use it again.
    """
    if getattr(person, "erased_at", None) is not None:
        return False
    if has_role(user, Role.ADMIN):
        return True
    return has_role(user, Role.MANAGER) and is_peer_only(person)


def can_manage_users(user: Any) -> bool:
    return has_role(user, Role.ADMIN)


def can_erase_people(user: Any) -> bool:
    """Erasing someone cannot be undone: admins only (and never themselves or the last
    admin: engage.people.erasure.check_can_erase)."""
    return has_role(user, Role.ADMIN)


def can_change_retention(user: Any) -> bool:
    return has_role(user, Role.ADMIN)


def can_view_outbox(user: Any) -> bool:
    """Admins read every message; managers open the outbox only to pass on (or explain) the
    messages that never reached a peer (see :func:`can_view_message`)."""
    return has_role(user, Role.ADMIN, Role.MANAGER)


def can_view_message(user: Any, note: Notification, recipient: Any | None) -> bool:
    """Admins see every message (secrets never: they are not in the text).

    Managers see a message only when it is to a peer-only account and never reached them
    (undeliverable: no address; or held back: no consent to contact, paused), so they can pass
    it on another way or know why someone was not told. Messages to anyone holding a staff,
    board or partner role are never theirs to read. :func:`messages_visible_to` is the same
    rule as a query condition.
    """
    if has_role(user, Role.ADMIN):
        return True
    return (
        has_role(user, Role.MANAGER)
        and note.status in outbox.NOT_SENT
        and recipient is not None
        and is_peer_only(recipient)
    )


def messages_visible_to(user: Any) -> ColumnElement[bool]:
    """:func:`can_view_message` as a condition on ``Notification`` for the outbox's query."""
    if has_role(user, Role.ADMIN):
        return true()
    if not has_role(user, Role.MANAGER):
        return false()
    peers = select(UserRole.user_id).where(UserRole.role == Role.PEER.value)
    others = select(UserRole.user_id).where(UserRole.role != Role.PEER.value)
    return and_(
        Notification.status.in_(outbox.NOT_SENT),
        Notification.user_id.in_(peers),
        Notification.user_id.not_in(others),
    )


def can_send_message_again(user: Any) -> bool:
    """Sending again a message that may not have gone is the admins' call."""
    return has_role(user, Role.ADMIN)


def can_view_audit(user: Any) -> bool:
    return has_role(user, Role.ADMIN)


def must_use_two_step(user: Any) -> bool:
    """Whether ``user`` must sign in with a code as well as a password: an admin asked it of
    their account, or they hold a role ``ENGAGE_TWO_STEP_ROLES`` names (admin and finance in
    production). They cannot turn it off."""
    roles = current_app.config["TWO_STEP_ROLES"]
    return bool(user.totp_required or any(role.value in roles for role in user.role_set))

"""Who may download data and handle subject access requests.

Kept beside ``people/permissions.py`` (and exposed to templates with it) so the data-rights
pages read their rules in one place."""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role, signed_in
from engage.people.models import Role


def can_download_own_data(user: Any) -> bool:
    """Everyone signed in can download what is held about them."""
    return signed_in(user)


def can_list_data_requests(user: Any) -> bool:
    """Managers and admins keep the list of subject access requests. Peers, finance, board
    members and partners never see it: it names people who asked for their data."""
    return has_role(user, Role.MANAGER, Role.ADMIN)


def can_handle_data_request_for(user: Any, person: Any) -> bool:
    """Admins handle a request from anyone; managers handle requests from peers (a request
    from a member of staff goes to an admin, as their profiles are not the manager's to see),
    and still close one whose person was erased meanwhile (no roles, nothing left to see)."""
    if has_role(user, Role.ADMIN):
        return True
    return has_role(user, Role.MANAGER) and (
        person.has_role(Role.PEER) or person.erased_at is not None
    )


def can_use_download(user: Any, download: Any) -> bool:
    """A download link works only for the person who prepared it, and a link prepared for a
    request only while they may still handle requests for that person."""
    if not signed_in(user) or download.prepared_by_id != user.id:
        return False
    if download.request_id is None:
        return download.subject_id == user.id
    return can_handle_data_request_for(user, download.subject)

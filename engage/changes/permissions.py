"""Who may see and act on register items."""

from __future__ import annotations

from typing import Any

from engage.changes.models import State
from engage.core.permissions import has_role, signed_in
from engage.people.models import Role


def sees_whole_register(user: Any) -> bool:
    """Boards and managers see every item."""
    return has_role(user, Role.MANAGER, Role.BOARD)


def can_view_item(user: Any, item: Any, supporter_ids: set[int] | None = None) -> bool:
    """Peers see items they raised or supported; partners those their organisation owns."""
    if not signed_in(user):
        return False
    if sees_whole_register(user):
        return True
    if item.raised_by_id == user.id:
        return True
    if supporter_ids is not None and user.id in supporter_ids:
        return True
    return (
        has_role(user, Role.PARTNER)
        and user.organisation_id is not None
        and item.owner_organisation_id == user.organisation_id
    )


def puts_you_said_we_did_in_menu(user: Any) -> bool:
    """Peers find "you said, we did" in their menu: what changed is what they come to see.
    Everyone signed in may read it; staff reach it from the register."""
    return has_role(user, Role.PEER)


def can_read_you_said_we_did(user: Any, published: bool) -> bool:
    """Everyone signed in; anyone at all once the partnership publishes the page."""
    return published or signed_in(user)


def reads_raisers_words(user: Any) -> bool:
    """ "You said, we did" may quote a raiser (with their consent) to people signed in, never to
    the public: the public page says what changed, never who said what."""
    return signed_in(user)


def can_change_register_settings(user: Any) -> bool:
    """The lived experience team and admins publish the page and set N."""
    return has_role(user, Role.MANAGER, Role.ADMIN)


def can_raise_item(user: Any) -> bool:
    return signed_in(user)


def can_raise_for_others(user: Any) -> bool:
    """Staff raise items from meetings, cases or feedback, anonymised."""
    return has_role(user, Role.MANAGER)


def can_support(user: Any, item: Any) -> bool:
    """Anyone signed in can add "this happened to me too" to an accepted, open item."""
    return (
        signed_in(user)
        and item.state_enum.is_open
        and item.state_enum not in (State.RAISED,)
        and item.raised_by_id != user.id
    )


def can_triage(user: Any, item: Any = None) -> bool:
    """The lived experience team accepts, closes and merges what is raised."""
    return has_role(user, Role.MANAGER)


def can_manage_item(user: Any, item: Any) -> bool:
    """Boards and managers own, plan, move and decide."""
    return has_role(user, Role.MANAGER, Role.BOARD)


def can_see_raiser(user: Any, item: Any) -> bool:
    """Names are hidden wherever the raiser asked; the lived experience team still knows."""
    return bool(item.show_name) or has_role(user, Role.MANAGER) or item.raised_by_id == user.id


def can_read_every_account(user: Any) -> bool:
    """The lived experience team reads every account (they support the people who wrote them)."""
    return has_role(user, Role.MANAGER)


def can_read_shared_accounts(user: Any) -> bool:
    """Board members read the accounts whose writers agreed to share them."""
    return has_role(user, Role.BOARD)


def can_manage_boards(user: Any) -> bool:
    return has_role(user, Role.MANAGER, Role.ADMIN)


def can_view_boards(user: Any) -> bool:
    return has_role(user, Role.MANAGER, Role.BOARD, Role.ADMIN)


def can_view_pack(user: Any, sits_on_board: bool) -> bool:
    """A board's pack is for the people who sit on it (experts by experience included) and the
    staff who service boards: managers and admins."""
    return signed_in(user) and (sits_on_board or has_role(user, Role.MANAGER, Role.ADMIN))

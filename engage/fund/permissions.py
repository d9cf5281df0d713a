"""Who may see and act on the fund and its requests."""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role, signed_in
from engage.people.models import Role


def can_request(user: Any) -> bool:
    """Key workers (managers, partner officers) with the person, and peers for themselves."""
    return has_role(user, Role.MANAGER, Role.PARTNER, Role.PEER)


def requests_for_others(user: Any) -> bool:
    """A key worker names the person; a peer asks only for themselves."""
    return has_role(user, Role.MANAGER, Role.PARTNER)


def puts_fund_in_menu(user: Any) -> bool:
    """Key workers and the people who decide and pay find the fund in the menu. Peers, who
    ask now and then for themselves, find it on their home page: every link in their menu is
    another key press on every page."""
    return requests_for_others(user) or sees_queue(user)


def sees_queue(user: Any) -> bool:
    """Approvers and finance see every request."""
    return has_role(user, Role.MANAGER, Role.FINANCE, Role.ADMIN)


def can_view_request(user: Any, request: Any) -> bool:
    """The queue's people see all; anyone else only requests they made or that are for them
    (a partner officer only those they made)."""
    if not signed_in(user):
        return False
    if sees_queue(user) or request.requester_id == user.id:
        return True
    return request.person_id == user.id and not has_role(user, Role.PARTNER)


def can_decide(user: Any, request: Any = None) -> bool:
    """Managers, finance and admins decide, never on a request they made or that is for them
    (four eyes), nor twice on one needing two."""
    if not has_role(user, Role.MANAGER, Role.FINANCE, Role.ADMIN):
        return False
    if request is None:
        return True
    return user.id not in (request.requester_id, request.person_id, request.first_approver_id)


def can_pay(user: Any) -> bool:
    return has_role(user, Role.FINANCE, Role.ADMIN)


def can_manage_funds(user: Any) -> bool:
    """Admins and finance set funds up and record the money coming in."""
    return has_role(user, Role.ADMIN, Role.FINANCE)


def can_see_accounts(user: Any) -> bool:
    """The fund page with its ledger and spending, and its exports."""
    return has_role(user, Role.ADMIN, Role.FINANCE, Role.MANAGER)


def can_answer(user: Any, request: Any) -> bool:
    """The requester answers a question and the follow-up."""
    return signed_in(user) and request.requester_id == user.id


def can_withdraw(user: Any, request: Any) -> bool:
    return can_answer(user, request)


def can_raise_item(user: Any) -> bool:
    """Staff put what a request shows into the register, anonymised."""
    return has_role(user, Role.MANAGER, Role.ADMIN)


def sees_bank_details(user: Any) -> bool:
    return has_role(user, Role.FINANCE)

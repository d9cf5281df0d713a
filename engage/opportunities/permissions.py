"""Who may ask for input, follow requests, find opportunities and say they are interested."""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role, signed_in
from engage.opportunities.models import OpportunityStatus
from engage.people.models import Role


def can_manage_opportunities(user: Any) -> bool:
    """Lived experience managers decide requests, publish opportunities and choose people."""
    return has_role(user, Role.MANAGER)


def can_request_input(user: Any) -> bool:
    """Partners ask the forum for lived-experience input."""
    return has_role(user, Role.PARTNER, Role.MANAGER)


def can_view_request(user: Any, request: Any) -> bool:
    if can_manage_opportunities(user):
        return True
    return signed_in(user) and request.requested_by_id == user.id


def can_express_interest(user: Any, opportunity: Any) -> bool:
    """Peers say they are interested while the opportunity is open."""
    return has_role(user, Role.PEER) and opportunity.status == OpportunityStatus.OPEN.value


def can_see_opportunities(user: Any) -> bool:
    """Peers find opportunities; managers run them."""
    return has_role(user, Role.PEER) or can_manage_opportunities(user)


def can_see_requests(user: Any) -> bool:
    """Partners follow their own requests; managers see all of them."""
    return has_role(user, Role.PARTNER, Role.MANAGER)

"""Who sees the programme's measures."""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role
from engage.people.models import Role


def can_view_dashboard(user: Any) -> bool:
    """Managers, board members and partner officers (who see only the public-safe figures)."""
    return has_role(user, Role.MANAGER, Role.BOARD, Role.PARTNER, Role.ADMIN)


def sees_whole_dashboard(user: Any) -> bool:
    """Managers, admins and board members see every figure, breakdown and link to records;
    anyone else only what is marked public."""
    return has_role(user, Role.MANAGER, Role.BOARD, Role.ADMIN)

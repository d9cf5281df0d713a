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


def can_see_who_is_involved(user: Any) -> bool:
    """Who is involved, by equality group against the cohort estimate: managers, admins and
    board members (never partners, even with small groups hidden: it is about the people
    themselves, not the programme's activity)."""
    return has_role(user, Role.MANAGER, Role.BOARD, Role.ADMIN)


def can_keep_cohort_estimate(user: Any) -> bool:
    """Entering the cohort estimate: the lived experience managers and admins."""
    return has_role(user, Role.MANAGER, Role.ADMIN)


def can_make_reports(user: Any) -> bool:
    """Managers and admins put together funder reports and save them as snapshots."""
    return has_role(user, Role.MANAGER, Role.ADMIN)


def can_read_snapshots(user: Any) -> bool:
    """Saved funder reports hold every figure, so only those who see the whole dashboard
    read them: managers, admins and board members (never partner officers or peers)."""
    return has_role(user, Role.MANAGER, Role.BOARD, Role.ADMIN)

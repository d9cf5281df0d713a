"""Who may keep peer roles and courses, run recruitment, and see checks.

Applicants see nothing but their own confirmation: applying needs no account. The pipeline is
the lived experience managers'. DBS outcomes and risk-assessment decisions are for managers
only, on every page, fragment and export, and each view is audited.
"""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role, signed_in
from engage.people.models import Role


def can_keep_roles(user: Any) -> bool:
    """Admins and managers keep the list of peer roles and the training catalogue."""
    return has_role(user, Role.MANAGER, Role.ADMIN)


def can_run_recruitment(user: Any) -> bool:
    """Managers see applications and move them through the stages."""
    return has_role(user, Role.MANAGER)


def can_view_application(user: Any, application: Any) -> bool:
    """Only managers see an application; for anyone else it does not exist (404)."""
    return can_run_recruitment(user)


def can_see_checks(user: Any) -> bool:
    """DBS outcomes and risk-assessment decisions: managers only, every view audited."""
    return has_role(user, Role.MANAGER)


# Training ----------------------------------------------------------------------------------


def can_run_training(user: Any) -> bool:
    """Managers put on sessions, see everyone's training and the gaps matrix, invite people
    and record courses done elsewhere."""
    return has_role(user, Role.MANAGER)


def can_see_own_training(user: Any) -> bool:
    """Anyone signed in sees their own training at /training (and nobody else's)."""
    return signed_in(user)


def puts_training_in_menu(user: Any) -> bool:
    """Peers and managers find "Training" in the menu."""
    return has_role(user, Role.PEER, Role.MANAGER)


def can_take_place(user: Any, session: Any, needs_course: bool) -> bool:
    """Someone may ask for a place on a coming session of a course a role of theirs needs
    (an invitation is not needed); cancelled sessions take nobody."""
    return signed_in(user) and needs_course and not session.meeting.cancelled

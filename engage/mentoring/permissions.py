"""Who may keep peer roles and courses, run recruitment, and see checks.

Applicants see nothing but their own confirmation: applying needs no account. The pipeline is
the lived experience managers'. DBS outcomes and risk-assessment decisions are for managers
only, on every page, fragment and export, and each view is audited.
"""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role
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


def can_see_readiness(user: Any) -> bool:
    """Whose DBS check or training for a role is missing or has run out, and the reasons
    given for going ahead anyway: managers only (they choose people and make them active).
    Never the person's own view, nor a partner's."""
    return has_role(user, Role.MANAGER)

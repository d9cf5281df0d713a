"""Who may run survey rounds, answer them, and read their results."""

from __future__ import annotations

from typing import Any

from engage.core.permissions import has_role
from engage.people.models import Role
from engage.surveys.models import RoundState


def can_run_surveys(user: Any) -> bool:
    """Lived experience managers run rounds, type in paper forms and share results."""
    return has_role(user, Role.MANAGER)


def can_change_settings(user: Any) -> bool:
    """The suppression threshold protects everyone's privacy: managers and admins set it."""
    return has_role(user, Role.MANAGER, Role.ADMIN)


def can_see_results(user: Any, round_: Any) -> bool:
    """Managers see results as they come in; board members once the round has closed, so a
    board never reads a picture that is still changing."""
    if can_run_surveys(user):
        return True
    return has_role(user, Role.BOARD) and round_.state in (
        RoundState.CLOSED.value,
        RoundState.SHARED.value,
    )


def can_read_free_text(user: Any) -> bool:
    """What people wrote in their own words is read by managers only: it can identify them."""
    return can_run_surveys(user)


def can_export_raw_answers(user: Any) -> bool:
    """Anonymised raw answers (no people, no groups) go to managers only."""
    return can_run_surveys(user)


def can_see_surveys_list(user: Any) -> bool:
    return has_role(user, Role.MANAGER, Role.BOARD)

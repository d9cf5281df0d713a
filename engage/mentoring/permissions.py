"""Who may keep peer roles and courses, run recruitment, and see checks.

Applicants see nothing but their own confirmation: applying needs no account. The pipeline is
the lived experience managers'. DBS outcomes and risk-assessment decisions are for managers
only, on every page, fragment and export, and each view is audited.

Supervision notes are read by the session's supervisor and by managers only, never by the
person supervised, and each read is audited. A peer sees their own progression passport
(dates and hours, never notes, DBS outcomes or risk decisions); managers see any peer's and
print the reference letter from it.
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


def can_see_readiness(user: Any) -> bool:
    """Whose DBS check or training for a role is missing or has run out, and the reasons
    given for going ahead anyway: managers only (they choose people and make them active).
    Never the person's own view, nor a partner's."""
    return has_role(user, Role.MANAGER)


# Supervision and the progression passport --------------------------------------------------


def _staff_for(user: Any, person: Any) -> bool:
    """A manager or admin (the staff who supervise) working with a peer, never themselves."""
    return (
        has_role(user, Role.MANAGER, Role.ADMIN)
        and user.id != person.id
        and person.has_role(Role.PEER)
    )


def can_see_supervision(user: Any, person: Any) -> bool:
    """A peer's supervision list (dates, kinds, lengths, supervisors; never the notes): the
    staff who supervise. The person sees their dates and hours in their passport; for
    everyone else it does not exist (404)."""
    return _staff_for(user, person)


def can_log_supervision(user: Any, person: Any) -> bool:
    """Managers log sessions for a peer; an admin who supervises logs their own (the service
    refuses an admin naming someone else as the supervisor)."""
    return _staff_for(user, person)


def can_name_any_supervisor(user: Any) -> bool:
    """Managers may log a session someone else led; any other supervisor logs their own."""
    return has_role(user, Role.MANAGER)


def can_change_supervision(user: Any, session: Any) -> bool:
    """Managers and the session's supervisor (while they are staff) correct a session, never
    the person supervised."""
    return (
        signed_in(user)
        and user.id != session.person_id
        and (
            has_role(user, Role.MANAGER)
            or (user.id == session.supervisor_id and has_role(user, Role.ADMIN))
        )
    )


def can_read_supervision_notes(user: Any, session: Any) -> bool:
    """The private notes: the session's supervisor and managers, never the person supervised
    (not even one who is also a manager). Every read is audited."""
    return can_change_supervision(user, session)


def can_view_passport(user: Any, person: Any) -> bool:
    """Everyone sees their own passport; managers see any peer's. Anyone else: 404."""
    if not signed_in(user):
        return False
    return user.id == person.id or (has_role(user, Role.MANAGER) and person.has_role(Role.PEER))


def links_to_passport(user: Any, person: Any) -> bool:
    """A peer's profile links to their passport (staff have no journey of this kind to show,
    though their own page opens all the same)."""
    return can_view_passport(user, person) and person.has_role(Role.PEER)


def can_write_reference(user: Any, person: Any) -> bool:
    """A manager prints (and signs) a reference letter for a peer, never for themselves."""
    return has_role(user, Role.MANAGER) and user.id != person.id and person.has_role(Role.PEER)


def can_set_reference_wording(user: Any) -> bool:
    """The reference letter's opening and closing words are the admins' to set."""
    return has_role(user, Role.ADMIN)


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

"""Supervision pages (``/people/<id>/supervision``), for the staff who supervise: a peer's
sessions (day, kind, length and who led it, never the notes), logging one, one session's page
and correcting it.

The notes appear only on a session's own page and its change form, only to its supervisor
and managers, and each time they are shown the reading is recorded in the audit log. For
everyone else (the person supervised included) these pages do not exist: 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engage.core import dates
from engage.core.conflicts import ChangedMeanwhile, check_version, saving
from engage.core.htmx import redirect_to, render
from engage.core.permissions import allow
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.mentoring import bp, supervision
from engage.mentoring.forms import SupervisionForm
from engage.mentoring.models import SupervisionKind, SupervisionSession
from engage.mentoring.permissions import (
    can_change_supervision,
    can_log_supervision,
    can_name_any_supervisor,
    can_read_supervision_notes,
    can_see_supervision,
)
from engage.people.models import User


def _person(person_id: int) -> User:
    """The peer whose supervision this is, once the viewer may see it; otherwise 404."""
    person = db.session.get(User, person_id)
    if person is None or not can_see_supervision(current_user, person):
        abort(404)
    return person


def _session(person: User, session_id: int) -> SupervisionSession:
    session = db.session.get(SupervisionSession, session_id)
    if session is None or session.person_id != person.id:
        abort(404)
    return session


def _actor() -> User:
    return current_user._get_current_object()


@bp.route("/people/<int:person_id>/supervision")
@login_required
def supervision_list(person_id: int):
    person = _person(person_id)
    sessions = supervision.sessions_of(person.id)
    return render(
        "mentoring/supervision.html",
        person=person,
        sessions=sessions,
        total_minutes=sum(s.minutes for s in sessions),
        held_a_role=supervision.has_held_a_role(person.id),
        can_log=can_log_supervision(current_user, person),
        may_read=lambda s: can_read_supervision_notes(current_user, s),
    )


def _form_choices(form: SupervisionForm, current: User | None = None) -> None:
    """Managers choose anyone who supervises; anyone else only themselves. A session's
    present supervisor stays in the list, even after leaving the staff."""
    people = supervision.supervisors()
    if not can_name_any_supervisor(current_user):
        people = [p for p in people if p[0] == current_user.id]
    if current is not None and all(uid != current.id for uid, _name in people):
        people.append((current.id, current.display_name))
    form.supervisor.choices = [("", _("Choose who led it"))] + [
        (str(uid), name) for uid, name in people
    ]


def _values(form: SupervisionForm) -> dict[str, Any]:
    return {
        "supervisor": db.session.get(User, int(form.supervisor.data)),
        "kind": SupervisionKind(form.kind.data),
        "held_on": form.held_on.data,
        "minutes": form.minutes.data,
        "notes": form.notes.data or "",
    }


@bp.route("/people/<int:person_id>/supervision/new", methods=["GET", "POST"])
@login_required
def log_supervision(person_id: int):
    person = _person(person_id)
    allow(can_log_supervision(current_user, person), hide=True)
    form = SupervisionForm()
    _form_choices(form)
    if request.method == "GET":
        form.supervisor.data = str(current_user.id)
        form.held_on.data = dates.local_today()
    del form.version
    problem = None
    held = supervision.has_held_a_role(person.id)
    if held and form.validate_on_submit():
        try:
            session = supervision.log_session(
                _actor(), person, submission_key=form.submission_key.key, **_values(form)
            )
        except IllegalMove as error:
            db.session.rollback()
            problem = str(error)
        else:
            db.session.commit()
            flash(_("The session is logged."), "success")
            return redirect_to(
                url_for("mentoring.supervision_list", person_id=person.id)
                + f"#session-{session.id}"
            )
    return render(
        "mentoring/supervision_form.html",
        form=form,
        person=person,
        session=None,
        heading=_("Log a supervision session"),
        held_a_role=held,
        problem=problem,
    )


@bp.route("/people/<int:person_id>/supervision/<int:session_id>")
@login_required
def supervision_session(person_id: int, session_id: int):
    person = _person(person_id)
    session = _session(person, session_id)
    notes = None
    if can_read_supervision_notes(current_user, session):
        notes = supervision.show_notes(_actor(), session, "session page")
        db.session.commit()  # the audit entry of this reading
    return render(
        "mentoring/supervision_session.html",
        person=person,
        session=session,
        notes=notes,
        can_change=can_change_supervision(current_user, session),
    )


def _unchanged(session: SupervisionSession, values: dict[str, Any]) -> bool:
    """The form says what is saved already (a second press of the same change)."""
    return (
        values["supervisor"] is not None
        and session.supervisor_id == values["supervisor"].id
        and session.kind == values["kind"].value
        and session.held_on == values["held_on"]
        and session.minutes == values["minutes"]
        and session.notes == values["notes"].strip()
    )


@bp.route("/people/<int:person_id>/supervision/<int:session_id>/change", methods=["GET", "POST"])
@login_required
def change_supervision(person_id: int, session_id: int):
    person = _person(person_id)
    session = _session(person, session_id)
    allow(can_change_supervision(current_user, session), hide=True)
    form = SupervisionForm()
    _form_choices(form, session.supervisor)
    if request.method == "GET":
        form.version.data = str(session.version)
        form.held_on.data = session.held_on
        form.supervisor.data = str(session.supervisor_id)
        form.kind.data = session.kind
        form.minutes.data = session.minutes
        form.notes.data = supervision.show_notes(_actor(), session, "change form")
        db.session.commit()  # the audit entry of this reading
    problem, status = None, 200
    back = url_for("mentoring.supervision_session", person_id=person.id, session_id=session.id)
    if form.validate_on_submit():
        values = _values(form)
        if _unchanged(session, values):
            flash(_("The session is saved."), "success")
            return redirect_to(back)
        try:
            with saving():
                check_version(session, form.version.data)
                supervision.change_session(_actor(), session, **values)
        except ChangedMeanwhile as error:
            problem, status = str(error), 409
        except IllegalMove as error:
            problem = str(error)
        else:
            flash(_("The session is saved."), "success")
            return redirect_to(back)
        db.session.rollback()
        session = _session(person, session_id)
        # What they typed stays; saving again now saves it over the other change.
        form.version.data = str(session.version)
    return render(
        "mentoring/supervision_form.html",
        form=form,
        person=person,
        session=session,
        heading=_("Change the session"),
        held_a_role=True,
        problem=problem,
        status=status,
    )

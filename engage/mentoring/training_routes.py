"""Training pages (``/training``): a person's own training and next sessions; for managers,
the sessions (each a meeting of the training forum: replies, waiting list and the attendance
register are the forums' own pages), putting on a session, the gaps matrix with "invite
everyone missing this", and recording a course done elsewhere.

Every route has one shape: load → authorise → validate → service → commit → respond. The
managers' pages are 403 for everyone else; a session someone may not ask a place on is 404.
"""

from __future__ import annotations

import csv
import functools
import io
from datetime import date
from typing import Any

from flask import abort, flash, make_response, request, url_for
from flask_babel import format_date, format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engage.core import audit, dates
from engage.core.db import utcnow
from engage.core.htmx import redirect_to, render
from engage.core.numbers import database_id, requested_page
from engage.core.permissions import allow
from engage.core.rules import IllegalMove
from engage.core.spreadsheets import neutralise
from engage.extensions import db
from engage.forums import meetings, replies
from engage.forums.attendance import why_register_closed
from engage.forums.models import REPLY_LABELS, Meeting, Reply
from engage.mentoring import bp
from engage.mentoring import training as svc
from engage.mentoring.forms import CompletionForm, InviteMissingForm, PlaceForm, SessionForm
from engage.mentoring.models import Course, TrainingSession
from engage.mentoring.permissions import (
    can_run_training,
    can_see_own_training,
    can_take_place,
)
from engage.people.models import User

#: What a peer is told after asking for a place (the forums' words for the same replies).
PLACE_MESSAGES = {
    Reply.YES.value: _l("Thank you. You have a place. We will remind you before the session."),
    Reply.WAITING.value: _l(
        "The session is full, so you are on the waiting list. We will tell you if a place "
        "comes free."
    ),
}


def _load_session(session_id: int) -> TrainingSession:
    session = db.session.scalar(
        select(TrainingSession)
        .where(TrainingSession.id == session_id)
        .options(
            joinedload(TrainingSession.course),
            joinedload(TrainingSession.meeting).joinedload(Meeting.venue),
        )
    )
    if session is None:
        abort(404)
    return session


def _role_filter(values: Any) -> int | None:
    """The role asked for (``?role=``), or None for any: anything that is not an id is no
    filter (the matrix also ignores an id that is no role)."""
    return database_id(values.get("role"))


# A person's own training, and the managers' overview ---------------------------------------


@bp.route("/training")
@login_required
def training():
    allow(can_see_own_training(current_user))
    now, today = utcnow(), dates.local_today()
    manage = can_run_training(current_user)
    own = svc.own_training(current_user, today, now)
    context: dict[str, Any] = {
        "own": own,
        "manage": manage,
        "today": today,
        "reply_labels": REPLY_LABELS,
    }
    if manage:
        context.update(
            upcoming=svc.sessions_list(now, upcoming=True),
            past=svc.sessions_list(now, upcoming=False, limit=20),
        )
    return render("mentoring/training.html", **context)


@bp.route("/training/sessions/<int:session_id>/place", methods=["POST"])
@login_required
def take_place(session_id: int):
    """A peer asks for a place on a session of a course their role needs (one press)."""
    session = _load_session(session_id)
    allow(
        can_take_place(current_user, session, svc.needs_course(current_user, session.course_id)),
        hide=True,
    )
    if not PlaceForm().validate_on_submit():
        flash(_("Something went wrong. Please try again."), "info")
        return redirect_to(url_for("mentoring.training"))
    try:
        invitation = svc.take_place(current_user, session)
    except IllegalMove as error:
        db.session.rollback()
        flash(str(error), "info")
        return redirect_to(url_for("mentoring.training"))
    db.session.commit()
    message = PLACE_MESSAGES.get(invitation.reply, PLACE_MESSAGES[Reply.YES.value])
    flash(str(message), "success")
    return redirect_to(url_for("forums.meeting", meeting_id=session.meeting_id))


# Sessions (managers) -----------------------------------------------------------------------


def _session_form() -> SessionForm:
    form = SessionForm()
    courses = db.session.scalars(
        select(Course).where(Course.is_active.is_(True)).order_by(Course.name)
    ).all()
    form.course.choices = [("", _("Choose a course"))] + [(str(c.id), c.name) for c in courses]
    form.venue.choices = [("", _("Online only, or a new place below"))] + [
        (str(v.id), v.name) for v in meetings.venues()
    ]
    return form


def _venue_id(form: SessionForm) -> int | None:
    """The place chosen, or a new one typed on the form (recorded through the forums)."""
    if (form.venue_name.data or "").strip():
        access = form.venue_access.data or []
        return meetings.add_venue(
            current_user,
            name=form.venue_name.data,
            address=form.venue_address.data or "",
            step_free="step_free" in access,
            hearing_loop="hearing_loop" in access,
            quiet_room="quiet_room" in access,
            bus_stops=form.venue_bus_stops.data or "",
        ).id
    return int(form.venue.data) if form.venue.data else None


@bp.route("/training/sessions/new", methods=["GET", "POST"])
@login_required
def session_new():
    allow(can_run_training(current_user))
    form = _session_form()
    if request.method == "GET":
        wanted = database_id(request.args.get("course"))
        if wanted is not None:
            form.course.data = str(wanted)
    if form.validate_on_submit():
        course = db.session.get(Course, int(form.course.data))
        try:
            session, made = svc.create_session(
                current_user,
                course,
                starts_at=dates.at_local_time(form.date.data, form.time.data),
                duration_minutes=form.duration.data,
                paid=form.paid.data == "yes",
                trainer=form.trainer.data or "",
                title=form.title.data or "",
                venue_id=_venue_id(form),
                online_link=form.online_link.data or "",
                capacity=form.capacity.data,
                wellbeing_check_in=bool(form.wellbeing_check_in.data),
            )
        except IllegalMove as error:
            db.session.rollback()  # a new place typed on the form waits for a good date
            form.date.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                _("The session is on. Now invite the people who need it.")
                if made
                else _("This session was already made: here it is."),
                "success",
            )
            return redirect_to(url_for("mentoring.session_page", session_id=session.id))
    return render("mentoring/session_form.html", form=form)


@bp.route("/training/sessions/<int:session_id>")
@login_required
def session_page(session_id: int):
    allow(can_run_training(current_user))
    session = _load_session(session_id)
    meeting = session.meeting
    people = replies.invitees(meeting)
    counts = replies.reply_counts(meeting)
    coming = counts.get(Reply.YES.value, 0)
    return render(
        "mentoring/session.html",
        session=session,
        meeting=meeting,
        counts=counts,
        coming=coming,
        places_left=max(meeting.capacity - coming, 0) if meeting.capacity is not None else None,
        waiting=replies.waiting_list(people),
        completions=svc.session_completions(session),
        missing=len(svc.missing_people(session.course, dates.local_today())),
        started=meeting.starts_at <= utcnow(),
        attendance_open=why_register_closed(meeting) is None,
        reply_labels=REPLY_LABELS,
    )


@bp.route("/training/sessions/<int:session_id>/invite", methods=["POST"])
@login_required
def session_invite(session_id: int):
    """Invite everyone missing the course (or whose completion ran out) to this session."""
    allow(can_run_training(current_user))
    session = _load_session(session_id)
    back = url_for("mentoring.session_page", session_id=session.id)
    return _invite(session, None, back)


def _invite(session: TrainingSession, role_id: int | None, back: str):
    if not InviteMissingForm().validate_on_submit():
        flash(_("Something went wrong. Please try again."), "info")
        return redirect_to(back)
    try:
        invited = svc.invite_missing(current_user, session, role_id)
    except IllegalMove as error:
        db.session.rollback()
        flash(str(error), "info")
        return redirect_to(back)
    db.session.commit()
    when = format_datetime(session.meeting.starts_at, "EEEE d MMMM, HH:mm")
    if invited:
        flash(
            ngettext(
                "We invited %(num)d person to %(course)s on %(when)s, by the way they asked.",
                "We invited %(num)d people to %(course)s on %(when)s, by the way they asked.",
                invited,
                course=session.course.name,
                when=when,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Nobody more to invite to %(course)s on %(when)s: everyone missing it is "
                "invited already, or has paused their involvement.",
                course=session.course.name,
                when=when,
            ),
            "info",
        )
    return redirect_to(back)


# The gaps matrix (managers) ----------------------------------------------------------------


@bp.route("/training/gaps")
@login_required
def gaps():
    allow(can_run_training(current_user))
    role_id = _role_filter(request.args)
    matrix = svc.gaps_matrix(dates.local_today(), utcnow(), role_id=role_id, page=requested_page())
    return render(
        "mentoring/gaps.html",
        matrix=matrix,
        filters={"role": str(matrix.role_id)} if matrix.role_id else {},
        **_cell_words(),
    )


def _cell_words() -> dict[str, Any]:
    """What the matrix's cells say, made once a page rather than once a cell: a page holds
    hundreds of cells, and each translation and date format costs."""
    tags = {
        state: Markup('<strong class="govuk-tag govuk-tag--{}">{}</strong>').format(
            state.colour, state.label
        )
        for state in svc.TrainingState
    }

    @functools.cache
    def runs_out(state: str, day: date) -> str:
        text = format_date(day, "d MMM y")
        if state == svc.TrainingState.EXPIRED:
            return _("ran out %(day)s", day=text)
        return _("runs out %(day)s", day=text)

    return {
        "tags": tags,
        "runs_out": runs_out,
        "not_needed": svc.TrainingState.NOT_NEEDED.label,
    }


@bp.route("/training/gaps/invite", methods=["POST"])
@login_required
def gaps_invite():
    """ "Invite the N people missing this to <its next session>", from the matrix."""
    allow(can_run_training(current_user))
    form = InviteMissingForm()
    role_id = _role_filter(request.form)
    filters = {"role": role_id} if role_id else {}
    back = url_for("mentoring.gaps", **filters)
    session_id = database_id(form.session.data)
    session = db.session.get(TrainingSession, session_id) if session_id else None
    if session is None:
        flash(_("That session is not there any more. Choose from the sessions shown."), "info")
        return redirect_to(back)
    return _invite(session, role_id, back)


@bp.route("/training/gaps.csv")
@login_required
def gaps_csv():
    """The whole matrix as CSV (text that could be a formula is neutralised), audited."""
    allow(can_run_training(current_user))
    role_id = _role_filter(request.args)
    courses, rows = svc.gaps_for_export(dates.local_today(), role_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("Roles")] + [c.name for c in courses])
    for row in rows:
        cells = []
        for cell in row.cells:
            text = cell.state.label
            if cell.expires_on and cell.state != svc.TrainingState.NOT_NEEDED:
                text += " " + _("(runs out %(day)s)", day=format_date(cell.expires_on, "d MMM y"))
            cells.append(text)
        writer.writerow([neutralise(v) for v in [row.name, ", ".join(row.roles), *cells]])
    audit.record("training.gaps_exported", actor=current_user, role=role_id, people=len(rows))
    db.session.commit()
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="training-gaps.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Recording a course done elsewhere (managers) ----------------------------------------------


@bp.route("/training/completions/new", methods=["GET", "POST"])
@login_required
def completion_new():
    allow(can_run_training(current_user))
    form = CompletionForm()
    courses = db.session.scalars(select(Course).order_by(Course.name)).all()
    form.course.choices = [("", _("Choose a course"))] + [(str(c.id), c.name) for c in courses]
    if request.method == "GET":
        person = db.session.get(User, database_id(request.args.get("person")) or 0)
        if person is not None:
            form.login.data = person.username
        course_id = database_id(request.args.get("course"))
        if course_id is not None:
            form.course.data = str(course_id)
        form.completed_on.data = dates.local_today()
    if form.validate_on_submit():
        person = User.find_by_login(form.login.data or "")
        course = db.session.get(Course, int(form.course.data))
        if person is None:
            form.login.errors.append(
                _("There is nobody with that username or email address. Check the spelling.")
            )
        else:
            try:
                _completion, made = svc.record_completion(
                    current_user, person, course, form.completed_on.data
                )
            except IllegalMove as error:
                db.session.rollback()
                form.completed_on.errors.append(str(error))
            else:
                db.session.commit()
                flash(
                    _(
                        "Recorded: %(name)s did %(course)s on %(day)s.",
                        name=person.display_name,
                        course=course.name,
                        day=format_date(form.completed_on.data, "d MMMM y"),
                    )
                    if made
                    else _("That was recorded already."),
                    "success",
                )
                return redirect_to(url_for("mentoring.gaps"))
    return render("mentoring/completion_form.html", form=form)

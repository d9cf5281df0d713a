"""Board pages: members, meetings with attendance, and the agenda built from the register."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user, login_required

from engage.changes import board_services as services
from engage.changes import bp
from engage.changes import permissions as perm
from engage.changes.board_forms import AttendanceForm, MeetingForm, MemberForm, RemoveMemberForm
from engage.changes.models import LEVEL_LABELS, Board, BoardMeeting, BoardMember
from engage.core.db import utcnow
from engage.core.htmx import redirect_to, render
from engage.core.numbers import requested_id
from engage.core.permissions import allow
from engage.extensions import db
from engage.people.models import User


def _board(board_id: int) -> Board:
    """Load a board for someone who may see boards: 403 for others, 404 for no such board."""
    allow(perm.can_view_boards(current_user))
    board = db.session.get(Board, board_id)
    if board is None:
        abort(404)
    return board


def _meeting(board: Board, meeting_id: int) -> BoardMeeting:
    meeting = db.session.get(BoardMeeting, meeting_id)
    if meeting is None or meeting.board_id != board.id:
        abort(404)
    return meeting


@bp.route("/boards")
@login_required
def boards():
    allow(perm.can_view_boards(current_user))
    return render(
        "changes/boards/list.html",
        summaries=services.board_summaries(utcnow()),
        levels=LEVEL_LABELS,
        manage=perm.can_manage_boards(current_user),
    )


@bp.route("/boards/<int:board_id>")
@login_required
def board(board_id: int):
    board = _board(board_id)
    now = utcnow()
    records = services.meetings(board)
    all_meetings = [r.meeting for r in records]
    upcoming = services.next_meeting(all_meetings, now)
    return render(
        "changes/boards/board.html",
        board=board,
        levels=LEVEL_LABELS,
        seats=services.seats(board),
        past=[r for r in records if r.meeting.starts_at < now][::-1],
        future=[r for r in records if r.meeting.starts_at >= now],
        rate=services.attendance_rate(records),
        agenda=services.build_agenda(board, all_meetings, upcoming, now),
        manage=perm.can_manage_boards(current_user),
        open_items=perm.sees_whole_register(current_user),
    )


@bp.route("/boards/<int:board_id>/agenda")
@login_required
def board_agenda(board_id: int):
    """The printable agenda for ``?meeting=<id>``, or for the next meeting (or now)."""
    board = _board(board_id)
    now = utcnow()
    all_meetings = list(
        db.session.scalars(
            db.select(BoardMeeting)
            .where(BoardMeeting.board_id == board.id)
            .order_by(BoardMeeting.starts_at, BoardMeeting.id)
        )
    )
    meeting_id = requested_id("meeting")
    if meeting_id is not None:
        meeting = next((m for m in all_meetings if m.id == meeting_id), None)
        if meeting is None:
            abort(404)
    else:
        meeting = services.next_meeting(all_meetings, now)
    recorded = services.attendees(meeting) if meeting is not None else []
    return render(
        "changes/boards/agenda.html",
        board=board,
        meeting=meeting,
        recorded=recorded,
        seats=services.seats(board) if not recorded else [],
        agenda=services.build_agenda(board, all_meetings, meeting, now),
    )


@bp.route("/boards/<int:board_id>/meetings/new", methods=["GET", "POST"])
@login_required
def board_meeting_new(board_id: int):
    board = _board(board_id)
    allow(perm.can_manage_boards(current_user))
    form = MeetingForm()
    if form.validate_on_submit():
        # Typed in the partnership's (or the person's) time zone; stored in UTC.
        starts_at = to_utc(datetime.combine(form.date.data, form.time.data)).replace(tzinfo=UTC)
        services.add_meeting(current_user, board, starts_at, form.place.data)
        db.session.commit()
        flash(_("Meeting added."), "success")
        return redirect_to(url_for("changes.board", board_id=board.id))
    return render("changes/boards/form.html", form=form, board=board, heading=_("Add a meeting"))


@bp.route("/boards/<int:board_id>/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@login_required
def board_attendance(board_id: int, meeting_id: int):
    board = _board(board_id)
    allow(perm.can_manage_boards(current_user))
    meeting = _meeting(board, meeting_id)
    # Everyone on the board now, and anyone recorded before who has since left the board.
    recorded = services.attendees(meeting)
    people = {seat.user.id: seat.user for seat in services.seats(board)}
    people.update({user.id: user for user, _attended in recorded})
    form = AttendanceForm()
    form.present.choices = [
        (user.id, user.display_name)
        for user in sorted(people.values(), key=lambda u: u.display_name.lower())
    ]
    if request.method == "GET":
        form.present.data = [user.id for user, attended in recorded if attended]
    problem = None
    if form.validate_on_submit():
        try:
            services.record_attendance(
                current_user, meeting, set(people), set(form.present.data or [])
            )
        except services.BoardProblem as error:
            problem = str(error)
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("Attendance saved."), "success")
            return redirect_to(url_for("changes.board", board_id=board.id))
    return render(
        "changes/boards/form.html",
        form=form,
        board=board,
        meeting=meeting,
        heading=_("Who came to the meeting"),
        problem=problem,
        empty=not people,
    )


def _members_page(board: Board, form: MemberForm, problem: str | None = None, status: int = 200):
    return render(
        "changes/boards/members.html",
        status=status,
        board=board,
        seats=services.seats(board),
        form=form,
        problem=problem,
    )


def _fill_people(board: Board, form: MemberForm) -> dict[int, User]:
    people = services.eligible_members(board)
    form.person.choices = [("", _("Choose a person"))] + [
        (
            str(user.id),
            _("%(name)s (peer)", name=user.display_name)
            if peer and not staff
            else user.display_name,
        )
        for user, staff, peer in people
    ]
    return {user.id: user for user, _staff, _peer in people}


@bp.route("/boards/<int:board_id>/members", methods=["GET", "POST"])
@login_required
def board_members(board_id: int):
    board = _board(board_id)
    allow(perm.can_manage_boards(current_user))
    form = MemberForm()
    people = _fill_people(board, form)
    if form.validate_on_submit():
        person = people.get(int(form.person.data))
        try:
            if person is None:  # pragma: no cover - the choices only hold eligible people
                raise services.BoardProblem(_("Choose who is joining the board"))
            services.add_member(
                current_user,
                board,
                person,
                form.role.data or "",
                bool(form.expert_by_experience.data),
            )
        except services.BoardProblem as error:
            db.session.rollback()
            return _members_page(board, form, problem=str(error))
        db.session.commit()
        flash(_("%(name)s has joined the board.", name=person.display_name), "success")
        return redirect_to(url_for("changes.board_members", board_id=board.id))
    return _members_page(board, form)


@bp.route("/boards/<int:board_id>/members/<int:member_id>/remove", methods=["POST"])
@login_required
def board_member_remove(board_id: int, member_id: int):
    board = _board(board_id)
    allow(perm.can_manage_boards(current_user))
    member = db.session.get(BoardMember, member_id)
    if member is None or member.board_id != board.id:
        abort(404)
    form = RemoveMemberForm()
    if not form.validate_on_submit():
        abort(400)
    name = member.user.display_name
    services.remove_member(current_user, member)
    db.session.commit()
    flash(_("%(name)s has left the board.", name=name), "success")
    return redirect_to(url_for("changes.board_members", board_id=board.id))

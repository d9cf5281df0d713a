"""Board pages: members, meetings with attendance, and the agenda built from the register."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import to_utc
from flask_login import current_user, login_required
from sqlalchemy import func, select

from engage.changes import board_services as services
from engage.changes import bp, pack
from engage.changes import permissions as perm
from engage.changes.board_forms import AttendanceForm, MeetingForm, MemberForm, RemoveMemberForm
from engage.changes.models import LEVEL_LABELS, Board, BoardMeeting, BoardMember
from engage.core import audit
from engage.core.db import utcnow, writes_when_read
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of, requested_id
from engage.core.permissions import allow
from engage.dashboard import formatting, periods
from engage.dashboard import permissions as dashboard_perm
from engage.dashboard.pdf import pdf_response
from engage.dashboard.routes import chosen_period
from engage.extensions import db
from engage.forums.permissions import can_manage_forums
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
    seats = services.seats(board)
    sits = any(seat.member.user_id == current_user.id for seat in seats)
    return render(
        "changes/boards/board.html",
        board=board,
        levels=LEVEL_LABELS,
        seats=seats,
        pack=perm.can_view_pack(current_user, sits),
        page=services.board_page(board, utcnow()),
        manage=perm.can_manage_boards(current_user),
        open_items=perm.sees_whole_register(current_user),
    )


#: Meetings or decisions to a page on a board's meetings and decisions pages.
PAGE_SIZE = 25

#: The two halves of a board's meetings page: ``?when=upcoming``, or past meetings.
UPCOMING, PAST = "upcoming", "past"


@bp.route("/boards/<int:board_id>/meetings")
@login_required
def board_meetings(board_id: int):
    """Every meeting of the board, a page at a time: past meetings (the latest first) with
    attendance and decisions counted, or with ``?when=upcoming`` those to come (the soonest
    first)."""
    board = _board(board_id)
    when = UPCOMING if request.args.get("when") == UPCOMING else PAST
    now = utcnow()
    query = select(BoardMeeting).where(BoardMeeting.board_id == board.id)
    if when == UPCOMING:
        query = query.where(BoardMeeting.starts_at >= now).order_by(
            BoardMeeting.starts_at, BoardMeeting.id
        )
    else:
        query = query.where(BoardMeeting.starts_at < now).order_by(
            BoardMeeting.starts_at.desc(), BoardMeeting.id.desc()
        )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_of(total, PAGE_SIZE)
    records = services.with_counts(list(db.session.scalars(page.of(query))))
    return render(
        "changes/boards/meetings.html",
        board=board,
        levels=LEVEL_LABELS,
        when=when,
        records=records,
        total=total,
        page=page.number,
        pages=page.pages,
        manage=perm.can_manage_boards(current_user),
    )


@bp.route("/boards/<int:board_id>/decisions")
@login_required
def board_decisions(board_id: int):
    """Every decision made at the board's meetings (or at ``?meeting=<id>``), a page at a
    time, the latest meetings first."""
    board = _board(board_id)
    meeting_id = requested_id("meeting")
    meeting = _meeting(board, meeting_id) if meeting_id is not None else None
    query = services.decisions_query(board, meeting)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_of(total, PAGE_SIZE)
    rows = db.session.execute(page.of(query)).all()
    return render(
        "changes/boards/decisions.html",
        board=board,
        levels=LEVEL_LABELS,
        meeting=meeting,
        grouped=services.group_decisions([tuple(row) for row in rows]),
        total=total,
        page=page.number,
        pages=page.pages,
        open_items=perm.sees_whole_register(current_user),
    )


@bp.route("/boards/<int:board_id>/agenda")
@login_required
def board_agenda(board_id: int):
    """The printable agenda for ``?meeting=<id>``, or for the next meeting (or now)."""
    board = _board(board_id)
    now = utcnow()
    meeting_id = requested_id("meeting")
    if meeting_id is not None:
        meeting = _meeting(board, meeting_id)
        nearby = services.nearby_meetings(board, meeting.starts_at)
    else:
        nearby = services.nearby_meetings(board, now)
        meeting = services.next_meeting(nearby, now)
    recorded = services.attendees(meeting) if meeting is not None else []
    return render(
        "changes/boards/agenda.html",
        board=board,
        meeting=meeting,
        recorded=recorded,
        seats=services.seats(board) if not recorded else [],
        agenda=services.build_agenda(board, nearby, meeting, now),
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


# --- the board pack ---------------------------------------------------------------------------

#: The address parameters that choose the pack's period; without any, it runs from the last
#: meeting to today.
_PERIOD_ARGS = ("period", "start", "end")


def _pack_board(board_id: int) -> Board:
    """Load a board whose pack the reader may open: 404 for no such board and for anyone who
    may not (the pack's existence is the board's business)."""
    board = db.session.get(Board, board_id)
    if board is None or not perm.can_view_pack(current_user, pack.sits_on(board, current_user.id)):
        abort(404)
    return board


def _pack_page(board: Board, pdf: bool = False):
    """Build the pack for the period in the address and render it; with ``pdf`` return the
    rendered HTML text (the same template) instead of a response. A period that cannot be used
    gives the page again with the dates as typed and what is wrong (400)."""
    chosen = None
    form = None
    if any(request.args.get(name, "").strip() for name in _PERIOD_ARGS):
        form, chosen = chosen_period()
        if chosen is None:
            return None, render(
                "changes/boards/pack.html",
                status=400,
                board=board,
                form=form,
                chosen=None,
                picks=periods.QUICK_PICKS,
                levels=LEVEL_LABELS,
            )
    built = pack.build(
        board,
        utcnow(),
        chosen,
        public_only=not dashboard_perm.sees_whole_dashboard(current_user),
        every_forum=can_manage_forums(current_user),
    )
    if form is None:
        form = _period_form(built.chosen)
    context = {
        "board": board,
        "form": form,
        "chosen": built.chosen,
        "pack": built,
        "listed": pack.LISTED,
        "picks": periods.QUICK_PICKS,
        "levels": LEVEL_LABELS,
        "fmt": formatting,
        "link_items": perm.sees_whole_register(current_user) and not pdf,
        "period_args": _pack_period_args(built.chosen),
        "pdf": pdf,
    }
    if pdf:
        return built, render_template("changes/boards/pack.html", **context)
    return built, render("changes/boards/pack.html", **context)


def _period_form(chosen: periods.Chosen):
    from engage.dashboard.forms import PeriodForm

    shown = {"start": chosen.current.start, "end": chosen.current.end}
    return PeriodForm(formdata=None, data=shown)


def _pack_period_args(chosen: periods.Chosen) -> dict[str, str]:
    if chosen.pick == pack.SINCE_LAST_MEETING:
        return {}
    if chosen.pick:
        return {"period": chosen.pick}
    return {"start": chosen.current.start.isoformat(), "end": chosen.current.end.isoformat()}


@bp.route("/boards/<int:board_id>/pack")
@login_required
def board_pack(board_id: int):
    """The board pack as a printable page."""
    board = _pack_board(board_id)
    _built, response = _pack_page(board)
    return response


@bp.route("/boards/<int:board_id>/pack.pdf")
@login_required
@writes_when_read
def board_pack_pdf(board_id: int):
    """The board pack as a PDF, drawn from the same page. It names the owners of items and
    steps, so each download is audited."""
    board = _pack_board(board_id)
    built, html = _pack_page(board, pdf=True)
    if built is None:
        return html  # the period could not be used: the page says why
    period = built.chosen.current
    response = pdf_response(html, pack.filename(board, period))
    audit.record(
        "boards.pack_downloaded",
        actor=current_user,
        board=board.id,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
    )
    db.session.commit()
    return response

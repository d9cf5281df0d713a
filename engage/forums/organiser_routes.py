"""The organiser's tools, for managers who run forums: starting forums and adding members,
scheduling and changing meetings, replying for a peer (assisted digital), the agenda and
papers, attendance on the day, minutes, actions and issues raised into the register.

Every route has one shape: load → authorise → validate → service → commit → respond. A forum
or meeting the viewer may not see is 404, as on the members' pages; otherwise these tools are
403 for anyone who does not run forums. A person a manager may not act for is 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, to_user_timezone
from flask_babel import to_utc as _babel_to_utc
from flask_login import current_user, login_required
from sqlalchemy import func, select

from engage.changes.forms import OTHER
from engage.core import dates
from engage.core.db import utcnow
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of
from engage.core.permissions import allow
from engage.extensions import db
from engage.forums import bp, meetings, membership, replies
from engage.forums import permissions as perm
from engage.forums.agenda import (
    actions_by_id,
    add_action,
    add_agenda_item,
    complete_action,
    meeting_actions,
    remove_agenda_item,
)
from engage.forums.attendance import (
    UnknownPerson,
    mark_attendance,
    register_of,
    why_register_closed,
)
from engage.forums.forms import (
    DURATIONS,
    ActionForm,
    AgendaItemForm,
    ChangeMeetingForm,
    ConfirmForm,
    ForumForm,
    LeaveForm,
    MeetingRaiseForm,
    MemberForm,
    MinutesForm,
    PaperForm,
    RemoveForm,
    ReplyForm,
    ScheduleForm,
    attendance_form,
)
from engage.forums.minutes import raise_in_meeting, raised_query, save_minutes
from engage.forums.models import (
    REPLY_LABELS,
    Action,
    AgendaItem,
    ForumError,
    ForumMember,
    Meeting,
    Presence,
    Reply,
)
from engage.forums.papers import (
    MAX_PAPER_BYTES,
    add_paper,
    discard_paper,
    paper_file,
    papers_of,
    remove_paper,
)
from engage.forums.routes import forum_page, load_forum, load_meeting, load_paper
from engage.people.models import Organisation, User

# Loading and authorising ------------------------------------------------------------------


def _managed_meeting(meeting_id: int) -> Meeting:
    """A meeting for the organiser's pages: 404 if the viewer may not see it, else 403 unless
    they run forums."""
    meeting, _invitation = load_meeting(meeting_id)
    allow(perm.can_manage_forums(current_user))
    return meeting


# Times: typed and shown in the partnership's time zone, stored in UTC ---------------------


def _to_utc(day: date, at: time) -> datetime:
    return _babel_to_utc(datetime.combine(day, at)).replace(tzinfo=UTC)


def _minutes_long(meeting: Meeting) -> int:
    return int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)


# Forums and members -----------------------------------------------------------------------


@bp.route("/forums/new", methods=["GET", "POST"])
@login_required
def forum_new():
    allow(perm.can_manage_forums(current_user))
    form = ForumForm()
    form.chair.choices = [("", _("No chair yet"))] + [
        (str(uid), name) for uid, name in membership.possible_chairs()
    ]
    if form.validate_on_submit():
        try:
            forum = membership.create_forum(
                current_user,
                name=form.name.data,
                purpose=form.purpose.data or "",
                terms_of_reference=form.terms_of_reference.data or "",
                chair_id=int(form.chair.data) if form.chair.data else None,
                open_to_all=form.open_to_all.data == "open",
            )
        except ForumError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Forum created. Now add members and schedule its meetings."), "success")
            return redirect_to(url_for("forums.forum", forum_id=forum.id))
    return render("forums/new.html", form=form)


@bp.route("/forums/<int:forum_id>/members", methods=["POST"])
@login_required
def member_add(forum_id: int):
    forum, is_member = load_forum(forum_id)
    allow(perm.can_manage_forums(current_user))
    form = MemberForm()
    if form.validate_on_submit():
        person = User.find_by_login(form.login.data or "")
        if person is None or not person.is_active:
            form.login.errors.append(
                _("There is nobody with that username or e-mail address. Check the spelling.")
            )
        else:
            membership.join_forum(current_user, forum, person, form.joined_on.data)
            db.session.commit()
            flash(_("%(name)s is now a member.", name=person.display_name), "success")
            return redirect_to(url_for("forums.forum", forum_id=forum.id, _anchor="members"))
    return forum_page(forum, is_member, member_form=form)


@bp.route("/forums/<int:forum_id>/members/<int:user_id>/leave", methods=["GET", "POST"])
@login_required
def member_leave(forum_id: int, user_id: int):
    forum, _is_member = load_forum(forum_id)
    allow(perm.can_manage_forums(current_user))
    row = db.session.scalar(
        select(ForumMember).where(
            ForumMember.forum_id == forum.id,
            ForumMember.user_id == user_id,
            ForumMember.left_on.is_(None),
        )
    )
    if row is None:
        abort(404)
    person = db.session.get(User, user_id)
    form = LeaveForm()
    if request.method == "GET":
        form.left_on.data = dates.local_today()
    if form.validate_on_submit():
        try:
            membership.remove_member(current_user, forum, person, form.left_on.data)
        except ForumError as error:
            db.session.rollback()
            form.left_on.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s has left the forum.", name=person.display_name), "success")
            return redirect_to(url_for("forums.forum", forum_id=forum.id, _anchor="members"))
    return render("forums/leave.html", form=form, forum=forum, person=person)


# Scheduling and changing meetings ---------------------------------------------------------


def _venue_choices(form) -> None:  # noqa: ANN001
    form.venue.choices = [("", _("Online only, or a new place below"))] + [
        (str(v.id), v.name) for v in meetings.venues()
    ]


def _details(form) -> dict:  # noqa: ANN001
    """The meeting columns the form sets; a new place is recorded first."""
    venue_id = int(form.venue.data) if form.venue.data else None
    if (form.venue_name.data or "").strip():
        venue_id = meetings.add_venue(
            current_user,
            name=form.venue_name.data,
            address=form.venue_address.data or "",
            step_free="step_free" in (form.venue_access.data or []),
            hearing_loop="hearing_loop" in (form.venue_access.data or []),
            quiet_room="quiet_room" in (form.venue_access.data or []),
            bus_stops=form.venue_bus_stops.data or "",
        ).id
    return {
        "title": (form.title.data or "").strip(),
        "venue_id": venue_id,
        "online_link": form.online_link.data or "",
        "capacity": form.capacity.data,
        "rung": form.rung.data,
        "wellbeing_check_in": bool(form.wellbeing_check_in.data),
    }


@bp.route("/forums/<int:forum_id>/schedule", methods=["GET", "POST"])
@login_required
def schedule(forum_id: int):
    forum, _is_member = load_forum(forum_id)
    allow(perm.can_manage_forums(current_user))
    form = ScheduleForm()
    _venue_choices(form)
    if form.validate_on_submit():
        repeat = form.repeat.data == "weeks"
        try:
            scheduled = meetings.plan(
                current_user,
                forum,
                starts_at=_to_utc(form.date.data, form.time.data),
                duration_minutes=form.duration.data,
                every_weeks=form.every_weeks.data if repeat else None,
                count=form.count.data if repeat else 1,
                **_details(form),
            )
        except ForumError as error:
            db.session.rollback()  # a new venue typed on the form waits for a good date
            form.date.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Meeting scheduled. Members have been invited.",
                    "%(num)d meetings scheduled. Members have been invited to the first one.",
                    len(scheduled),
                ),
                "success",
            )
            return redirect_to(url_for("forums.forum", forum_id=forum.id, _anchor="meetings"))
    return render("forums/schedule.html", form=form, forum=forum)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def meeting_edit(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    if meeting.cancelled:
        flash(_("This meeting has been cancelled, so it cannot be changed."), "info")
        return redirect_to(url_for("forums.meeting", meeting_id=meeting.id))
    form = ChangeMeetingForm()
    _venue_choices(form)
    length = _minutes_long(meeting)
    if length not in dict(DURATIONS):
        form.duration.choices = [
            *DURATIONS,
            (length, ngettext("%(num)d minute", "%(num)d minutes", length)),
        ]
    if not meeting.series_id:
        del form.scope
    if request.method == "GET":
        local = to_user_timezone(meeting.starts_at)
        form.date.data, form.time.data = local.date(), local.time().replace(second=0)
        form.duration.data = length
        form.venue.data = str(meeting.venue_id or "")
        form.title.data = meeting.title
        form.online_link.data = meeting.online_link
        form.capacity.data = meeting.capacity
        form.rung.data = meeting.rung
        form.wellbeing_check_in.data = meeting.wellbeing_check_in
    if form.validate_on_submit():
        changes: dict = {}
        starts_at = _to_utc(form.date.data, form.time.data)
        if starts_at != meeting.starts_at:
            changes["starts_at"] = starts_at
        if form.duration.data != length:
            changes["duration_minutes"] = form.duration.data
        # Only what was changed, so "this and all later" keeps each meeting's own details.
        for name, value in _details(form).items():
            if getattr(meeting, name) != value:
                changes[name] = value
        if changes:
            scope = form.scope.data if meeting.series_id else "this"
            changed = meetings.change_meeting(current_user, meeting, scope, **changes)
            db.session.commit()
            flash(
                ngettext(
                    "Meeting changed. Those coming have been told.",
                    "%(num)d meetings changed. Those coming have been told.",
                    len(changed),
                ),
                "success",
            )
        else:
            flash(_("Nothing was changed."), "info")
        return redirect_to(url_for("forums.meeting", meeting_id=meeting.id))
    return render("forums/edit.html", form=form, meeting=meeting)


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@login_required
def meeting_cancel(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    form = ConfirmForm()
    if meeting.cancelled:
        flash(_("This meeting is already cancelled."), "info")
        return redirect_to(url_for("forums.meeting", meeting_id=meeting.id))
    if form.validate_on_submit():
        meetings.cancel(current_user, meeting)
        db.session.commit()
        flash(_("Meeting cancelled. Those coming have been told."), "success")
        return redirect_to(url_for("forums.meeting", meeting_id=meeting.id))
    return render(
        "forums/cancel.html", form=form, meeting=meeting, coming=replies.reply_counts(meeting)
    )


# Replying for a peer (assisted digital) ---------------------------------------------------


REPLY_FOR_MESSAGES = {
    Reply.YES.value: _l("%(name)s is coming. We will remind them before the meeting."),
    Reply.MAYBE.value: _l("We have noted that %(name)s might come."),
    Reply.NO.value: _l("We have noted that %(name)s cannot come."),
    Reply.WAITING.value: _l(
        "The meeting is full, so %(name)s is on the waiting list. We will tell them if a place "
        "comes free."
    ),
}


def _peer(person_id: int) -> User:
    """The peer a manager is working for; 404 for anyone else, so nobody learns who exists."""
    person = db.session.get(User, person_id)
    if person is None or not perm.can_act_on_behalf(current_user, person):
        abort(404)
    return person


@bp.route("/people/<int:person_id>/meetings")
@login_required
def person_meetings(person_id: int):
    """A peer's coming meetings, for a manager to reply for them (one tap each, as the peer
    would), with each reply and who gave it."""
    person = _peer(person_id)
    rows = meetings.coming_meetings_of(person, utcnow())
    return render(
        "forums/person_meetings.html",
        person=person,
        rows=[
            (
                meeting,
                invitation,
                replies.waiting_position(invitation)
                if invitation is not None and invitation.reply == Reply.WAITING.value
                else None,
                perm.can_reply_for(current_user, person, meeting, invitation is not None),
            )
            for meeting, invitation in rows
        ],
        reply_labels=REPLY_LABELS,
    )


@bp.route("/people/<int:person_id>/meetings/<int:meeting_id>/reply", methods=["POST"])
@login_required
def reply_for(person_id: int, meeting_id: int):
    """A manager replies yes, maybe or no for a peer; recorded as done on their behalf."""
    person = _peer(person_id)
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    invited = replies.invitation_of(person.id, meeting.id) is not None
    allow(perm.can_reply_for(current_user, person, meeting, invited), hide=True)
    back = url_for("forums.person_meetings", person_id=person.id)
    form = ReplyForm()
    if not form.validate_on_submit():
        flash(_("Choose yes, maybe or no"))
        return redirect_to(back)
    try:
        invitation = replies.reply(
            person, meeting, Reply(form.reply.data), actor=current_user._get_current_object()
        )
    except ForumError as error:
        db.session.rollback()
        flash(str(error))
    else:
        db.session.commit()
        flash(str(REPLY_FOR_MESSAGES[invitation.reply]) % {"name": person.display_name}, "success")
    return redirect_to(back + f"#meeting-{meeting.id}")


# Agenda -----------------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/agenda", methods=["GET", "POST"])
@login_required
def agenda(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    form = AgendaItemForm()
    if form.validate_on_submit():
        add_agenda_item(current_user, meeting, form.title.data, form.content_note.data or "")
        db.session.commit()
        flash(_("Added to the agenda."), "success")
        return redirect_to(url_for("forums.agenda", meeting_id=meeting.id))
    return render(
        "forums/agenda.html",
        form=form,
        meeting=meeting,
        agenda=list(meeting.agenda),
        remove_form=RemoveForm(formdata=None),
    )


@bp.route("/meetings/<int:meeting_id>/agenda/<int:item_id>/remove", methods=["POST"])
@login_required
def agenda_remove(meeting_id: int, item_id: int):
    meeting = _managed_meeting(meeting_id)
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    form = RemoveForm()
    if form.validate_on_submit():
        try:
            remove_agenda_item(current_user, item)
        except ForumError as error:
            db.session.rollback()
            flash(str(error), "info")
        else:
            db.session.commit()
            flash(_("Taken off the agenda."), "success")
    return redirect_to(url_for("forums.agenda", meeting_id=meeting.id))


# Papers -----------------------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/papers", methods=["GET", "POST"])
@login_required
def papers(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    form = PaperForm()
    if form.validate_on_submit():
        # Read one byte past the limit, so a big file is refused without reading it all.
        data = form.file.data.stream.read(MAX_PAPER_BYTES + 1)
        try:
            paper = add_paper(current_user, meeting, form.title.data, data)
        except ForumError as error:
            db.session.rollback()
            form.file.errors.append(str(error))
        else:
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                discard_paper(paper)
                raise
            flash(_("Paper added."), "success")
            return redirect_to(url_for("forums.papers", meeting_id=meeting.id))
    return render(
        "forums/papers.html",
        form=form,
        meeting=meeting,
        papers=papers_of(meeting),
        remove_form=RemoveForm(formdata=None),
    )


@bp.route("/meetings/<int:meeting_id>/papers/<int:paper_id>/remove", methods=["POST"])
@login_required
def paper_remove(meeting_id: int, paper_id: int):
    meeting = _managed_meeting(meeting_id)
    paper = load_paper(meeting, paper_id)
    if RemoveForm().validate_on_submit():
        path = paper_file(paper)
        remove_paper(current_user, paper)
        db.session.commit()
        path.unlink(missing_ok=True)  # after the commit: the record went, so the file goes
        flash(_("Paper removed."), "success")
    return redirect_to(url_for("forums.papers", meeting_id=meeting.id))


# On the day: attendance -------------------------------------------------------------------


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    register = register_of(meeting)
    form = attendance_form(register.people)
    if request.method == "GET":
        for uid, presence in register.marks.items():
            getattr(form, f"person_{uid}").data = presence
    problem = None
    closed = why_register_closed(meeting)  # the page says why instead of showing the form
    if closed is None and form.validate_on_submit():
        chosen = {
            uid: Presence(getattr(form, f"person_{uid}").data)
            for uid, _name in register.people
            if getattr(form, f"person_{uid}").data
        }
        try:
            marked = mark_attendance(current_user, meeting, chosen, walk_in=form.walk_in.data)
        except UnknownPerson as error:
            db.session.rollback()
            form.walk_in.errors.append(str(error))
        except ForumError as error:
            db.session.rollback()
            problem = str(error)
        else:
            db.session.commit()
            flash(_("Attendance saved."), "success")
            if marked.walk_in is not None and marked.walk_in.id not in dict(register.people):
                # Back to the register, where the person who walked in now has their own row.
                return redirect_to(url_for("forums.attendance", meeting_id=meeting.id))
            return redirect_to(url_for("forums.meeting", meeting_id=meeting.id))
    return render(
        "forums/attendance.html",
        form=form,
        meeting=meeting,
        people=register.people,
        replies=register.replies,
        reply_labels=REPLY_LABELS,
        problem=problem,
        closed=closed,
    )


# Minutes, actions and issues raised -------------------------------------------------------


def _minutes_page(meeting: Meeting, form: MinutesForm, action_form: ActionForm):
    agenda = list(meeting.agenda)
    return render(
        "forums/minutes.html",
        meeting=meeting,
        form=form,
        action_form=action_form,
        actions=meeting_actions(meeting),
        carried=list(actions_by_id([i.action_id for i in agenda if i.action_id]).values()),
        done_form=RemoveForm(formdata=None),
    )


def _minutes_form(meeting: Meeting) -> MinutesForm:
    form = MinutesForm(formdata=None)
    form.minutes.data, form.decisions.data = meeting.minutes, meeting.decisions
    return form


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["GET", "POST"])
@login_required
def minutes(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    form = MinutesForm() if request.method == "POST" else _minutes_form(meeting)
    if form.validate_on_submit():
        save_minutes(current_user, meeting, form.minutes.data or "", form.decisions.data or "")
        db.session.commit()
        flash(_("Minutes saved."), "success")
        return redirect_to(url_for("forums.minutes", meeting_id=meeting.id))
    return _minutes_page(meeting, form, ActionForm(prefix="action", formdata=None))


@bp.route("/meetings/<int:meeting_id>/actions", methods=["POST"])
@login_required
def action_add(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    action_form = ActionForm(prefix="action")
    if action_form.validate_on_submit():
        add_action(
            current_user,
            meeting,
            action_form.description.data,
            action_form.owner_name.data,
            action_form.due_date.data,
        )
        db.session.commit()
        flash(_("Action added. Until it is done it goes on the next meeting's agenda."), "success")
        return redirect_to(url_for("forums.minutes", meeting_id=meeting.id, _anchor="actions"))
    return _minutes_page(meeting, _minutes_form(meeting), action_form)


@bp.route("/meetings/<int:meeting_id>/actions/<int:action_id>/done", methods=["POST"])
@login_required
def action_done(meeting_id: int, action_id: int):
    meeting = _managed_meeting(meeting_id)
    action = db.session.get(Action, action_id)
    # An action from this meeting, or one carried forward from an earlier meeting of the forum.
    forum_id = action and db.session.scalar(
        select(Meeting.forum_id).where(Meeting.id == action.meeting_id)
    )
    if action is None or forum_id != meeting.forum_id:
        abort(404)
    if RemoveForm().validate_on_submit() and complete_action(current_user, action):
        db.session.commit()
        flash(_("Action marked done."), "success")
    return redirect_to(url_for("forums.minutes", meeting_id=meeting.id, _anchor="actions"))


#: Items to a page on a meeting's "raised" page.
RAISED_PAGE_SIZE = 25


@bp.route("/meetings/<int:meeting_id>/raised")
@login_required
def raised(meeting_id: int):
    """Every register item raised at the meeting, the latest first, a page at a time (its
    page lists the latest few)."""
    meeting = _managed_meeting(meeting_id)
    query = raised_query(meeting)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_of(total, RAISED_PAGE_SIZE)
    return render(
        "forums/raised.html",
        meeting=meeting,
        items=db.session.scalars(page.of(query)).all(),
        total=total,
        page=page.number,
        pages=page.pages,
    )


@bp.route("/meetings/<int:meeting_id>/raise", methods=["GET", "POST"])
@login_required
def raise_item(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    form = MeetingRaiseForm()
    organisations = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.is_active)
        .order_by(Organisation.name)
    ).all()
    form.agency.choices = [
        ("", _("Choose one")),
        *[(str(oid), name) for oid, name in organisations],
        (OTHER, _("Other")),
    ]
    if form.validate_on_submit():
        item = raise_in_meeting(
            current_user,
            meeting,
            title=form.title.data,
            what_happened=form.what_happened.data,
            theme=form.theme.data,
            agency_id=int(form.agency.data) if form.agency.data.isdigit() else None,
            agency_other=form.agency_other.data or "",
            who_affected=form.who_affected.data or "",
            submission_key=form.submission_key.key,
        )
        db.session.commit()
        flash(_("Added to the register as item %(id)d.", id=item.id), "success")
        return redirect_to(url_for("forums.meeting", meeting_id=meeting.id, _anchor="raised"))
    return render("forums/raise.html", form=form, meeting=meeting)

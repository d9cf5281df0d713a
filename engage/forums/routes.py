"""Forum and meeting pages for everyone who may see them: the forums people may join, a
forum's meetings, the meeting page with its one-tap reply, and a meeting's papers. Managers see
more on the same pages; their own tools are in ``organiser_routes``.

Every route has one shape: load → authorise → validate → service → commit → respond. A peer
asking for a forum or meeting they may not see gets 404, so its existence is not revealed.
"""

from __future__ import annotations

import re

from flask import abort, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engage.core import dates, uploads
from engage.core.db import utcnow
from engage.core.htmx import render, updated
from engage.core.i18n import day_labels
from engage.core.links import id_urls
from engage.core.permissions import allow
from engage.extensions import db
from engage.forums import bp, meetings, membership, needs, replies
from engage.forums import permissions as perm
from engage.forums.agenda import actions_by_id, meeting_actions
from engage.forums.attendance import presence_counts, why_register_closed
from engage.forums.forms import MemberForm, ReplyForm
from engage.forums.minutes import raised_items
from engage.forums.models import (
    PRESENCE_LABELS,
    REPLY_LABELS,
    RUNG_LABELS,
    Forum,
    ForumError,
    Invitation,
    Meeting,
    Paper,
    Reply,
)
from engage.forums.papers import paper_file, papers_of
from engage.people.models import ACCESS_NEEDS

# Loading and authorising ------------------------------------------------------------------


def load_forum(forum_id: int) -> tuple[Forum, bool]:
    """Load a forum the viewer may see, and whether they are a member; anything else is 404."""
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        abort(404)
    is_member = membership.member_of(current_user.id, forum.id)
    allow(perm.can_view_forum(current_user, forum, is_member), hide=True)
    return forum, is_member


def load_meeting(meeting_id: int) -> tuple[Meeting, Invitation | None]:
    """Load a meeting the viewer may see, with its forum and venue, and the viewer's own
    invitation (None if they have none); anything else is 404."""
    meeting = db.session.scalar(
        select(Meeting)
        .options(joinedload(Meeting.forum), joinedload(Meeting.venue))
        .where(Meeting.id == meeting_id)
    )
    if meeting is None:
        abort(404)
    invitation = replies.invitation_of(current_user.id, meeting.id)
    is_member = invitation is not None or membership.member_of(current_user.id, meeting.forum_id)
    allow(
        perm.can_view_meeting(current_user, meeting, invitation is not None, is_member),
        hide=True,
    )
    return meeting, invitation


def load_paper(meeting: Meeting, paper_id: int) -> Paper:
    paper = db.session.get(Paper, paper_id)
    if paper is None or paper.meeting_id != meeting.id:
        abort(404)
    return paper


# Forums -----------------------------------------------------------------------------------


@bp.route("/forums")
@login_required
def forums():
    manage = perm.can_manage_forums(current_user)
    found = membership.visible_forums(current_user, manage)
    ids = [f.id for f in found]
    return render(
        "forums/list.html",
        forums=found,
        next_meetings=meetings.next_meetings(ids, utcnow()),
        member_counts=membership.member_counts(ids),
        mine=membership.my_forum_ids(current_user.id),
        manage=manage,
    )


def forum_page(forum: Forum, is_member: bool, member_form=None, status: int = 200):  # noqa: ANN001
    manage = perm.can_manage_forums(current_user)
    now = utcnow()
    upcoming, past, past_count = meetings.forum_meetings(forum, now)
    everyone = membership.members(forum) if manage else []
    current = [m for m in everyone if m.row.left_on is None]
    if manage and member_form is None:
        member_form = MemberForm(formdata=None)
        member_form.joined_on.data = dates.local_today()
    return render(
        "forums/forum.html",
        status=status,
        forum=forum,
        is_member=is_member,
        upcoming=upcoming,
        past=past,
        past_count=past_count,
        members=current,
        former=[m for m in everyone if m.row.left_on is not None],
        member_count=len(current)
        if manage
        else membership.member_counts([forum.id]).get(forum.id, 0),
        member_form=member_form,
        joined=day_labels(m.row.joined_on for m in current),
        leave_url=id_urls("forums.member_leave", "user_id", forum_id=forum.id),
        meeting_url=id_urls("forums.meeting", "meeting_id"),
        form=member_form,  # so the page's error summary lists its problems
        manage=manage,
        my_replies=replies.replies_of(current_user.id, [m.id for m in upcoming]),
        coming=replies.coming_counts([m.id for m in upcoming]) if manage else {},
        reply_labels=REPLY_LABELS,
        rungs=RUNG_LABELS,
    )


@bp.route("/forums/<int:forum_id>")
@login_required
def forum(forum_id: int):
    forum, is_member = load_forum(forum_id)
    return forum_page(forum, is_member)


# The meeting page and replies -------------------------------------------------------------


def _meeting_context(meeting: Meeting, invitation: Invitation | None, **extra) -> dict:
    """Everything the meeting page shows; each part is one query, whatever the number of
    people invited."""
    manage = perm.can_manage_forums(current_user)
    now = utcnow()
    counts = replies.reply_counts(meeting)
    coming = counts.get(Reply.YES.value, 0)
    agenda = list(meeting.agenda)
    context = {
        "meeting": meeting,
        "forum": meeting.forum,
        "invitation": invitation,
        "reply": invitation.reply if invitation else None,
        "position": (
            replies.waiting_position(invitation)
            if invitation is not None and invitation.reply == Reply.WAITING.value
            else None
        ),
        "coming": coming,
        "places_left": (
            max(meeting.capacity - coming, 0) if meeting.capacity is not None else None
        ),
        "over": meeting.ends_at < now,
        "attendance_open": why_register_closed(meeting) is None,
        "can_reply": perm.can_reply(current_user, meeting, invitation is not None)
        and meeting.ends_at >= now,
        "agenda": agenda,
        "carried": actions_by_id([i.action_id for i in agenda if i.action_id]),
        "papers": papers_of(meeting),
        "actions": meeting_actions(meeting),
        "manage": manage,
        "reply_labels": REPLY_LABELS,
        "rungs": RUNG_LABELS,
        "reply_problem": None,
        "reply_message": None,
    }
    if manage:
        people = replies.invitees(meeting)
        context.update(
            counts=counts,
            people=people,
            waiting=replies.waiting_list(people),
            presence=presence_counts(meeting),
            presence_labels=PRESENCE_LABELS,
        )
        context["raised"], context["raised_count"] = raised_items(meeting)
    if perm.can_see_needs_names(current_user):
        context.update(needs=needs.needs_of_those_coming(meeting), need_labels=ACCESS_NEEDS)
    context.update(extra)
    return context


@bp.route("/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    meeting, invitation = load_meeting(meeting_id)
    return render("forums/meeting.html", **_meeting_context(meeting, invitation))


REPLY_MESSAGES = {
    Reply.YES.value: _l("Thank you. You are coming. We will remind you before the meeting."),
    Reply.MAYBE.value: _l("Thank you. We have noted that you might come."),
    Reply.NO.value: _l("Thank you for letting us know. We hope to see you another time."),
    Reply.WAITING.value: _l(
        "The meeting is full, so you are on the waiting list. We will tell you if a place "
        "comes free."
    ),
}


@bp.route("/meetings/<int:meeting_id>/reply", methods=["POST"])
@login_required
def reply(meeting_id: int):
    """One tap: yes, maybe or no. With htmx the reply block is swapped in place; a plain
    form post goes back to the meeting page."""
    meeting, invitation = load_meeting(meeting_id)
    allow(perm.can_reply(current_user, meeting, invitation is not None))
    form = ReplyForm()
    problem = None
    if form.validate_on_submit():
        try:
            invitation = replies.reply(current_user, meeting, Reply(form.reply.data))
        except ForumError as error:
            db.session.rollback()
            problem = str(error)
        else:
            db.session.commit()
            message = str(REPLY_MESSAGES[invitation.reply])
            # The reply block swaps in place for htmx; a plain post goes back to the page.
            return updated(
                "forums/meeting.html",
                "reply",
                url_for("forums.meeting", meeting_id=meeting.id),
                message=message,
                **_meeting_context(meeting, invitation, reply_message=message),
            )
    else:
        problem = _("Choose yes, maybe or no")
    meeting, invitation = load_meeting(meeting_id)
    return render(
        "forums/meeting.html",
        block="reply",
        **_meeting_context(meeting, invitation, reply_problem=problem),
    )


# Papers -----------------------------------------------------------------------------------


def _file_name(title: str) -> str:
    """A paper's title as a file name in any language, without characters file systems refuse
    (send_file encodes the rest for the browser)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title).strip()[:100] or "paper"


@bp.route("/meetings/<int:meeting_id>/papers/<int:paper_id>")
@login_required
def paper(meeting_id: int, paper_id: int):
    """A paper, only for those who may see its meeting; always a download, never shown in
    the page, so a file cannot act as part of the site."""
    meeting, _invitation = load_meeting(meeting_id)
    paper = load_paper(meeting, paper_id)
    path = paper_file(paper)
    if not path.is_file():
        abort(404)
    extension = uploads.EXTENSIONS.get(paper.content_type, "bin")
    response = send_file(
        path,
        mimetype=paper.content_type,
        as_attachment=True,
        download_name=f"{_file_name(paper.title)}.{extension}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""Calendars: a secret, revocable feed of each person's meetings, a feed per forum, and an
"add to calendar" file per meeting (iCalendar, built with the ``icalendar`` library).

The personal feed is read by calendar apps, which cannot sign in, so its address is the key:
a long random token, stored only as a hash. It lists only that person's meetings and nothing
about anyone else; an unknown or revoked token is simply not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from engage.core import audit
from engage.core.db import utcnow
from engage.core.htmx import redirect_to, render
from engage.core.i18n import in_their_language
from engage.core.links import absolute_url
from engage.extensions import db
from engage.forums import bp
from engage.forums.forms import CalendarAddressForm, ConfirmForm
from engage.forums.membership import member_of
from engage.forums.models import REPLY_LABELS, CalendarFeed, Forum, Invitation, Meeting, Reply
from engage.forums.permissions import can_view_forum, can_view_meeting
from engage.people.models import User, hash_token, new_token

#: How far back feeds go; calendar apps keep what they already have.
HISTORY = timedelta(days=180)

#: Replies that put a meeting in the person's calendar.
IN_CALENDAR = (Reply.YES.value, Reply.MAYBE.value, Reply.WAITING.value)

CONTENT_TYPE = "text/calendar; charset=utf-8"

if TYPE_CHECKING:
    import icalendar


# Building ---------------------------------------------------------------------------------


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "engage"


def event_uid(meeting: Meeting) -> str:
    """The same for a meeting in every feed and file, so calendars update it in place."""
    return f"meeting-{meeting.id}@{_host()}"


def meeting_url(meeting: Meeting) -> str:
    try:
        return absolute_url("forums.meeting", meeting_id=meeting.id)
    except BuildError:  # the meeting page is not registered (yet): its address is fixed
        return f"{current_app.config['BASE_URL'].rstrip('/')}/meetings/{meeting.id}"


def _summary(meeting: Meeting) -> str:
    name = meeting.forum.name
    return f"{name}: {meeting.title}" if meeting.title else name


def _location(meeting: Meeting) -> str:
    if meeting.venue is not None:
        parts = [meeting.venue.name]
        address = ", ".join(
            line.strip(" ,") for line in meeting.venue.address.splitlines() if line.strip(" ,")
        )
        if address:
            parts.append(address)
        return ", ".join(parts)
    return meeting.online_link or ""


def meeting_event(meeting: Meeting, reply: str | None = None) -> icalendar.Event:
    """One meeting as an event. ``reply`` is the person's answer, for their own feed."""
    import icalendar  # here, not at the top: only calendar files need it

    event = icalendar.Event()
    event.add("uid", event_uid(meeting))
    event.add("dtstamp", utcnow().replace(microsecond=0))
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", _summary(meeting))
    location = _location(meeting)
    if location:
        event.add("location", location)
    url = meeting_url(meeting)
    lines = []
    if reply in (Reply.YES.value, Reply.MAYBE.value, Reply.WAITING.value):
        lines.append(_("Your reply: %(reply)s", reply=REPLY_LABELS[Reply(reply)]))
    if meeting.online_link:
        lines.append(_("Join online: %(link)s", link=meeting.online_link))
    lines.append(_("Details, papers and your reply: %(link)s", link=url))
    event.add("description", "\n".join(lines))
    event.add("url", url)
    if meeting.cancelled:
        event.add("status", "CANCELLED")
    elif reply in (Reply.MAYBE.value, Reply.WAITING.value):
        event.add("status", "TENTATIVE")
    else:
        event.add("status", "CONFIRMED")
    return event


def build_calendar(name: str, events: Iterable[icalendar.Event], feed: bool = True) -> bytes:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//engage//forum meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    if feed:
        # Ask subscribed calendars to look again every hour.
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


def person_feed(person: User, now: datetime | None = None) -> bytes:
    """The meetings ``person`` is coming to, might come to or is waiting for, in their own
    language. A cancelled one stays, marked cancelled, so their calendar shows it is off."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Meeting, Invitation.reply)
        .join(Invitation, Invitation.meeting_id == Meeting.id)
        .options(joinedload(Meeting.forum), joinedload(Meeting.venue))
        .where(
            Invitation.user_id == person.id,
            Invitation.reply.in_(IN_CALENDAR),
            Meeting.ends_at >= now - HISTORY,
        )
        .order_by(Meeting.starts_at)
    ).all()
    with in_their_language(person):
        name = _("%(partnership)s: my meetings", partnership=current_app.config["PARTNERSHIP_NAME"])
        return build_calendar(name, [meeting_event(m, reply) for m, reply in rows])


def forum_feed(forum: Forum, now: datetime | None = None) -> bytes:
    now = now or utcnow()
    meetings = db.session.scalars(
        select(Meeting)
        .options(joinedload(Meeting.forum), joinedload(Meeting.venue))
        .where(Meeting.forum_id == forum.id, Meeting.ends_at >= now - HISTORY)
        .order_by(Meeting.starts_at)
    ).all()
    return build_calendar(forum.name, [meeting_event(m) for m in meetings])


def _ics(body: bytes, filename: str | None = None) -> Response:
    response = Response(body, status=200, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The secret address -------------------------------------------------------------------------


def make_address(person: User) -> str:
    """Make ``person`` a new secret feed token, revoking any older one. Returns the token,
    which is not stored and cannot be shown again."""
    token = new_token()
    row = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == person.id))
    if row is None:
        row = CalendarFeed(user_id=person.id, token_hash=hash_token(token))
        db.session.add(row)
    else:
        row.token_hash = hash_token(token)
        row.created_at = utcnow()
    audit.record("calendar.address_made", actor=person, subject=person)
    db.session.flush()
    return token


def stop_address(person: User) -> bool:
    row = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == person.id))
    if row is None:
        return False
    db.session.delete(row)
    audit.record("calendar.address_stopped", actor=person, subject=person)
    db.session.flush()
    return True


def owner_of(token: str) -> User | None:
    """The active person whose feed ``token`` opens, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == hash_token(token), User.is_active)
    )


# Pages ----------------------------------------------------------------------------------------


def _feed_url(token: str) -> str:
    return absolute_url("forums.calendar_feed", token=token)


@bp.route("/me/calendar", methods=["GET", "POST"])
@login_required
def my_calendar():
    form = CalendarAddressForm()
    address = None
    if form.validate_on_submit():
        token = make_address(current_user._get_current_object())
        db.session.commit()
        address = _feed_url(token)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == current_user.id))
    return render(
        "forums/calendar/mine.html",
        form=form,
        stop_form=ConfirmForm(formdata=None),
        feed=feed,
        address=address,
        webcal=address.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1)
        if address
        else None,
    )


@bp.route("/me/calendar/stop", methods=["POST"])
@login_required
def stop_my_calendar():
    form = ConfirmForm()
    if form.validate_on_submit() and stop_address(current_user._get_current_object()):
        db.session.commit()
        flash(_("Your calendar address has stopped working."), "success")
    return redirect_to(url_for("forums.my_calendar"))


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    """The personal feed: no sign-in, the secret address is the key."""
    person = owner_of(token)
    if person is None:
        abort(404)
    return _ics(person_feed(person))


@bp.route("/forums/<int:forum_id>/calendar.ics")
@login_required
def forum_calendar(forum_id: int):
    forum = db.session.get(Forum, forum_id)
    if forum is None:
        abort(404)
    is_member = member_of(current_user.id, forum.id)
    if not can_view_forum(current_user, forum, is_member):
        abort(404)
    return _ics(forum_feed(forum), filename=f"forum-{forum.id}.ics")


@bp.route("/meetings/<int:meeting_id>/calendar.ics")
@login_required
def meeting_calendar(meeting_id: int):
    """ "Add to calendar": one meeting as a file the phone or computer opens."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    invitation = db.session.scalar(
        select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.user_id == current_user.id
        )
    )
    is_member = member_of(current_user.id, meeting.forum_id)
    if not can_view_meeting(current_user, meeting, invitation is not None, is_member):
        abort(404)
    reply = invitation.reply if invitation is not None else None
    body = build_calendar(_summary(meeting), [meeting_event(meeting, reply)], feed=False)
    return _ics(body, filename=f"meeting-{meeting.id}.ics")

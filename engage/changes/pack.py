"""The board pack: what a board reads before its next meeting, on one printable page (and as a
PDF from the same page).

It gathers the next meeting's agenda with each item's action plan, the decisions the board made
in the period, what the forums said and what changed ("you said, we did"), the programme's
headline figures and attendance at the board's own meetings. The period runs from the day of
the board's last meeting to today, unless the reader chooses another.

A fixed number of queries, however many items, meetings or decisions there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.changes import board_services
from engage.changes.board_services import Agenda, MeetingRecord
from engage.changes.models import ActionStep, Board, BoardMember, Decision, Item, Source, State
from engage.changes.services import quotable
from engage.core import dates
from engage.core.figures import Kind, Period, Section, Table
from engage.dashboard import services as dashboard
from engage.dashboard.periods import Chosen
from engage.extensions import db
from engage.forums.models import Forum, Meeting

#: How many "you said, we did" changes the pack tells in full; the rest are counted.
HIGHLIGHTS = 10

#: The pick name of the default period, for addresses and the page.
SINCE_LAST_MEETING = "since-last-meeting"


def sits_on(board: Board, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return (
        db.session.scalar(
            select(BoardMember.id).where(
                BoardMember.board_id == board.id, BoardMember.user_id == user_id
            )
        )
        is not None
    )


def since_last_meeting(records: list[MeetingRecord], now: datetime) -> Chosen:
    """From the day of the board's last meeting before ``now`` to today (the four weeks to
    today when it has not met yet), compared with as many days just before."""
    today = dates.local_today()
    past = [r.meeting for r in records if r.meeting.starts_at < now]
    if past:
        start = min(dates.local_date(past[-1].starts_at), today)
    else:
        start = today - board_services.DEFAULT_CYCLE + timedelta(days=1)
    current = Period(start, today)
    return Chosen(current, current.before(), SINCE_LAST_MEETING)


@dataclass
class ForumFeedback:
    """A forum meeting in the period: what it decided or advised, and what it raised."""

    meeting: Meeting
    forum: str
    raised: list[tuple[int, str]] = field(default_factory=list)  # (item id, title)


@dataclass
class Pack:
    board: Board
    chosen: Chosen
    agenda: Agenda
    steps: dict[int, list[ActionStep]]  # each agenda item's action plan, by item id
    decisions: list[tuple[Decision, str, datetime]]  # (decision, item title, meeting's start)
    feedback: list[ForumFeedback]
    resolved: list[Item]  # the latest changes made in the period
    resolved_count: int
    quotable: set[int]  # of ``resolved``, whose own words may be shown
    attendance: list[MeetingRecord]  # the board's meetings in the period that have happened
    sections: list[Section]  # the dashboard's sections, figures only

    @property
    def attendance_rate(self) -> float | None:
        return board_services.attendance_rate(self.attendance)

    def attendance_table(self) -> Table:
        """Attendance at each meeting in the period, for a chart and its table."""
        rows = [
            (
                _(
                    "%(date)s (%(present)d of %(recorded)d came)",
                    date=format_date(r.meeting.starts_at, "medium"),
                    present=r.present,
                    recorded=r.recorded,
                )
                if r.recorded
                else _("%(date)s (not recorded)", date=format_date(r.meeting.starts_at, "medium")),
                None if r.rate is None else round(r.rate * 100, 1),
            )
            for r in self.attendance
        ]
        return Table(
            "board_attendance",
            _("Attendance at this board's meetings"),
            _("Meeting"),
            [_("Attendance")],
            rows,
            kind=Kind.PERCENT,
            chart="bar" if any(row[1] is not None for row in rows) else None,
            how=_(
                "Of the members recorded for each meeting, the share who came. A meeting "
                "whose attendance was not taken shows no share."
            ),
        )


def _between(column, period: Period):  # noqa: ANN001, ANN202
    return (column >= dates.start_of_day(period.start)) & (
        column < dates.start_of_day(period.end + timedelta(days=1))
    )


def _steps(items: list[Item]) -> dict[int, list[ActionStep]]:
    ids = [item.id for item in items]
    found: dict[int, list[ActionStep]] = {item_id: [] for item_id in ids}
    if ids:
        for step in db.session.scalars(
            select(ActionStep)
            .where(ActionStep.item_id.in_(ids))
            .order_by(ActionStep.due_date, ActionStep.id)
        ):
            found[step.item_id].append(step)
    return found


def _feedback(period: Period, every_forum: bool) -> list[ForumFeedback]:
    """Forum meetings held in the period (not the training forum's sessions, not cancelled)
    that recorded decisions or raised items. Invitation-only forums only for ``every_forum``
    (the lived experience team): others see what an open forum says, as on the forum pages.
    Two queries."""
    query = (
        select(Meeting, Forum.name)
        .join(Forum, Forum.id == Meeting.forum_id)
        .where(
            _between(Meeting.starts_at, period),
            Meeting.cancelled.is_(False),
            Forum.is_training.is_(False),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if not every_forum:
        query = query.where(Forum.open_to_all.is_(True))
    rows = db.session.execute(query)
    found = {meeting.id: ForumFeedback(meeting, name) for meeting, name in rows}
    if not found:
        return []
    for item_id, title, meeting_id in db.session.execute(
        select(Item.id, Item.title, Item.source_meeting_id)
        .where(
            Item.source_meeting_id.in_(list(found)),
            Item.source == Source.MEETING.value,
            Item.state != State.MERGED.value,
        )
        .order_by(Item.id)
    ):
        found[meeting_id].raised.append((item_id, title))
    return [f for f in found.values() if f.meeting.decisions.strip() or f.raised]


def build(
    board: Board,
    now: datetime,
    chosen: Chosen | None = None,
    *,
    public_only: bool = False,
    every_forum: bool = False,
) -> Pack:
    """The pack for ``board`` at ``now``, for the period ``chosen`` (None: since the board's
    last meeting). ``public_only``: only the headline figures marked public (a reader who does
    not see the whole dashboard). ``every_forum``: feedback from invitation-only forums too."""
    records = board_services.meetings(board)
    chosen = chosen or since_last_meeting(records, now)
    period = chosen.current
    all_meetings = [r.meeting for r in records]
    upcoming = board_services.next_meeting(all_meetings, now)
    agenda = board_services.build_agenda(board, all_meetings, upcoming, now)
    agenda_items = [item for items in agenda.groups.values() for item in items]

    start = dates.start_of_day(period.start)
    end = dates.start_of_day(period.end + timedelta(days=1))
    decisions = [
        (decision, title, r.meeting.starts_at)
        for r in records
        for decision, title in r.decisions
        if start <= decision.decided_at < end
    ]
    held = [r for r in records if r.meeting.starts_at < now and start <= r.meeting.starts_at < end]

    resolved_query = select(Item).where(
        Item.state == State.RESOLVED.value, _between(Item.resolved_at, period)
    )
    resolved = list(
        db.session.scalars(
            resolved_query.order_by(Item.resolved_at.desc(), Item.id.desc()).limit(HIGHLIGHTS)
        )
    )
    resolved_count = db.session.scalar(select(func.count()).select_from(resolved_query.subquery()))
    sections = [
        Section(s.key, s.title, s.figures, [], s.note)
        for s in dashboard.build(period, chosen.previous, public_only=public_only)
        if s.figures
    ]
    return Pack(
        board=board,
        chosen=chosen,
        agenda=agenda,
        steps=_steps(agenda_items),
        decisions=decisions,
        feedback=_feedback(period, every_forum),
        resolved=resolved,
        resolved_count=resolved_count or 0,
        quotable=quotable(resolved) if resolved else set(),
        attendance=held,
        sections=sections,
    )


def filename(board: Board, period: Period) -> str:
    return f"board-pack-{board.id}-{period.start.isoformat()}-to-{period.end.isoformat()}.pdf"

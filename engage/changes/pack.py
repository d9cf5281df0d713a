"""The board pack: what a board reads before its next meeting, on one printable page (and as a
PDF from the same page).

It gathers the next meeting's agenda with each item's action plan, the decisions the board made
in the period, what the forums said and what changed ("you said, we did"), the programme's
headline figures and attendance at the board's own meetings. The period runs from the day of
the board's last meeting to today, unless the reader chooses another.

A board meeting can work through a couple of dozen items, not thousands: every list is bounded
(the most pressing first) and says how many more there are and where to find them, with each
count exact (from SQL). A fixed number of queries, however many items, meetings or decisions
there are, and no row is loaded that the pack does not show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.changes import board_services
from engage.changes.board_services import Agenda, MeetingRecord
from engage.changes.models import (
    ActionStep,
    Board,
    BoardMeeting,
    BoardMember,
    Decision,
    Item,
    Source,
    State,
)
from engage.changes.services import quotable
from engage.core import dates
from engage.core.figures import Kind, Period, Section, Table
from engage.dashboard import services as dashboard
from engage.dashboard.periods import Chosen
from engage.extensions import db
from engage.forums.models import Forum, Meeting

#: How many entries each list in the pack shows (the items under each agenda heading, the
#: decisions, the forum meetings): what one meeting can use. The rest are counted.
LISTED = 20

#: How many "you said, we did" changes the pack tells in full; the rest are counted.
HIGHLIGHTS = 10

#: How many steps of each agenda item's action plan, and how many items raised at each forum
#: meeting, the pack lists; the item's and the meeting's own pages have them all.
STEPS = 10
RAISED = 10

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
    raised_count: int  # items raised for the register at this meeting, all of them
    raised: list[tuple[int, str]] = field(default_factory=list)  # (item id, title), the first

    @property
    def more(self) -> int:
        return self.raised_count - len(self.raised)


@dataclass
class Plan:
    """The first steps of an agenda item's action plan, and how many it has."""

    steps: list[ActionStep] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.steps)


@dataclass
class Pack:
    board: Board
    chosen: Chosen
    agenda: Agenda  # bounded: the most pressing items under each heading, and exact totals
    plans: dict[int, Plan]  # each listed agenda item's action plan, by item id
    decisions: list[tuple[Decision, str, datetime]]  # (decision, item title, meeting's start)
    decisions_count: int
    feedback: list[ForumFeedback]  # the latest forum meetings with something to tell
    feedback_count: int
    resolved: list[Item]  # the latest changes made in the period
    resolved_count: int
    quotable: set[int]  # of ``resolved``, whose own words may be shown
    attendance: list[MeetingRecord]  # the board's meetings in the period that have happened
    sections: list[Section]  # the dashboard's sections, figures only

    @property
    def more_decisions(self) -> int:
        return self.decisions_count - len(self.decisions)

    @property
    def more_feedback(self) -> int:
        return self.feedback_count - len(self.feedback)

    @property
    def more_resolved(self) -> int:
        return self.resolved_count - len(self.resolved)

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


def _bounded(query, limit: int) -> tuple[list, int]:  # noqa: ANN001
    """The first ``limit`` rows of ``query`` (in its order) and how many it has in all, in one
    statement: the count is a window over every row, taken before the limit."""
    rows = db.session.execute(query.add_columns(func.count().over()).limit(limit)).all()
    return [row[:-1] for row in rows], rows[0][-1] if rows else 0


def _plans(items: list[Item]) -> dict[int, Plan]:
    """The first :data:`STEPS` steps of each item's action plan (by due date) and how many it
    has. One query, run even for no items so the count of queries never changes."""
    plans = {item.id: Plan() for item in items}
    ranked = (
        select(
            ActionStep.id,
            func.row_number()
            .over(partition_by=ActionStep.item_id, order_by=(ActionStep.due_date, ActionStep.id))
            .label("place"),
            func.count().over(partition_by=ActionStep.item_id).label("total"),
        )
        .where(ActionStep.item_id.in_(list(plans)))
        .subquery()
    )
    for step, total in db.session.execute(
        select(ActionStep, ranked.c.total)
        .join(ranked, ranked.c.id == ActionStep.id)
        .where(ranked.c.place <= STEPS)
        .order_by(ActionStep.item_id, ranked.c.place)
    ):
        plan = plans[step.item_id]
        plan.steps.append(step)
        plan.total = total
    return plans


def _decisions(board: Board, period: Period) -> tuple[list[tuple[Decision, str, datetime]], int]:
    """The latest :data:`LISTED` decisions made at the board's meetings in the period, newest
    first, with each item's title and the meeting's start; and how many there were. One query.
    """
    rows, total = _bounded(
        select(Decision, Item.title, BoardMeeting.starts_at)
        .join(Item, Item.id == Decision.item_id)
        .join(BoardMeeting, BoardMeeting.id == Decision.meeting_id)
        .where(BoardMeeting.board_id == board.id, _between(Decision.decided_at, period))
        .order_by(Decision.decided_at.desc(), Decision.id.desc()),
        LISTED,
    )
    return [(decision, title, held_at) for decision, title, held_at in rows], total


def _raised_items():  # noqa: ANN202  (a SQL expression)
    """Items raised for the register at a forum meeting (merged ones counted once, in the
    item they were merged into)."""
    return (Item.source == Source.MEETING.value) & (Item.state != State.MERGED.value)


def _feedback(period: Period, every_forum: bool) -> tuple[list[ForumFeedback], int]:
    """The latest :data:`LISTED` forum meetings held in the period (not the training forum's
    sessions, not cancelled) that recorded decisions or raised items, newest first, each with
    the first :data:`RAISED` items it raised; and how many such meetings there were.
    Invitation-only forums only for ``every_forum`` (the lived experience team): others see
    what an open forum says, as on the forum pages. Two queries."""
    raised_count = (
        select(func.count(Item.id))
        .where(Item.source_meeting_id == Meeting.id, _raised_items())
        .correlate(Meeting)
        .scalar_subquery()
    )
    query = (
        select(Meeting, Forum.name, raised_count)
        .join(Forum, Forum.id == Meeting.forum_id)
        .where(
            _between(Meeting.starts_at, period),
            Meeting.cancelled.is_(False),
            Forum.is_training.is_(False),
            (func.trim(Meeting.decisions) != "") | (raised_count > 0),
        )
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    if not every_forum:
        query = query.where(Forum.open_to_all.is_(True))
    rows, total = _bounded(query, LISTED)
    found = {meeting.id: ForumFeedback(meeting, name, count) for meeting, name, count in rows}
    ranked = (
        select(
            Item.id,
            Item.title,
            Item.source_meeting_id,
            func.row_number()
            .over(partition_by=Item.source_meeting_id, order_by=Item.id)
            .label("place"),
        )
        .where(Item.source_meeting_id.in_(list(found)), _raised_items())
        .subquery()
    )
    for item_id, title, meeting_id in db.session.execute(
        select(ranked.c.id, ranked.c.title, ranked.c.source_meeting_id)
        .where(ranked.c.place <= RAISED)
        .order_by(ranked.c.source_meeting_id, ranked.c.place)
    ):
        found[meeting_id].raised.append((item_id, title))
    return list(found.values()), total


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
    nearby = board_services.nearby_meetings(board, now)
    chosen = chosen or since_last_meeting([MeetingRecord(m) for m in nearby], now)
    period = chosen.current
    upcoming = board_services.next_meeting(nearby, now)
    agenda = board_services.build_agenda(board, nearby, upcoming, now, limit=LISTED)
    agenda_items = [item for items in agenda.groups.values() for item in items]

    start = dates.start_of_day(period.start)
    end = dates.start_of_day(period.end + timedelta(days=1))
    held = board_services.meetings(board, start, min(end, now))
    decisions, decisions_count = _decisions(board, period)
    feedback, feedback_count = _feedback(period, every_forum)
    resolved_rows, resolved_count = _bounded(
        select(Item)
        .where(Item.state == State.RESOLVED.value, _between(Item.resolved_at, period))
        .order_by(Item.resolved_at.desc(), Item.id.desc()),
        HIGHLIGHTS,
    )
    resolved = [item for (item,) in resolved_rows]
    sections = [
        Section(s.key, s.title, s.figures, [], s.note)
        for s in dashboard.build(period, chosen.previous, public_only=public_only)
        if s.figures
    ]
    return Pack(
        board=board,
        chosen=chosen,
        agenda=agenda,
        plans=_plans(agenda_items),
        decisions=decisions,
        decisions_count=decisions_count,
        feedback=feedback,
        feedback_count=feedback_count,
        resolved=resolved,
        resolved_count=resolved_count,
        quotable=quotable(resolved),
        attendance=held,
        sections=sections,
    )


def filename(board: Board, period: Period) -> str:
    return f"board-pack-{board.id}-{period.start.isoformat()}-to-{period.end.isoformat()}.pdf"

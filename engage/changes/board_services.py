"""Use cases and read models for the boards: who sits on them, their meetings and attendance,
and the agenda each meeting gets from the register by itself.

Every reader here runs a fixed number of queries however many items, members or meetings a
board has (aggregates and eager loads, never one query per row). Writers take plain values,
audit, and flush; the route commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import joinedload

from engage.changes.models import (
    OPEN_STATES,
    Attendance,
    Board,
    BoardMeeting,
    BoardMember,
    Decision,
    Item,
    State,
)
from engage.core import audit, dates
from engage.extensions import db
from engage.people.models import Organisation, Role, User, UserRole

#: Without a meeting before (or after) the one on the agenda, "new" and "due soon" look this
#: far back (or ahead): boards here meet about every four weeks.
DEFAULT_CYCLE = timedelta(days=28)


class BoardProblem(ValueError):
    """A board change that cannot be made. The message is safe to show."""


# --- reading ----------------------------------------------------------------------------------


@dataclass
class BoardSummary:
    board: Board
    members: int
    experts: int  # expert-by-experience seats
    next_meeting: datetime | None

    @property
    def expert_share(self) -> float | None:
        """The share of seats held by experts by experience (0 to 1); None for no members."""
        return self.experts / self.members if self.members else None


def board_summaries(now: datetime) -> list[BoardSummary]:
    """Every board with its member counts and next meeting, in three queries."""
    boards = db.session.scalars(select(Board).order_by(Board.level, Board.name)).all()
    counts = {
        board_id: (members, experts)
        for board_id, members, experts in db.session.execute(
            select(
                BoardMember.board_id,
                func.count(BoardMember.id),
                func.sum(case((BoardMember.expert_by_experience, 1), else_=0)),
            ).group_by(BoardMember.board_id)
        )
    }
    upcoming = dict(
        db.session.execute(
            select(BoardMeeting.board_id, func.min(BoardMeeting.starts_at))
            .where(BoardMeeting.starts_at >= now)
            .group_by(BoardMeeting.board_id)
        ).all()
    )
    summaries = []
    for board in boards:
        members, experts = counts.get(board.id, (0, 0))
        summaries.append(BoardSummary(board, members, int(experts or 0), upcoming.get(board.id)))
    return summaries


@dataclass
class Seat:
    member: BoardMember
    organisation: str  # the member's organisation, "" when none

    @property
    def user(self) -> User:
        return self.member.user


def seats(board: Board) -> list[Seat]:
    """The board's members with their organisations, chairs and named roles first."""
    rows = db.session.execute(
        select(BoardMember, Organisation.name)
        .join(User, User.id == BoardMember.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(BoardMember.board_id == board.id)
        .options(joinedload(BoardMember.user))
        .order_by(BoardMember.expert_by_experience, BoardMember.role == "", BoardMember.id)
    ).all()
    return [Seat(member, organisation or "") for member, organisation in rows]


@dataclass
class MeetingRecord:
    meeting: BoardMeeting
    recorded: int = 0  # attendance rows saved for this meeting
    present: int = 0
    decision_count: int = 0  # decisions made there

    @property
    def rate(self) -> float | None:
        """The share of those recorded who came (0 to 1); None before attendance is taken."""
        return self.present / self.recorded if self.recorded else None


def meetings(board: Board, since: datetime, until: datetime) -> list[MeetingRecord]:
    """The board's meetings from ``since`` up to (not including) ``until``, oldest first, with
    attendance: two queries (the board pack's period)."""
    within = (
        (BoardMeeting.board_id == board.id)
        & (BoardMeeting.starts_at >= since)
        & (BoardMeeting.starts_at < until)
    )
    rows = db.session.scalars(
        select(BoardMeeting).where(within).order_by(BoardMeeting.starts_at, BoardMeeting.id)
    ).all()
    records = {m.id: MeetingRecord(m) for m in rows}
    for meeting_id, recorded, present in db.session.execute(
        select(
            Attendance.meeting_id,
            func.count(Attendance.id),
            func.sum(case((Attendance.attended, 1), else_=0)),
        )
        .join(BoardMeeting, BoardMeeting.id == Attendance.meeting_id)
        .where(within)
        .group_by(Attendance.meeting_id)
    ):
        records[meeting_id].recorded = recorded
        records[meeting_id].present = int(present or 0)
    return list(records.values())


def nearby_meetings(board: Board, now: datetime) -> list[BoardMeeting]:
    """The board's last meeting before ``now`` and the soonest :data:`UPCOMING` from ``now``
    on, oldest first: all an agenda for the meeting at ``now`` (or the next one, or for now)
    needs to find the meetings either side. Two queries."""
    last = db.session.scalars(
        select(BoardMeeting)
        .where(BoardMeeting.board_id == board.id, BoardMeeting.starts_at < now)
        .order_by(BoardMeeting.starts_at.desc(), BoardMeeting.id.desc())
        .limit(1)
    ).all()
    upcoming = db.session.scalars(
        select(BoardMeeting)
        .where(BoardMeeting.board_id == board.id, BoardMeeting.starts_at >= now)
        .order_by(BoardMeeting.starts_at, BoardMeeting.id)
        .limit(UPCOMING)
    ).all()
    return [*last, *upcoming]


def attendance_rate(records: list[MeetingRecord]) -> float | None:
    """Attendance across every meeting where it was taken (0 to 1); None if never taken."""
    recorded = sum(r.recorded for r in records)
    return sum(r.present for r in records) / recorded if recorded else None


def attendees(meeting: BoardMeeting) -> list[tuple[User, bool]]:
    """Who was recorded at a meeting (present or sent apologies), by name."""
    rows = db.session.execute(
        select(User, Attendance.attended)
        .join(Attendance, Attendance.user_id == User.id)
        .where(Attendance.meeting_id == meeting.id)
    ).all()
    return sorted(((u, bool(a)) for u, a in rows), key=lambda row: row[0].display_name.lower())


def bounded(query, limit: int) -> tuple[list, int]:  # noqa: ANN001
    """The first ``limit`` rows of ``query`` (in its order) and how many it has in all, in one
    statement: the count is a window over every row, taken before the limit."""
    rows = db.session.execute(query.add_columns(func.count().over()).limit(limit)).all()
    return [row[:-1] for row in rows], rows[0][-1] if rows else 0


def with_counts(meetings: list[BoardMeeting]) -> list[MeetingRecord]:
    """Records for ``meetings`` (in their order) with attendance and how many decisions each
    made: two grouped queries, run even for no meetings so the count of queries is fixed."""
    records = {m.id: MeetingRecord(m) for m in meetings}
    ids = list(records)
    for meeting_id, recorded, present in db.session.execute(
        select(
            Attendance.meeting_id,
            func.count(Attendance.id),
            func.sum(case((Attendance.attended, 1), else_=0)),
        )
        .where(Attendance.meeting_id.in_(ids))
        .group_by(Attendance.meeting_id)
    ):
        records[meeting_id].recorded = recorded
        records[meeting_id].present = int(present or 0)
    for meeting_id, count in db.session.execute(
        select(Decision.meeting_id, func.count(Decision.id))
        .where(Decision.meeting_id.in_(ids))
        .group_by(Decision.meeting_id)
    ):
        records[meeting_id].decision_count = count
    return list(records.values())


#: How many of each list a board's page shows; the rest are counted, and the board's meetings
#: and decisions pages (and the register, for the agenda) have them all.
UPCOMING = 5  # meetings coming up, the soonest first
PAST = 10  # past meetings, the latest first
LISTED = 20  # decisions (the latest meetings' first), and agenda items under each heading


@dataclass
class BoardPage:
    """What a board's page shows: bounded lists, each with its exact count."""

    upcoming: list[BoardMeeting]  # the soonest :data:`UPCOMING` meetings still to come
    upcoming_count: int
    past: list[MeetingRecord]  # the latest :data:`PAST` meetings held, newest first
    past_count: int
    rate: float | None  # attendance across every past meeting where it was taken
    decisions: list[tuple[Decision, str, BoardMeeting]]  # (decision, item title, meeting)
    decisions_count: int
    agenda: Agenda  # the next meeting's, bounded under each heading

    @property
    def more_upcoming(self) -> int:
        return self.upcoming_count - len(self.upcoming)

    @property
    def more_past(self) -> int:
        return self.past_count - len(self.past)

    @property
    def more_decisions(self) -> int:
        return self.decisions_count - len(self.decisions)

    def decisions_by_meeting(self) -> list[tuple[BoardMeeting, list[tuple[Decision, str]]]]:
        """The listed decisions under their meetings, in the order listed."""
        return group_decisions(self.decisions)

    def all_decisions_listed(self, record: MeetingRecord) -> bool:
        """Whether every decision of the meeting is listed on the page (for a link there)."""
        meeting_id = record.meeting.id
        listed = sum(1 for d, _title, _meeting in self.decisions if d.meeting_id == meeting_id)
        return listed == record.decision_count


def group_decisions(
    rows: list[tuple[Decision, str, BoardMeeting]],
) -> list[tuple[BoardMeeting, list[tuple[Decision, str]]]]:
    """(decision, item title, meeting) rows, ordered by meeting, as (meeting, [(decision,
    title)]) in the same order."""
    grouped: dict[int, tuple[BoardMeeting, list[tuple[Decision, str]]]] = {}
    for decision, title, meeting in rows:
        grouped.setdefault(meeting.id, (meeting, []))[1].append((decision, title))
    return list(grouped.values())


def decisions_query(board: Board, meeting: BoardMeeting | None = None):  # noqa: ANN201
    """The decisions made at the board's meetings (or at ``meeting``), with each item's title
    and the meeting: the latest meetings first, and in a meeting the first made first."""
    query = (
        select(Decision, Item.title, BoardMeeting)
        .join(Item, Item.id == Decision.item_id)
        .join(BoardMeeting, BoardMeeting.id == Decision.meeting_id)
        .where(BoardMeeting.board_id == board.id)
        .order_by(
            BoardMeeting.starts_at.desc(),
            BoardMeeting.id.desc(),
            Decision.decided_at,
            Decision.id,
        )
    )
    if meeting is not None:
        query = query.where(Decision.meeting_id == meeting.id)
    return query


def board_page(board: Board, now: datetime) -> BoardPage:
    """The board's page at ``now``: its next meetings, its latest past meetings with
    attendance and decisions counted, attendance across all of them, its latest decisions and
    the next meeting's agenda. A fixed number of queries, however many meetings, decisions and
    items there are, and no row read that the page does not show."""
    of_board = BoardMeeting.board_id == board.id
    order = (BoardMeeting.starts_at, BoardMeeting.id)
    rows, upcoming_count = bounded(
        select(BoardMeeting).where(of_board, BoardMeeting.starts_at >= now).order_by(*order),
        UPCOMING,
    )
    upcoming = [meeting for (meeting,) in rows]
    rows, past_count = bounded(
        select(BoardMeeting)
        .where(of_board, BoardMeeting.starts_at < now)
        .order_by(*(column.desc() for column in order)),
        PAST,
    )
    past = with_counts([meeting for (meeting,) in rows])
    recorded, present = db.session.execute(
        select(func.count(Attendance.id), func.sum(case((Attendance.attended, 1), else_=0)))
        .join(BoardMeeting, BoardMeeting.id == Attendance.meeting_id)
        .where(of_board, BoardMeeting.starts_at < now)
    ).one()
    decisions, decisions_count = bounded(decisions_query(board), LISTED)
    # The agenda's window needs only the meetings either side of the next one: the latest
    # past meeting and the two soonest still to come are among those read above.
    nearby = [r.meeting for r in reversed(past)] + upcoming
    upcoming_one = upcoming[0] if upcoming else None
    return BoardPage(
        upcoming=upcoming,
        upcoming_count=upcoming_count,
        past=past,
        past_count=past_count,
        rate=int(present or 0) / recorded if recorded else None,
        decisions=[tuple(row) for row in decisions],
        decisions_count=decisions_count,
        agenda=build_agenda(board, nearby, upcoming_one, now, limit=LISTED),
    )


# --- the agenda -------------------------------------------------------------------------------

#: Agenda headings, most pressing first. An item that fits several sits under the first.
ESCALATED, OVERDUE, NEW, DUE = "escalated", "overdue", "new", "due"
HEADINGS = {
    ESCALATED: _l("Escalated to this board"),
    OVERDUE: _l("Overdue"),
    NEW: _l("New since the last meeting"),
    DUE: _l("Due before the next meeting"),
}


@dataclass
class Agenda:
    """The items a meeting should look at, worked out from the register as it is now."""

    meeting: BoardMeeting | None  # None: no meeting is planned, so this is the agenda for now
    previous: BoardMeeting | None
    following: BoardMeeting | None  # the meeting after this one
    new_since: datetime
    due_before: date
    as_at: date  # overdue means a target date before this day
    groups: dict[str, list[Item]]  # the items listed under each heading, most pressing first
    totals: dict[str, int]  # how many items fit each heading (more than listed, when bounded)

    @property
    def count(self) -> int:
        return sum(self.totals.values())

    def headed(self) -> list[tuple[str, str, list[Item]]]:
        """(key, heading, items) for each heading, in order, empty ones included."""
        return [(key, str(HEADINGS[key]), self.groups[key]) for key in HEADINGS]

    def more(self, key: str) -> int:
        """How many items fit heading ``key`` beyond those listed."""
        return self.totals[key] - len(self.groups[key])


@dataclass(frozen=True)
class _Window:
    """The dates an agenda is built from (see :func:`build_agenda`)."""

    previous: BoardMeeting | None
    following: BoardMeeting | None
    as_at: date  # items with a target date before this day are overdue
    new_since: datetime
    new_until: datetime | None  # None: up to now
    due_before: date

    def heading(self):  # noqa: ANN201  (a SQL expression)
        """The first heading an item fits, in the agenda's order, or NULL: as SQL, so the
        database sorts, bounds and counts the items under each heading."""
        new = Item.triaged_at >= self.new_since
        if self.new_until is not None:
            new = and_(new, Item.triaged_at < self.new_until)
        return case(
            (Item.state == State.ESCALATED.value, ESCALATED),
            (Item.target_date < self.as_at, OVERDUE),
            (new, NEW),
            (Item.target_date < self.due_before, DUE),
            else_=None,
        )


def _window(
    all_meetings: list[BoardMeeting], meeting: BoardMeeting | None, now: datetime
) -> _Window:
    anchor = meeting.starts_at if meeting is not None else now
    others = [m for m in all_meetings if meeting is None or m.id != meeting.id]
    earlier = [m for m in others if m.starts_at < anchor]
    later = [m for m in others if m.starts_at > anchor]
    previous = earlier[-1] if earlier else None
    following = later[0] if later else None
    return _Window(
        previous=previous,
        following=following,
        as_at=min(dates.local_date(now), dates.local_date(anchor)),
        new_since=previous.starts_at if previous is not None else anchor - DEFAULT_CYCLE,
        new_until=anchor if anchor < now else None,
        due_before=dates.local_date(
            following.starts_at if following is not None else anchor + DEFAULT_CYCLE
        ),
    )


def build_agenda(
    board: Board,
    all_meetings: list[BoardMeeting],
    meeting: BoardMeeting | None,
    now: datetime,
    *,
    limit: int | None = None,
) -> Agenda:
    """The agenda for ``meeting`` (or for now, when None), from open items at the board's level.

    - **escalated**: the item's state is escalated;
    - **overdue**: its target date is before today (or, for a meeting that has taken place,
      before the day of the meeting);
    - **new**: accepted into the register since the meeting before this one (or in the four
      weeks before it, when there was none), and before this one if it has already happened;
    - **due**: its target date falls before the meeting after this one (or four weeks after
      this one, when none is planned).

    ``all_meetings`` are the board's meetings, oldest first. Each item appears once, under the
    first heading it fits in that order; under each heading the most pressing come first: the
    earliest target date (the longest overdue, then the soonest due), then those without one.
    ``limit``: list at most this many items under each heading (``totals`` still counts them
    all). One query, with owners and organisations loaded.
    """
    window = _window(all_meetings, meeting, now)
    heading = window.heading()
    ranked = (
        select(
            Item.id,
            heading.label("heading"),
            func.row_number()
            .over(
                partition_by=heading,
                order_by=(Item.target_date.is_(None), Item.target_date, Item.id),
            )
            .label("place"),
            func.count().over(partition_by=heading).label("total"),
        )
        .where(
            Item.level == board.level,
            Item.state.in_([s.value for s in OPEN_STATES]),
            heading.is_not(None),
        )
        .subquery()
    )
    query = (
        select(Item, ranked.c.heading, ranked.c.total)
        .join(ranked, ranked.c.id == Item.id)
        .options(joinedload(Item.owner), joinedload(Item.owner_organisation))
        .order_by(ranked.c.heading, ranked.c.place)
    )
    if limit is not None:
        query = query.where(ranked.c.place <= limit)
    groups: dict[str, list[Item]] = {key: [] for key in HEADINGS}
    totals = dict.fromkeys(HEADINGS, 0)
    for item, key, total in db.session.execute(query):
        groups[key].append(item)
        totals[key] = total
    return Agenda(
        meeting,
        window.previous,
        window.following,
        window.new_since,
        window.due_before,
        window.as_at,
        groups,
        totals,
    )


def next_meeting(all_meetings: list[BoardMeeting], now: datetime) -> BoardMeeting | None:
    return next((m for m in all_meetings if m.starts_at >= now), None)


# --- changing ---------------------------------------------------------------------------------


def add_meeting(actor: User, board: Board, starts_at: datetime, place: str) -> BoardMeeting:
    """Plan a meeting. ``starts_at`` is timezone-aware."""
    meeting = BoardMeeting(board_id=board.id, starts_at=starts_at, place=place.strip())
    db.session.add(meeting)
    db.session.flush()
    audit.record(
        "boards.meeting_added",
        actor=actor,
        board=board.id,
        meeting=meeting.id,
        starts_at=starts_at.isoformat(),
    )
    return meeting


def record_attendance(
    actor: User, meeting: BoardMeeting, everyone: set[int], present: set[int]
) -> None:
    """Replace the meeting's attendance: one row for each of ``everyone``, attended when in
    ``present``. Saving the same answers twice leaves the same rows.

    Raises BoardProblem for a meeting that has not happened yet, or a person not in
    ``everyone``.
    """
    if dates.local_date(meeting.starts_at) > dates.local_today():
        raise BoardProblem(_("You can record who came once the meeting has taken place."))
    if not present <= everyone:
        raise BoardProblem(_("Choose only people who sit on this board."))
    # Delete first, straight away: the unit of work would insert before deleting, and trip the
    # one-row-per-person constraint.
    db.session.execute(delete(Attendance).where(Attendance.meeting_id == meeting.id))
    db.session.add_all(
        Attendance(meeting_id=meeting.id, user_id=user_id, attended=user_id in present)
        for user_id in sorted(everyone)
    )
    db.session.flush()
    audit.record(
        "boards.attendance_recorded",
        actor=actor,
        board=meeting.board_id,
        meeting=meeting.id,
        present=sorted(present),
        absent=sorted(everyone - present),
    )


def eligible_members(board: Board) -> list[tuple[User, bool, bool]]:
    """People who could join the board: (user, may take an ordinary seat, may take an expert-
    by-experience seat), by name. Ordinary seats are for board members and the staff who
    service boards; expert-by-experience seats are for peers. Current members are left out."""
    seated = select(BoardMember.user_id).where(BoardMember.board_id == board.id)
    rows = db.session.execute(
        select(User, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.is_active,
            User.id.not_in(seated),
            UserRole.role.in_([Role.BOARD.value, Role.MANAGER.value, Role.PEER.value]),
        )
    ).all()
    found: dict[int, list] = {}
    for user, role in rows:
        entry = found.setdefault(user.id, [user, False, False])
        if role == Role.PEER.value:
            entry[2] = True
        else:
            entry[1] = True
    people = [tuple(entry) for entry in found.values()]
    return sorted(people, key=lambda row: row[0].display_name.lower())  # type: ignore[return-value]


def add_member(
    actor: User, board: Board, person: User, role: str, expert_by_experience: bool
) -> BoardMember:
    """Give ``person`` a seat. An expert-by-experience seat is for a peer; any other seat for
    a board member or staff. Raises BoardProblem when the person cannot take that seat."""
    if expert_by_experience and not person.has_role(Role.PEER):
        raise BoardProblem(
            _("An expert-by-experience seat is for a peer. Choose a peer, or untick the box.")
        )
    if not expert_by_experience and not person.has_role(Role.BOARD, Role.MANAGER):
        raise BoardProblem(
            _(
                "%(name)s is not a board member. Tick the expert-by-experience box if they are "
                "taking a lived experience seat.",
                name=person.display_name,
            )
        )
    already = db.session.scalar(
        select(BoardMember.id).where(
            BoardMember.board_id == board.id, BoardMember.user_id == person.id
        )
    )
    if already is not None:
        raise BoardProblem(_("%(name)s already sits on this board.", name=person.display_name))
    member = BoardMember(
        board_id=board.id,
        user_id=person.id,
        role=role.strip(),
        expert_by_experience=expert_by_experience,
    )
    db.session.add(member)
    db.session.flush()
    audit.record(
        "boards.member_added",
        actor=actor,
        subject=person,
        board=board.id,
        role=member.role,
        expert_by_experience=expert_by_experience,
    )
    return member


def remove_member(actor: User, member: BoardMember) -> None:
    """Take a member off the board. Their past attendance stays with the meetings."""
    audit.record(
        "boards.member_removed",
        actor=actor,
        subject=member.user,
        board=member.board_id,
        role=member.role,
        expert_by_experience=member.expert_by_experience,
    )
    db.session.delete(member)
    db.session.flush()

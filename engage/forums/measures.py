"""What co-production adds up to, for the dashboard's "Co-production" section: forum meetings
held and who came, the peers involved (and how many are new), involvement by rung of the ladder
of co-production, partners' requests for the forum's support and how many were met, board
decisions co-produced or guided by the forum, expert-by-experience seats on governance boards
and attendance at board meetings.

Definitions (each figure's "how this is counted" says the same in plain words):

- **Meetings held**: forum meetings that were not cancelled and have started, on one of the
  period's days (the partnership's own days: 23:30 UTC on 30 June is 1 July in summer).
  Meetings of the training forum (``Forum.is_training``: training sessions) never count here,
  in attendance or in the ladder.
- **Attendance**: people marked on those meetings' registers as taking part (attended, came
  late or left early: :data:`engage.forums.attendance.TOOK_PART`). **Attendance rate**: those
  people as a share of everyone whose presence was marked (apologies and "did not come"
  included); meetings whose register was never taken are left out of it.
- **Peers involved**: different people with the peer role who took part in a forum meeting
  held in the period, or have an involvement record (engage.payments) dated in the period for
  other work: an opportunity, a board seat, a panel, time entered by hand. Records made from a
  meeting's register are left out (the register already counts that meeting, on its own day),
  and so are training, records not approved (entered by mistake) and payments reversed as not
  owed. Unpaid time and payments the person declined count: the time was given.
- **New peers**: peers involved in the period who were never involved, in the same sense,
  before its first day.
- **Ladder of co-production**: each time someone took part in a forum meeting held in the
  period, at the meeting's rung, and each time a peer finished the work of an opportunity in
  the period (``Interest.completed_at``), at the opportunity's rung.
- **Requests from partners**: requests for the forum's support made in the period; **met**: of
  those, the ones whose status is now "met" (accepted, and the opportunity answering them was
  completed by everyone chosen).
- **Co-produced decisions**: board decisions (about register items) recorded as made on one of
  the period's days and marked "co-produced or guided by the forum".
- **Boards with an expert by experience**: governance boards with at least one member in a
  lived-experience seat, out of every board, as the boards are now (membership has no dates).
- **Board attendance**: of the people recorded at board meetings held in the period, the share
  recorded as present.

The section runs 12 queries with a previous period (7 without), however much data there is:
the peers involved and new in both periods are counted together, in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import format_date, format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, literal, select, union, union_all

from engage.changes import permissions as changes_perm
from engage.changes.models import Attendance as BoardAttendance
from engage.changes.models import Board, BoardMeeting, BoardMember, Decision
from engage.core import dates
from engage.core.db import utcnow
from engage.core.figures import Figure, Kind, Period, Section, Table, both
from engage.extensions import db
from engage.forums.attendance import TOOK_PART
from engage.forums.models import RUNG_LABELS, Attendance, Forum, Meeting, Rung
from engage.opportunities import permissions as opportunity_perm
from engage.opportunities.models import Interest, Opportunity
from engage.payments import permissions as payments_perm
from engage.payments.models import Activity, InvolvementRecord, RecordStatus
from engage.people.models import Role, UserRole

#: Involvement records that are not time given: entered by mistake, or reversed as not owed.
NOT_GIVEN = (RecordStatus.REJECTED.value, RecordStatus.CANCELLED.value)


def _between(column, start: date, end: date):  # noqa: ANN001, ANN202
    """``column`` (a UTC time) falls on one of the partnership's days ``start`` to ``end``."""
    return (column >= dates.start_of_day(start)) & (
        column < dates.start_of_day(end + timedelta(days=1))
    )


def _percent(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, to one decimal place; None for a share of none."""
    return round(100 * part / whole, 1) if whole else None


def _forum_meetings():  # noqa: ANN202
    """Meetings of the forums (never the training forum's), not cancelled."""
    return Meeting.cancelled.is_(False) & Meeting.forum_id.in_(
        select(Forum.id).where(Forum.is_training.is_(False))
    )


def _held(period: Period, now: datetime):  # noqa: ANN202
    """Forum meetings held in ``period``: on one of its days, and started by ``now``."""
    started = Meeting.starts_at <= now
    return _forum_meetings() & _between(Meeting.starts_at, period.start, period.end) & started


# Meetings and attendance ---------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingCounts:
    meetings: int  # forum meetings held
    forums: int  # different forums that held them
    took_part: int  # people marked as taking part, counted once per meeting
    marked: int  # people whose presence was marked at all

    @property
    def rate(self) -> float | None:
        """People who took part as a percentage of people marked (None: nobody marked)."""
        return _percent(self.took_part, self.marked)


def meeting_counts(period: Period, now: datetime) -> MeetingCounts:
    """Forum meetings held in ``period`` by ``now``, the forums that held them and their
    registers (see the module's definitions). One query."""
    took_part = case((Attendance.presence.in_(TOOK_PART), 1), else_=0)
    meetings, forums, came, marked = db.session.execute(
        select(
            func.count(func.distinct(Meeting.id)),
            func.count(func.distinct(Meeting.forum_id)),
            func.coalesce(func.sum(took_part), 0),
            func.count(Attendance.id),
        )
        .select_from(Meeting)
        .outerjoin(Attendance, Attendance.meeting_id == Meeting.id)
        .where(_held(period, now))
    ).one()
    return MeetingCounts(int(meetings), int(forums), int(came), int(marked))


# Peers involved --------------------------------------------------------------------------------


def _took_part_in_forum_meetings():  # noqa: ANN202
    """(person_id) of each time someone took part in a forum meeting; the caller narrows the
    meetings."""
    return (
        select(Attendance.user_id.label("person_id"))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.presence.in_(TOOK_PART), _forum_meetings())
    )


def _other_involvement():  # noqa: ANN202
    """(person_id) of each involvement record for time given other than at a meeting (whose
    register counts it) or in training; the caller narrows the dates."""
    return select(InvolvementRecord.person_id.label("person_id")).where(
        InvolvementRecord.status.not_in(NOT_GIVEN),
        InvolvementRecord.activity != Activity.TRAINING.value,
        ~InvolvementRecord.source.like("meeting:%"),
    )


@dataclass(frozen=True)
class PeerCounts:
    involved: int  # different peers involved in the period
    new: int  # of them, those never involved before it


def involved_people(period: Period, now: datetime) -> Select:
    """The peers involved in ``period`` (see the module's definitions), each once, as one
    column ``person_id``: a query to use inside another. The dashboard's "who is involved"
    counts the same people."""
    involved = union(
        _took_part_in_forum_meetings().where(_held(period, now)),
        _other_involvement().where(
            InvolvementRecord.activity_date.between(period.start, period.end)
        ),
    ).subquery()
    peers = select(UserRole.user_id).where(UserRole.role == Role.PEER.value)
    return select(involved.c.person_id).where(involved.c.person_id.in_(peers))


def peer_counts(period: Period, now: datetime) -> PeerCounts:
    """Different peers involved in ``period`` and how many of them are new (see the module's
    definitions). One query (:func:`peer_counts_in`)."""
    return peer_counts_in([period], now)[0]


def peer_counts_in(periods: list[Period], now: datetime) -> list[PeerCounts]:
    """:func:`peer_counts` for each of ``periods`` (the dashboard's period and the one it is
    compared with), in one query and one pass over each person's history up to the last
    period's end: for each person and period, whether they took part or gave time in it, and
    whether they had before its first day.

    (Asking whether each person was in the list of everyone involved before, ``NOT IN`` a
    union of all history, built that list in full for each period on every request; a ``NOT
    EXISTS`` per person is a subplan run 10,000 times on PostgreSQL. Both took most of the
    section's time at a large partnership's size.)"""
    last = max(period.end for period in periods)
    starts = [dates.start_of_day(period.start) for period in periods]
    start_at = Meeting.starts_at
    at_meetings = (
        _took_part_in_forum_meetings()
        .add_columns(
            # The WHERE clause already keeps forum meetings only: here only the days.
            *[
                func.max(case((_between(start_at, p.start, p.end) & (start_at <= now), 1), else_=0))
                for p in periods
            ],
            *[case((func.min(Meeting.starts_at) < start, 1), else_=0) for start in starts],
        )
        .where(Meeting.starts_at < dates.start_of_day(last + timedelta(days=1)))
        .group_by(Attendance.user_id)
    )
    day = InvolvementRecord.activity_date
    other = (
        _other_involvement()
        .add_columns(
            *[func.max(case((day.between(p.start, p.end), 1), else_=0)) for p in periods],
            *[case((func.min(day) < period.start, 1), else_=0) for period in periods],
        )
        .where(day <= last)
        .group_by(InvolvementRecord.person_id)
    )
    marks = union_all(at_meetings, other).subquery()
    person, flags = marks.c[0], list(marks.c)[1:]
    peers = select(UserRole.user_id).where(UserRole.role == Role.PEER.value)
    # Per person: in each period (during_0, during_1, ...), then before each (before_0, ...).
    people = (
        select(*[func.max(flag).label(f"flag_{i}") for i, flag in enumerate(flags)])
        .where(person.in_(peers))
        .group_by(person)
        .subquery()
    )
    during, before = list(people.c)[: len(periods)], list(people.c)[len(periods) :]
    row = db.session.execute(
        select(
            *[func.coalesce(func.sum(case((d == 1, 1), else_=0)), 0) for d in during],
            *[
                func.coalesce(func.sum(case(((d == 1) & (b == 0), 1), else_=0)), 0)
                for d, b in zip(during, before, strict=True)
            ],
        )
    ).one()
    n = len(periods)
    return [PeerCounts(int(row[i]), int(row[n + i])) for i in range(n)]


# The ladder of co-production ------------------------------------------------------------------


def _month_of(column, months: list[date]):  # noqa: ANN001, ANN202
    """Which of ``months`` (first days, in order) the UTC time ``column`` falls in, by the
    partnership's calendar, as its index: one CASE, so a GROUP BY stays one query. (With one
    month there is nothing to tell apart: every row is month 0.)"""
    ends = [dates.start_of_day(month) for month in months[1:]]
    return (
        case(*[(column < end, index) for index, end in enumerate(ends)], else_=len(months) - 1)
        if ends
        else case((column.is_not(None), 0), else_=0)
    )


def ladder(period: Period, now: datetime) -> dict[date, dict[Rung, tuple[int, int]]]:
    """Involvement by month and rung: for the first day of each month the period touches, and
    each rung in ladder order, (times people took part in forum meetings held, times peers
    finished an opportunity's work). Zeros included. Two queries."""
    months = period.months()
    # Counted meeting by meeting first, so the month is worked out once per meeting rather
    # than once per person on its register.
    per_meeting = (
        select(Meeting.starts_at, Meeting.rung, func.count().label("n"))
        .select_from(Attendance)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.presence.in_(TOOK_PART), _held(period, now))
        .group_by(Meeting.id, Meeting.starts_at, Meeting.rung)
        .subquery()
    )
    at_meetings = select(
        _month_of(per_meeting.c.starts_at, months).label("month"),
        per_meeting.c.rung.label("rung"),
        per_meeting.c.n.label("n"),
    ).subquery()
    in_opportunities = (
        select(
            _month_of(Interest.completed_at, months).label("month"),
            Opportunity.rung.label("rung"),
            literal(1).label("n"),
        )
        .select_from(Interest)
        .join(Opportunity, Opportunity.id == Interest.opportunity_id)
        .where(_between(Interest.completed_at, period.start, period.end))
        .subquery()
    )
    # Grouped outside the CASE (in a subquery), so PostgreSQL sees one expression per column.
    counts: dict[tuple[int, str], list[int]] = {}
    for column, part in enumerate((at_meetings, in_opportunities)):
        rows = db.session.execute(
            select(part.c.month, part.c.rung, func.sum(part.c.n)).group_by(
                part.c.month, part.c.rung
            )
        ).all()
        for month, rung, n in rows:
            counts.setdefault((int(month), rung), [0, 0])[column] += int(n)
    return {
        month: {rung: tuple(counts.get((index, rung.value), (0, 0))) for rung in Rung}
        for index, month in enumerate(months)
    }


# Requests, decisions and boards ---------------------------------------------------------------


@dataclass(frozen=True)
class RequestsMet:
    requested: int
    met: int

    @property
    def share(self) -> float | None:
        return _percent(self.met, self.requested)


def requests_met(period: Period) -> RequestsMet:
    """Partners' requests for the forum's support made in ``period``, and how many of them are
    met now. One query (``engage.opportunities.services.request_counts``)."""
    from engage.opportunities.services import request_counts

    counts = request_counts(period.start, period.end)
    return RequestsMet(counts.requested, counts.met)


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return _percent(self.part, self.whole)


def co_produced_decisions(period: Period) -> Share:
    """Board decisions made in ``period``: (co-produced or guided by the forum, all). One
    query."""
    co_produced, decided = db.session.execute(
        select(
            func.coalesce(func.sum(case((Decision.co_produced.is_(True), 1), else_=0)), 0),
            func.count(Decision.id),
        ).where(_between(Decision.decided_at, period.start, period.end))
    ).one()
    return Share(int(co_produced), int(decided))


def boards_with_experts() -> Share:
    """Governance boards now: (with at least one expert-by-experience member, all). One
    query."""
    with_expert, boards = db.session.execute(
        select(func.count(func.distinct(BoardMember.board_id)), func.count(func.distinct(Board.id)))
        .select_from(Board)
        .outerjoin(
            BoardMember,
            (BoardMember.board_id == Board.id) & BoardMember.expert_by_experience.is_(True),
        )
    ).one()
    return Share(int(with_expert), int(boards))


def board_attendance(period: Period) -> Share:
    """People recorded at board meetings held in ``period``: (present, recorded). One query."""
    present, recorded = db.session.execute(
        select(
            func.coalesce(func.sum(case((BoardAttendance.attended.is_(True), 1), else_=0)), 0),
            func.count(BoardAttendance.id),
        )
        .join(BoardMeeting, BoardMeeting.id == BoardAttendance.meeting_id)
        .where(_between(BoardMeeting.starts_at, period.start, period.end))
    ).one()
    return Share(int(present), int(recorded))


# The dashboard's "Co-production" section -----------------------------------------------------


def _of(part: int, whole: int) -> dict[str, str]:
    """The numbers for a "12 of 20 people marked" message, written as the reader's language
    writes numbers (ngettext chooses the plural by the whole, given as its count)."""
    return {"part": format_number(part), "whole": format_number(whole)}


def co_production_section(current: Period, previous: Period | None) -> Section:
    """Forum meetings and attendance, peers involved and new, the ladder of co-production,
    partners' requests met, co-produced board decisions, experts by experience on boards and
    board attendance. 12 queries (7 without a previous period). Registered as the dashboard's
    section "co-production" (order 10) in ``engage/forums/__init__.py``."""
    now = utcnow()
    held, held_before = both(lambda p: meeting_counts(p, now), current, previous)
    peers, *peers_before = peer_counts_in([current] + ([previous] if previous else []), now)
    peers_before = peers_before[0] if peers_before else None
    requests, requests_before = both(requests_met, current, previous)
    decisions, decisions_before = both(co_produced_decisions, current, previous)
    boards = boards_with_experts()
    attendance, attendance_before = both(board_attendance, current, previous)
    by_month = ladder(current, now)

    def before(value, measure):  # noqa: ANN001, ANN202
        return measure(value) if value is not None else None

    forums_link = url_for("forums.forums")
    boards_link = url_for("changes.boards")
    figures = [
        Figure(
            "meetings_held",
            _("Forum meetings held"),
            held.meetings,
            before(held_before, lambda m: m.meetings),
            how=_(
                "Forum meetings in the period that were not cancelled and have started. "
                "Training sessions are not counted."
            ),
            link=forums_link,
            public=True,
        ),
        Figure(
            "forums_met",
            _("Forums that met"),
            held.forums,
            before(held_before, lambda m: m.forums),
            how=_("Different forums that held at least one of those meetings."),
            link=forums_link,
            public=True,
        ),
        Figure(
            "meeting_attendance",
            _("Attendance at forum meetings"),
            held.took_part,
            before(held_before, lambda m: m.took_part),
            how=_(
                "People marked on the register as taking part (came, came late or left "
                "early), counted once for each meeting they came to."
            ),
            link=forums_link,
            public=True,
        ),
        Figure(
            "meeting_attendance_rate",
            _("Attendance rate at forum meetings"),
            held.rate,
            before(held_before, lambda m: m.rate),
            kind=Kind.PERCENT,
            how=_(
                "People who took part, out of everyone whose presence was marked on the "
                "register (including those who sent apologies or did not come). Meetings "
                "whose register was not taken are left out."
            ),
            detail=ngettext(
                "%(part)s of %(whole)s person marked",
                "%(part)s of %(whole)s people marked",
                held.marked,
                **_of(held.took_part, held.marked),
            ),
            link=forums_link,
            public=True,
        ),
        Figure(
            "peers_involved",
            _("Peers involved"),
            peers.involved,
            before(peers_before, lambda p: p.involved),
            how=_(
                "Different peers who took part in a forum meeting in the period, or whose "
                "involvement record for other work (an opportunity, a board seat, a panel, "
                "time entered by hand) is dated in the period. Training is not counted, nor "
                "records not approved or payments reversed as not owed; unpaid time and "
                "payments the peer declined are."
            ),
            link=url_for("payments.time_records"),
            opens=payments_perm.can_review_time,
            public=True,
        ),
        Figure(
            "new_peers",
            _("New peers involved"),
            peers.new,
            before(peers_before, lambda p: p.new),
            how=_(
                "Peers involved in the period (as above) who had never been involved before "
                "its first day."
            ),
            link=url_for("payments.time_records"),
            opens=payments_perm.can_review_time,
            public=True,
        ),
        Figure(
            "requests",
            _("Requests for forum support from partners"),
            requests.requested,
            before(requests_before, lambda r: r.requested),
            how=_(
                "Requests for the forum's support that partner organisations made in the period."
            ),
            link=url_for("opportunities.requests"),
            opens=opportunity_perm.can_manage_opportunities,
            public=True,
            higher_is_better=None,
        ),
        Figure(
            "requests_met",
            _("Partners' requests met"),
            requests.met,
            before(requests_before, lambda r: r.met),
            how=_(
                "Requests made in the period that are now met: accepted, and the opportunity "
                "that answers them completed by everyone chosen."
            ),
            link=url_for("opportunities.requests", status="met"),
            opens=opportunity_perm.can_manage_opportunities,
            public=True,
        ),
        Figure(
            "requests_met_share",
            _("Share of partners' requests met"),
            requests.share,
            before(requests_before, lambda r: r.share),
            kind=Kind.PERCENT,
            how=_(
                "Requests made in the period that are now met, out of all requests made in "
                "the period (declined and waiting ones included)."
            ),
            detail=ngettext(
                "%(part)s of %(whole)s request",
                "%(part)s of %(whole)s requests",
                requests.requested,
                **_of(requests.met, requests.requested),
            ),
            link=url_for("opportunities.requests", status="met"),
            opens=opportunity_perm.can_manage_opportunities,
            public=True,
        ),
        Figure(
            "decisions_co_produced",
            _("Board decisions co-produced or guided by the forum"),
            decisions.part,
            before(decisions_before, lambda d: d.part),
            how=_(
                "Decisions about register items made in the period and marked as co-produced "
                "or guided by the forum."
            ),
            link=boards_link,
            opens=changes_perm.can_view_boards,
            public=True,
        ),
        Figure(
            "decisions_co_produced_share",
            _("Share of board decisions co-produced or guided by the forum"),
            decisions.percent,
            before(decisions_before, lambda d: d.percent),
            kind=Kind.PERCENT,
            how=_(
                "Decisions made in the period and marked as co-produced or guided by the "
                "forum, out of all decisions about register items made in the period."
            ),
            detail=ngettext(
                "%(part)s of %(whole)s decision",
                "%(part)s of %(whole)s decisions",
                decisions.whole,
                **_of(decisions.part, decisions.whole),
            ),
            link=boards_link,
            opens=changes_perm.can_view_boards,
            public=True,
        ),
        Figure(
            "boards_with_experts",
            _("Governance boards with an expert by experience"),
            boards.percent,
            kind=Kind.PERCENT,
            how=_(
                "Boards with at least one member in an expert-by-experience seat, out of all "
                "boards, as they are now: board membership has no dates, so this is not "
                "worked out for the period."
            ),
            detail=ngettext(
                "%(part)s of %(whole)s board",
                "%(part)s of %(whole)s boards",
                boards.whole,
                **_of(boards.part, boards.whole),
            ),
            link=boards_link,
            opens=changes_perm.can_view_boards,
            public=True,
            compares=False,
        ),
        Figure(
            "board_attendance_rate",
            _("Attendance rate at board meetings"),
            attendance.percent,
            before(attendance_before, lambda a: a.percent),
            kind=Kind.PERCENT,
            how=_(
                "People recorded as present at board meetings held in the period, out of "
                "everyone recorded at them (present or sent apologies)."
            ),
            detail=ngettext(
                "%(part)s of %(whole)s person recorded",
                "%(part)s of %(whole)s people recorded",
                attendance.whole,
                **_of(attendance.part, attendance.whole),
            ),
            link=boards_link,
            opens=changes_perm.can_view_boards,
            public=True,
        ),
    ]
    by_rung = {
        rung: tuple(sum(month[rung][i] for month in by_month.values()) for i in (0, 1))
        for rung in Rung
    }
    tables = [
        Table(
            "ladder",
            _("Involvement by rung of the ladder of co-production"),
            _("Rung"),
            [_("Times taken part"), _("At forum meetings"), _("In opportunities")],
            [
                (str(RUNG_LABELS[rung]), meetings + opportunities, meetings, opportunities)
                for rung, (meetings, opportunities) in by_rung.items()
            ],
            how=_(
                "Each time someone took part in a forum meeting held in the period, at the "
                "meeting's rung, and each time a peer finished the work of an opportunity in "
                "the period, at the opportunity's rung. From informing (least power shared) "
                "to co-production (most). Training sessions are not counted."
            ),
            public=True,
        ),
        Table(
            "ladder_by_month",
            _("Involvement by month and rung of the ladder"),
            _("Month"),
            [str(RUNG_LABELS[rung]) for rung in Rung],
            [
                (format_date(month, "MMMM yyyy"), *(sum(rungs[rung]) for rung in Rung))
                for month, rungs in by_month.items()
            ],
            # Five rungs side by side would make one chart hard to read: the table shows the mix.
            chart=None,
            how=_(
                "Times taken part (forum meetings and opportunities, as above) in each month, "
                "by rung."
            ),
            public=True,
        ),
    ]
    return Section(
        key="co-production",
        title=_("Co-production"),
        figures=figures,
        tables=tables,
    )

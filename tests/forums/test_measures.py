"""The dashboard's Co-production section, on a small partnership built by hand: every figure
is worked out by hand below, with the period edges (23:30 UTC on 30 June is 1 July in London),
the financial year's first day, the training forum, a cancelled meeting and one not held yet.

The period is July to September 2026; the one before is April to June 2026 (from 1 April, the
financial year's first day). Today is 20 September 2026.

Forum meetings (UTC), with their registers:

=====  ======================  =================  ===============  ===============================
name   forum                   starts (UTC)       rung             register
=====  ======================  =================  ===============  ===============================
m1     Expert Citizen Forum    30 Jun 23:30       co-design        Ash came, Bea late, Cal
                               (1 July in London)                  apologies, Fin came
m2     Expert Citizen Forum    15 Jul 10:00       consultation     Ash came, Dev did not come,
                                                                   Mo (a manager) came
m8     Housing Forum           10 Sep 10:00       engagement       not taken
m6     Expert Citizen Forum    25 Sep 10:00       engagement       not held yet (after today)
m4     Expert Citizen Forum    1 Aug 10:00        co-production    cancelled (Eve marked anyway)
m5     training forum          5 Aug 10:00        co-production    Cal came
m3     Expert Citizen Forum    30 Jun 21:00       informing        Bea came, Eve left early
                               (22:00 in London)
m7     Expert Citizen Forum    1 Apr 09:00        engagement       Ash came
=====  ======================  =================  ===============  ===============================
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from engage.changes.models import Attendance as BoardAttendance
from engage.changes.models import Board, BoardMeeting, BoardMember, Decision, Item, Theme
from engage.core.figures import Period
from engage.extensions import db
from engage.forums import measures
from engage.forums.models import Attendance, Forum, Meeting, Presence, Rung
from engage.opportunities.models import ConsultationRequest, Interest, Opportunity, RequestStatus
from engage.payments.models import InvolvementRecord, RecordStatus
from engage.people.models import Role

TODAY = date(2026, 9, 20)
CURRENT = Period(date(2026, 7, 1), date(2026, 9, 30))
PREVIOUS = CURRENT.before()  # 1 April to 30 June 2026


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in 2026, in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today(pin_today) -> None:
    pin_today(TODAY)


@pytest.fixture
def people(make_user) -> dict[str, int]:
    peers = {name: make_user(name).id for name in ("ash", "bea", "cal", "dev", "eve", "fin")}
    peers.update({name: make_user(name).id for name in ("gil", "hana")})
    peers["mo"] = make_user("mo", roles={Role.MANAGER}).id
    peers["partner"] = make_user("partner", roles={Role.PARTNER}).id
    return peers


def _meeting(forum: Forum, starts_at: datetime, rung: Rung, **details) -> Meeting:
    meeting = Meeting(
        forum_id=forum.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        rung=rung.value,
        **details,
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _register(meeting: Meeting, marks: dict[int, Presence]) -> None:
    for user_id, presence in marks.items():
        db.session.add(Attendance(meeting_id=meeting.id, user_id=user_id, presence=presence.value))


def _record(person: int, activity: str, on: date, status: RecordStatus, source: str = "manual"):
    db.session.add(
        InvolvementRecord(
            person_id=person,
            activity=activity,
            activity_date=on,
            status=status.value,
            source=source,
        )
    )


def _build_forums(p: dict[str, int]) -> None:
    forum = Forum(name="Expert Citizen Forum")
    housing = Forum(name="Housing Forum")
    training = Forum(name="Training", is_training=True)
    db.session.add_all([forum, housing, training])
    db.session.flush()
    m1 = _meeting(forum, at(6, 30, 23, 30), Rung.CO_DESIGN)
    _register(
        m1,
        {
            p["ash"]: Presence.ATTENDED,
            p["bea"]: Presence.LATE,
            p["cal"]: Presence.APOLOGIES,
            p["fin"]: Presence.ATTENDED,
        },
    )
    m2 = _meeting(forum, at(7, 15, 10), Rung.CONSULTATION)
    _register(
        m2, {p["ash"]: Presence.ATTENDED, p["dev"]: Presence.NO_SHOW, p["mo"]: Presence.ATTENDED}
    )
    _meeting(housing, at(9, 10, 10), Rung.ENGAGEMENT)  # m8: held, register not taken
    _meeting(forum, at(9, 25, 10), Rung.ENGAGEMENT)  # m6: after today
    m4 = _meeting(forum, at(8, 1, 10), Rung.CO_PRODUCTION, cancelled=True)
    _register(m4, {p["eve"]: Presence.ATTENDED})
    m5 = _meeting(training, at(8, 5, 10), Rung.CO_PRODUCTION, activity="training")
    _register(m5, {p["cal"]: Presence.ATTENDED})
    m3 = _meeting(forum, at(6, 30, 21), Rung.INFORMING)
    _register(m3, {p["bea"]: Presence.ATTENDED, p["eve"]: Presence.LEFT_EARLY})
    m7 = _meeting(forum, at(4, 1, 9), Rung.ENGAGEMENT)
    _register(m7, {p["ash"]: Presence.ATTENDED})

    # Involvement records for other work.
    _record(p["dev"], "document_review", date(2026, 9, 30), RecordStatus.PAID, "opportunity:1")
    _record(p["eve"], "board_seat", date(2026, 3, 31), RecordStatus.APPROVED)  # before April
    _record(p["cal"], "interview_panel", date(2026, 7, 2), RecordStatus.REJECTED)
    _record(p["cal"], "training", date(2026, 7, 20), RecordStatus.VOLUNTARY)
    # A record made from m1's register, dated by UTC (as registers once did): left out, as the
    # register itself counts m1, on its own day.
    _record(p["fin"], "forum_meeting", date(2026, 6, 30), RecordStatus.PAID, f"meeting:{m1.id}")
    _record(p["eve"], "other_involvement", date(2026, 8, 10), RecordStatus.VOLUNTARY)
    _record(p["gil"], "working_group", date(2026, 8, 12), RecordStatus.CANCELLED)
    _record(p["hana"], "working_group", date(2026, 7, 1), RecordStatus.DECLINED)

    # Opportunities done.
    top = Opportunity(title="Rewrite the leaflet", description="-", rung=Rung.CO_PRODUCTION.value)
    low = Opportunity(title="Hear the plan", description="-", rung=Rung.INFORMING.value)
    db.session.add_all([top, low])
    db.session.flush()
    db.session.add_all(
        [
            # 23:30 on 30 September in London: September.
            Interest(opportunity_id=top.id, user_id=p["dev"], completed_at=at(9, 30, 22, 30)),
            # 00:30 on 1 October in London: after the period.
            Interest(opportunity_id=top.id, user_id=p["hana"], completed_at=at(9, 30, 23, 30)),
            Interest(opportunity_id=low.id, user_id=p["eve"], completed_at=at(8, 10, 10)),
            Interest(opportunity_id=low.id, user_id=p["ash"], selected=True),  # not done yet
        ]
    )


def _build_requests_and_boards(p: dict[str, int]) -> None:
    def request(created_at: datetime, status: RequestStatus) -> None:
        db.session.add(
            ConsultationRequest(
                requested_by_id=p["partner"],
                title="Review our letters",
                description="-",
                kind="review",
                status=status.value,
                created_at=created_at,
            )
        )

    request(at(7, 5, 10), RequestStatus.MET)
    request(at(8, 1, 10), RequestStatus.ACCEPTED)
    request(at(9, 30, 22, 30), RequestStatus.DECLINED)  # 23:30 on 30 September: in
    request(at(6, 30, 23, 30), RequestStatus.MET)  # 00:30 on 1 July: in
    request(at(6, 30, 22, 30), RequestStatus.MET)  # 23:30 on 30 June: the period before
    request(at(4, 1, 10), RequestStatus.DECLINED)
    request(at(5, 10, 10), RequestStatus.MET)

    item = Item(title="Letters are hard to read", what_happened="-", theme=Theme.HOUSING.value)
    db.session.add(item)
    db.session.flush()
    for decided_at, co_produced in [
        (at(6, 30, 23, 30), True),  # 1 July in London
        (at(8, 20, 10), False),
        (at(9, 15, 10), True),
        (at(9, 30, 23, 30), True),  # 1 October in London
        (at(5, 1, 10), False),
        (at(6, 30, 22), True),  # 23:00 on 30 June in London
    ]:
        db.session.add(
            Decision(item_id=item.id, text="-", co_produced=co_produced, decided_at=decided_at)
        )

    delivery, strategic, quiet = Board(name="Delivery"), Board(name="Strategic"), Board(name="Q")
    db.session.add_all([delivery, strategic, quiet])
    db.session.flush()
    db.session.add_all(
        [
            BoardMember(board_id=delivery.id, user_id=p["ash"], expert_by_experience=True),
            BoardMember(board_id=delivery.id, user_id=p["mo"]),
            BoardMember(board_id=strategic.id, user_id=p["mo"]),
        ]
    )
    for board, starts_at, marks in [
        (delivery, at(6, 30, 23, 30), {p["ash"]: True, p["mo"]: False}),  # 1 July in London
        (strategic, at(9, 1, 10), {p["mo"]: True}),
        (delivery, at(5, 5, 10), {p["ash"]: True, p["mo"]: True}),
    ]:
        meeting = BoardMeeting(board_id=board.id, starts_at=starts_at)
        db.session.add(meeting)
        db.session.flush()
        for user_id, attended in marks.items():
            db.session.add(
                BoardAttendance(meeting_id=meeting.id, user_id=user_id, attended=attended)
            )
    db.session.flush()


@pytest.fixture
def partnership(app, people) -> dict[str, int]:
    with app.test_request_context():
        _build_forums(people)
        _build_requests_and_boards(people)
        db.session.commit()
    return people


def _section(app, previous: Period | None = PREVIOUS):
    with app.test_request_context():
        return measures.co_production_section(CURRENT, previous)


def _figures(section) -> dict:
    return {f.key: f for f in section.figures}


def test_meetings_and_attendance(app, partnership) -> None:
    figures = _figures(_section(app))
    # Held from 1 July to 30 September by today: m1 (1 July in London), m2, m8. Not m6 (not
    # yet), m4 (cancelled), m5 (training) or m3 (22:00 on 30 June in London).
    assert figures["meetings_held"].value == 3
    # The period before: m3 and m7 (10:00 on 1 April in London).
    assert figures["meetings_held"].previous == 2
    # m1 and m2 were the Expert Citizen Forum's, m8 the Housing Forum's: 2. Before: 1.
    assert (figures["forums_met"].value, figures["forums_met"].previous) == (2, 1)
    # Took part: m1 Ash, Bea (late), Fin; m2 Ash, Mo = 5 (Eve at the cancelled m4 and Cal at
    # the training session m5 are not counted). Before: m3 Bea, Eve; m7 Ash = 3.
    assert figures["meeting_attendance"].value == 5
    assert figures["meeting_attendance"].previous == 3
    # Marked: m1 4 (Cal's apologies too), m2 3 (Dev did not come); 5 of 7 = 71.43 -> 71.4%.
    # Before: 3 of 3 = 100%.
    rate = figures["meeting_attendance_rate"]
    assert (rate.value, rate.previous) == (71.4, 100.0)
    assert rate.detail == "5 of 7 people marked"


def test_peers_involved_and_new(app, partnership) -> None:
    figures = _figures(_section(app))
    # July to September: by the registers of m1 Ash, Bea, Fin and of m2 Ash (Mo is a manager,
    # not a peer); by other records Dev (30 September, the last day), Eve (unpaid) and Hana
    # (payment declined). Not Cal (panel not approved; training), Gil (reversed), nor Eve
    # through the cancelled m4. Ash, Bea, Fin, Dev, Eve, Hana = 6.
    assert figures["peers_involved"].value == 6
    # Involved before 1 July: Bea and Eve (m3), Ash (m7), Eve (31 March). Fin's record dated
    # 30 June came from m1's register, which counts on 1 July. New: Fin, Dev, Hana = 3.
    assert figures["new_peers"].value == 3
    # April to June: Ash (m7), Bea and Eve (m3) = 3; before 1 April only Eve (her board seat
    # on 31 March, the last day of the previous financial year): new Ash and Bea = 2.
    assert figures["peers_involved"].previous == 3
    assert figures["new_peers"].previous == 2


def test_involvement_by_rung_of_the_ladder(app, partnership) -> None:
    tables = {t.key: t for t in _section(app).tables}
    # Meetings: m1 co-design 3 (Ash, Bea, Fin), m2 consultation 2 (Ash, Mo). Opportunities:
    # Eve's "Hear the plan" (informing, August), Dev's leaflet (co-production, 23:30 on 30
    # September in London). Hana finished hers on 1 October; Ash has not finished; the
    # training session and the cancelled meeting (both co-production) do not count.
    assert tables["ladder"].rows == [
        ("Informing", 1, 0, 1),
        ("Consultation", 2, 2, 0),
        ("Engagement", 0, 0, 0),
        ("Co-design", 3, 3, 0),
        ("Co-production", 1, 0, 1),
    ]
    assert tables["ladder"].chart == "bar"
    assert tables["ladder_by_month"].columns == [
        "Informing",
        "Consultation",
        "Engagement",
        "Co-design",
        "Co-production",
    ]
    assert tables["ladder_by_month"].rows == [
        ("July 2026", 0, 2, 0, 3, 0),  # m1 (1 July in London) and m2
        ("August 2026", 1, 0, 0, 0, 0),
        ("September 2026", 0, 0, 0, 0, 1),
    ]


def test_a_one_month_ladder(app, partnership) -> None:
    with app.test_request_context():
        july = measures.ladder(Period(date(2026, 7, 1), date(2026, 7, 31)), at(9, 20, 11))
    # m1 (00:30 on 1 July in London) and m2 only.
    assert list(july) == [date(2026, 7, 1)]
    assert july[date(2026, 7, 1)][Rung.CO_DESIGN] == (3, 0)
    assert july[date(2026, 7, 1)][Rung.CONSULTATION] == (2, 0)
    assert sum(sum(pair) for pair in july[date(2026, 7, 1)].values()) == 5


def test_partners_requests_met(app, partnership) -> None:
    figures = _figures(_section(app))
    # July to September: 5 July met, 1 August accepted, 23:30 on 30 September declined, 00:30
    # on 1 July met = 4 requests, 2 met, 2 / 4 = 50%.
    assert (figures["requests"].value, figures["requests_met"].value) == (4, 2)
    assert figures["requests_met_share"].value == 50.0
    assert figures["requests_met_share"].detail == "2 of 4 requests"
    # April to June: 23:30 on 30 June met, 1 April declined, 10 May met: 2 of 3 = 66.7%.
    assert (figures["requests"].previous, figures["requests_met"].previous) == (3, 2)
    assert figures["requests_met_share"].previous == 66.7


def test_decisions_co_produced(app, partnership) -> None:
    figures = _figures(_section(app))
    # July to September: 1 July (in London) yes, 20 August no, 15 September yes (1 October
    # is after): 2 of 3 = 66.7%. April to June: 1 May no, 30 June yes: 1 of 2 = 50%.
    count, share = figures["decisions_co_produced"], figures["decisions_co_produced_share"]
    assert (count.value, count.previous) == (2, 1)
    assert (share.value, share.previous) == (66.7, 50.0)
    assert share.detail == "2 of 3 decisions"


def test_boards_with_experts_and_board_attendance(app, partnership) -> None:
    figures = _figures(_section(app))
    # Delivery has Ash in a lived-experience seat; Strategic and Q have none: 1 of 3 = 33.3%,
    # as the boards are now (no previous value to compare).
    boards = figures["boards_with_experts"]
    assert (boards.value, boards.previous, boards.compares) == (33.3, None, False)
    assert boards.detail == "1 of 3 boards"
    # Board meetings from 1 July: Delivery at 00:30 on 1 July (Ash present, Mo not) and
    # Strategic on 1 September (Mo present): 2 of 3 = 66.7%. Before: 5 May, 2 of 2 = 100%.
    rate = figures["board_attendance_rate"]
    assert (rate.value, rate.previous) == (66.7, 100.0)


def test_nothing_to_compare_with_and_nothing_to_count(app, people) -> None:
    section = _section(app, previous=None)
    figures = _figures(section)
    assert all(f.previous is None for f in figures.values())
    # No meetings, registers, requests, decisions or boards: counts are 0, shares unknown.
    assert figures["meetings_held"].value == 0
    assert figures["meeting_attendance_rate"].value is None
    assert figures["requests_met_share"].value is None
    assert figures["boards_with_experts"].value is None
    assert figures["board_attendance_rate"].value is None
    assert [row[1] for row in {t.key: t for t in section.tables}["ladder"].rows] == [0] * 5


def test_every_figure_says_how_and_identifies_nobody(app, partnership) -> None:
    section = _section(app)
    assert section.key == "co-production"
    assert all(f.how and f.public for f in section.figures)
    assert all(t.how and t.public for t in section.tables)
    links = {f.key: f.link for f in section.figures}
    assert links["meetings_held"] == "/forums"
    assert links["requests_met"] == "/requests?status=met"
    assert links["board_attendance_rate"] == "/boards"
    assert links["peers_involved"] == "/payments/time"


def _queries(app) -> int:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        _section(app)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    bookkeeping = ("SAVEPOINT", "RELEASE", "ROLLBACK")
    return len([s for s in statements if not s.lstrip().upper().startswith(bookkeeping)])


def _meetings(app, people: dict[str, int], n: int) -> None:
    """``n`` forum meetings in July, each with its register, an opportunity done and a
    record."""
    with app.test_request_context():
        forum = Forum(name=f"Forum of {n}")
        db.session.add(forum)
        db.session.flush()
        for i in range(n):
            meeting = _meeting(forum, at(7, 1 + i, 10), Rung.ENGAGEMENT)
            _register(meeting, {people["ash"]: Presence.ATTENDED, people["bea"]: Presence.LATE})
            opportunity = Opportunity(title=f"Work {i}", description="-")
            db.session.add(opportunity)
            db.session.flush()
            db.session.add(
                Interest(
                    opportunity_id=opportunity.id,
                    user_id=people["dev"],
                    completed_at=at(8, 1 + i, 9),
                )
            )
            _record(people["eve"], "other_involvement", date(2026, 8, 1 + i), RecordStatus.PAID)
        db.session.commit()


def test_the_query_count_does_not_grow_with_the_data(app, people) -> None:
    _meetings(app, people, 1)
    few = _queries(app)
    _meetings(app, people, 20)
    assert _queries(app) == few == 12
    with app.test_request_context():
        figures = _figures(measures.co_production_section(CURRENT, PREVIOUS))
    assert figures["meetings_held"].value == 21
    assert figures["meeting_attendance"].value == 42
    # Ash and Bea by the registers, Eve by her records (Dev's finished opportunities made no
    # record here: in engage finishing one always does, and the record counts).
    assert figures["peers_involved"].value == 3


def test_a_record_waiting_for_approval_counts(app, people) -> None:
    """Time given counts before it is approved, and with nothing priced yet."""
    with app.test_request_context():
        db.session.add(
            InvolvementRecord(
                person_id=people["gil"],
                activity="peer_research",
                activity_date=date(2026, 8, 3),
                status=RecordStatus.PENDING.value,
                fee=Decimal(0),
            )
        )
        db.session.commit()
    assert _figures(_section(app))["peers_involved"].value == 1


# On the dashboard -----------------------------------------------------------------------------


def test_managers_see_the_section_and_follow_each_figure_to_its_records(client, signed_in) -> None:
    signed_in(Role.MANAGER)
    page = client.get("/dashboard?period=quarter").get_data(as_text=True)
    assert 'id="section-co-production"' in page
    assert page.index('id="section-co-production"') < page.index('id="section-people"')
    for href in ("/forums", "/payments/time", "/requests", "/requests?status=met", "/boards"):
        assert f'href="{href}"' in page


def test_board_members_get_links_only_to_pages_they_may_open(client, signed_in) -> None:
    signed_in(Role.BOARD)
    page = client.get("/dashboard?period=quarter").get_data(as_text=True)
    assert 'id="figure-peers_involved"' in page
    assert 'href="/boards"' in page.split('id="section-co-production"')[1]
    # Involvement records and partners' requests are for managers (and finance) only.
    assert page.count('href="/payments/time"') == 0
    assert 'href="/requests' not in page


def test_partners_see_the_counts_without_links(client, signed_in) -> None:
    signed_in(Role.PARTNER)
    page = client.get("/dashboard?period=quarter").get_data(as_text=True)
    section = page.split('id="section-co-production"')[1].split("</section>")[0]
    assert 'id="figure-meetings_held"' in section
    assert 'id="table-co-production-ladder"' in section
    assert "See the records" not in section

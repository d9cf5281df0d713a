"""The register's "System change" section of the dashboard: each measure on a small hand-built
register whose answer is worked out by hand below, the period's edges in the partnership's
zone (Europe/London: in summer 23:30 UTC is the next day there), the financial year's first
day, the state at a past period's end from the items' history, and a query count that does
not grow with the register."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from engage.changes.dashboard import open_at_end, period_counts, system_change_section
from engage.changes.measures import PLAN_WITHIN_DAYS_SETTING
from engage.changes.models import Event, Item, Level, State, Theme
from engage.core import settings
from engage.core.figures import Kind, Period
from engage.extensions import db
from engage.people.models import Organisation, Role
from tests.changes.conftest import insert_item

#: The first quarter of the financial year 2025-26, and the quarter before it.
QUARTER = Period(date(2025, 4, 1), date(2025, 6, 30))
BEFORE = Period(date(2025, 1, 1), date(2025, 3, 31))


def utc(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def item(**values: object) -> Item:
    values.setdefault("state", State.RAISED.value)
    return insert_item(**values)


def history(it: Item, *changes: tuple[datetime, State]) -> Item:
    """The item's history of states as the services write it: "raised" at its raising time,
    then one "state" entry per change."""
    db.session.add(
        Event(item_id=it.id, at=it.created_at, kind="raised", to_state=State.RAISED.value)
    )
    previous = State.RAISED
    for when, state in changes:
        db.session.add(
            Event(
                item_id=it.id,
                at=when,
                kind="state",
                from_state=previous.value,
                to_state=state.value,
            )
        )
        previous = state
    # Entries that never set a state are not history of states.
    db.session.add(Event(item_id=it.id, at=it.created_at, kind="supported"))
    db.session.flush()
    return it


# Raised and accepted: the period's edges -------------------------------------------------------


def test_items_raised_and_accepted_in_the_period_by_the_local_day(ctx):
    # British Summer Time began on 30 March 2025, so 23:30 UTC is 00:30 the next day.
    item(created_at=utc(2025, 3, 31, 22, 30))  # 23:30 on 31 March: last financial year
    item(created_at=utc(2025, 3, 31, 23, 30))  # 00:30 on 1 April: in
    item(created_at=utc(2025, 6, 30, 22, 59))  # 23:59 on 30 June: in
    item(created_at=utc(2025, 6, 30, 23, 30))  # 00:30 on 1 July: after
    item(created_at=utc(2025, 5, 1), state=State.MERGED.value)  # a duplicate: left out
    # Accepted: raised before the period, accepted on its first local day; and one accepted
    # at 00:30 on 1 July (after).
    item(created_at=utc(2025, 3, 1), triaged_at=utc(2025, 3, 31, 23, 30), state="triaged")
    item(created_at=utc(2025, 3, 1), triaged_at=utc(2025, 6, 30, 23, 30), state="triaged")

    counts = period_counts(QUARTER, 28)

    # Raised: 00:30 1 April and 23:59 30 June = 2.
    assert counts.raised == 2
    # Accepted: only the one on 1 April = 1.
    assert counts.accepted == 1
    # The quarter before gets 31 March's item and the two raised on 1 March = 3.
    assert period_counts(BEFORE, 28).raised == 3


def test_action_plan_within_n_days_and_the_median_days_to_a_plan(ctx):
    def accepted(day: int, planned: datetime | None) -> None:
        triaged = utc(2025, 5, day)
        item(
            created_at=utc(2025, 4, 20),
            triaged_at=triaged,
            planned_at=planned,
            state=State.ACTION_PLANNED.value if planned else State.TRIAGED.value,
        )

    accepted(1, utc(2025, 5, 11))  # 10 days: in time
    accepted(1, utc(2025, 5, 29))  # exactly 28 days: in time
    accepted(1, utc(2025, 6, 10))  # 40 days: late
    accepted(2, None)  # no plan yet
    accepted(10, utc(2025, 5, 5))  # planned before acceptance: 0 days, in time
    # Accepted before the period: not in this period's share, even with a quick plan.
    item(created_at=utc(2025, 3, 1), triaged_at=utc(2025, 3, 20), planned_at=utc(2025, 3, 21))
    item(created_at=utc(2025, 5, 1), triaged_at=utc(2025, 5, 2), state=State.MERGED.value)

    counts = period_counts(QUARTER, 28)
    # 3 of 5 accepted in the quarter had a plan within 28 days (10, 28 and 0 days).
    assert (counts.planned_in_time, counts.accepted) == (3, 5)
    # Days to a plan: 0, 10, 28, 40 -> median (10 + 28) / 2 = 19, from 4 items.
    assert counts.days_to_plan == pytest.approx(19)
    assert counts.planned == 4
    # With N = 7 only the plan before acceptance is in time: 1 of 5.
    assert period_counts(QUARTER, 7).planned_in_time == 1


def test_resolved_by_the_target_date_median_days_and_changes_told(ctx):
    resolved = State.RESOLVED.value
    told = {"what_changed": "ID rules changed", "changed_for_whom": "People without ID"}
    # Resolved at 23:30 on its target day (22:30 UTC): on time. Raised 10 days before.
    item(
        state=resolved,
        created_at=utc(2025, 6, 10, 22, 30),
        resolved_at=utc(2025, 6, 20, 22, 30),
        target_date=date(2025, 6, 20),
        **told,
    )
    # Resolved at 00:30 the day after its target date (23:30 UTC): late. Raised 30 days before.
    item(
        state=resolved,
        created_at=utc(2025, 5, 21, 23, 30),
        resolved_at=utc(2025, 6, 20, 23, 30),
        target_date=date(2025, 6, 20),
        **told,
    )
    # No target date: only in the count and the median. 70 days; what changed not told.
    item(state=resolved, created_at=utc(2025, 4, 1), resolved_at=utc(2025, 6, 10))
    # Reopened since (its resolution time is cleared): not counted.
    item(state=State.REOPENED.value, created_at=utc(2025, 4, 1))
    # Resolved on 31 March (23:30 BST): the year before.
    item(state=resolved, created_at=utc(2025, 3, 1), resolved_at=utc(2025, 3, 31, 22, 30), **told)

    counts = period_counts(QUARTER, 28)

    assert counts.resolved == 3
    # Of the 2 with a target date, 1 on time: 50%.
    assert (counts.on_time, counts.with_target) == (1, 2)
    # Days from raising to resolution: 10, 30, 70 -> median 30.
    assert counts.days_to_resolve == pytest.approx(30)
    # "You said, we did": 2 of them tell what changed.
    assert counts.told == 2
    assert period_counts(BEFORE, 28).resolved == 1


def test_nothing_in_the_period_is_not_enough_data(ctx):
    counts = period_counts(QUARTER, 28)
    assert (counts.raised, counts.accepted, counts.resolved, counts.told) == (0, 0, 0, 0)
    assert counts.days_to_plan is None and counts.days_to_resolve is None
    section = system_change_section(QUARTER, None)
    figures = {f.key: f for f in section.figures}
    assert figures["plan_within_days"].value is None
    assert figures["resolved_on_time"].value is None
    assert figures["open_at_end"].value == 0
    assert all(f.previous is None for f in section.figures)


# Open at the period's end ----------------------------------------------------------------------


@pytest.fixture
def open_register(ctx):
    """The register of the "open at the end" tests, each item with why it is (not) open at the
    end of 30 June 2025 (the answers are in the tests)."""
    council = Organisation(name="City Council")
    trust = Organisation(name="Mental Health Trust")
    db.session.add_all([council, trust])
    db.session.flush()
    triaged, resolved = State.TRIAGED, State.RESOLVED
    # A: resolved at 23:30 on 30 June (22:30 UTC): not open at the end.
    history(
        item(
            created_at=utc(2025, 5, 1), state=resolved.value, resolved_at=utc(2025, 6, 30, 22, 30)
        ),
        (utc(2025, 5, 3), triaged),
        (utc(2025, 6, 30, 22, 30), resolved),
    )
    # B: resolved at 00:30 on 1 July (23:30 UTC): open at the end, 60 days old.
    history(
        item(
            created_at=utc(2025, 5, 1),
            state=resolved.value,
            resolved_at=utc(2025, 6, 30, 23, 30),
            theme=Theme.HOUSING.value,
            agency_id=council.id,
        ),
        (utc(2025, 5, 2), triaged),
        (utc(2025, 6, 30, 23, 30), resolved),
    )
    # C: resolved in June, reopened in July (its resolution time is cleared): resolved at the
    # end by its history, though its times alone would say open.
    history(
        item(created_at=utc(2025, 5, 1), state=State.REOPENED.value),
        (utc(2025, 5, 2), triaged),
        (utc(2025, 6, 1), resolved),
        (utc(2025, 7, 5), State.REOPENED),
    )
    # D: raised at 00:30 on 1 July: not yet raised at the end.
    history(item(created_at=utc(2025, 6, 30, 23, 30)))
    # E: no history (made outside the services), closed on 10 July: open at the end, raised
    # 180 days before (1 January to 30 June). Its "other" service is typed words: never shown.
    item(
        created_at=utc(2025, 1, 1),
        state=State.CLOSED.value,
        closed_at=utc(2025, 7, 10),
        theme=Theme.HEALTH.value,
        agency_other="A food bank on Dale Street",
        level=Level.DELIVERY.value,
    )
    # F: no history, resolved on 15 June: not open.
    item(created_at=utc(2025, 6, 1), state=resolved.value, resolved_at=utc(2025, 6, 15))
    # G: a duplicate: left out.
    item(created_at=utc(2025, 6, 1), state=State.MERGED.value)
    # H: raised in December, escalated on 1 February, now in progress: open, 211 days old.
    history(
        item(
            created_at=utc(2024, 12, 1),
            state=State.IN_PROGRESS.value,
            theme=Theme.HOUSING.value,
            agency_id=trust.id,
            level=Level.STRATEGIC.value,
        ),
        (utc(2024, 12, 2), triaged),
        (utc(2025, 2, 1), State.ESCALATED),
        (utc(2025, 7, 2), State.IN_PROGRESS),
    )
    # I, J: no history, raised on 31 May (J at 00:30 local, 23:30 UTC on the 30th): 30 days.
    item(created_at=utc(2025, 5, 31), theme=Theme.HEALTH.value, agency_id=council.id)
    item(created_at=utc(2025, 5, 30, 23, 30), theme=Theme.HOUSING.value, agency_id=council.id)
    # K: raised at 23:30 on 30 May (22:30 UTC): 31 days.
    item(created_at=utc(2025, 5, 30, 22, 30), theme=Theme.MENTAL_HEALTH.value)


def test_open_at_the_end_from_the_history_by_age_theme_service_and_level(open_register):
    still_open = open_at_end(date(2025, 6, 30))

    # Open at the end: B, E, H, I, J and K.
    assert still_open.total == 6
    # Ages: I and J 30 days; B 60 and K 31; E 180; H 211.
    assert still_open.by_age == [
        ("0 to 30 days", 2),
        ("31 to 90 days", 2),
        ("91 to 180 days", 1),
        ("Over 180 days", 1),
    ]
    # Housing: B, H, J; Health: E, I; Mental health: K.
    assert still_open.by_theme == [("Housing", 3), ("Health", 2), ("Mental health", 1)]
    # City Council: B, I, J; none from the list: E, K; the trust: H.
    assert still_open.by_agency == [
        ("City Council", 3),
        ("Other or not given", 2),
        ("Mental Health Trust", 1),
    ]
    # Levels now: B, I, J, K operational; E delivery; H strategic.
    assert still_open.by_level == [
        ("Operational group", 4),
        ("Delivery board", 1),
        ("Strategic board", 1),
    ]


def test_open_at_the_end_of_an_earlier_period(open_register):
    # On 31 March only E (no history, closed in July) and H (escalated) had been raised and
    # were open; every other item was raised later.
    assert open_at_end(date(2025, 3, 31)).total == 2
    # At the end of 1 July, B was resolved (00:30), D raised (00:30) and still open: E, H, I,
    # J, K and D.
    assert open_at_end(date(2025, 7, 1)).total == 6


# The section -----------------------------------------------------------------------------------


def test_the_section_with_the_previous_period(open_register):
    section = system_change_section(QUARTER, BEFORE)
    figures = {f.key: f for f in section.figures}

    assert section.key == "system-change"
    # Raised in the quarter: A, B, C (1 May), F, I, J, K = 7 (G is a duplicate, D is July);
    # the quarter before: E (1 January) = 1 (H was December).
    assert (figures["items_raised"].value, figures["items_raised"].previous) == (7, 1)
    # Open at the end: 6 now, 2 at the end of March.
    assert (figures["open_at_end"].value, figures["open_at_end"].previous) == (6, 2)
    # Resolved in the quarter and still resolved: A (30 June, 23:30) and F = 2.
    assert figures["items_resolved"].value == 2
    assert figures["plan_within_days"].kind == Kind.PERCENT
    assert figures["days_to_resolve"].kind == Kind.DAYS
    # Nothing here identifies anyone: all of it may go on the public page.
    assert all(f.public for f in section.figures)
    assert all(t.public for t in section.tables)
    assert [t.key for t in section.tables] == [
        "open_by_age",
        "open_by_theme",
        "open_by_service",
        "open_by_level",
    ]
    # Typed-in words about a service never reach a table.
    assert "Dale Street" not in repr(section)
    links = {f.key: f.link for f in section.figures}
    assert links["open_at_end"] == "/register?state=open"
    assert links["items_resolved"] == "/register?state=resolved"
    assert links["plan_within_days"] == "/register?state=triaged"
    assert links["you_said_we_did"] == "/you-said-we-did"


def test_the_section_shares_and_n_from_the_setting(ctx):
    # Accepted in the quarter: plans after 5 and 20 days; one with none. Resolved in the
    # quarter: 1 of 1 with a target date on time.
    for planned in (utc(2025, 5, 6), utc(2025, 5, 21), None):
        item(created_at=utc(2025, 4, 2), triaged_at=utc(2025, 5, 1), planned_at=planned)
    item(
        state=State.RESOLVED.value,
        created_at=utc(2025, 4, 2),
        resolved_at=utc(2025, 6, 1),
        target_date=date(2025, 6, 1),
        what_changed="A new rule",
    )
    figures = {f.key: f for f in system_change_section(QUARTER, None).figures}
    # N = 28 (the default): 2 of 3 = 66.7%.
    assert figures["plan_within_days"].value == pytest.approx(200 / 3)
    assert figures["plan_within_days"].detail == "2 of 3 accepted items"
    assert "28 days" in figures["plan_within_days"].label
    # Days to a plan: 5 and 20 -> 12.5.
    assert figures["days_to_plan"].value == pytest.approx(12.5)
    assert figures["resolved_on_time"].value == 100
    assert figures["you_said_we_did"].value == 1

    settings.put(PLAN_WITHIN_DAYS_SETTING, "7")
    db.session.flush()
    figures = {f.key: f for f in system_change_section(QUARTER, None).figures}
    # N = 7: 1 of 3 = 33.3%.
    assert figures["plan_within_days"].value == pytest.approx(100 / 3)
    assert "7 days" in figures["plan_within_days"].label


def _queries(app, build) -> int:  # noqa: ANN001
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        build()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    control = ("SAVEPOINT", "RELEASE", "ROLLBACK")
    return len([s for s in statements if not s.lstrip().upper().startswith(control)])


def test_a_fixed_number_of_queries_at_any_size(app, ctx):
    def build() -> None:
        db.session.expire_all()  # nothing read before may save a query
        system_change_section(QUARTER, BEFORE)

    def add(n: int) -> None:
        for i in range(n):
            day = 1 + i % 28
            it = item(
                created_at=utc(2025, 4, day),
                triaged_at=utc(2025, 5, day),
                planned_at=utc(2025, 6, day),
                resolved_at=utc(2025, 6, day, 15),
                target_date=date(2025, 6, 20),
                state=State.RESOLVED.value,
                what_changed="A change",
            )
            history(it, (utc(2025, 5, day), State.TRIAGED), (utc(2025, 6, day, 15), State.RESOLVED))

    add(2)
    small = _queries(app, build)
    add(40)
    assert _queries(app, build) == small
    # Two per period (what happened in it; what was open at its end) and N from the settings.
    assert small <= 5


def test_managers_and_partners_see_the_section_on_the_dashboard(client, signed_in, app):
    with app.test_request_context():
        item(created_at=utc(2025, 5, 1))
        db.session.commit()
    signed_in(Role.MANAGER)
    page = client.get("/dashboard?start=2025-04-01&end=2025-06-30").get_data(as_text=True)
    assert 'id="section-system-change"' in page
    assert 'id="figure-items_raised"' in page
    assert 'href="/register?state=open"' in page

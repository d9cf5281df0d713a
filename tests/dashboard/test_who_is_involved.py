"""Who is involved (/dashboard/who-is-involved) against the cohort estimate (/dashboard/cohort).

The data set is built by hand and every expected table is worked out by hand below, with the
small-number suppression (threshold 5, the survey default) done step by step."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engage.core.audit import AuditEntry
from engage.core.conflicts import ChangedMeanwhile
from engage.core.figures import Period
from engage.core.suppression import PROTECTS_ANOTHER, TOO_FEW
from engage.dashboard import cohort, who
from engage.dashboard.models import CohortEstimate, CohortShare
from engage.extensions import db
from engage.forums.models import Attendance, Forum, Meeting
from engage.payments.models import InvolvementRecord
from engage.people.models import EqualityMonitoring, Role, User
from tests.conftest import count_queries, csrf_token, sign_in

#: The day the tests pretend it is: "this quarter" is 1 July to 30 September 2027 (summer
#: time in Europe/London, an hour ahead of UTC).
TODAY = date(2027, 9, 30)
QUARTER = Period(date(2027, 7, 1), date(2027, 9, 30))
URL = "/dashboard/who-is-involved?period=quarter"

#: The fourteen peers who count, with their equality answers: (gender, ethnicity, age,
#: lived experience).
INVOLVED = {
    1: ("woman", "white", "25-34", "homelessness,mental-health"),
    2: ("woman", "white", "25-34", "homelessness"),
    3: ("woman", "white", "25-34", "homelessness,substance-use"),
    4: ("woman", "white", "25-34", "homelessness"),
    5: ("woman", "black", "25-34", "homelessness,mental-health"),
    6: ("woman", "black", "25-34", "mental-health"),
    7: ("woman", "black", "35-44", "mental-health"),
    8: ("man", "white", "35-44", "substance-use,offending"),
    9: ("man", "white", "35-44", "substance-use"),
    10: ("man", "white", "35-44", "substance-use,mental-health"),
    11: ("man", "black", "35-44", "substance-use"),
    12: ("man", "black", "35-44", "mental-health"),
    13: ("non-binary", "black", "45-54", ""),
    14: ("prefer-not", "white", "45-54", "domestic-abuse"),
}

#: Everyone who must NOT count. All of them answered like this, so any of them counted by
#: mistake would move the woman, white and 25-34 rows and the total.
NOT_COUNTED_ANSWERS = ("woman", "white", "25-34", "homelessness")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _person(make_user, name: str, roles=None) -> User:  # noqa: ANN001
    # Names that no page word contains, so the page can be searched for them.
    return make_user(f"zq{name}x", roles=roles or {Role.PEER}, preferred_name=f"Qwerty {name}")


def _answers(user: User, answers: tuple[str, str, str, str]) -> None:
    gender, ethnicity, age_band, lived = answers
    db.session.add(
        EqualityMonitoring(
            user_id=user.id,
            gender=gender,
            ethnicity=ethnicity,
            age_band=age_band,
            lived_experience=lived,
        )
    )


def _meeting(forum: Forum, starts_at: datetime, cancelled: bool = False) -> Meeting:
    meeting = Meeting(
        forum_id=forum.id, starts_at=starts_at, ends_at=starts_at, cancelled=cancelled
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _came(meeting: Meeting, user: User, presence: str = "attended") -> None:
    db.session.add(Attendance(meeting_id=meeting.id, user_id=user.id, presence=presence))


def _record(user: User, day: date, activity: str = "interview_panel", status: str = "approved"):
    db.session.add(
        InvolvementRecord(person_id=user.id, activity=activity, activity_date=day, status=status)
    )


@pytest.fixture
def involved(app, make_user, pin_today) -> dict[str, User]:
    """The 14 peers who count, and 9 people who took part in ways that do not count."""
    pin_today(TODAY)
    people = {str(n): _person(make_user, f"{n:02d}") for n in INVOLVED}
    others = {
        name: _person(make_user, name)
        for name in (
            "training",
            "cancelled",
            "apologies",
            "october",
            "rejected",
            "reversed",
            "trainingrecord",
            "june",
        )
    }
    others["manager"] = _person(make_user, "manager", roles={Role.MANAGER})
    with app.test_request_context():
        forum = Forum(name="Expert Citizen Forum")
        training = Forum(name="Training", is_training=True)
        db.session.add_all([forum, training])
        db.session.flush()
        main = _meeting(forum, utc(2027, 8, 10, 10))
        # 23:30 UTC on 30 June is 00:30 on 1 July in London: the quarter's first day.
        first_day = _meeting(forum, utc(2027, 6, 30, 23, 30))
        # 23:30 UTC on 30 September is 00:30 on 1 October in London: after the quarter.
        after = _meeting(forum, utc(2027, 9, 30, 23, 30))
        cancelled = _meeting(forum, utc(2027, 8, 20, 10), cancelled=True)
        course = _meeting(training, utc(2027, 8, 12, 10))

        _came(first_day, people["1"])
        for n in range(2, 11):
            presence = {9: "late", 10: "left_early"}.get(n, "attended")
            _came(main, people[str(n)], presence)
        # Person 2 also took part another way, and counts once.
        _record(people["2"], date(2027, 8, 10), activity="forum_meeting", status="paid")
        _record(people["11"], date(2027, 7, 1))  # the quarter's first day
        _record(people["12"], date(2027, 9, 30), activity="document_review", status="paid")
        _record(people["13"], date(2027, 8, 1), activity="working_group", status="voluntary")
        _record(people["14"], date(2027, 8, 2), activity="board_seat", status="pending")

        _came(course, others["training"])
        _came(cancelled, others["cancelled"])
        _came(main, others["apologies"], "apologies")
        _came(after, others["october"])
        _record(others["rejected"], date(2027, 8, 1), status="rejected")
        _record(others["reversed"], date(2027, 8, 1), status="cancelled")
        _record(others["trainingrecord"], date(2027, 8, 1), activity="training")
        _record(others["june"], date(2027, 6, 30))
        _came(main, others["manager"])  # staff, not a peer

        for n, answers in INVOLVED.items():
            _answers(people[str(n)], answers)
        for person in others.values():
            _answers(person, NOT_COUNTED_ANSWERS)
        db.session.commit()
    return {**people, **others}


def _rows(result: who.WhoIsInvolved, dimension: str) -> dict[str, tuple]:
    (found,) = [b for b in result.breakdowns if b.dimension.key == dimension]
    return {row.key: (row.n, row.reason, row.share, row.estimate) for row in found.rows}


def _view(app, threshold: int = 5) -> who.WhoIsInvolved:  # noqa: ANN001
    with app.test_request_context():
        return who.who_is_involved(None, QUARTER, threshold)


# The hand-worked tables --------------------------------------------------------------------


def test_who_counts_as_involved(app, involved):
    # People 1 to 14: 1 at the meeting on the quarter's first local day, 2-10 at the main
    # meeting (9 late, 10 left early: both took part), 11-14 by involvement records (11 on 1
    # July, 12 on 30 September). Person 2 counts once. Left out: the training session, the
    # cancelled meeting, apologies, the meeting on 1 October local time, a rejected, a
    # reversed and a training record, a record on 30 June, and a manager. 14 in all.
    assert _view(app).total == 14


def test_gender_primary_and_secondary_suppression(app, involved):
    # woman 7, man 5, non-binary 1, another answer 0, not said 1 (prefer not to say): 14.
    # Primary: non-binary (1) and not said (1) are under 5: hidden.
    # Hidden 1 + 1 = 2 < 5, so the smallest shown group goes too: man (5), PROTECTS_ANOTHER.
    # Hidden 1 + 1 + 5 = 7 >= 5 and three groups: stop. Woman stays: 7 of 14 = 50.0%.
    # "Another answer" has nobody: shown as 0 (0.0%), it hides nothing.
    assert _rows(_view(app), "gender") == {
        "woman": (7, None, 50.0, None),
        "man": (None, PROTECTS_ANOTHER, None, None),
        "non-binary": (None, TOO_FEW, None, None),
        "other": (0, None, 0.0, None),
        who.NOT_SAID: (None, TOO_FEW, None, None),
    }


def test_ethnicity_nothing_hidden(app, involved):
    # white 8 (people 1-4, 8-10, 14), black 6 (5-7, 11-13): both >= 5, nothing hidden.
    # 8 / 14 = 57.14 -> 57.1%; 6 / 14 = 42.86 -> 42.9%.
    assert _rows(_view(app), "ethnicity") == {
        "asian": (0, None, 0.0, None),
        "black": (6, None, 42.9, None),
        "mixed": (0, None, 0.0, None),
        "white": (8, None, 57.1, None),
        "other": (0, None, 0.0, None),
        who.NOT_SAID: (0, None, 0.0, None),
    }


def test_age_one_hidden_group_hides_another(app, involved):
    # 25-34: 6 (people 1-6), 35-44: 6 (7-12), 45-54: 2 (13, 14).
    # Primary: 45-54 (2) hidden. Only one group hidden: total minus the rest would give it,
    # so the smallest shown goes too; 25-34 and 35-44 are equal, so the later (35-44).
    # Hidden 2 + 6 = 8 >= 5, two groups: stop. 25-34: 6 / 14 = 42.9%.
    assert _rows(_view(app), "age_band") == {
        "18-24": (0, None, 0.0, None),
        "25-34": (6, None, 42.9, None),
        "35-44": (None, PROTECTS_ANOTHER, None, None),
        "45-54": (None, TOO_FEW, None, None),
        "55-64": (0, None, 0.0, None),
        "65+": (0, None, 0.0, None),
        who.NOT_SAID: (0, None, 0.0, None),
    }


def test_lived_experience_counts_each_area(app, involved):
    # homelessness 5 (1-5), substance use 5 (3, 8-11), mental health 6 (1, 5, 6, 7, 10, 12),
    # offending 1 (8), domestic abuse 1 (14), not said 1 (13 ticked nothing).
    # Primary: offending, domestic abuse, not said hidden: 1 + 1 + 1 = 3 < 5, so the smallest
    # shown goes: homelessness and substance use are both 5, the later one (substance use).
    # Hidden 3 + 5 = 8 >= 5: stop. homelessness 5 / 14 = 35.7%, mental health 6 / 14 = 42.9%.
    assert _rows(_view(app), "lived_experience") == {
        "homelessness": (5, None, 35.7, None),
        "substance-use": (None, PROTECTS_ANOTHER, None, None),
        "mental-health": (6, None, 42.9, None),
        "offending": (None, TOO_FEW, None, None),
        "domestic-abuse": (None, TOO_FEW, None, None),
        who.NOT_SAID: (None, TOO_FEW, None, None),
    }


def test_estimate_sits_beside_each_group(app, involved):
    with app.test_request_context():
        cohort.save_estimate(
            None,
            {
                ("gender", "woman"): Decimal("48.0"),
                ("gender", "man"): Decimal("50.0"),
                ("lived_experience", "homelessness"): Decimal("70"),
            },
            seen_number=0,
        )
        db.session.commit()
    result = _view(app)
    gender = _rows(result, "gender")
    assert gender["woman"] == (7, None, 50.0, Decimal("48.0"))
    # A hidden group still shows the estimate: it is about the cohort, not these people.
    assert gender["man"] == (None, PROTECTS_ANOTHER, None, Decimal("50.0"))
    assert gender["non-binary"][3] is None  # no estimate entered
    assert gender[who.NOT_SAID][3] is None
    assert _rows(result, "lived_experience")["homelessness"][3] == Decimal("70.0")


def test_fewer_than_the_threshold_shows_no_breakdown(app, involved):
    # 14 people with a threshold of 15: even a table of hidden groups would say which
    # groups these few are in, so there is none.
    result = _view(app, threshold=15)
    assert result.total == 14
    assert result.too_few and result.breakdowns == []


def test_someone_without_answers_is_not_said_everywhere():
    counts = who.count_groups([(None, None, None, None)])
    assert all(table[who.NOT_SAID] == 1 for table in counts.values())
    assert all(sum(table.values()) == 1 for table in counts.values())


def test_financial_year_starts_on_1_april(app, make_user, pin_today, client):
    pin_today(date(2027, 9, 30))
    march, april = _person(make_user, "march"), _person(make_user, "april")
    with app.test_request_context():
        _record(march, date(2027, 3, 31))
        _record(april, date(2027, 4, 1))
        db.session.commit()
    manager = make_user(roles={Role.MANAGER})
    sign_in(client, manager.username)
    page = client.get("/dashboard/who-is-involved?period=financial-year").get_data(as_text=True)
    # 1 April 2027 to 30 September 2027: the record on 1 April counts, 31 March does not.
    assert re.search(r'id="who-total"><strong>1</strong>', page)


# The page ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PEER, 403),
        (Role.PARTNER, 403),
        (Role.FINANCE, 403),
        (Role.MANAGER, 200),
        (Role.BOARD, 200),
        (Role.ADMIN, 200),
    ],
)
def test_who_may_see_it(client, signed_in, pin_today, role, status):
    pin_today(TODAY)
    signed_in(role)
    assert client.get(URL).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PEER, 403),
        (Role.PARTNER, 403),
        (Role.FINANCE, 403),
        (Role.BOARD, 403),
        (Role.MANAGER, 200),
        (Role.ADMIN, 200),
    ],
)
def test_who_may_enter_the_estimate(client, signed_in, role, status):
    signed_in(role)
    assert client.get("/dashboard/cohort").status_code == status


def test_signed_out_goes_to_sign_in(client):
    assert client.get(URL).status_code == 302
    assert client.get("/dashboard/cohort").status_code == 302


def test_page_shows_the_tables_and_charts_and_names_nobody(app, client, involved):
    manager = involved["manager"]
    sign_in(client, manager.username)
    page = client.get(URL).get_data(as_text=True)
    assert 'id="who-total"><strong>14</strong>' in page
    row = re.search(r'id="who-gender-woman">(.*?)</tr>', page, re.S).group(1)
    assert ">7<" in row and "50%" in row
    hidden = re.search(r'id="who-gender-man">(.*?)</tr>', page, re.S).group(1)
    assert "smaller group cannot be worked out" in hidden
    few = re.search(r'id="who-gender-non-binary">(.*?)</tr>', page, re.S).group(1)
    assert "Fewer than 5 people" in few
    # A chart beside each of the four tables, hidden groups written "Not shown", not 0.
    assert page.count('role="img"') == 4
    assert "Not shown" in page
    # Nobody's name or username is on the page.
    # (Whole usernames, case and all: a random token on the page may hold "zq" by chance.)
    assert "Qwerty" not in page
    assert not [person.username for person in involved.values() if person.username in page]


def test_each_viewing_is_audited_once_without_anyone_in_it(app, client, involved):
    manager = involved["manager"]
    sign_in(client, manager.username)
    assert client.get(URL).status_code == 200
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "equality.breakdown_viewed")
        ).all()
        assert len(entries) == 1
        (entry,) = entries
        assert entry.actor_id == manager.id and entry.subject_id is None
        assert json.loads(entry.detail) == {
            "start": "2027-07-01",
            "end": "2027-09-30",
            "people": 14,
            "threshold": 5,
        }
        # Reading the tables is not reading anyone's answers.
        assert not db.session.scalar(
            select(func.count()).where(AuditEntry.action == "equality.viewed")
        )


def test_queries_do_not_grow_with_the_people(app, client, make_user, involved):
    sign_in(client, involved["manager"].username)
    small = count_queries(app, client, URL)
    more = [_person(make_user, f"more{n}") for n in range(12)]
    with app.test_request_context():
        meeting = db.session.scalar(
            select(Meeting).where(Meeting.starts_at == utc(2027, 8, 10, 10))
        )
        for n, person in enumerate(more):
            if n % 2:
                _came(meeting, person)
            else:
                _record(person, date(2027, 8, 3))
            _answers(person, INVOLVED[n + 1])
        db.session.commit()
    bigger = count_queries(app, client, URL)
    assert small == bigger
    page = client.get(URL).get_data(as_text=True)
    assert 'id="who-total"><strong>26</strong>' in page


def test_bad_dates_keep_what_was_typed(client, signed_in, pin_today):
    pin_today(TODAY)
    signed_in(Role.MANAGER)
    response = client.get("/dashboard/who-is-involved?start=2027-13-01&end=2027-09-30")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "2027-13-01" in page and "Enter a real date" in page


def test_dashboard_links_to_it_for_those_who_may_see_it(client, signed_in, pin_today):
    pin_today(TODAY)
    signed_in(Role.BOARD)
    assert 'id="who-is-involved-link"' in client.get("/dashboard").get_data(as_text=True)


def test_partners_dashboard_has_no_link(client, signed_in, pin_today):
    pin_today(TODAY)
    signed_in(Role.PARTNER)
    assert 'id="who-is-involved-link"' not in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("locale", ["pl", "ar"])
def test_pages_work_in_every_language(client, signed_in, involved, locale):
    signed_in(Role.MANAGER, locale=locale)
    for url in (URL, "/dashboard/cohort"):
        response = client.get(url)
        assert response.status_code == 200, url
    if locale == "ar":
        assert 'dir="rtl"' in client.get(URL).get_data(as_text=True)


# The estimate form -------------------------------------------------------------------------


def _form(client, url: str = "/dashboard/cohort") -> dict[str, str]:  # noqa: ANN001
    """The hidden fields of the estimate page as a browser would send them back."""
    page = client.get(url).get_data(as_text=True)
    hidden = dict(
        re.findall(r'name="(version|submission_key)" type="hidden" value="([^"]*)"', page)
    )
    return {"csrf_token": csrf_token(client, url), **hidden}


def _estimates(app) -> list[tuple[int, dict]]:  # noqa: ANN001
    with app.app_context():
        out = []
        for estimate in db.session.scalars(select(CohortEstimate).order_by(CohortEstimate.number)):
            shares = {(s.dimension, s.group): s.share_percent for s in estimate.shares}
            out.append((estimate.number, shares))
        return out


def test_the_form_has_a_field_per_group_and_its_keys(client, signed_in):
    signed_in(Role.MANAGER)
    hidden = _form(client)
    assert hidden["version"] == "0" and len(hidden["submission_key"]) == 32
    page = client.get("/dashboard/cohort").get_data(as_text=True)
    for name in ("gender__woman", "gender__non_binary", "age_band__65_plus", "ethnicity__mixed"):
        assert f'name="{name}"' in page


def test_saving_an_estimate(app, client, signed_in):
    signed_in(Role.MANAGER)
    data = {
        **_form(client),
        "gender__woman": "48",
        "gender__man": "50,5",  # a decimal comma, as Polish and much of Europe write it
        "lived_experience__homelessness": "70%",
        "lived_experience__mental_health": "65",  # lived experience can add up past 100
        "source": "2021 census; the council's homelessness count",
    }
    response = client.post("/dashboard/cohort", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/dashboard/who-is-involved")
    assert _estimates(app) == [
        (
            1,
            {
                ("gender", "woman"): Decimal("48.0"),
                ("gender", "man"): Decimal("50.5"),
                ("lived_experience", "homelessness"): Decimal("70.0"),
                ("lived_experience", "mental-health"): Decimal("65.0"),
            },
        )
    ]
    # The page shows it again, for changing, and names the next version.
    page = client.get("/dashboard/cohort").get_data(as_text=True)
    assert 'value="50.5"' in page
    assert _form(client)["version"] == "1"
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "cohort_estimate.saved")
        )
        assert json.loads(entry.detail) == {"number": 1}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("lots", "Enter a number from 0 to 100, like 35 or 12.5"),
        ("-5", "Enter a number from 0 to 100, like 35 or 12.5"),
        ("1e2", "Enter a number from 0 to 100, like 35 or 12.5"),
        ("²", "Enter a number from 0 to 100, like 35 or 12.5"),
        ("99999999999999999999", "Enter a number from 0 to 100, like 35 or 12.5"),
        ("150", "Enter a number no bigger than 100"),
        ("100.1", "Enter a number no bigger than 100"),
        ("12.55", "Enter the share to one decimal place at most, like 12.5"),
    ],
)
def test_bad_numbers_are_refused_and_kept(app, client, signed_in, typed, message):
    signed_in(Role.MANAGER)
    data = {**_form(client), "gender__woman": "40", "age_band__18_24": typed}
    response = client.post("/dashboard/cohort", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'href="#age_band__18_24"' in page  # the error summary links to the field
    assert f'value="{typed}"' in page and 'value="40"' in page  # what was typed stays
    assert _estimates(app) == []


def test_shares_of_one_question_cannot_pass_100(app, client, signed_in):
    signed_in(Role.MANAGER)
    # 60 + 40.5 = 100.5 > 100.
    data = {**_form(client), "gender__woman": "60", "gender__man": "40.5"}
    response = client.post("/dashboard/cohort", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Gender: these shares add up to 100.5%. They can add up to 100% at most." in page
    assert _estimates(app) == []
    # Exactly 100 is fine.
    data["gender__man"] = "40"
    assert client.post("/dashboard/cohort", data=data).status_code == 303
    assert len(_estimates(app)) == 1


def test_a_second_press_saves_once(app, client, signed_in):
    signed_in(Role.MANAGER)
    data = {**_form(client), "ethnicity__white": "80"}
    first = client.post("/dashboard/cohort", data=data)
    again = client.post("/dashboard/cohort", data=data)
    assert first.status_code == again.status_code == 303
    assert [number for number, _shares in _estimates(app)] == [1]
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already saved" in page


def test_a_stale_page_saves_nothing(app, client, signed_in):
    signed_in(Role.MANAGER)
    old_page = _form(client)  # shown before the other save: version 0
    other_page = _form(client)
    assert (
        client.post("/dashboard/cohort", data={**other_page, "gender__woman": "45"}).status_code
        == 303
    )
    response = client.post("/dashboard/cohort", data={**old_page, "gender__woman": "55"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this" in page
    assert 'value="55"' in page  # what they typed stays
    assert "Woman – 45%" in page  # and what was saved meanwhile is shown
    assert [(n, s) for n, s in _estimates(app)] == [(1, {("gender", "woman"): Decimal("45.0")})]
    # The page now names the estimate saved meanwhile: pressing again, knowingly, saves.
    assert re.search(r'name="version" type="hidden" value="1"', page)


def test_a_page_without_its_version_is_stale(app, client, signed_in):
    signed_in(Role.MANAGER)
    data = {**_form(client), "version": "", "gender__woman": "45"}
    assert client.post("/dashboard/cohort", data=data).status_code == 409
    assert _estimates(app) == []


def test_without_the_csrf_token_nothing_is_saved(app, client, signed_in):
    signed_in(Role.MANAGER)
    data = {**_form(client), "gender__woman": "45"}
    del data["csrf_token"]
    assert client.post("/dashboard/cohort", data=data).status_code == 400
    assert _estimates(app) == []


def test_the_service_refuses_what_the_form_would(app, ctx):
    with pytest.raises(cohort.EstimateError):
        cohort.save_estimate(None, {("gender", "nobody"): Decimal(10)}, seen_number=0)
    with pytest.raises(cohort.EstimateError):
        cohort.save_estimate(None, {("gender", "woman"): Decimal("100.5")}, seen_number=0)
    with pytest.raises(cohort.EstimateError):
        cohort.save_estimate(
            None,
            {("age_band", "18-24"): Decimal(60), ("age_band", "65+"): Decimal(41)},
            seen_number=0,
        )
    first, new = cohort.save_estimate(None, {("gender", "woman"): Decimal(1)}, seen_number=0)
    assert new and first.number == 1
    # Two saves from the same page: the second is stale.
    with pytest.raises(ChangedMeanwhile):
        cohort.save_estimate(None, {("gender", "woman"): Decimal(2)}, seen_number=0)
    assert db.session.scalar(select(func.count()).select_from(CohortShare)) == 1

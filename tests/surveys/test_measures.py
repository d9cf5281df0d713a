"""The dashboard's "Voice" section: the promised survey measures over the rounds closed in the
period and the one before, suppression of a measure too few answered, which way is better,
the trend across the last rounds, and a query count that does not grow.

Rounds and their tallies are added directly, so each round's closing moment and each count
is exactly what the arithmetic below says. London is on summer time from 29 March 2026, so
23:30 UTC on 31 March is already 1 April there, the financial year's first day. One test
answers through the services, to show the section reads what people really said.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from engage.core.figures import Kind, Period
from engage.extensions import db
from engage.people.models import User
from engage.surveys import definitions as defs
from engage.surveys import measures, services
from engage.surveys.models import SurveyRound, Tally
from tests.surveys.conftest import PARTNERS_ANSWERS

#: The first half of the 2026/27 financial year, and the half before.
H1 = Period(date(2026, 4, 1), date(2026, 9, 30))
H2 = Period(date(2025, 10, 1), date(2026, 3, 31))

SERVICES = "service-experience"
PARTNERS = "coproduction-partners"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_round(slug: str, title: str, closes_at: datetime, state: str = "closed", **answers):
    """A round of a shipped survey, closed at ``closes_at``, with tallies: ``question_id=
    {value: n}``."""
    definition = defs.latest(defs.all_definitions(), slug)
    round_ = SurveyRound(
        title=title,
        slug=slug,
        definition_version=definition.version,
        definition_json=json.dumps(definition.to_snapshot(), sort_keys=True),
        fingerprint=definition.fingerprint(),
        anonymous=definition.anonymous,
        audience="all_peers",
        opens_at=closes_at - timedelta(days=28),
        closes_at=closes_at,
        state=state,
    )
    db.session.add(round_)
    db.session.flush()
    for question, counts in answers.items():
        for value, n in counts.items():
            db.session.add(
                Tally(
                    round_id=round_.id, dimension="all", group="", question_id=question,
                    value=value, n=n,
                )
            )  # fmt: skip
    db.session.flush()
    return round_.id


@pytest.fixture
def rounds(ctx):
    """The rounds of the tests below (the suppression threshold is 5)."""
    # 23:30 on 31 March in London: the half before.
    add_round(
        SERVICES, "Spring 2026", utc(2026, 3, 31, 22, 30),
        services_easy_to_use={"5": 2, "4": 1, "2": 3, "prefer_not": 4},
        told_story_more_than_once={"yes": 4, "no": 2},
        turned_away={"yes": 1, "no": 5},
        more_in_control={"4": 3},
    )  # fmt: skip
    # 00:30 on 1 April in London: this half.
    add_round(
        SERVICES, "Summer 2026", utc(2026, 3, 31, 23, 30),
        services_easy_to_use={"4": 4, "1": 6},
        told_story_more_than_once={"yes": 2, "no": 8},
        turned_away={"no": 3, "not_sure": 1},
        more_in_control={"4": 2},
    )  # fmt: skip
    # 23:59 on 30 September in London: this half's last minute.
    add_round(
        SERVICES, "Autumn 2026", utc(2026, 9, 30, 22, 59),
        services_easy_to_use={"5": 8, "3": 2},
        turned_away={"yes": 1},
        more_in_control={"5": 1},
    )  # fmt: skip
    # 00:30 on 1 October in London: after this half, in no trend up to its end.
    add_round(PARTNERS, "Partners autumn 2026", utc(2026, 9, 30, 23, 30), feel_heard={"4": 10})
    add_round(PARTNERS, "Partners 2025", utc(2025, 11, 1, 12), feel_heard={"4": 3, "2": 2})
    # Still open: counts nowhere.
    add_round(SERVICES, "Open now", utc(2026, 6, 1, 12), state="open", turned_away={"yes": 50})


def test_the_measures_pool_the_rounds_closed_in_the_period(rounds):
    section = measures.voice_section(H1, H2)
    figures = {f.key: f for f in section.figures}
    assert list(figures) == [
        "feel_heard",
        "services_user_friendly",
        "told_story_more_than_once",
        "turned_away",
        "more_in_control",
    ]
    assert all(f.kind == Kind.PERCENT for f in section.figures)
    easy = figures["services_user_friendly"]
    # This half: Summer 4 of 10 agree, Autumn 8 of 10: 12 of 20 = 60%.
    # The half before: Spring 2 + 1 = 3 of 6 (4 "prefer not to say" left out) = 50%.
    assert (easy.value, easy.previous) == (60.0, 50.0)
    assert easy.detail == "from 20 answers" and easy.public and easy.higher_is_better
    told = figures["told_story_more_than_once"]
    # Summer: 2 of 10 = 20% (Autumn had no answers); Spring: 4 of 6 = 66.7%. Lower is better.
    assert (told.value, told.previous) == (20.0, 66.7)
    assert told.higher_is_better is False
    turned = figures["turned_away"]
    # Summer 0 of 4 and Autumn 1 of 1: 1 of 5 = 20%, shown at exactly the threshold of 5.
    # Spring: 1 of 6 = 16.7%. The open round's 50 answers count nowhere.
    assert (turned.value, turned.previous) == (20.0, 16.7)
    assert turned.higher_is_better is False and not turned.suppressed
    # Nobody asked about feeling heard in a round closed this half: no data, nothing hidden.
    heard = figures["feel_heard"]
    assert heard.value is None and not heard.suppressed and heard.public
    assert heard.previous == 60.0  # Partners 2025: 3 of 5
    assert heard.detail == "No survey round that asked this closed in the period."


def test_a_measure_too_few_answered_is_hidden_from_everyone(rounds, manager):
    section = measures.voice_section(H1, H2)
    control = {f.key: f for f in section.figures}["more_in_control"]
    # Summer 2 and Autumn 1: 3 answers, under the threshold of 5; Spring 3 answers too.
    assert control.value is None and control.suppressed and not control.public
    assert control.previous is None
    assert control.detail == "Fewer than 5 answers, so not shown."
    public = section.public_only()
    assert "more_in_control" not in {f.key for f in public.figures}
    # A lower threshold shows it: 2 + 1 = 3 agree of 3.
    services.set_suppression_threshold(db.session.get(User, manager.id), 3)
    control = {f.key: f for f in measures.voice_section(H1, H2).figures}["more_in_control"]
    assert control.value == 100.0 and control.public and not control.suppressed


def test_each_measure_has_its_trend_across_the_last_rounds(rounds):
    section = measures.voice_section(H1, H2)
    tables = {t.key: t for t in section.tables}
    easy = tables["trend_services_user_friendly"]
    assert easy.chart == "line" and easy.kind == Kind.PERCENT and easy.public
    # Oldest first: Spring 3 of 6, Summer 4 of 10, Autumn 8 of 10.
    assert easy.rows == [("Spring 2026", 50.0), ("Summer 2026", 40.0), ("Autumn 2026", 80.0)]
    # Summer (4 answers) and Autumn (1) are each too few on their own: hidden in the trend.
    assert tables["trend_turned_away"].rows == [
        ("Spring 2026", 16.7), ("Summer 2026", None), ("Autumn 2026", None),
    ]  # fmt: skip
    # The partners round closing at 00:30 on 1 October is after the period's end.
    assert tables["trend_feel_heard"].rows == [("Partners 2025", 60.0)]
    # Up to the end of the half before, only the rounds closed by then.
    before = {t.key: t for t in measures.voice_section(H2, None).tables}
    assert before["trend_services_user_friendly"].rows == [("Spring 2026", 50.0)]


def test_without_rounds_the_section_says_so(ctx):
    section = measures.voice_section(H1, None)
    assert section.note == "No survey round closed in this period."
    assert all(f.value is None and f.previous is None for f in section.figures)
    assert section.tables == []


def test_the_section_reads_what_people_answered(app, make_round, make_user, manager, now):
    round_id = make_round()
    agreeing = ["4", "5", "4", "2", "1", "prefer_not"]
    for value in agreeing:
        person = make_user()
        with app.test_request_context():
            round_ = db.session.get(SurveyRound, round_id)
            for question, answer in {**PARTNERS_ANSWERS, "feel_heard": value}.items():
                services.save_answer(round_, db.session.get(User, person.id), question, answer)
            services.submit(round_, db.session.get(User, person.id))
            db.session.commit()
    with app.test_request_context():
        services.close_round(
            db.session.get(User, manager.id), db.session.get(SurveyRound, round_id)
        )
        db.session.commit()
        # Closed now (NOW, 12 March 2031): 3 of the 5 who gave an answer agree = 60%.
        quarter = Period(date(2031, 1, 1), date(2031, 3, 31))
        heard = {f.key: f for f in measures.voice_section(quarter, None).figures}["feel_heard"]
        assert heard.value == 60.0 and heard.detail == "from 5 answers"


def test_the_section_takes_the_same_queries_whatever_the_number_of_rounds(rounds):
    def queries() -> int:
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            section = measures.voice_section(H1, H2)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return section, len(
            [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
        )

    _section, few = queries()
    for n in range(1, 9):
        add_round(
            SERVICES, f"Extra {n}", utc(2026, 5, n, 12),
            services_easy_to_use={"4": 100 * n, "2": 50}, turned_away={"yes": 7, "no": 90},
        )  # fmt: skip
    section, more = queries()
    # The threshold, the rounds and tallies of this half and the one before, and the trend's.
    assert more == few == 7
    # Only the last six rounds that asked: Extra 4 to 8 (1 to 8 May) and Autumn 2026.
    trend = {t.key: t for t in section.tables}["trend_services_user_friendly"]
    assert [row[0] for row in trend.rows] == [
        "Extra 4", "Extra 5", "Extra 6", "Extra 7", "Extra 8", "Autumn 2026",
    ]  # fmt: skip

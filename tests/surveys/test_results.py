"""Results: shares and % agreeing, small-number suppression (secondary included), the trend
across rounds, the headline measures, and a query count that does not grow with answers."""

from __future__ import annotations

from datetime import timedelta

from engage.extensions import db
from engage.people.models import EqualityMonitoring, User
from engage.surveys import results, services
from engage.surveys.models import SurveyRound
from tests.conftest import count_queries, sign_in
from tests.surveys.conftest import NOW, PARTNERS_ANSWERS

_made = iter(range(1_000_000))


def _people_answer(app, make_user, round_id, genders, feel_heard="4"):
    """One person per gender given, each answering the partners survey."""
    people = []
    for n, gender in enumerate(genders):
        person = make_user(f"respondent{next(_made)}")
        people.append(person)
        with app.test_request_context():
            if gender is not None:
                db.session.add(EqualityMonitoring(user_id=person.id, gender=gender))
            round_ = db.session.get(SurveyRound, round_id)
            answers = dict(PARTNERS_ANSWERS)
            answers["feel_heard"] = feel_heard(n) if callable(feel_heard) else feel_heard
            for question, value in answers.items():
                services.save_answer(round_, db.session.get(User, person.id), question, value)
            services.submit(round_, db.session.get(User, person.id))
            db.session.commit()
    return people


def test_shares_and_agreeing_leave_prefer_not_to_say_apart(app, make_round, make_user):
    round_id = make_round()
    answers = ["5", "4", "4", "2", "1", "prefer_not"]
    _people_answer(app, make_user, round_id, [None] * 6, feel_heard=lambda n: answers[n])
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        counts = results.answer_counts(round_)
        found = {r.question.id: r for r in results.question_results(round_, counts, "en", 5)}
        heard = found["feel_heard"]
        assert heard.answered == 5 and heard.prefer_not == 1
        assert heard.positive == 60.0  # 3 of 5 agree
        shares = {s.value: (s.count, s.percent) for s in heard.shares}
        assert shares == {
            "5": (1, 20.0),
            "4": (2, 40.0),
            "3": (0, 0),
            "2": (1, 20.0),
            "1": (1, 20.0),
        }
        # With 5 answering and a threshold of 6, the question is not shown at all.
        hidden = {r.question.id: r for r in results.question_results(round_, counts, "en", 6)}
        assert hidden["feel_heard"].hidden and hidden["feel_heard"].shares == []
        assert hidden["feel_heard"].positive is None


def test_breakdowns_hide_small_groups_and_the_group_that_would_give_them_away(
    app, make_round, make_user
):
    round_id = make_round()
    genders = ["woman"] * 7 + ["man"] * 6 + ["non-binary"] * 2
    _people_answer(app, make_user, round_id, genders)
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        counts = results.answer_counts(round_, "gender")
        tables = {t.question.id: t for t in results.breakdowns(round_, counts, "gender", "en", 5)}
        heard = tables["feel_heard"]
        rows = {row.label: row for row in heard.rows}
        assert heard.total == 15  # the total counts everyone, hidden groups included
        assert rows["Woman"].cell.n == 7 and rows["Woman"].positive == 100.0
        # Two non-binary people are hidden; the men are hidden too, or 15 - 7 would give 2.
        assert rows["Non-binary"].cell.n is None and rows["Non-binary"].cell.reason == "too_few"
        assert rows["Man"].cell.n is None and rows["Man"].cell.reason == "protects_another"
        assert rows["Man"].positive is None and rows["Non-binary"].positive is None
        for table in tables.values():
            shown = [row.cell.n for row in table.rows if row.cell.n is not None]
            assert all(n >= 5 for n in shown)
            hidden = [row for row in table.rows if row.cell.n is None]
            assert len(hidden) != 1


def test_the_results_page_never_shows_a_small_group(app, client, make_round, make_user, manager):
    round_id = make_round()
    _people_answer(app, make_user, round_id, ["woman"] * 7 + ["man"] * 6 + ["non-binary"] * 2)
    sign_in(client, manager.username)
    page = client.get(f"/surveys/{round_id}/results?by=gender").get_data(as_text=True)
    assert "Fewer than 5 people, so not shown" in page
    assert "so that a smaller group cannot be worked out from the total" in page
    assert "<svg" in page and 'role="img"' in page


def test_the_trend_follows_each_measure_across_rounds(app, clock, make_round, make_user, manager):
    first = make_round(title="Autumn 2030")
    _people_answer(app, make_user, first, [None] * 5, feel_heard="2")
    with app.test_request_context():
        services.close_round(db.session.get(User, manager.id), db.session.get(SurveyRound, first))
        db.session.commit()
    clock(NOW + timedelta(days=1))
    second = make_round(title="Spring 2031")
    _people_answer(app, make_user, second, [None] * 5, feel_heard="5")
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, second)
        measures = {m.measure: m for m in results.trend(round_, "en", 5)}
        points = [(p.label, p.percent) for p in measures["feel_heard"].points]
        assert points == [("Autumn 2030", 0.0), ("Spring 2031", 100.0)]
        # Headline measures pool rounds that closed in the period.
        services.close_round(db.session.get(User, manager.id), round_)
        headline = results.headline_measures(NOW.date(), (NOW + timedelta(days=1)).date())
        assert headline["feel_heard"].answered == 10
        assert headline["feel_heard"].percent == 50.0


def test_results_take_the_same_queries_whatever_the_number_of_answers(
    app, client, make_round, make_user, manager
):
    round_id = make_round()
    _people_answer(app, make_user, round_id, ["woman"] * 5)
    sign_in(client, manager.username)
    url = f"/surveys/{round_id}/results?by=gender"
    few = count_queries(app, client, url)
    _people_answer(app, make_user, round_id, ["man"] * 10 + ["woman"] * 5)
    assert count_queries(app, client, url) == few


def test_the_tallies_always_match_the_answers(app, make_round, make_user, manager):
    """Results read the tallies kept as answers arrive; they must agree with a recount."""
    from sqlalchemy import func, select

    from engage.surveys.models import Answer, Tally

    round_id = make_round()
    _people_answer(app, make_user, round_id, ["woman", "man", None, "woman"])
    with app.test_request_context():
        services.submit_paper(
            db.session.get(User, manager.id),
            db.session.get(SurveyRound, round_id),
            dict(PARTNERS_ANSWERS),
        )
        recount = dict(
            db.session.execute(
                select(Answer.question_id + ":" + Answer.value, func.count())
                .where(Answer.round_id == round_id, Answer.value.is_not(None))
                .group_by(Answer.question_id, Answer.value)
            )
            .tuples()
            .all()
        )
        for dimension in ("all", "gender", "forum", "ethnicity"):
            tallied = dict(
                db.session.execute(
                    select(Tally.question_id + ":" + Tally.value, func.sum(Tally.n))
                    .where(Tally.round_id == round_id, Tally.dimension == dimension)
                    .group_by(Tally.question_id, Tally.value)
                )
                .tuples()
                .all()
            )
            assert tallied == recount, dimension
        genders = dict(
            db.session.execute(
                select(Tally.group, Tally.n).where(
                    Tally.round_id == round_id,
                    Tally.dimension == "gender",
                    Tally.question_id == "feel_heard",
                )
            )
            .tuples()
            .all()
        )
        assert genders == {"woman": 2, "man": 1, "": 2}

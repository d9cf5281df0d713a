"""Survey rounds and answers through the services: who is invited, one response each, hidden
answers dropped, anonymity, paper forms, the schedule, and raising an answer in the register."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from engage.changes.models import Item, Source
from engage.core.audit import AuditEntry
from engage.core.outbox import Notification
from engage.extensions import db
from engage.people.models import Role, User
from engage.surveys import services
from engage.surveys.models import (
    Answer,
    Audience,
    Draft,
    Response,
    RoundInvitee,
    SurveyError,
    SurveyRound,
)
from tests.surveys.conftest import NOW, PARTNERS_ANSWERS, conditional_definition


def _answer_all(round_, person, answers=PARTNERS_ANSWERS):
    for question, value in answers.items():
        services.save_answer(round_, person, question, value)
    return services.submit(round_, person)


def test_opening_invites_the_audience_with_a_personal_link_respecting_consent_and_pauses(
    app, quiet_peers, make_round
):
    round_id = make_round()
    with app.app_context():
        notes = {
            n.user_id: n
            for n in db.session.scalars(
                select(Notification).where(Notification.subject.contains("Tell us what you think"))
            )
        }
        by_name = {u.username: u.id for u in db.session.scalars(select(User))}
        assert notes[by_name["agreed"]].status == "pending"
        assert notes[by_name["withdrawn"]].status == "no_consent"
        assert notes[by_name["paused"]].status == "paused"
        # The link is a secret: never in the stored text.
        assert "/answer/" not in notes[by_name["agreed"]].body
        assert json.loads(notes[by_name["agreed"]].secret_values)
        invitees = db.session.scalars(select(RoundInvitee).where(RoundInvitee.round_id == round_id))
        assert {i.user_id for i in invitees} == {by_name[n] for n in quiet_peers}


def test_a_planned_round_opens_reminds_once_and_closes_on_time(app, clock, make_round, make_user):
    make_user("sam")
    round_id = make_round(opens_in=timedelta(days=1), lasts=timedelta(days=10))
    with app.test_request_context():
        assert db.session.get(SurveyRound, round_id).state == "planned"
        clock(NOW + timedelta(days=1, minutes=1))
        assert "opened 1" in services.run_schedule(NOW + timedelta(days=1, minutes=1))
        round_ = db.session.get(SurveyRound, round_id)
        assert round_.state == "open" and round_.reminded_at is None
        clock(NOW + timedelta(days=8, minutes=1))  # three days before closing
        assert "reminded 1" in services.run_schedule(NOW + timedelta(days=8, minutes=1))
        assert "reminded 0" in services.run_schedule(NOW + timedelta(days=9))
        reminders = db.session.scalar(
            select(func.count()).where(Notification.subject.startswith("A reminder"))
        )
        assert reminders == 1
        clock(NOW + timedelta(days=11, minutes=1))
        assert "closed 1" in services.run_schedule(NOW + timedelta(days=11, minutes=1))
        assert db.session.get(SurveyRound, round_id).state == "closed"


def test_each_person_answers_once(app, make_round, make_user):
    person = make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.get(User, person.id)
        _answer_all(round_, sam)
        with pytest.raises(SurveyError, match="already answered"):
            services.submit(round_, sam)
        with pytest.raises(SurveyError, match="already answered"):
            services.save_answer(round_, sam, "feel_heard", "1")
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
        # Saving and sending leaves no draft behind.
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 0


def test_a_required_question_left_out_stops_the_answers_going(app, make_round, make_user):
    person = make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.get(User, person.id)
        services.save_answer(round_, sam, "feel_heard", "4")
        with pytest.raises(SurveyError, match="still need an answer"):
            services.submit(round_, sam)
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
        assert not services.has_responded(round_, sam)


def test_answers_to_questions_that_become_hidden_are_discarded(app, make_round, make_user):
    person = make_user("sam")
    round_id = make_round(definition=conditional_definition())
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.get(User, person.id)
        services.save_answer(round_, sam, "turned_away", "yes")
        services.save_answer(round_, sam, "how_often", "often")
        services.save_answer(round_, sam, "where", "The housing office")
        assert set(services.draft_answers(round_, sam)) == {"turned_away", "how_often", "where"}
        # Changing the first answer hides the chain that hung on it, in the draft at once.
        services.save_answer(round_, sam, "turned_away", "no")
        assert services.draft_answers(round_, sam) == {"turned_away": "no"}
        draft = db.session.get(Draft, (round_id, sam.id))
        assert json.loads(draft.answers_json) == {"turned_away": "no"}
        services.submit(round_, sam)
        stored = db.session.scalars(select(Answer.question_id)).all()
        assert stored == ["turned_away"]


def test_an_anonymous_response_cannot_be_joined_to_its_person(app, make_round, make_user, caplog):
    person = make_user("sam", email="sam@example.org", preferred_name="Samira Quinn")
    round_id = make_round()
    caplog.set_level(logging.DEBUG)
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        assert round_.anonymous
        sam = db.session.get(User, person.id)
        for question, value in PARTNERS_ANSWERS.items():
            services.save_answer(round_, sam, question, value)
        audit_before = db.session.scalar(select(func.max(AuditEntry.id))) or 0
        notes_before = db.session.scalar(select(func.max(Notification.id))) or 0
        caplog.clear()
        response = services.submit(round_, sam)
        db.session.commit()
        response_id = response.id
        # Nothing on the response, its answers or the invitation points at Sam or the time.
        row = db.session.get(Response, response_id)
        assert row.user_id is None and row.entered_by_id is None
        for column in inspect(Response).columns:
            value = getattr(row, column.key)
            assert value != sam.id or column.key in ("forum_id",), column.key
            assert "sam" not in str(value).lower(), column.key
        assert not hasattr(row, "created_at") and not hasattr(row, "submitted_at")
        assert len(response_id) == 32 and not response_id.isdigit()  # a random key, no counter
        invitee = db.session.get(RoundInvitee, (round_id, sam.id))
        assert invitee.responded
        assert not [c.key for c in inspect(RoundInvitee).columns if "at" in c.key.split("_")]
        # No audit entry and no message was made by answering, and the log says nothing.
        assert db.session.scalar(select(func.max(AuditEntry.id))) == audit_before
        assert (db.session.scalar(select(func.max(Notification.id))) or 0) == notes_before
        for record in caplog.records:
            text = record.getMessage().lower()
            assert "sam" not in text and response_id not in text
        # Nor does the draft survive.
        assert db.session.get(Draft, (round_id, sam.id)) is None


def test_an_identified_round_keeps_who_answered(app, make_round, make_user):
    person = make_user("sam")
    round_id = make_round(definition=conditional_definition())
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        assert not round_.anonymous
        sam = db.session.get(User, person.id)
        response = _answer_all(round_, sam, {"turned_away": "no"})
        assert response.user_id == sam.id
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "survey.answered"))


def test_the_audience_decides_who_may_answer(app, make_round, make_user, make_forum, manager):
    member = make_user("member")
    outsider = make_user("outsider")
    board = make_user("boardie", roles={Role.BOARD})
    forum_id = make_forum(members=[member])
    forum_round = make_round(audience=Audience.FORUM, forum_id=forum_id, title="Forum round")
    board_round = make_round(audience=Audience.BOARD, title="Board round")
    list_round = make_round(audience=Audience.LIST, people=[outsider], title="List round")
    with app.test_request_context():
        get = lambda i: db.session.get(SurveyRound, i)  # noqa: E731
        person = lambda u: db.session.get(User, u.id)  # noqa: E731
        assert services.in_audience(get(forum_round), person(member))
        assert not services.in_audience(get(forum_round), person(outsider))
        assert services.in_audience(get(board_round), person(board))
        assert not services.in_audience(get(board_round), person(member))
        assert services.in_audience(get(list_round), person(outsider))
        assert not services.in_audience(get(list_round), person(member))
        # Someone who joins the forum after the round opened can still answer.
        from engage.forums.membership import add_member
        from engage.forums.models import Forum

        add_member(person(manager), db.session.get(Forum, forum_id), person(outsider), NOW.date())
        assert services.in_audience(get(forum_round), person(outsider))


def test_paper_forms(app, make_round, make_user, manager):
    person = make_user("sam")
    anonymous_id = make_round(title="Anonymous round")
    named_id = make_round(definition=conditional_definition(), title="Named round")
    with app.test_request_context():
        staff = db.session.get(User, manager.id)
        anonymous = db.session.get(SurveyRound, anonymous_id)
        first = services.submit_paper(staff, anonymous, PARTNERS_ANSWERS, submission_key="k1")
        again = services.submit_paper(staff, anonymous, PARTNERS_ANSWERS, submission_key="k1")
        assert first.id == again.id and first.on_paper and first.user_id is None
        assert first.entered_by_id == staff.id
        named = db.session.get(SurveyRound, named_id)
        sam = db.session.get(User, person.id)
        with pytest.raises(SurveyError, match="Choose whose"):
            services.submit_paper(staff, named, {"turned_away": "no"})
        response = services.submit_paper(
            staff, named, {"turned_away": "no", "how_often": "often"}, person=sam
        )
        assert response.user_id == sam.id and services.has_responded(named, sam)
        # The hidden question's answer on the paper form was not kept.
        assert db.session.scalars(
            select(Answer.question_id).where(Answer.response_id == response.id)
        ).all() == ["turned_away"]
        with pytest.raises(SurveyError, match="already answered"):
            services.submit_paper(staff, named, {"turned_away": "no"}, person=sam)


def test_closing_reopening_and_sharing(app, clock, make_round, manager):
    round_id = make_round()
    with app.test_request_context():
        staff = db.session.get(User, manager.id)
        round_ = db.session.get(SurveyRound, round_id)
        services.close_round(staff, round_)
        assert round_.state == "closed" and round_.closes_at == NOW
        assert not round_.accepting()
        with pytest.raises(SurveyError, match="future"):
            services.reopen_round(staff, round_, NOW - timedelta(hours=1))
        services.reopen_round(staff, round_, NOW + timedelta(days=3))
        assert round_.state == "open" and round_.accepting()
        services.close_round(staff, round_)
        services.share_results(staff, round_)
        with pytest.raises(SurveyError):
            services.reopen_round(staff, round_, NOW + timedelta(days=3))
        with pytest.raises(SurveyError):
            services.send_reminder(staff, round_)


def test_a_round_must_close_after_it_opens_and_in_the_future(app, now, manager):
    from engage.surveys import definitions

    definition = definitions.latest(definitions.all_definitions(), "coproduction-partners")
    with app.test_request_context():
        staff = db.session.get(User, manager.id)
        with pytest.raises(SurveyError, match="after the opening"):
            services.create_round(
                staff,
                definition,
                title="x",
                audience=Audience.ALL_PEERS,
                opens_at=NOW + timedelta(days=2),
                closes_at=NOW + timedelta(days=1),
            )
        with pytest.raises(SurveyError, match="future"):
            services.create_round(
                staff,
                definition,
                title="x",
                audience=Audience.ALL_PEERS,
                opens_at=NOW - timedelta(days=2),
                closes_at=NOW - timedelta(days=1),
            )
        with pytest.raises(SurveyError, match="at least one person"):
            services.create_round(
                staff,
                definition,
                title="x",
                audience=Audience.LIST,
                opens_at=NOW,
                closes_at=NOW + timedelta(days=1),
            )


def test_a_free_text_answer_goes_into_the_register_anonymised_once(
    app, make_round, make_user, manager
):
    person = make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.get(User, person.id)
        _answer_all(round_, sam, {**PARTNERS_ANSWERS, "what_should_change": "Evening meetings"})
        answer = db.session.scalar(select(Answer).where(Answer.text.is_not(None)))
        staff = db.session.get(User, manager.id)
        details = dict(
            title="Meetings only in working hours",
            what_happened="People who work cannot come.",
            theme="other",
        )
        item = services.raise_from_answer(staff, answer, submission_key="r1", **details)
        assert item.source == Source.SURVEY.value and item.raised_by_id is None
        assert item.source_note == round_.title and not item.show_name
        assert answer.raised_item_id == item.id
        # The same form again returns the same item; another raise of the answer is refused.
        assert services.raise_from_answer(staff, answer, submission_key="r1", **details) is item
        with pytest.raises(SurveyError, match="already in the register"):
            services.raise_from_answer(staff, answer, submission_key="r2", **details)
        assert db.session.scalar(select(func.count()).select_from(Item)) == 1


def test_a_survey_file_changed_after_people_answered_is_refused(
    app, make_round, make_user, monkeypatch
):
    from engage.cli import production_problems
    from engage.surveys import definitions

    person = make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        _answer_all(round_, db.session.get(User, person.id))
        assert services.definitions_changed_in_place() == []
        files = definitions.all_definitions()
        key = ("coproduction-partners", 1)
        edited = files[key].model_copy(update={"title": {"en": "Something else"}})
        monkeypatch.setattr(definitions, "all_definitions", lambda: {**files, key: edited})
        problems = services.definitions_changed_in_place()
        assert problems and "give the changed survey version 2" in problems[0]
        assert any("coproduction-partners" in p.what for p in production_problems(app))
        # Old answers stay readable from the round's own copy.
        assert (
            round_.definition.question("feel_heard").label("en") == "I feel heard and listened to."
        )

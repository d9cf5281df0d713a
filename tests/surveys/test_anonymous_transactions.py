"""An anonymous answer and its person's "has responded" mark are written in separate
transactions (a shared one would join them by PostgreSQL's xmin and commit time), yet no answer
is lost and nobody answers twice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from engage.extensions import db
from engage.people.models import User
from engage.surveys import services
from engage.surveys.models import Draft, Response, RoundInvitee, SurveyError, SurveyRound
from tests.surveys.conftest import NOW, PARTNERS_ANSWERS


@pytest.fixture
def statements(app):
    """Every SQL statement run, in order."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(" ".join(statement.split()).upper())

    from sqlalchemy.engine import Engine

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def _ends_transaction(statement: str) -> bool:
    # The tests turn each commit into the release of a savepoint.
    return statement.startswith(("COMMIT", "RELEASE SAVEPOINT"))


def _position(seen: list[str], pattern: str) -> int:
    found = [i for i, s in enumerate(seen) if re.match(pattern, s)]
    assert found, (pattern, seen)
    return found[0]


def _fill(round_, person) -> None:
    for question, value in PARTNERS_ANSWERS.items():
        services.save_answer(round_, person, question, value)


def test_the_mark_and_the_answer_are_committed_apart(app, make_round, make_user, statements):
    person = make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        assert round_.anonymous
        sam = db.session.get(User, person.id)
        _fill(round_, sam)
        statements.clear()
        response = services.submit(round_, sam)
        response_id = response.id
        mark = _position(statements, r"UPDATE \"?SURVEY_INVITEE")
        stored = _position(statements, r"INSERT INTO \"?SURVEY_RESPONSE")
        forgotten = _position(statements, r"DELETE FROM \"?SURVEY_DRAFT")
        assert mark < stored < forgotten
        assert any(_ends_transaction(s) for s in statements[mark:stored])
        assert any(_ends_transaction(s) for s in statements[stored:forgotten])
        assert db.session.get(RoundInvitee, (round_id, sam.id)).responded
        assert db.session.get(Draft, (round_id, sam.id)) is None
        assert db.session.get(Response, response_id).user_id is None
        if db.engine.dialect.name == "postgresql":
            # The rows carry different transaction ids: nothing joins them for certain.
            invitee_xmin = db.session.scalar(
                text("SELECT xmin::text FROM survey_invitee WHERE round_id = :r AND user_id = :u"),
                {"r": round_id, "u": sam.id},
            )
            response_xmin = db.session.scalar(
                text("SELECT xmin::text FROM survey_response WHERE id = :id"), {"id": response_id}
            )
            assert invitee_xmin != response_xmin


def test_an_identified_round_still_stores_all_at_once(app, make_round, make_user, statements):
    from tests.surveys.conftest import conditional_definition

    person = make_user("sam")
    round_id = make_round(definition=conditional_definition())
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.get(User, person.id)
        services.save_answer(round_, sam, "turned_away", "no")
        statements.clear()
        assert services.submit(round_, sam).user_id == sam.id
        assert not any(_ends_transaction(s) for s in statements)


def test_an_answer_interrupted_after_the_mark_is_kept_and_stored_by_tick(
    app, make_round, make_user, monkeypatch, clock
):
    person = make_user("sam")
    round_id = make_round()
    real_store = services._store

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("the worker lost its database"))

    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.get(User, person.id)
        _fill(round_, sam)
        monkeypatch.setattr(services, "_store", broken)
        assert services.submit(round_, sam) is None
        monkeypatch.setattr(services, "_store", real_store)
        # Marked as answered (no second answer), the answers kept in the draft, none stored.
        assert services.has_responded(round_, sam)
        with pytest.raises(SurveyError):
            services.submit(round_, sam)
        draft = db.session.get(Draft, (round_id, sam.id))
        assert draft is not None and draft.response_id
        claimed = draft.response_id
        assert db.session.scalar(select(func.count(Response.id))) == 0
        # Closing the round keeps an answer given in time.
        services.close_round(None, round_)
        db.session.commit()
        assert db.session.get(Draft, (round_id, sam.id)) is not None
        # Too soon to call it interrupted: a slow request may still be storing it.
        now = draft.updated_at
        assert "stored 0" in services.finish_interrupted(now)
        assert "stored 1" in services.finish_interrupted(now + services.INTERRUPTED_AFTER * 2)
        assert db.session.get(Draft, (round_id, sam.id)) is None
        stored = db.session.scalars(select(Response)).all()
        assert len(stored) == 1 and stored[0].user_id is None
        assert stored[0].id == claimed
        # Run again: nothing more.
        assert "stored 0" in services.finish_interrupted(NOW + services.INTERRUPTED_AFTER * 99)
        assert db.session.scalar(select(func.count(Response.id))) == 1


def test_a_draft_left_after_its_answer_was_stored_is_only_removed(app, make_round, make_user):
    person = make_user("sam")
    round_id = make_round()
    with app.test_request_context():
        round_ = db.session.get(SurveyRound, round_id)
        sam = db.session.get(User, person.id)
        _fill(round_, sam)
        response = services.submit(round_, sam)
        # As if step 3 had not happened: the draft is back, claiming the stored response.
        db.session.add(
            Draft(round_id=round_id, user_id=sam.id, response_id=response.id, answers_json="{}")
        )
        db.session.commit()
        later = db.session.get(Draft, (round_id, sam.id)).updated_at
        assert "stored 0" in services.finish_interrupted(later + services.INTERRUPTED_AFTER * 2)
        assert db.session.get(Draft, (round_id, sam.id)) is None
        assert db.session.scalar(select(func.count(Response.id))) == 1

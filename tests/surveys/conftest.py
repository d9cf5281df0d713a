"""Builders for the surveys tests: rounds made through the services and committed, on a pinned
clock so nothing depends on today's date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engage.extensions import db
from engage.people.models import Role, User
from engage.surveys import definitions as defs
from engage.surveys import services
from engage.surveys.models import Audience
from tests.forums.conftest import make_forum  # noqa: F401  (rounds for a forum's members)

#: The moment every surveys test runs at (a Wednesday in March, far from any clock change).
NOW = datetime(2031, 3, 12, 12, 0, tzinfo=UTC)

#: Answers to every required question of the partners survey.
PARTNERS_ANSWERS = {
    "feel_heard": "4",
    "views_valued": "5",
    "makes_a_difference": "3",
    "feel_informed": "2",
    "inclusive_environment": "prefer_not",
    "fits_my_needs": "4",
}


@pytest.fixture
def now(clock):
    """Pin engage's clock to NOW for the test."""
    return clock(NOW)


@pytest.fixture
def manager(make_user):
    return make_user("organiser", roles={Role.MANAGER})


@pytest.fixture
def make_round(app, now, manager):
    """Make a round of a shipped survey (open now, closing in two weeks unless told) and
    commit it; returns its id."""

    def make(
        slug: str = "coproduction-partners",
        audience: Audience = Audience.ALL_PEERS,
        opens_in: timedelta = timedelta(0),
        lasts: timedelta = timedelta(days=14),
        people=(),
        forum_id: int | None = None,
        title: str = "Partners, spring 2031",
        definition: defs.Definition | None = None,
    ) -> int:
        with app.test_request_context():
            actor = db.session.get(User, manager.id)
            chosen = definition or defs.latest(defs.all_definitions(), slug)
            round_ = services.create_round(
                actor,
                chosen,
                title=title,
                audience=audience,
                opens_at=NOW + opens_in,
                closes_at=NOW + opens_in + lasts,
                forum_id=forum_id,
                people=[db.session.get(User, getattr(p, "id", p)) for p in people],
            )
            db.session.commit()
            return round_.id

    return make


def conditional_definition() -> defs.Definition:
    """A small survey whose second question shows only after a "yes", and a third only after
    the second is answered "often": to prove hidden answers are dropped."""
    return defs.Definition.model_validate(
        {
            "slug": "conditional-test",
            "version": 1,
            "title": "Conditional test",
            "introduction": "A test.",
            "anonymous": False,
            "results_shared": "Soon.",
            "questions": [
                {
                    "id": "turned_away",
                    "type": "single",
                    "text": "Were you turned away?",
                    "options": [{"id": "yes", "text": "Yes"}, {"id": "no", "text": "No"}],
                    "measure": "turned_away",
                    "counts": ["yes"],
                },
                {
                    "id": "how_often",
                    "type": "single",
                    "text": "How often?",
                    "options": [{"id": "once", "text": "Once"}, {"id": "often", "text": "Often"}],
                    "show_if": {"question": "turned_away", "answers": ["yes"]},
                },
                {
                    "id": "where",
                    "type": "text",
                    "text": "Where?",
                    "required": False,
                    "show_if": {"question": "how_often", "answers": ["often"]},
                },
                {
                    "id": "age",
                    "type": "number",
                    "text": "How old are you?",
                    "required": False,
                    "min": 16,
                    "max": 120,
                },
            ],
        }
    )

"""Builders for the forums tests: forums with members, and meetings, made through the
services and committed, as the pages would make them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.core.dates import local_today
from engage.core.db import utcnow
from engage.extensions import db
from engage.forums.meetings import schedule
from engage.forums.membership import add_member, create_forum
from engage.forums.models import Forum
from engage.people.models import Role, User


@pytest.fixture
def make_forum(app, make_user):
    """Create a forum with members (users or ids) through the services, and commit it."""

    def make(name: str = "Expert Citizen Forum", members=(), open_to_all: bool = True) -> int:
        with app.test_request_context():
            manager = db.session.get(User, make_user(roles={Role.MANAGER}).id)
            forum = create_forum(
                manager, name=name, purpose="Advise the delivery board", open_to_all=open_to_all
            )
            for member in members:
                person = db.session.get(User, getattr(member, "id", member))
                add_member(manager, forum, person, local_today())
            db.session.commit()
            return forum.id

    return make


@pytest.fixture
def make_meeting(app):
    """Schedule meetings of a forum (starting in a week unless told) and commit them."""

    def make(forum_id: int, starts_in=timedelta(days=7), count: int = 1, **details) -> list[int]:
        with app.test_request_context():
            forum = db.session.get(Forum, forum_id)
            start = (utcnow() + starts_in).replace(microsecond=0)
            meetings = schedule(
                None,
                forum,
                starts_at=start,
                duration_minutes=120,
                every_weeks=6 if count > 1 else None,
                count=count,
                **details,
            )
            db.session.commit()
            return [m.id for m in meetings]

    return make

"""Builders for register tests."""

from __future__ import annotations

import pytest

from engage.changes import services
from engage.changes.models import Item, Source, Theme
from engage.extensions import db
from engage.people.models import User


@pytest.fixture
def make_item(app):
    """Raise an item through the service as ``raiser`` (a User or its id) and commit it."""

    def make(
        raiser,
        title: str = "Turned away without ID",
        theme: str = "housing",
        show_name: bool = False,
        source: Source = Source.PEER,
        **changes,
    ) -> int:
        with app.test_request_context():
            user = db.session.get(User, getattr(raiser, "id", raiser))
            item = services.raise_item(
                user,
                title=title,
                what_happened="They said I needed photo ID.",
                theme=theme,
                show_name=show_name,
                source=source,
            )
            for name, value in changes.items():
                setattr(item, name, value)
            db.session.commit()
            return item.id

    return make


def load(item_id: int) -> Item:
    return db.session.get(Item, item_id)


def insert_item(**values: object) -> Item:
    """An item row exactly as the test describes it (state, dates, level), without the raising
    service: for pages and measures that read items in every state and at every age. Call it
    inside an app context; it flushes."""
    values.setdefault("title", "Could not get a GP appointment")
    values.setdefault("what_happened", "I phoned every morning for a week.")
    values.setdefault("theme", Theme.HEALTH.value)
    item = Item(**values)
    db.session.add(item)
    db.session.flush()
    return item

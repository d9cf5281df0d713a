"""Builders for register tests."""

from __future__ import annotations

import pytest

from engage.changes import services
from engage.changes.models import Item, Source
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

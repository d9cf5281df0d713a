"""The register's part of erasing a person: the items they raised or entered stay (the
blockage is still real) but are detached from them and no longer show a name; items they
owned lose their owner, to be given a new one; their board seats go. "This happened to me
too" accounts and the items' history stay with the tombstone, "A former member"."""

from __future__ import annotations

from sqlalchemy import delete, update

from engage.changes.models import BoardMember, Item
from engage.core.domains import erasure_step
from engage.extensions import db


@erasure_step(30)
def detach_register_items(person, actor) -> None:  # noqa: ANN001
    # Bulk updates skip the items' version counter on purpose: nobody's edit is overwritten,
    # only the link to the person goes.
    db.session.execute(
        update(Item)
        .where(Item.raised_by_id == person.id)
        .values(raised_by_id=None, show_name=False)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Item)
        .where(Item.entered_by_id == person.id)
        .values(entered_by_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Item)
        .where(Item.owner_id == person.id)
        .values(owner_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(BoardMember).where(BoardMember.user_id == person.id))

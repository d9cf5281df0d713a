"""The opportunities' part of erasing a person: what they wrote when saying they were
interested goes; that they took part stays with the tombstone, so counts hold."""

from __future__ import annotations

from sqlalchemy import update

from engage.core.domains import erasure_step
from engage.extensions import db
from engage.opportunities.models import Interest


@erasure_step(20)
def erase_interest_notes(person, actor) -> None:  # noqa: ANN001
    db.session.execute(
        update(Interest).where(Interest.user_id == person.id).values(note="", override_reason="")
    )

"""Surveys' part of erasing a person: their answers stay (they are part of the results) but
are detached from them, and the equality answers copied onto their responses go, their
counts moving to "not said" so the totals still add up. Their drafts go, and their personal
answer links stop working."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from engage.core.domains import erasure_step
from engage.extensions import db
from engage.surveys.models import DIMENSIONS, Answer, Draft, Response, RoundInvitee, Tally

#: The equality groups copied onto a response (forum is not about who they are).
EQUALITY_DIMENSIONS = tuple(d for d in DIMENSIONS if d not in ("all", "forum"))


def _move_count(round_id: int, dimension: str, group: str, question_id: str, value: str) -> None:
    """One answer's count moves from ``group`` to "" (not said) in ``dimension``."""
    old = db.session.get(Tally, (round_id, dimension, group, question_id, value))
    if old is not None:
        old.n -= 1
        if old.n <= 0:
            db.session.delete(old)
    new = db.session.get(Tally, (round_id, dimension, "", question_id, value))
    if new is None:
        db.session.add(
            Tally(
                round_id=round_id,
                dimension=dimension,
                group="",
                question_id=question_id,
                value=value,
                n=1,
            )
        )
    else:
        new.n += 1


@erasure_step(50)
def detach_survey_answers(person, actor) -> None:  # noqa: ANN001
    for response in db.session.scalars(select(Response).where(Response.user_id == person.id)):
        counted = db.session.execute(
            select(Answer.question_id, Answer.value).where(
                Answer.response_id == response.id, Answer.value.is_not(None)
            )
        ).all()
        for dimension in EQUALITY_DIMENSIONS:
            group = getattr(response, dimension)
            if not group:
                continue
            for question_id, value in counted:
                _move_count(response.round_id, dimension, group, question_id, value)
            setattr(response, dimension, "")
        response.user_id = None
        db.session.flush()
    db.session.execute(delete(Draft).where(Draft.user_id == person.id))
    db.session.execute(
        update(RoundInvitee).where(RoundInvitee.user_id == person.id).values(token_hash=None)
    )

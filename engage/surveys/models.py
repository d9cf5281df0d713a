"""Survey rounds, the people invited to them, saved drafts, and responses.

Anonymity is built into the tables, not promised by the pages. In an anonymous round a
response has no user id, no time finer than the day, and a random key rather than a counter,
so neither its columns nor its place in a sequence joins it to a person. Whether someone has
answered is kept apart, on their invitation (``RoundInvitee.responded``), with no time at all.
"""

from __future__ import annotations

import enum
import functools
import json
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin, utcnow
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.people.models import User
from engage.surveys.definitions import Definition


class SurveyError(IllegalMove):
    """A request about a survey that cannot be met; the text is safe to show."""


class RoundState(enum.StrEnum):
    PLANNED = "planned"  # opens by itself at its opening time
    OPEN = "open"
    CLOSED = "closed"
    SHARED = "shared"  # results shared: the answers are final, it cannot reopen

    @property
    def label(self) -> str:
        return str(ROUND_STATE_LABELS[self])

    @property
    def colour(self) -> str:
        return ROUND_STATE_COLOURS[self]


ROUND_STATE_LABELS = {
    RoundState.PLANNED: _l("Planned"),
    RoundState.OPEN: _l("Open"),
    RoundState.CLOSED: _l("Closed"),
    RoundState.SHARED: _l("Results shared"),
}

ROUND_STATE_COLOURS = {
    RoundState.PLANNED: "blue",
    RoundState.OPEN: "green",
    RoundState.CLOSED: "grey",
    RoundState.SHARED: "purple",
}

#: A round opens, closes (at its time or early), may reopen until its results are shared, and
#: once shared stays as it is, so the figures people were shown never change under them.
ROUND_MOVES: dict[RoundState, frozenset[RoundState]] = {
    RoundState.PLANNED: frozenset({RoundState.OPEN}),
    RoundState.OPEN: frozenset({RoundState.CLOSED}),
    RoundState.CLOSED: frozenset({RoundState.OPEN, RoundState.SHARED}),
    RoundState.SHARED: frozenset(),
}


class Audience(enum.StrEnum):
    ALL_PEERS = "all_peers"
    FORUM = "forum"
    BOARD = "board"
    PARTNERS = "partners"
    LIST = "list"

    @property
    def label(self) -> str:
        return str(AUDIENCE_LABELS[self])


AUDIENCE_LABELS = {
    Audience.ALL_PEERS: _l("All peers"),
    Audience.FORUM: _l("The members of one forum"),
    Audience.BOARD: _l("Board members"),
    Audience.PARTNERS: _l("Partner officers"),
    Audience.LIST: _l("People I choose"),
}


@functools.lru_cache(maxsize=64)
def _definition_of(snapshot: str) -> Definition:
    """The definition a round's stored snapshot holds, parsed once per worker: rounds are read
    on every results page and dashboard, and a frozen definition can be shared."""
    return Definition.from_snapshot(json.loads(snapshot))


class SurveyRound(CreatedMixin, db.Model):
    """One run of a survey definition for an audience, e.g. "Co-production partners, H1 2027".

    The definition is copied into the round when it is made, so its responses stay readable
    whatever later happens to the file, and a file changed in place is noticed (its
    fingerprint no longer matches).
    """

    __tablename__ = "survey_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    slug: Mapped[str] = mapped_column(String(80), index=True)  # the definition's slug
    definition_version: Mapped[int]
    definition_json: Mapped[str] = mapped_column(Text)  # the definition as it was
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the definition, to spot edits
    anonymous: Mapped[bool]
    audience: Mapped[str] = mapped_column(String(12))  # an Audience value
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("forum.id"))  # audience "forum"
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(10), default=RoundState.PLANNED.value, index=True)
    reminded_at: Mapped[datetime | None]  # the one reminder went
    shared_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    # Optimistic locking: two managers acting on a round at once never overwrite each other.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    forum = relationship("Forum")

    @property
    def state_enum(self) -> RoundState:
        return RoundState(self.state)

    @property
    def audience_enum(self) -> Audience:
        return Audience(self.audience)

    @property
    def definition(self) -> Definition:
        return _definition_of(self.definition_json)

    def move_to(self, target: RoundState) -> RoundState:
        before = self.state_enum
        if target not in ROUND_MOVES[before]:
            raise SurveyError(
                _l(
                    "This survey is %(state)s, so it cannot be %(target)s.",
                    state=before.label.lower(),
                    target=str(ROUND_STATE_LABELS[target]).lower(),
                )
            )
        self.state = target.value
        return before

    def accepting(self, now: datetime | None = None) -> bool:
        """Answers are taken while the round is open and its closing time has not passed
        (even if ``engage tick`` has not yet closed it)."""
        now = now or utcnow()
        return self.state == RoundState.OPEN.value and self.opens_at <= now < self.closes_at


class RoundInvitee(db.Model):
    """Someone a round is for: their personal answer link and whether they have answered.

    No times and no counter: "has responded" must never line up with a response.
    """

    __tablename__ = "survey_invitee"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)
    # The hash of their personal answer link's token (the newest one sent).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited: Mapped[bool] = mapped_column(default=False)  # an invitation was queued
    responded: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class Draft(db.Model):
    """Answers saved on the way through, so a person can stop and carry on later, on another
    device. Deleted once the response is stored: in the same transaction in an identified
    round, in a transaction of its own in an anonymous one."""

    __tablename__ = "survey_draft"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    answers_json: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Anonymous rounds: the id the response will have, set when "Send" marked the person as
    # answered and cleared with the draft once the response is stored (see services.submit).
    response_id: Mapped[str | None] = mapped_column(String(32))

    @property
    def answers(self) -> dict[str, Any]:
        return json.loads(self.answers_json or "{}")

    @answers.setter
    def answers(self, value: dict[str, Any]) -> None:
        self.answers_json = json.dumps(value, sort_keys=True)


def _random_key() -> str:
    return uuid4().hex


class Response(db.Model):
    """One person's answers to one round.

    In an anonymous round ``user_id`` is empty. The groups used for breakdowns (forum and the
    equality answers the person chose to share) are copied in when they answer, so results
    never join back to people; they are shown only in groups of at least the suppression
    threshold.
    """

    __tablename__ = "survey_response"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_key)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_round.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    definition_version: Mapped[int]
    submitted_on: Mapped[date]  # the day only
    on_paper: Mapped[bool] = mapped_column(default=False)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # paper: who typed
    forum_id: Mapped[int | None] = mapped_column(ForeignKey("forum.id"))
    gender: Mapped[str] = mapped_column(String(40), default="")
    ethnicity: Mapped[str] = mapped_column(String(60), default="")
    age_band: Mapped[str] = mapped_column(String(20), default="")
    disability: Mapped[str] = mapped_column(String(20), default="")
    sexual_orientation: Mapped[str] = mapped_column(String(40), default="")
    # A paper form's key, so a double press types it in once.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class Answer(db.Model):
    """One answer. Agree and single-choice answers keep the value ("1".."5", "prefer_not", an
    option id), multiple choice its option ids joined by commas, numbers their value, free
    text its text; results group by these columns in SQL."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        Index("ix_survey_answer_round_question", "round_id", "question_id"),
        # Free-text answers a page at a time, without walking every counted answer.
        Index(
            "ix_survey_answer_text",
            "round_id",
            "question_id",
            "id",
            postgresql_where=text("text IS NOT NULL"),
            sqlite_where=text("text IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), index=True
    )
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_round.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(40))
    value: Mapped[str | None] = mapped_column(String(400))
    number: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str | None] = mapped_column(Text)
    # The register item raised from this free-text answer, once a manager raised one.
    raised_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))


#: What results are broken down by, each a column copied onto a response ("all": no group).
DIMENSIONS = ("all", "forum", "gender", "ethnicity", "age_band", "disability", "sexual_orientation")


class Tally(db.Model):
    """How many answers of a round gave each value, overall and in each group: kept up to date
    as each response is stored, so results read a few hundred rows however many people
    answered, and no results page ever scans the answers."""

    __tablename__ = "survey_tally"

    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_round.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)  # one of DIMENSIONS
    group: Mapped[str] = mapped_column("group_value", String(60), primary_key=True)  # "": none
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(400), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)

"""Register items, their supporters, history, action plans, decisions and the boards."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin, utcnow
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.people.models import Organisation, User


class Theme(enum.StrEnum):
    HOUSING = "housing"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"
    CRIMINAL_JUSTICE = "criminal_justice"
    DOMESTIC_ABUSE = "domestic_abuse"
    WELFARE_BENEFITS = "welfare_benefits"
    HEALTH = "health"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(THEME_LABELS[self])


THEME_LABELS = {
    Theme.HOUSING: _l("Housing"),
    Theme.MENTAL_HEALTH: _l("Mental health"),
    Theme.SUBSTANCE_USE: _l("Drugs and alcohol"),
    Theme.CRIMINAL_JUSTICE: _l("Police, courts and probation"),
    Theme.DOMESTIC_ABUSE: _l("Domestic abuse"),
    Theme.WELFARE_BENEFITS: _l("Benefits and money"),
    Theme.HEALTH: _l("Health"),
    Theme.OTHER: _l("Something else"),
}


class Level(enum.IntEnum):
    """Where an item is being dealt with; overdue items go up a level by themselves."""

    OPERATIONAL = 1
    DELIVERY = 2
    STRATEGIC = 3

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


LEVEL_LABELS = {
    Level.OPERATIONAL: _l("Operational group"),
    Level.DELIVERY: _l("Delivery board"),
    Level.STRATEGIC: _l("Strategic board"),
}


class State(enum.StrEnum):
    RAISED = "raised"
    TRIAGED = "triaged"
    ACTION_PLANNED = "action_planned"
    IN_PROGRESS = "in_progress"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    MERGED = "merged"  # a duplicate, pointing at the item that carries on

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour this state is shown in (``govuk-tag--<colour>``)."""
        return STATE_COLOURS[self]

    @property
    def is_open(self) -> bool:
        return self not in (State.RESOLVED, State.CLOSED, State.MERGED)


STATE_LABELS = {
    State.RAISED: _l("Raised"),
    State.TRIAGED: _l("Accepted"),
    State.ACTION_PLANNED: _l("Action planned"),
    State.IN_PROGRESS: _l("In progress"),
    State.ESCALATED: _l("Escalated"),
    State.RESOLVED: _l("Resolved"),
    State.CLOSED: _l("Closed"),
    State.REOPENED: _l("Reopened"),
    State.MERGED: _l("Merged"),
}

STATE_COLOURS = {
    State.RAISED: "blue",
    State.TRIAGED: "light-blue",
    State.ACTION_PLANNED: "purple",
    State.IN_PROGRESS: "turquoise",
    State.ESCALATED: "orange",
    State.RESOLVED: "green",
    State.CLOSED: "grey",
    State.REOPENED: "yellow",
    State.MERGED: "grey",
}

#: What each state means to the people following an item, and what happens next, in plain
#: words. The item page shows both beside the state's tag, so the three always agree.
#: "%(level)s" is where the item is being dealt with.
STATE_MEANINGS = {
    State.RAISED: (
        _l("We have this item. The lived experience team has not read it yet."),
        _l(
            "Next: the team reads it within 2 weeks. They accept it into the register, join it "
            "with an item about the same thing, or close it with a reason."
        ),
    ),
    State.TRIAGED: (
        _l("The lived experience team accepted this item into the register."),
        _l("Next: a board gives it an owner and a target date, and agrees an action plan."),
    ),
    State.ACTION_PLANNED: (
        _l("The board agreed an action plan to fix this."),
        _l("Next: the people named in the plan start the work."),
    ),
    State.IN_PROGRESS: (
        _l("Work on the action plan has started."),
        _l("Next: when it is fixed, the board checks what changed, for whom, and that it lasts."),
    ),
    State.ESCALATED: (
        _l("This was not sorted out in time, so it moved up to the %(level)s."),
        _l("Next: the %(level)s agrees how to move it on, with a new target date."),
    ),
    State.RESOLVED: (
        _l("This is fixed. You can read what changed below."),
        _l("If it starts happening again, tell the lived experience team: they can reopen it."),
    ),
    State.CLOSED: (
        _l("This item is closed. You can read why below."),
        _l("If you think it should stay open, tell the lived experience team: they can reopen it."),
    ),
    State.REOPENED: (
        _l("This was fixed or closed, then opened again because it is still happening."),
        _l("Next: the team and the board look at it again and agree what to do."),
    ),
    State.MERGED: (
        _l("This was the same as another item, so they were joined."),
        _l("Next: follow the other item to see what happens."),
    ),
}

#: What the action plan part of the page says while there is no step, by state.
NO_PLAN_YET = {
    State.RAISED: _l("No plan yet. Once the item is accepted, a board agrees one."),
    State.RESOLVED: _l("No plan was made."),
    State.CLOSED: _l("No plan was made."),
    State.MERGED: _l("No plan was made. The other item has the plan."),
}
NO_PLAN_WORKING = _l("No plan yet. The board is working on one.")

#: The only moves an item can make. Anything else is refused by Item.move_to.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.RAISED: frozenset({State.TRIAGED, State.CLOSED, State.MERGED}),
    State.TRIAGED: frozenset({State.ACTION_PLANNED, State.ESCALATED, State.CLOSED, State.MERGED}),
    State.ACTION_PLANNED: frozenset({State.IN_PROGRESS, State.ESCALATED, State.CLOSED}),
    State.IN_PROGRESS: frozenset({State.RESOLVED, State.ESCALATED, State.CLOSED}),
    State.ESCALATED: frozenset(
        {State.ACTION_PLANNED, State.IN_PROGRESS, State.RESOLVED, State.CLOSED, State.ESCALATED}
    ),
    State.RESOLVED: frozenset({State.REOPENED}),
    State.CLOSED: frozenset({State.REOPENED}),
    # An overdue reopened item escalates like any other open one (``engage tick``).
    State.REOPENED: frozenset(
        {
            State.TRIAGED,
            State.ACTION_PLANNED,
            State.IN_PROGRESS,
            State.ESCALATED,
            State.CLOSED,
            State.MERGED,
        }
    ),
    State.MERGED: frozenset(),
}

OPEN_STATES = frozenset(s for s in State if s.is_open)


class Source(enum.StrEnum):
    PEER = "peer"  # raised by the person who met the blockage
    MEETING = "meeting"  # raised at a forum or board meeting
    CASE = "case"  # from casework, anonymised by staff
    FEEDBACK = "feedback"  # from feedback, anonymised by staff
    SURVEY = "survey"  # from what someone wrote in a survey, anonymised by a manager


SOURCE_LABELS = {
    Source.PEER: _l("Raised by a peer"),
    Source.MEETING: _l("Raised at a meeting"),
    Source.CASE: _l("From casework"),
    Source.FEEDBACK: _l("From feedback"),
    Source.SURVEY: _l("From a survey"),
}


class Item(CreatedMixin, db.Model):
    """One blockage, barrier or gap someone met in services."""

    __table_args__ = (
        Index("ix_item_state_level", "state", "level"),
        Index("ix_item_state_target", "state", "target_date"),  # overdue, from the index alone
        # "You said, we did", newest first: a peer's home page, the public page, the board pack.
        Index("ix_item_state_resolved", "state", "resolved_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))  # a short summary
    what_happened: Mapped[str] = mapped_column(Text)
    who_affected: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(20), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    agency_other: Mapped[str] = mapped_column(String(120), default="")  # "other" typed in
    source: Mapped[str] = mapped_column(String(10), default=Source.PEER.value)
    source_note: Mapped[str] = mapped_column(String(200), default="")  # e.g. which meeting
    # The forum meeting it was raised at, when it was.
    source_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # staff on behalf
    show_name: Mapped[bool] = mapped_column(default=False)  # the raiser agreed to be named
    state: Mapped[str] = mapped_column(String(20), default=State.RAISED.value, index=True)
    level: Mapped[int] = mapped_column(default=Level.OPERATIONAL.value)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    owner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id"), index=True
    )
    target_date: Mapped[date | None] = mapped_column(index=True)
    triaged_at: Mapped[datetime | None]
    planned_at: Mapped[datetime | None]  # when it first had an action plan
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str] = mapped_column(Text, default="")  # the raiser can read this
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    # The effectiveness check, required to resolve: a real change, not a renaming.
    what_changed: Mapped[str] = mapped_column(Text, default="")
    changed_for_whom: Mapped[str] = mapped_column(Text, default="")
    lasting: Mapped[str] = mapped_column(Text, default="")  # why it outlasts its makers
    supporter_count: Mapped[int] = mapped_column(default=0)  # "this happened to me too"
    # A random key carried by the form, so a double click or a resent form makes one item.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking: two people editing at once never silently overwrite each other.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    raised_by: Mapped[User | None] = relationship(foreign_keys=[raised_by_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    owner_organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[owner_organisation_id]
    )
    agency: Mapped[Organisation | None] = relationship(foreign_keys=[agency_id])
    steps: Mapped[list[ActionStep]] = relationship(
        back_populates="item", order_by="ActionStep.due_date", cascade="all, delete-orphan"
    )

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def level_enum(self) -> Level:
        return Level(self.level)

    @property
    def theme_enum(self) -> Theme:
        return Theme(self.theme)

    @property
    def agency_name(self) -> str:
        return self.agency.name if self.agency else self.agency_other

    def explanation(self) -> tuple[str, str]:
        """What this item's state means, and what happens next, in the reader's language."""
        meaning, next_step = STATE_MEANINGS[self.state_enum]
        level = self.level_enum.label
        return str(meaning) % {"level": level}, str(next_step) % {"level": level}

    def no_plan_text(self) -> str:
        """What the page says about the action plan while it has no step."""
        return str(NO_PLAN_YET.get(self.state_enum, NO_PLAN_WORKING))

    def is_overdue(self, today: date) -> bool:
        return self.state_enum.is_open and self.target_date is not None and self.target_date < today

    def move_to(self, target: State) -> State:
        """Change state if the table and the gates allow it; returns the state it left."""
        current = self.state_enum
        if target not in TRANSITIONS[current]:
            raise IllegalMove(
                _l(
                    "An item that is %(current)s cannot be made %(target)s.",
                    current=current.label.lower(),
                    target=target.label.lower(),
                )
            )
        if target == State.IN_PROGRESS and not self.steps:
            raise IllegalMove(_l("Add at least one step to the action plan before starting."))
        if target == State.RESOLVED and not (
            self.what_changed.strip() and self.changed_for_whom.strip() and self.lasting.strip()
        ):
            raise IllegalMove(
                _l("Say what changed, for whom, and why it will last before resolving.")
            )
        now = utcnow()
        self.state = target.value
        if target == State.TRIAGED and self.triaged_at is None:
            self.triaged_at = now
        if target == State.RESOLVED:
            self.resolved_at = now
        if target in (State.CLOSED, State.MERGED):
            self.closed_at = now
        if target == State.REOPENED:
            self.resolved_at = None
            self.closed_at = None
        return current


class Support(CreatedMixin, db.Model):
    """ "This happened to me too": one person's short account added to an item."""

    __table_args__ = (UniqueConstraint("item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    account: Mapped[str] = mapped_column(Text, default="")
    share_with_board: Mapped[bool] = mapped_column(default=False)  # consent to show the account

    user: Mapped[User] = relationship()


class Event(db.Model):
    """The item's history, appended to and never changed."""

    __table_args__ = (
        # An item's history in time order, with what says which state each change left: the
        # dashboard's "open at the period's end" reads an item's first change after a moment
        # from the index alone (engage.changes.dashboard).
        Index("ix_event_item_history", "item_id", "at", "id", "kind", "from_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: engage itself
    kind: Mapped[str] = mapped_column(String(30))  # "state", "owner", "step", "merge", ...
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")  # plain words, readable by the raiser


class ActionStep(CreatedMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_name: Mapped[str] = mapped_column(String(120))  # a person and their organisation
    due_date: Mapped[date]
    done_at: Mapped[datetime | None]

    item: Mapped[Item] = relationship(back_populates="steps")


class Board(db.Model):
    """A delivery or strategic board (or operational group) that reviews the register."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    level: Mapped[int] = mapped_column(default=Level.DELIVERY.value)  # which items it reviews
    purpose: Mapped[str] = mapped_column(Text, default="")

    members: Mapped[list[BoardMember]] = relationship(
        back_populates="board", cascade="all, delete-orphan"
    )


class BoardMember(db.Model):
    __table_args__ = (UniqueConstraint("board_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("board.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    expert_by_experience: Mapped[bool] = mapped_column(default=False)  # a lived experience seat
    role: Mapped[str] = mapped_column(String(80), default="")  # e.g. "Chair"

    board: Mapped[Board] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class BoardMeeting(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("board.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(String(200), default="")

    board: Mapped[Board] = relationship()


class Attendance(db.Model):
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("board_meeting.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    attended: Mapped[bool] = mapped_column(default=True)


class Decision(db.Model):
    """A decision about an item, usually made at a board meeting."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("board_meeting.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    co_produced: Mapped[bool] = mapped_column(default=False)  # co-produced or guided by the forum
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

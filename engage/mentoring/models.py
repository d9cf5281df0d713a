"""Peer roles and the courses they need, applications and their stages, references, DBS
checks and risk-assessment decisions, and the roles people hold.

What a DBS check keeps is deliberately small: its level, the certificate's date, its outcome
(clear, or information disclosed) and when it should be renewed. **Never what a record
says**: there is no column for it, and no free text anywhere near a check. A disclosure leads
to a recorded, individual decision, never to an automatic no.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin, utcnow
from engage.core.encryption import EncryptedText
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.forums.models import Meeting
from engage.people.models import User


class MentoringError(IllegalMove):
    """A move or a request in recruitment that cannot be made; the text is safe to show."""


# Courses and roles -------------------------------------------------------------------------


class Course(CreatedMixin, db.Model):
    """A course in the training catalogue (safeguarding, boundaries, ...)."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")  # what it covers, plainly
    valid_months: Mapped[int | None]  # how long a completion counts; None: it never runs out
    is_active: Mapped[bool] = mapped_column(default=True)  # False: no longer offered
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class CheckLevel(enum.StrEnum):
    """The criminal record (DBS) check a role needs."""

    NONE = "none"
    BASIC = "basic"
    ENHANCED = "enhanced"

    @property
    def label(self) -> str:
        return str(CHECK_LEVEL_LABELS[self])

    @property
    def rank(self) -> int:
        return list(CheckLevel).index(self)


CHECK_LEVEL_LABELS = {
    CheckLevel.NONE: _l("No check needed"),
    CheckLevel.BASIC: _l("Basic DBS check"),
    CheckLevel.ENHANCED: _l("Enhanced DBS check"),
}

#: The courses a role needs (the training matrix reads this).
role_course = Table(
    "peer_role_course",
    db.metadata,
    Column("role_id", ForeignKey("peer_role.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
)


class PeerRole(CreatedMixin, db.Model):
    """A role people with lived experience can take on: peer mentor, ambassador, ..."""

    __tablename__ = "peer_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")  # shown to applicants, plainly
    check_level: Mapped[str] = mapped_column(String(10), default=CheckLevel.NONE.value)
    paid: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)  # False: not offered at /join
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    courses: Mapped[list[Course]] = relationship(secondary=role_course, order_by=Course.name)

    @property
    def check_level_enum(self) -> CheckLevel:
        return CheckLevel(self.check_level)


# Applications ------------------------------------------------------------------------------


class Stage(enum.StrEnum):
    """Where an application is, from a first expression of interest to an active peer."""

    APPLIED = "applied"
    CONVERSATION = "conversation"
    REFERENCES = "references"
    CHECKS = "checks"
    INDUCTION = "induction"
    TRAINING = "training"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    WITHDRAWN = "withdrawn"
    NOT_PROGRESSED = "not_progressed"

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self])

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour this stage is shown in (``govuk-tag--<colour>``)."""
        return STAGE_COLOURS[self]

    @property
    def next(self) -> Stage | None:
        """The stage after this one along the way to active, if there is one."""
        if self not in ROUTE or self == Stage.ACTIVE:
            return None
        return ROUTE[ROUTE.index(self) + 1]

    @property
    def is_open(self) -> bool:
        """Still on its way (on hold counts): not active, withdrawn or not progressed."""
        return self not in (Stage.ACTIVE, Stage.WITHDRAWN, Stage.NOT_PROGRESSED)


STAGE_LABELS = {
    Stage.APPLIED: _l("Applied"),
    Stage.CONVERSATION: _l("First conversation"),
    Stage.REFERENCES: _l("References"),
    Stage.CHECKS: _l("Checks"),
    Stage.INDUCTION: _l("Induction"),
    Stage.TRAINING: _l("Training"),
    Stage.ACTIVE: _l("Active"),
    Stage.ON_HOLD: _l("On hold"),
    Stage.WITHDRAWN: _l("Withdrawn"),
    Stage.NOT_PROGRESSED: _l("Not progressed"),
}

STAGE_COLOURS = {
    Stage.APPLIED: "blue",
    Stage.CONVERSATION: "light-blue",
    Stage.REFERENCES: "purple",
    Stage.CHECKS: "purple",
    Stage.INDUCTION: "turquoise",
    Stage.TRAINING: "turquoise",
    Stage.ACTIVE: "green",
    Stage.ON_HOLD: "yellow",
    Stage.WITHDRAWN: "grey",
    Stage.NOT_PROGRESSED: "grey",
}

#: The way from applying to active, in order.
ROUTE = [
    Stage.APPLIED,
    Stage.CONVERSATION,
    Stage.REFERENCES,
    Stage.CHECKS,
    Stage.INDUCTION,
    Stage.TRAINING,
    Stage.ACTIVE,
]
_ON_THE_WAY = ROUTE[:-1]
_STOPS = frozenset({Stage.ON_HOLD, Stage.WITHDRAWN, Stage.NOT_PROGRESSED})

#: The only moves an application can make; Application.move_to refuses any other. Each
#: stage on the way moves on one step, or is put on hold, withdrawn or not progressed. On
#: hold goes back to the stage it left (``held_from``: move_to checks which one). Active,
#: withdrawn and not progressed are where an application ends; someone who comes back
#: applies again.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    **{stage: frozenset({stage.next}) | _STOPS for stage in _ON_THE_WAY},
    Stage.ACTIVE: frozenset(),
    Stage.ON_HOLD: frozenset(_ON_THE_WAY) | {Stage.WITHDRAWN, Stage.NOT_PROGRESSED},
    Stage.WITHDRAWN: frozenset(),
    Stage.NOT_PROGRESSED: frozenset(),
}

#: Moves that need a reason (kept with the move, read by managers only).
REASON_NEEDED = frozenset({Stage.WITHDRAWN, Stage.NOT_PROGRESSED})

#: What each stage means for the manager, shown on the application page.
STAGE_MEANINGS = {
    Stage.APPLIED: _l("They have applied. Next: contact them for a first conversation."),
    Stage.CONVERSATION: _l(
        "A first, informal conversation about the role and what they would like. Next: "
        "ask for references."
    ),
    Stage.REFERENCES: _l("Waiting for references. Next: the checks the role needs."),
    Stage.CHECKS: _l(
        "Checks the role needs. A DBS check with information disclosed needs an individual "
        "risk-assessment decision before induction."
    ),
    Stage.INDUCTION: _l("Induction: meeting the team and how we work. Next: training."),
    Stage.TRAINING: _l("Training for the role. Next: they become active, with their own account."),
    Stage.ACTIVE: _l("Active in the role, with their own account."),
    Stage.ON_HOLD: _l("On hold. It can go back to the stage it left at any time."),
    Stage.WITHDRAWN: _l("They decided not to go on for now."),
    Stage.NOT_PROGRESSED: _l("The application did not go further. They were told kindly."),
}


class ContactWay(enum.StrEnum):
    """How an applicant asked to be contacted (the same choices as a profile)."""

    EMAIL = "email"
    TEXT = "text"
    PHONE = "phone"
    POST = "post"
    WORKER = "worker"


class Application(CreatedMixin, db.Model):
    """Someone's interest in a peer role, made at /join without an account, and its way
    through the stages to active."""

    # The board and the list: each stage's applications, the longest waiting first.
    __table_args__ = (Index("ix_application_stage_since", "stage", "stage_since"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("peer_role.id"), index=True
    )  # None: not sure yet
    name: Mapped[str] = mapped_column(String(100))  # what they would like to be called
    what_draws: Mapped[str] = mapped_column(Text, default="")  # in their own words
    availability: Mapped[str] = mapped_column(Text, default="")  # when they are free
    access_needs: Mapped[str] = mapped_column(Text, default="")  # what makes taking part easier
    contact_way: Mapped[str] = mapped_column(String(10))  # a ContactWay
    # Only the details the chosen way needs are kept.
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    worker_name: Mapped[str] = mapped_column(String(100), default="")  # contact through them
    worker_contact: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(10), default="en")  # the language they used
    # A worker who filled the form in with them (the "I am a worker" option).
    helper_name: Mapped[str] = mapped_column(String(100), default="")
    helper_organisation: Mapped[str] = mapped_column(String(120), default="")
    stage: Mapped[str] = mapped_column(String(20), default=Stage.APPLIED.value)
    held_from: Mapped[str | None] = mapped_column(String(20))  # the stage "on hold" left
    stage_since: Mapped[datetime] = mapped_column(default=utcnow)  # the last move
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # their account
    # A random key carried by the form, so a double press makes one application.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    role: Mapped[PeerRole | None] = relationship()
    user: Mapped[User | None] = relationship()
    moves: Mapped[list[ApplicationMove]] = relationship(
        back_populates="application",
        order_by="ApplicationMove.id",
        cascade="all, delete-orphan",
    )
    references: Mapped[list[Reference]] = relationship(
        back_populates="application", order_by="Reference.id", cascade="all, delete-orphan"
    )
    dbs_checks: Mapped[list[DbsCheck]] = relationship(
        back_populates="application", order_by="DbsCheck.id", cascade="all, delete-orphan"
    )

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)

    @property
    def held_from_enum(self) -> Stage | None:
        return Stage(self.held_from) if self.held_from else None

    @property
    def made_with_worker(self) -> bool:
        return bool(self.helper_name)

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def checks_can_change(self) -> bool:
        """On its way, or active (a renewed DBS check is recorded on it)."""
        return self.stage_enum.is_open or self.stage_enum == Stage.ACTIVE

    @property
    def current_check(self) -> DbsCheck | None:
        """The latest DBS check recorded; earlier ones are history."""
        return self.dbs_checks[-1] if self.dbs_checks else None

    def next_moves(self) -> list[Stage]:
        """Where it can go from here, the way on first."""
        current = self.stage_enum
        if current == Stage.ON_HOLD:
            back = [self.held_from_enum] if self.held_from_enum else []
            return back + [Stage.WITHDRAWN, Stage.NOT_PROGRESSED]
        return [s for s in [current.next, *_STOPS] if s in TRANSITIONS[current]]

    def what_stops(self, target: Stage) -> str | None:
        """Why a move to ``target`` would be refused by a gate now (a role to choose, a check
        or decision to record, an account to make), or None. The page says it beforehand."""
        try:
            self._check_gates(self.stage_enum, target)
        except MentoringError as error:
            return str(error)
        return None

    def move_to(self, target: Stage, actor: User | None, reason: str = "") -> Stage:
        """Move along TRANSITIONS and the gates, appending the move (who, when, why) to its
        history. Returns the stage it left. Raises :class:`MentoringError`."""
        current = self.stage_enum
        reason = (reason or "").strip()
        if target not in TRANSITIONS[current] or (
            current == Stage.ON_HOLD and target in ROUTE and target != self.held_from_enum
        ):
            raise MentoringError(
                str(
                    _l(
                        "An application at “%(current)s” cannot move to “%(target)s”.",
                        current=current.label,
                        target=target.label,
                    )
                )
            )
        if target in REASON_NEEDED and not reason:
            raise MentoringError(str(_l("Give a reason for the record")))
        self._check_gates(current, target)
        self.held_from = current.value if target == Stage.ON_HOLD else None
        self.stage = target.value
        self.stage_since = utcnow()
        self.moves.append(
            ApplicationMove(
                actor_id=getattr(actor, "id", None),
                from_stage=current.value,
                to_stage=target.value,
                reason=reason,
                at=self.stage_since,
            )
        )
        return current

    def _check_gates(self, current: Stage, target: Stage) -> None:
        if target == Stage.REFERENCES and self.role is None:
            raise MentoringError(str(_l("Choose a role with them before asking for references.")))
        if target == Stage.INDUCTION:
            self._check_dbs_done()
        if target == Stage.ACTIVE and self.user_id is None:
            raise MentoringError(
                str(_l("Make their account, or link an existing one, to make them active."))
            )

    def _check_dbs_done(self) -> None:
        """A role that needs a DBS check goes on to induction once the check is recorded and,
        where information was disclosed, a decision to go ahead has been recorded."""
        needed = self.role.check_level_enum if self.role else CheckLevel.NONE
        if needed == CheckLevel.NONE:
            return
        check = self.current_check
        if check is None:
            raise MentoringError(str(_l("Record the DBS check before induction.")))
        if CheckLevel(check.level).rank < needed.rank:
            raise MentoringError(
                str(_l("This role needs this check: %(level)s.", level=needed.label))
            )
        if check.outcome == DbsOutcome.DISCLOSED.value:
            decision = check.current_decision
            if decision is None:
                raise MentoringError(
                    str(_l("Record the individual risk-assessment decision before induction."))
                )
            if decision.decision == RiskDecisionKind.NOT_FOR_THIS_ROLE.value:
                raise MentoringError(
                    str(
                        _l(
                            "The decision recorded is that this role is not the right fit. "
                            "Talk with them about another role, or record a new decision."
                        )
                    )
                )


class ApplicationMove(db.Model):
    """One move of an application between stages: appended, never changed."""

    __tablename__ = "application_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: they applied
    from_stage: Mapped[str] = mapped_column(String(20), default="")  # "": the application
    to_stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")  # for managers, never sent

    application: Mapped[Application] = relationship(back_populates="moves")
    actor: Mapped[User | None] = relationship()

    @property
    def from_enum(self) -> Stage | None:
        return Stage(self.from_stage) if self.from_stage else None

    @property
    def to_enum(self) -> Stage:
        return Stage(self.to_stage)


class ApplicationMessage(db.Model):
    """A message sent to the applicant about their application, so its page shows what they
    were told and whether it reached them (post and workers: staff pass it on)."""

    __tablename__ = "application_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), unique=True)


# References and checks ----------------------------------------------------------------------


class ReferenceOutcome(enum.StrEnum):
    SUPPORTS = "supports"
    TALK_THROUGH = "talk_through"
    NO_REPLY = "no_reply"

    @property
    def label(self) -> str:
        return str(REFERENCE_OUTCOME_LABELS[self])


REFERENCE_OUTCOME_LABELS = {
    ReferenceOutcome.SUPPORTS: _l("Supports the application"),
    ReferenceOutcome.TALK_THROUGH: _l("Something to talk through with them"),
    ReferenceOutcome.NO_REPLY: _l("No reply"),
}


class Reference(CreatedMixin, db.Model):
    """Someone who can speak for the applicant: asked, heard back, and what it came to."""

    __tablename__ = "application_reference"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    referee_name: Mapped[str] = mapped_column(String(100))
    how_to_reach: Mapped[str] = mapped_column(String(200))  # e-mail, phone or address
    requested_on: Mapped[date | None]
    received_on: Mapped[date | None]
    outcome: Mapped[str] = mapped_column(String(15), default="")  # a ReferenceOutcome; "": not yet
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    application: Mapped[Application] = relationship(back_populates="references")

    @property
    def outcome_label(self) -> str:
        return ReferenceOutcome(self.outcome).label if self.outcome else ""


class DbsOutcome(enum.StrEnum):
    CLEAR = "clear"
    DISCLOSED = "disclosed"

    @property
    def label(self) -> str:
        return str(DBS_OUTCOME_LABELS[self])


DBS_OUTCOME_LABELS = {
    DbsOutcome.CLEAR: _l("Clear"),
    DbsOutcome.DISCLOSED: _l("Information disclosed"),
}


class DbsCheck(CreatedMixin, db.Model):
    """A DBS certificate's level, date, outcome and renewal date. Nothing it says is kept."""

    __tablename__ = "dbs_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(10))  # a CheckLevel, basic or enhanced
    certificate_date: Mapped[date]
    outcome: Mapped[str] = mapped_column(EncryptedText())  # a DbsOutcome; encrypted at rest
    renewal_date: Mapped[date | None] = mapped_column(index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    application: Mapped[Application] = relationship(back_populates="dbs_checks")
    decisions: Mapped[list[RiskDecision]] = relationship(
        back_populates="check", order_by="RiskDecision.id", cascade="all, delete-orphan"
    )

    @property
    def level_enum(self) -> CheckLevel:
        return CheckLevel(self.level)

    @property
    def outcome_enum(self) -> DbsOutcome:
        return DbsOutcome(self.outcome)

    @property
    def current_decision(self) -> RiskDecision | None:
        return self.decisions[-1] if self.decisions else None


class RiskDecisionKind(enum.StrEnum):
    PROCEED = "proceed"
    PROCEED_WITH_SUPPORT = "proceed_with_support"
    NOT_FOR_THIS_ROLE = "not_for_this_role"

    @property
    def label(self) -> str:
        return str(RISK_DECISION_LABELS[self])


RISK_DECISION_LABELS = {
    RiskDecisionKind.PROCEED: _l("Go ahead"),
    RiskDecisionKind.PROCEED_WITH_SUPPORT: _l("Go ahead, with support agreed together"),
    RiskDecisionKind.NOT_FOR_THIS_ROLE: _l("Not this role"),
}


class RiskDecision(db.Model):
    """An individual risk-assessment decision after a disclosure, with the day it is looked at
    again. Appended: a new decision follows an old one, the latest counts."""

    __tablename__ = "dbs_risk_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(
        ForeignKey("dbs_check.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(EncryptedText())  # a RiskDecisionKind; encrypted
    review_date: Mapped[date]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    check: Mapped[DbsCheck] = relationship(back_populates="decisions")
    decided_by: Mapped[User | None] = relationship()

    @property
    def decision_enum(self) -> RiskDecisionKind:
        return RiskDecisionKind(self.decision)


class DbsRenewalWarning(db.Model):
    """A renewal warning that went for a check (60, 30 or 7 days ahead), so each goes once."""

    __tablename__ = "dbs_renewal_warning"
    __table_args__ = (UniqueConstraint("check_id", "days_ahead"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("dbs_check.id", ondelete="CASCADE"))
    days_ahead: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


# Roles held --------------------------------------------------------------------------------


class RoleHeld(db.Model):
    """A peer role someone holds or held, from one day to another (None: still holds it)."""

    __tablename__ = "role_held"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("peer_role.id"), index=True)
    from_date: Mapped[date]
    to_date: Mapped[date | None]
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))

    role: Mapped[PeerRole] = relationship()
    user: Mapped[User] = relationship()


# Training ----------------------------------------------------------------------------------


class TrainingSession(CreatedMixin, db.Model):
    """A course delivered on a day: a meeting of the training forum (its date, place or link,
    capacity, invitations, replies, waiting list and attendance are the meeting's), and the
    course that attending it completes."""

    __tablename__ = "training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), unique=True
    )
    trainer: Mapped[str] = mapped_column(String(120), default="")  # who delivers it

    course: Mapped[Course] = relationship()
    meeting: Mapped[Meeting] = relationship()


class Completion(CreatedMixin, db.Model):
    """Someone finished a course: by attending a session, or recorded by hand (done
    elsewhere). It counts until ``expires_on`` (None: it never runs out)."""

    __tablename__ = "course_completion"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),  # attending completes once
        Index("ix_course_completion_user_course", "user_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    completed_on: Mapped[date]
    expires_on: Mapped[date | None] = mapped_column(index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_session.id", ondelete="SET NULL")
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class TrainingExpiryWarning(db.Model):
    """An expiry warning that went for a completion (60, 30 or 7 days ahead), so each goes
    once."""

    __tablename__ = "training_expiry_warning"
    __table_args__ = (UniqueConstraint("completion_id", "days_ahead"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int] = mapped_column(
        ForeignKey("course_completion.id", ondelete="CASCADE")
    )
    days_ahead: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


# Supervision -------------------------------------------------------------------------------


class SupervisionKind(enum.StrEnum):
    SUPERVISION = "supervision"
    REFLECTIVE = "reflective"  # reflective practice, often in a group

    @property
    def label(self) -> str:
        return str(SUPERVISION_KIND_LABELS[self])


SUPERVISION_KIND_LABELS = {
    SupervisionKind.SUPERVISION: _l("Supervision"),
    SupervisionKind.REFLECTIVE: _l("Reflective practice"),
}


class SupervisionSession(CreatedMixin, db.Model):
    """A supervision or reflective-practice session someone had. The notes are private: only
    the supervisor and managers read them, and every read is audited."""

    __tablename__ = "supervision_session"
    __table_args__ = (Index("ix_supervision_session_person_held", "person_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default=SupervisionKind.SUPERVISION.value)
    held_on: Mapped[date]
    minutes: Mapped[int]
    notes: Mapped[str] = mapped_column(EncryptedText(), default="")  # private; encrypted
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # A random key carried by the form, so a double press logs one session.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    person: Mapped[User] = relationship(foreign_keys=[person_id])
    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])

    @property
    def kind_enum(self) -> SupervisionKind:
        return SupervisionKind(self.kind)

"""Paid involvement and expenses: the rate card, involvement records, expense claims with their
receipts, payment runs, bank details, and the dated settings behind them (mileage rates and
benefits thresholds).

Money is ``Decimal`` in ``Numeric`` columns. Anything that changes state moves along an explicit
table and appends a :class:`PaymentEvent`, so the history of every claim, record and run can be
read back: who, when, from, to and why.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin, utcnow
from engage.core.encryption import EncryptedText
from engage.core.money import PENNY, MoneyColumn, to_money
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.people.models import User

ZERO = Decimal("0.00")


# The rate card ---------------------------------------------------------------------------


class Activity(enum.StrEnum):
    """What someone gave their time to. Forums and opportunities use these keys too."""

    FORUM_MEETING = "forum_meeting"
    BOARD_SEAT = "board_seat"
    INTERVIEW_PANEL = "interview_panel"
    TRAINING = "training"
    DOCUMENT_REVIEW = "document_review"
    PEER_RESEARCH = "peer_research"
    WORKING_GROUP = "working_group"
    OTHER_INVOLVEMENT = "other_involvement"

    @property
    def label(self) -> str:
        return str(ACTIVITY_LABELS[self])


ACTIVITY_LABELS = {
    Activity.FORUM_MEETING: _l("Forum meeting"),
    Activity.BOARD_SEAT: _l("Sitting on a board"),
    Activity.INTERVIEW_PANEL: _l("Interview panel"),
    Activity.TRAINING: _l("Training"),
    Activity.DOCUMENT_REVIEW: _l("Reviewing a document"),
    Activity.PEER_RESEARCH: _l("Peer research"),
    Activity.WORKING_GROUP: _l("Working group"),
    Activity.OTHER_INVOLVEMENT: _l("Other involvement"),
}


def activity_label(key: str) -> str:
    try:
        return Activity(key).label
    except ValueError:
        return key


class Unit(enum.StrEnum):
    HOUR = "hour"
    HALF_DAY = "half_day"
    DAY = "day"
    TASK = "task"


UNIT_LABELS = {
    Unit.HOUR: _l("per hour"),
    Unit.HALF_DAY: _l("per half day"),
    Unit.DAY: _l("per day"),
    Unit.TASK: _l("per task"),
}

#: A half day is up to four hours, a day up to eight (NIHR's usual bands).
HALF_DAY_MINUTES = 4 * 60
DAY_MINUTES = 8 * 60


class Rate(CreatedMixin, db.Model):
    """One line of the rate card: what an activity pays, from one date to another.

    Records copy the amount when they are made, so changing the card never changes them.
    """

    __table_args__ = (Index("ix_rate_activity_from", "activity", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity: Mapped[str] = mapped_column(String(30))  # an Activity value
    unit: Mapped[str] = mapped_column(String(10))  # a Unit value
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    includes_preparation: Mapped[bool] = mapped_column(default=True)  # False: prep paid on top
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]  # inclusive; None: until changed
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    @property
    def unit_enum(self) -> Unit:
        return Unit(self.unit)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def units_for(self, minutes: int | None) -> Decimal:
        """How many of this rate's units a spell of ``minutes`` is (1 when not known)."""
        unit = self.unit_enum
        if unit == Unit.HOUR:
            return (Decimal(minutes or 60) / 60).quantize(PENNY, rounding=ROUND_HALF_UP)
        if unit == Unit.HALF_DAY and minutes:
            return Decimal(max(1, -(-minutes // HALF_DAY_MINUTES)))
        if unit == Unit.DAY and minutes:
            return Decimal(max(1, -(-minutes // DAY_MINUTES)))
        return Decimal(1)

    def fee(
        self, *, minutes: int | None, units: Decimal | None, preparation_minutes: int
    ) -> Decimal:
        """What the time is worth at this rate, to the penny.

        Hourly rates are worked out from the minutes themselves (not rounded hours), plus
        preparation time when the rate does not already include it.
        """
        if self.unit_enum == Unit.HOUR and minutes is not None and units is None:
            paid_minutes = minutes + (0 if self.includes_preparation else preparation_minutes)
            return to_money(self.amount * paid_minutes / 60)
        count = units if units is not None else self.units_for(minutes)
        extra = ZERO
        if self.unit_enum == Unit.HOUR and not self.includes_preparation:
            extra = self.amount * preparation_minutes / 60
        return to_money(self.amount * count + extra)


class MileageRate(CreatedMixin, db.Model):
    """What a mile by car is repaid at, from one date to another (HMRC's approved rate is the
    usual choice)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    per_mile: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


# Benefits thresholds -----------------------------------------------------------------------


class Period(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"
    TAX_YEAR = "tax_year"


PERIOD_LABELS = {
    Period.WEEK: _l("a week"),
    Period.MONTH: _l("a calendar month"),
    Period.TAX_YEAR: _l("a tax year"),
}


def period_bounds(period: Period, on: date) -> tuple[date, date]:
    """The first and last day of the week (Monday to Sunday), calendar month, or UK tax year
    (6 April to 5 April) that ``on`` falls in."""
    if period == Period.WEEK:
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=6)
    if period == Period.MONTH:
        start = on.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    year = on.year if on >= date(on.year, 4, 6) else on.year - 1
    return date(year, 4, 6), date(year + 1, 4, 5)


def tax_year_label(on: date) -> str:
    """``2026/27`` for any day from 6 April 2026 to 5 April 2027."""
    start, _end = period_bounds(Period.TAX_YEAR, on)
    return f"{start.year}/{str(start.year + 1)[-2:]}"


class Threshold(CreatedMixin, db.Model):
    """An earnings limit that matters to some people's benefits, set by an admin with dates,
    because the figures change every April. Crossing one is warned about, never blocked."""

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120))  # e.g. "ESA permitted work weekly limit"
    period: Mapped[str] = mapped_column(String(10))  # a Period value
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    source_note: Mapped[str] = mapped_column(Text, default="")  # where the figure comes from
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    @property
    def period_enum(self) -> Period:
        return Period(self.period)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


# How people are paid -----------------------------------------------------------------------


class Method(enum.StrEnum):
    BANK = "bank"
    VOUCHER = "voucher"
    CASH = "cash"
    IN_KIND = "in_kind"  # given as something other than money (a course, a gift card ...)
    DECLINED = "declined"  # the person chose not to be paid

    @property
    def label(self) -> str:
        return str(METHOD_LABELS[self])


METHOD_LABELS = {
    Method.BANK: _l("Bank transfer"),
    Method.VOUCHER: _l("Shopping voucher"),
    Method.CASH: _l("Cash"),
    Method.IN_KIND: _l("Payment in kind"),
    Method.DECLINED: _l("Chose not to be paid"),
}

#: The order of the sections of a payment run and its export.
RUN_SECTIONS = (Method.BANK, Method.VOUCHER, Method.CASH)


class BankDetails(db.Model):
    """Where to send a bank transfer. Shown masked everywhere except the finance export, and
    every view of them is audited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    # Encrypted at rest (engage.core.encryption). A blank sort code or account number stays
    # blank, so SQL can still tell who has somewhere a bank transfer can go.
    account_name: Mapped[str] = mapped_column(EncryptedText())  # up to 60 characters
    sort_code: Mapped[str] = mapped_column(EncryptedText(blank_in_clear=True))  # 6 digits
    account_number: Mapped[str] = mapped_column(EncryptedText(blank_in_clear=True))  # 8 digits
    roll_number: Mapped[str] = mapped_column(EncryptedText(), default="")  # building societies
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    @property
    def masked_sort_code(self) -> str:
        return f"••-••-{self.sort_code[-2:]}"

    @property
    def masked_account_number(self) -> str:
        return f"••••{self.account_number[-4:]}"


# Involvement records -----------------------------------------------------------------------


class RecordStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a manager to approve
    APPROVED = "approved"  # to be paid in the next run
    PAID = "paid"
    DECLINED = "declined"  # the person chose not to be paid: kept at £0
    REJECTED = "rejected"  # not approved (recorded by mistake), with a reason
    VOLUNTARY = "voluntary"  # unpaid involvement: counted as time, nothing to pay
    CANCELLED = "cancelled"  # a payment reversed as not owed

    @property
    def label(self) -> str:
        return str(RECORD_STATUS_LABELS[self])

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour this status is shown in (``govuk-tag--<colour>``)."""
        return RECORD_STATUS_COLOURS[self]


RECORD_STATUS_LABELS = {
    RecordStatus.PENDING: _l("Waiting for approval"),
    RecordStatus.APPROVED: _l("Approved, to be paid"),
    RecordStatus.PAID: lazy_pgettext("paid out", "Paid"),
    RecordStatus.DECLINED: _l("Payment declined"),
    RecordStatus.REJECTED: _l("Not approved"),
    RecordStatus.VOLUNTARY: _l("Unpaid"),
    RecordStatus.CANCELLED: _l("Payment cancelled"),
}

RECORD_STATUS_COLOURS = {
    RecordStatus.PENDING: "blue",
    RecordStatus.APPROVED: "turquoise",
    RecordStatus.PAID: "green",
    RecordStatus.DECLINED: "grey",
    RecordStatus.REJECTED: "red",
    RecordStatus.VOLUNTARY: "purple",
    RecordStatus.CANCELLED: "orange",
}

RECORD_TRANSITIONS: dict[RecordStatus, frozenset[RecordStatus]] = {
    RecordStatus.PENDING: frozenset(
        {RecordStatus.APPROVED, RecordStatus.DECLINED, RecordStatus.REJECTED}
    ),
    RecordStatus.APPROVED: frozenset({RecordStatus.PAID, RecordStatus.DECLINED}),
    RecordStatus.DECLINED: frozenset({RecordStatus.PENDING}),
    # Only a correcting entry moves a paid record: pay it again, or cancel it as not owed.
    RecordStatus.PAID: frozenset({RecordStatus.APPROVED, RecordStatus.CANCELLED}),
    RecordStatus.REJECTED: frozenset(),
    RecordStatus.VOLUNTARY: frozenset(),
    RecordStatus.CANCELLED: frozenset(),
}

#: Records whose money counts as earnings for benefits (expenses never do).
EARNING_STATUSES = frozenset({RecordStatus.PENDING, RecordStatus.APPROVED, RecordStatus.PAID})


class InvolvementRecord(CreatedMixin, db.Model):
    """Time someone gave: a forum meeting, a panel, a review. Priced at the rate in force on
    the day, approved by a manager, then paid the way the person chose."""

    __table_args__ = (
        # A person's records by date, with what says whether they count as time given, so
        # "involved before?" (the dashboard's new peers) never reads the table itself.
        Index(
            "ix_involvement_person_history",
            "person_id",
            "activity_date",
            "status",
            "activity",
            "source",
        ),
        Index("ix_involvement_status_created", "status", "created_at"),
        # Approved fees waiting for a run, with what the finance home adds up, from the index.
        # It starts with run_id so that no query by status alone (a peer's earnings, the
        # queues) takes it for a status index: rows in its order are all over the table.
        Index("ix_involvement_ready", "run_id", "status", "method", "amount", "person_id"),
        # The different people who declined payment for a period's time, from the index alone
        # (looking each declined record up in the table took as long as the hours themselves).
        Index("ix_involvement_status_day", "status", "activity_date", "person_id"),
        # A period's records with every column the dashboard adds up (hours by activity,
        # payments declined, peers involved) and the finance home's fees by activity: read
        # from the index alone, activity by activity (few of them) and each one's dates as a
        # range, so totals by activity need no sort.
        Index(
            "ix_involvement_activity_date",
            "activity",
            "activity_date",
            "status",
            "person_id",
            "minutes",
            "source",
            "amount",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    activity: Mapped[str] = mapped_column(String(30))  # an Activity value
    activity_date: Mapped[date]
    description: Mapped[str] = mapped_column(String(200), default="")
    minutes: Mapped[int | None]  # time given, when known
    preparation_minutes: Mapped[int] = mapped_column(default=0)  # paid when the rate excludes it
    units: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(1))  # rate units
    rate_id: Mapped[int | None] = mapped_column(ForeignKey("rate.id"))  # None: no rate yet
    unit_amount: Mapped[Decimal | None] = mapped_column(MoneyColumn)  # copied from the rate
    fee: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)  # what the time is worth
    amount: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)  # to pay: fee, or 0
    method: Mapped[str | None] = mapped_column(String(10))  # a Method value; None: not chosen
    status: Mapped[str] = mapped_column(String(12), default=RecordStatus.PENDING.value)
    # Where it came from ("meeting:12", "opportunity:3", "manual"); with the person, once only.
    source: Mapped[str] = mapped_column(String(40), default="manual")
    source_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")  # why not approved, readable by them
    # The run paying it now; cleared when a payment is reversed to be paid again.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_run.id"), index=True)
    paid_at: Mapped[datetime | None]
    pay_attempt: Mapped[int] = mapped_column(default=1)  # goes up when a payment is reversed
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    person: Mapped[User] = relationship(foreign_keys=[person_id])
    rate: Mapped[Rate | None] = relationship()

    @property
    def status_enum(self) -> RecordStatus:
        return RecordStatus(self.status)

    @property
    def activity_label(self) -> str:
        return activity_label(self.activity)

    @property
    def hours(self) -> Decimal | None:
        if self.minutes is None:
            return None
        return (Decimal(self.minutes) / 60).quantize(PENNY, rounding=ROUND_HALF_UP)

    def move_to(self, target: RecordStatus) -> RecordStatus:
        """Change status along RECORD_TRANSITIONS; returns the old status."""
        before = self.status_enum
        if target not in RECORD_TRANSITIONS[before]:
            raise IllegalMove(
                _(
                    "This cannot change from “%(from)s” to “%(to)s”.",
                    **{"from": before.label, "to": target.label},
                )
            )
        self.status = target.value
        return before


# Expense claims ----------------------------------------------------------------------------


class ClaimState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    QUERIED = "queried"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"

    @property
    def label(self) -> str:
        return str(CLAIM_STATE_LABELS[self])

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour this state is shown in (``govuk-tag--<colour>``)."""
        return CLAIM_STATE_COLOURS[self]


CLAIM_STATE_LABELS = {
    ClaimState.DRAFT: _l("Not sent yet"),
    ClaimState.SUBMITTED: _l("Sent, waiting for a decision"),
    ClaimState.QUERIED: _l("We have a question"),
    ClaimState.APPROVED: _l("Approved, to be paid"),
    ClaimState.REJECTED: _l("Not approved"),
    ClaimState.PAID: lazy_pgettext("paid out", "Paid"),
}

CLAIM_STATE_COLOURS = {
    ClaimState.DRAFT: "grey",
    ClaimState.SUBMITTED: "blue",
    ClaimState.QUERIED: "yellow",
    ClaimState.APPROVED: "turquoise",
    ClaimState.REJECTED: "red",
    ClaimState.PAID: "green",
}

#: The only moves a claim can make. Anything else is refused by ExpenseClaim.move_to.
CLAIM_TRANSITIONS: dict[ClaimState, frozenset[ClaimState]] = {
    ClaimState.DRAFT: frozenset({ClaimState.SUBMITTED}),
    ClaimState.SUBMITTED: frozenset({ClaimState.QUERIED, ClaimState.APPROVED, ClaimState.REJECTED}),
    # Answering a question sends the claim back for a decision.
    ClaimState.QUERIED: frozenset({ClaimState.SUBMITTED, ClaimState.REJECTED}),
    ClaimState.APPROVED: frozenset({ClaimState.PAID}),
    ClaimState.REJECTED: frozenset(),
    # Only a correcting entry moves a paid claim: back to approved, to be paid again, or to
    # not approved when it was not owed.
    ClaimState.PAID: frozenset({ClaimState.APPROVED, ClaimState.REJECTED}),
}

#: States a decision-maker still has to act on.
WAITING_STATES = (ClaimState.SUBMITTED, ClaimState.QUERIED)


class ExpenseKind(enum.StrEnum):
    BUS = "bus"
    TRAIN = "train"
    TAXI = "taxi"
    MILEAGE = "mileage"
    CHILDCARE = "childcare"
    CARER = "carer"
    SUBSISTENCE = "subsistence"
    PHONE = "phone"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(EXPENSE_LABELS[self])


EXPENSE_LABELS = {
    ExpenseKind.BUS: _l("Bus fare"),
    ExpenseKind.TRAIN: _l("Train fare"),
    ExpenseKind.TAXI: _l("Taxi"),
    ExpenseKind.MILEAGE: _l("Driving my own car (miles)"),
    ExpenseKind.CHILDCARE: _l("Childcare"),
    ExpenseKind.CARER: _l("Someone to cover my caring role"),
    ExpenseKind.SUBSISTENCE: _l("Food and drink"),
    ExpenseKind.PHONE: _l("Phone or data"),
    ExpenseKind.OTHER: _l("Something else"),
}


class ExpenseClaim(CreatedMixin, db.Model):
    """Money someone spent to take part, to be paid back. Never counted as earnings."""

    __table_args__ = (
        Index("ix_expense_claim_state_submitted", "state", "submitted_at"),  # the queue
        Index("ix_expense_claim_state_id", "state", "id"),  # a state's claims, newest first
        Index("ix_expense_claim_claimant_created", "claimant_id", "created_at"),
        # Claims paid back on a period's days, with when each was sent (the dashboard).
        Index("ix_expense_claim_state_paid", "state", "paid_at", "submitted_at"),
        # Approved claims waiting for a run, with what the finance home adds up, from the index
        # (run_id first: see ix_involvement_ready).
        Index("ix_expense_claim_ready", "run_id", "state", "method", "total", "claimant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claimant_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # staff on behalf
    state: Mapped[str] = mapped_column(String(10), default=ClaimState.DRAFT.value)
    method: Mapped[str] = mapped_column(String(10), default=Method.BANK.value)  # how to repay
    purpose: Mapped[str] = mapped_column(String(200), default="")  # what it was for
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunity.id"), index=True)
    total: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)  # sum of the lines
    # A random key carried by the form, so a double click or a resent form makes one claim.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    question: Mapped[str] = mapped_column(Text, default="")  # the latest query, for the peer
    answer: Mapped[str] = mapped_column(Text, default="")  # their latest answer
    reject_reason: Mapped[str] = mapped_column(Text, default="")  # readable by the peer
    # Cash handed over at the meeting and recorded afterwards, with how it was signed for.
    paid_on_day: Mapped[bool] = mapped_column(default=False)
    signature_note: Mapped[str] = mapped_column(String(200), default="")
    # The run paying it now; cleared when a payment is reversed to be paid again.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_run.id"), index=True)
    paid_at: Mapped[datetime | None]
    pay_attempt: Mapped[int] = mapped_column(default=1)  # goes up when a payment is reversed
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    claimant: Mapped[User] = relationship(foreign_keys=[claimant_id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    lines: Mapped[list[ClaimLine]] = relationship(
        back_populates="claim", order_by="ClaimLine.id", cascade="all, delete-orphan"
    )

    @property
    def state_enum(self) -> ClaimState:
        return ClaimState(self.state)

    @property
    def reference(self) -> str:
        return f"C{self.id:05d}"

    def move_to(self, target: ClaimState) -> ClaimState:
        """Change state along CLAIM_TRANSITIONS; returns the old state."""
        before = self.state_enum
        if target not in CLAIM_TRANSITIONS[before]:
            raise IllegalMove(
                _(
                    "This claim cannot change from “%(from)s” to “%(to)s”.",
                    **{"from": before.label, "to": target.label},
                )
            )
        self.state = target.value
        return before


class ClaimLine(CreatedMixin, db.Model):
    """One thing paid for: a fare, miles driven, an hour of childcare."""

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(
        ForeignKey("expense_claim.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))  # an ExpenseKind value
    spent_on: Mapped[date]
    description: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Bus to the Hub"
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    miles: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))  # mileage lines only
    per_mile: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))  # the rate, copied
    reason: Mapped[str] = mapped_column(Text, default="")  # why a taxi was needed
    # A random key carried by the form, so a double click adds the line once.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)

    claim: Mapped[ExpenseClaim] = relationship(back_populates="lines")
    receipts: Mapped[list[Receipt]] = relationship(
        back_populates="line", order_by="Receipt.id", lazy="selectin"
    )

    @property
    def kind_enum(self) -> ExpenseKind:
        return ExpenseKind(self.kind)


class Receipt(CreatedMixin, db.Model):
    """A photo or PDF of a receipt, stored outside the web root under a random name.

    A receipt is kept as soon as it is uploaded, before its line is saved (``line_id`` None),
    so a form sent back with a mistake does not make the person choose the photo again.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("claim_line.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)  # who it belongs to
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(120), default="")

    line: Mapped[ClaimLine | None] = relationship(back_populates="receipts")


# Payment runs ------------------------------------------------------------------------------


class RunStatus(enum.StrEnum):
    READY = "ready"  # made and exported; the money has not gone yet
    PAID = "paid"

    @property
    def label(self) -> str:
        return str(RUN_STATUS_LABELS[self])

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour this status is shown in (``govuk-tag--<colour>``)."""
        return RUN_STATUS_COLOURS[self]


RUN_STATUS_LABELS = {
    RunStatus.READY: _l("Ready to pay"),
    RunStatus.PAID: lazy_pgettext("paid out", "Paid"),
}

RUN_STATUS_COLOURS = {
    RunStatus.READY: "blue",
    RunStatus.PAID: "green",
}


class PaymentRun(CreatedMixin, db.Model):
    """A batch of approved fees and claims that finance pays together."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # A random key carried by the form: a double click or a retry makes the run once.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.READY.value, index=True)
    item_count: Mapped[int] = mapped_column(default=0)
    total: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def status_enum(self) -> RunStatus:
        return RunStatus(self.status)

    @property
    def reference(self) -> str:
        return f"RUN-{self.id:05d}"


class ItemKind(enum.StrEnum):
    FEE = "fee"  # an involvement payment: counts as earnings
    EXPENSES = "expenses"  # money paid back: never earnings
    REVERSAL = "reversal"  # a correcting entry that undoes a paid item


ITEM_KIND_LABELS = {
    ItemKind.FEE: _l("Involvement payment"),
    ItemKind.EXPENSES: _l("Expenses"),
    ItemKind.REVERSAL: _l("Correction"),
}


class PaymentItem(CreatedMixin, db.Model):
    """One payment to one person: the ledger. Paid items are never edited; a mistake is put
    right by a new correcting item that reverses it."""

    __table_args__ = (
        Index("ix_payment_item_run_method_payee", "run_id", "method", "payee_id"),
        Index("ix_payment_item_payee_paid", "payee_id", "paid_at"),
        Index("ix_payment_item_paid_at", "paid_at", "kind", "amount"),  # paid by month
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_run.id"))  # None: outside
    payee_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(10))  # an ItemKind value
    method: Mapped[str] = mapped_column(String(10))  # a Method value
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)  # negative for a reversal
    record_id: Mapped[int | None] = mapped_column(ForeignKey("involvement_record.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("expense_claim.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payment_item.id"))
    description: Mapped[str] = mapped_column(String(200), default="")
    activity_date: Mapped[date | None]
    reason: Mapped[str] = mapped_column(Text, default="")  # why a reversal was made
    # Each record or claim is paid once per attempt ("fee:12:1"), and reversed once
    # ("reversal:77"): the database itself refuses a second payment.
    line_key: Mapped[str] = mapped_column(String(60), unique=True)
    paid_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    payee: Mapped[User] = relationship(foreign_keys=[payee_id])
    run: Mapped[PaymentRun | None] = relationship()

    @property
    def kind_enum(self) -> ItemKind:
        return ItemKind(self.kind)

    @classmethod
    def for_record(cls, record: InvolvementRecord, actor: User, **extra) -> PaymentItem:
        """The ledger line that pays ``record`` (an involvement payment: earnings)."""
        return cls(
            payee_id=record.person_id,
            kind=ItemKind.FEE.value,
            method=record.method,
            amount=record.amount,
            record_id=record.id,
            description=(record.description or record.activity_label)[:200],
            activity_date=record.activity_date,
            line_key=f"fee:{record.id}:{record.pay_attempt}",
            created_by_id=actor.id,
            **extra,
        )

    @classmethod
    def for_claim(cls, claim: ExpenseClaim, actor: User, **extra) -> PaymentItem:
        """The ledger line that pays ``claim`` back (expenses: never earnings)."""
        return cls(
            payee_id=claim.claimant_id,
            kind=ItemKind.EXPENSES.value,
            method=claim.method,
            amount=claim.total,
            claim_id=claim.id,
            description=(claim.purpose or _("Expenses claim %(ref)s", ref=claim.reference))[:200],
            activity_date=min((line.spent_on for line in claim.lines), default=None),
            line_key=f"claim:{claim.id}:{claim.pay_attempt}",
            created_by_id=actor.id,
            **extra,
        )


# History -----------------------------------------------------------------------------------


class PaymentEvent(db.Model):
    """One line of history for a claim, a record or a run: who, when, from, to and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    claim_id: Mapped[int | None] = mapped_column(
        ForeignKey("expense_claim.id", ondelete="CASCADE"), index=True
    )
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("involvement_record.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "state", "line_added", "reversed" ...
    from_state: Mapped[str] = mapped_column(String(12), default="")
    to_state: Mapped[str] = mapped_column(String(12), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()

    @staticmethod
    def line_note(kind: str, amount: Decimal) -> str:
        """The note of a "line_added" or "line_removed" event: the line's kind and amount as
        values, not words, so the history is written in each reader's language when it is
        drawn (read back with :attr:`line`)."""
        return json.dumps({"kind": ExpenseKind(kind).value, "amount": str(amount)})

    @property
    def line(self) -> tuple[ExpenseKind, Decimal] | None:
        """The kind and amount kept by :meth:`line_note`, or None for a note that is text
        (rows written before the values were kept read as they were written)."""
        try:
            values = json.loads(self.note)
            return ExpenseKind(values["kind"]), Decimal(values["amount"])
        except (ValueError, TypeError, KeyError, ArithmeticError):
            return None

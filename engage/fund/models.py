"""The fund for practical barriers: funds with their ledger of money in, and the requests that
spend it, each decided by one or two people who did not make it.

Money is ``Decimal`` in ``Numeric`` columns. A request moves along an explicit table of allowed
moves and appends a :class:`FundEvent`, so who did what, when, can always be read back.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import CreatedMixin, utcnow
from engage.core.encryption import EncryptedText
from engage.core.money import MoneyColumn
from engage.core.rules import IllegalMove
from engage.extensions import db
from engage.people.models import User

ZERO = Decimal("0.00")


class FundError(IllegalMove):
    """A fund rule says no (overspending, deciding one's own request…); safe to show."""


class Fund(CreatedMixin, db.Model):
    """A pot of money with a purpose, set up by admins or finance."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))  # e.g. "Changing Lives Fund"
    purpose: Mapped[str] = mapped_column(Text, default="")  # what it is for, in plain words
    budget: Mapped[Decimal] = mapped_column(MoneyColumn, default=ZERO)  # to spend per period
    budget_from: Mapped[date | None]  # the period the budget is for (inclusive)
    budget_to: Mapped[date | None]
    # Requests up to this amount are decided by one person; above it, by two.
    single_approval_limit: Mapped[Decimal] = mapped_column(MoneyColumn, default=Decimal("100"))
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Contribution(CreatedMixin, db.Model):
    """Money into a fund: from a service, or from public giving."""

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    source: Mapped[str] = mapped_column(String(120))  # who gave it ("Probation", "Public giving")
    received_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # A random key carried by the form, so a double click records the money once.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)


class Category(enum.StrEnum):
    PHONE = "phone"
    ID = "id"
    CLOTHING = "clothing"
    TRAVEL = "travel"
    HOME = "home"
    TRAINING = "training"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])


CATEGORY_LABELS = {
    Category.PHONE: _l("Phone and data"),
    Category.ID: _l("ID documents"),
    Category.CLOTHING: _l("Clothing"),
    Category.TRAVEL: _l("Travel"),
    Category.HOME: _l("Home set-up"),
    Category.TRAINING: _l("Training"),
    Category.OTHER: _l("Something else"),
}


class PayTo(enum.StrEnum):
    """How the money reaches the barrier."""

    SUPPLIER = "supplier"  # straight to a shop or supplier, with a quote or invoice
    PERSON = "person"  # to the person
    VOUCHER = "voucher"

    @property
    def label(self) -> str:
        return str(PAY_TO_LABELS[self])


PAY_TO_LABELS = {
    PayTo.SUPPLIER: _l("To a supplier, with a quote or invoice"),
    PayTo.PERSON: _l("To the person"),
    PayTo.VOUCHER: _l("As a voucher"),
}


class PaidHow(enum.StrEnum):
    RUN = "run"  # in a payment run
    CARD = "card"  # on the partnership's card
    CASH = "cash"

    @property
    def label(self) -> str:
        return str(PAID_HOW_LABELS[self])


PAID_HOW_LABELS = {
    PaidHow.RUN: _l("In a payment run"),
    PaidHow.CARD: _l("By card"),
    PaidHow.CASH: _l("In cash"),
}


class State(enum.StrEnum):
    SUBMITTED = "submitted"
    QUESTION = "question"  # an approver asked something; the requester answers
    PART_APPROVED = "part_approved"  # one of the two approvals it needs
    APPROVED = "approved"  # the money is committed; to be paid
    PAID = "paid"
    DECLINED = "declined"  # with a kind reason the requester reads
    WITHDRAWN = "withdrawn"  # by the requester

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])

    @property
    def colour(self) -> str:
        return STATE_COLOURS[self]


STATE_LABELS = {
    State.SUBMITTED: _l("Waiting for a decision"),
    State.QUESTION: _l("We have a question"),
    State.PART_APPROVED: _l("Approved by one, needs a second"),
    State.APPROVED: _l("Approved, to be paid"),
    State.PAID: _l("Paid"),
    State.DECLINED: _l("Not approved"),
    State.WITHDRAWN: lazy_pgettext("fund request", "Withdrawn"),
}

STATE_COLOURS = {
    State.SUBMITTED: "blue",
    State.QUESTION: "yellow",
    State.PART_APPROVED: "light-blue",
    State.APPROVED: "turquoise",
    State.PAID: "green",
    State.DECLINED: "red",
    State.WITHDRAWN: "grey",
}

#: The only moves a request can make. Anything else is refused by FundRequest.move_to.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.SUBMITTED: frozenset(
        {State.QUESTION, State.PART_APPROVED, State.APPROVED, State.DECLINED, State.WITHDRAWN}
    ),
    # Answering the question sends it back for a decision.
    State.QUESTION: frozenset({State.SUBMITTED, State.DECLINED, State.WITHDRAWN}),
    # A question after the first approval: once answered, both approvals are given afresh.
    State.PART_APPROVED: frozenset(
        {State.APPROVED, State.QUESTION, State.DECLINED, State.WITHDRAWN}
    ),
    State.APPROVED: frozenset({State.PAID}),
    State.PAID: frozenset(),
    State.DECLINED: frozenset(),
    State.WITHDRAWN: frozenset(),
}

#: Waiting for an approver (the queue).
WAITING = (State.SUBMITTED, State.PART_APPROVED)
#: Money promised: counted against the balance.
COMMITTED = (State.APPROVED, State.PAID)


class FundRequest(CreatedMixin, db.Model):
    """A request to remove one practical barrier for one person."""

    __table_args__ = (
        Index("ix_fund_request_state_submitted", "state", "submitted_at"),  # the queue
        Index("ix_fund_request_requester", "requester_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), index=True)
    # A random key carried by the form, so a double click makes one request.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user.id"))  # key worker, or the peer
    person_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # account
    person_ref: Mapped[str] = mapped_column(String(80), default="")  # name or reference
    category: Mapped[str] = mapped_column(String(12))  # a Category value
    barrier: Mapped[str] = mapped_column(Text)  # what is in the way
    amount: Mapped[Decimal] = mapped_column(MoneyColumn)
    how_it_helps: Mapped[str] = mapped_column(Text)
    pay_to: Mapped[str] = mapped_column(String(10))  # a PayTo value
    supplier_name: Mapped[str] = mapped_column(String(120), default="")
    quote: Mapped[str] = mapped_column(String(200), default="")  # quote or invoice reference
    # The supplier's bank details, encrypted at rest; shown only to finance.
    supplier_sort_code: Mapped[str] = mapped_column(EncryptedText(blank_in_clear=True), default="")
    supplier_account_number: Mapped[str] = mapped_column(
        EncryptedText(blank_in_clear=True), default=""
    )
    state: Mapped[str] = mapped_column(String(14), default=State.SUBMITTED.value)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    question: Mapped[str] = mapped_column(Text, default="")  # the latest question
    answer: Mapped[str] = mapped_column(Text, default="")  # the requester's latest answer
    first_approver_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # final decision
    decided_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(Text, default="")  # kind, read by the requester
    # The payment run paying it (a supplier with bank details), once finance makes one.
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_run.id"), index=True)
    paid_how: Mapped[str | None] = mapped_column(String(6))  # a PaidHow value
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    payment_note: Mapped[str] = mapped_column(String(200), default="")  # receipt, run reference
    receipt_name: Mapped[str | None] = mapped_column(String(64))  # a photo or PDF, stored
    receipt_type: Mapped[str | None] = mapped_column(String(40))
    follow_up_sent_at: Mapped[datetime | None]  # "did it help?" asked (once)
    helped: Mapped[bool | None]  # the key worker's answer
    follow_up: Mapped[str] = mapped_column(Text, default="")  # how it helped, in their words
    follow_up_at: Mapped[datetime | None]
    raised_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))  # register item
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    fund: Mapped[Fund] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    person: Mapped[User | None] = relationship(foreign_keys=[person_id])

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def category_enum(self) -> Category:
        return Category(self.category)

    @property
    def pay_to_enum(self) -> PayTo:
        return PayTo(self.pay_to)

    @property
    def reference(self) -> str:
        return f"F{self.id:05d}"

    @property
    def masked_account_number(self) -> str:
        return f"••••{self.supplier_account_number[-4:]}" if self.supplier_account_number else ""

    def move_to(self, target: State) -> State:
        """Change state along TRANSITIONS; returns the old state."""
        before = self.state_enum
        if target not in TRANSITIONS[before]:
            raise FundError(
                _(
                    "This request cannot change from “%(from)s” to “%(to)s”.",
                    **{"from": before.label, "to": target.label},
                )
            )
        self.state = target.value
        return before


ACTION_LABELS = {
    "submitted": _l("Request sent"),
    "state": _l("Changed"),
    "follow_up_sent": _l("Asked whether it helped"),
    "follow_up": _l("Said whether it helped"),
    "raised": _l("Raised in the register"),
    "in_run": _l("Put in a payment run"),
}


class FundEvent(db.Model):
    """One line of a request's history: who, when, what, from, to and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("fund_request.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(20))  # "submitted", "approved", "asked"…
    frm: Mapped[str] = mapped_column(String(14), default="")
    to: Mapped[str] = mapped_column(String(14), default="")
    note: Mapped[str] = mapped_column(Text, default="")

"""Use cases for the fund: set a fund up, record money in, make a request, ask and answer a
question, approve (one person, or two above the fund's limit), decline, withdraw, record the
payment, ask "did it help?" four weeks later, and raise what a request shows in the register.

Each appends the request's history, audits, queues messages and flushes; the route commits.
Nobody decides a request they made or that is for them, and approving never spends more than
the fund holds: the fund's row is locked while a decision is made, so twenty approvers pressing
at once approve once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage.core import audit, dates, outbox
from engage.core.db import utcnow
from engage.core.i18n import in_their_language
from engage.core.links import absolute_url
from engage.core.money import format_money, to_money
from engage.extensions import db
from engage.fund.models import (
    COMMITTED,
    WAITING,
    ZERO,
    Category,
    Contribution,
    Fund,
    FundError,
    FundEvent,
    FundRequest,
    PaidHow,
    PayTo,
    State,
)
from engage.fund.permissions import can_decide
from engage.people.models import User

#: The most one request may ask for: bigger needs go to the team first.
MAX_AMOUNT = Decimal("5000.00")
#: The target for a decision, in working days (Monday to Friday).
DECISION_TARGET_WORKING_DAYS = 2
#: How long after payment the key worker is asked "did it help, and how?".
FOLLOW_UP_AFTER = timedelta(weeks=4)


# Funds and money in -------------------------------------------------------------------------


def current_fund() -> Fund | None:
    """The fund requests go to: the first active one."""
    return db.session.scalar(select(Fund).where(Fund.is_active).order_by(Fund.id).limit(1))


def save_fund(
    actor: User,
    fund: Fund | None,
    *,
    name: str,
    purpose: str,
    budget: Decimal,
    budget_from: date | None,
    budget_to: date | None,
    single_approval_limit: Decimal,
) -> Fund:
    """Set a fund up, or change it. Raises FundError for dates the wrong way round."""
    if budget_from and budget_to and budget_to < budget_from:
        raise FundError(_("The end of the budget period must be after its start."))
    if fund is None:
        fund = Fund()
        db.session.add(fund)
    fund.name, fund.purpose = name.strip(), purpose.strip()
    fund.budget, fund.single_approval_limit = to_money(budget), to_money(single_approval_limit)
    fund.budget_from, fund.budget_to = budget_from, budget_to
    db.session.flush()
    audit.record("fund.saved", actor=actor, fund=fund.id, limit=str(fund.single_approval_limit))
    return fund


def add_contribution(
    actor: User,
    fund: Fund,
    *,
    amount: Decimal,
    source: str,
    received_on: date,
    note: str = "",
    submission_key: str | None = None,
) -> Contribution:
    """Record money into the fund. The same ``submission_key`` again returns the first."""
    if submission_key:
        earlier = db.session.scalar(
            select(Contribution).where(Contribution.submission_key == submission_key)
        )
        if earlier is not None:
            return earlier
    if amount <= 0:
        raise FundError(_("Enter an amount more than £0"))
    row = Contribution(
        fund_id=fund.id,
        amount=to_money(amount),
        source=source.strip(),
        received_on=received_on,
        note=note.strip(),
        recorded_by_id=actor.id,
        submission_key=submission_key or None,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("fund.contribution", actor=actor, fund=fund.id, amount=str(row.amount))
    return row


def balance(fund: Fund) -> dict[str, Decimal]:
    """Money in, money promised (approved, not yet paid), paid, and what is left to approve."""
    money_in = db.session.scalar(
        select(func.coalesce(func.sum(Contribution.amount), 0)).where(
            Contribution.fund_id == fund.id
        )
    )
    rows = dict(
        db.session.execute(
            select(FundRequest.state, func.coalesce(func.sum(FundRequest.amount), 0))
            .where(FundRequest.fund_id == fund.id, FundRequest.state.in_(COMMITTED))
            .group_by(FundRequest.state)
        ).all()
    )
    money_in = to_money(money_in)
    committed = to_money(rows.get(State.APPROVED.value, 0))
    paid = to_money(rows.get(State.PAID.value, 0))
    return {
        "in": money_in,
        "committed": committed,
        "paid": paid,
        "available": to_money(money_in - committed - paid),
    }


# Requests -----------------------------------------------------------------------------------


def _event(actor: User | None, request: FundRequest, action: str, **values: Any) -> None:
    db.session.add(FundEvent(request_id=request.id, actor_id=getattr(actor, "id", None),
                             action=action, **values))  # fmt: skip


def _move(actor: User, request: FundRequest, target: State, note: str = "") -> None:
    before = request.move_to(target)
    _event(actor, request, "state", frm=before.value, to=target.value, note=note)
    audit.record("fund.state_changed", actor=actor, request=request.id, to=target.value)


def by_key(key: str | None) -> FundRequest | None:
    if not key:
        return None
    return db.session.scalar(select(FundRequest).where(FundRequest.submission_key == key))


def submit(
    actor: User,
    fund: Fund,
    *,
    person: User | None,
    person_ref: str,
    category: str,
    barrier: str,
    amount: Decimal,
    how_it_helps: str,
    pay_to: str,
    supplier_name: str = "",
    quote: str = "",
    sort_code: str = "",
    account_number: str = "",
    submission_key: str | None = None,
) -> FundRequest:
    """Make a request. ``person`` is the person's account when they have one, else
    ``person_ref`` names them (a first name or a reference: no more than is needed). The same
    ``submission_key`` again returns the request it made (a double click).

    Raises FundError for an amount out of bounds, nobody named, or a supplier without a name.
    """
    earlier = by_key(submission_key)
    if earlier is not None and earlier.requester_id == actor.id:
        return earlier
    if not fund.is_active:
        raise FundError(_("This fund is closed to new requests."))
    if amount <= 0 or amount > MAX_AMOUNT:
        raise FundError(_("Ask for between £0.01 and %(most)s", most=format_money(MAX_AMOUNT)))
    if person is None and not person_ref.strip():
        raise FundError(_("Give the person's first name or a reference"))
    pay = PayTo(pay_to)
    if pay == PayTo.SUPPLIER and not supplier_name.strip():
        raise FundError(_("Give the supplier's name"))
    request = FundRequest(
        fund_id=fund.id,
        submission_key=submission_key or None,
        requester_id=actor.id,
        person_id=person.id if person else None,
        person_ref="" if person else person_ref.strip(),
        category=Category(category).value,
        barrier=barrier.strip(),
        amount=to_money(amount),
        how_it_helps=how_it_helps.strip(),
        pay_to=pay.value,
        supplier_name=supplier_name.strip() if pay == PayTo.SUPPLIER else "",
        quote=quote.strip() if pay == PayTo.SUPPLIER else "",
        supplier_sort_code=_digits(sort_code) if pay == PayTo.SUPPLIER else "",
        supplier_account_number=_digits(account_number) if pay == PayTo.SUPPLIER else "",
        submitted_at=utcnow(),
    )
    db.session.add(request)
    db.session.flush()
    _event(actor, request, "submitted", to=State.SUBMITTED.value)
    audit.record("fund.requested", actor=actor, subject=person, request=request.id,
                 amount=str(request.amount))  # fmt: skip
    return request


def _digits(text: str) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())


def two_approvals_needed(request: FundRequest) -> bool:
    """Above the fund's limit two different people approve; up to it, one."""
    return request.amount > request.fund.single_approval_limit


def _check_decider(actor: User, request: FundRequest) -> None:
    if actor.id == request.requester_id:
        raise FundError(_("You made this request, so someone else must decide on it."))
    if actor.id == request.person_id:
        raise FundError(_("This request is for you, so someone else must decide on it."))
    if not can_decide(actor):
        raise FundError(_("Only managers and finance decide on requests."))


def _lock(request: FundRequest) -> None:
    """Hold the fund's row (PostgreSQL) and read the request afresh, so decisions made at the
    same moment wait for each other and see each other's result. SQLite serialises writers
    already."""
    db.session.execute(select(Fund.id).where(Fund.id == request.fund_id).with_for_update())
    db.session.refresh(request)


def approve(actor: User, request: FundRequest) -> State:
    """Approve. Above the fund's limit the first approval waits for a second, from someone
    else. The money is committed at the last approval, and only if the fund has it. Returns
    the request's state afterwards. A second press changes nothing.

    Raises FundError for the requester, the person it is for, the first approver again, a
    request not waiting for a decision, or more than the fund has left.
    """
    _check_decider(actor, request)
    _lock(request)
    state = request.state_enum
    if state in (State.APPROVED, State.PAID):
        return state  # someone approved it meanwhile, or a double click
    if state not in (State.SUBMITTED, State.PART_APPROVED):
        raise FundError(_("This request is not waiting for a decision."))
    if request.first_approver_id == actor.id:
        raise FundError(_("You have approved this already. A second person must approve it too."))
    left = balance(request.fund)["available"]
    if request.amount > left:
        raise FundError(
            _(
                "The fund has %(left)s left to give, less than the %(amount)s asked for. "
                "Nothing was approved. Ask the person who made the request whether a smaller "
                "amount would help, or add money to the fund first.",
                left=format_money(left),
                amount=format_money(request.amount),
            )
        )
    if two_approvals_needed(request) and state == State.SUBMITTED:
        _move(actor, request, State.PART_APPROVED)
        request.first_approver_id = actor.id
        db.session.flush()
        return State.PART_APPROVED
    _move(actor, request, State.APPROVED)
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    _tell(
        request,
        _l("Your request to the fund is approved"),
        _l(
            "Hello %(name)s,\n\nYour request %(reference)s for %(amount)s is approved. "
            "We will pay it soon and tell you when we have.\n\n%(link)s\n",
            name=request.requester.display_name,
            reference=request.reference,
            amount=format_money(request.amount),
            link=absolute_url("fund.request", request_id=request.id),
        ),
    )
    db.session.flush()
    return State.APPROVED


def ask(actor: User, request: FundRequest, question: str) -> None:
    """Ask the requester something before deciding."""
    _check_decider(actor, request)
    if not question.strip():
        raise FundError(_("Write your question"))
    _move(actor, request, State.QUESTION, note=question.strip())
    request.question, request.answer = question.strip(), ""
    request.first_approver_id = None  # an answer may change the request: decide afresh
    _tell(
        request,
        _l("A question about your request to the fund"),
        _l(
            "Hello %(name)s,\n\nBefore we decide on request %(reference)s we need to ask:\n\n"
            "%(question)s\n\nAnswer here:\n%(link)s\n",
            name=request.requester.display_name,
            reference=request.reference,
            question=request.question,
            link=absolute_url("fund.request", request_id=request.id),
        ),
    )
    db.session.flush()


def answer(actor: User, request: FundRequest, text: str) -> None:
    """The requester answers the question; the request goes back for a decision."""
    if actor.id != request.requester_id:
        raise FundError(_("Only the person who made the request can answer."))
    if not text.strip():
        raise FundError(_("Write your answer"))
    _move(actor, request, State.SUBMITTED, note=text.strip())
    request.answer = text.strip()
    db.session.flush()


def decline(actor: User, request: FundRequest, reason: str) -> None:
    """Turn a request down with a kind reason the requester reads."""
    _check_decider(actor, request)
    if not reason.strip():
        raise FundError(_("Say why, kindly, so the person who asked can read it"))
    _lock(request)
    _move(actor, request, State.DECLINED, note=reason.strip())
    request.decline_reason = reason.strip()
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    _tell(
        request,
        _l("Your request to the fund was not approved"),
        _l(
            "Hello %(name)s,\n\nYour request %(reference)s was not approved.\n\nWhy: "
            "%(reason)s\n\nIf you want to talk about it, contact the team.\n%(link)s\n",
            name=request.requester.display_name,
            reference=request.reference,
            reason=request.decline_reason,
            link=absolute_url("fund.request", request_id=request.id),
        ),
    )
    db.session.flush()


def withdraw(actor: User, request: FundRequest) -> None:
    if actor.id != request.requester_id:
        raise FundError(_("Only the person who made the request can withdraw it."))
    _move(actor, request, State.WITHDRAWN)
    db.session.flush()


def record_paid(
    actor: User,
    request: FundRequest,
    how: str,
    note: str = "",
    receipt: tuple[str, str] | None = None,
) -> bool:
    """Record an approved request as paid: by card or in cash, with the receipt (its number
    or where it is kept in ``note``, and/or a photo or PDF already kept by
    ``engage.fund.receipts``: ``receipt`` is its stored name and type); or in a payment run.
    Returns False when it was paid already (a double click)."""
    _lock(request)
    if request.state_enum == State.PAID:
        return False
    paid_how = PaidHow(how)
    if paid_how != PaidHow.RUN and request.run_id is not None:
        raise FundError(_("This request is in a payment run: it is paid when the run is."))
    if paid_how != PaidHow.RUN and not note.strip() and receipt is None:
        raise FundError(_("Give the receipt's number, say where it is kept, or add a photo of it"))
    _move(actor, request, State.PAID, note=note.strip())
    request.paid_how, request.paid_at, request.paid_by_id = paid_how.value, utcnow(), actor.id
    request.payment_note = note.strip()[:200]
    if receipt is not None:
        request.receipt_name, request.receipt_type = receipt
    # The approval said "we will tell you when we have" paid.
    _tell(
        request,
        _l("The fund has paid for your request"),
        _l(
            "Hello %(name)s,\n\nThe fund has paid %(amount)s for request %(reference)s.\n\n"
            "%(link)s\n",
            name=request.requester.display_name,
            amount=format_money(request.amount),
            reference=request.reference,
            link=absolute_url("fund.request", request_id=request.id),
        ),
    )
    db.session.flush()
    return True


def in_run(actor: User, request: FundRequest, run_reference: str) -> None:
    """Note in the request's history that finance put it in a payment run."""
    _event(actor, request, "in_run", note=run_reference)
    audit.record("fund.in_run", actor=actor, request=request.id, run=run_reference)


def _tell(request: FundRequest, subject: LazyString, body: LazyString) -> None:
    """Tell the requester, in their language: the words are lazy, so they are put into it
    here, not into the language of whoever decided."""
    person = request.requester
    with in_their_language(person):
        outbox.queue(kind=outbox.Kind.UPDATE, user=person, subject=str(subject), body=str(body))


# Follow-up ----------------------------------------------------------------------------------


def send_follow_ups(now: datetime) -> int:
    """Ask each key worker "did it help, and how?" four weeks after payment, once per
    request. Returns how many were asked."""
    due = db.session.scalars(
        select(FundRequest)
        .where(
            FundRequest.state == State.PAID.value,
            FundRequest.paid_at <= now - FOLLOW_UP_AFTER,
            FundRequest.follow_up_sent_at.is_(None),
        )
        .order_by(FundRequest.id)
        .with_for_update(skip_locked=True)
    ).all()
    for request in due:
        request.follow_up_sent_at = now
        person = request.requester
        with in_their_language(person):
            outbox.queue(
                kind=outbox.Kind.UPDATE,
                user=person,
                subject=_("Did it help?"),
                body=_(
                    "Hello %(name)s,\n\nFour weeks ago the fund paid for request %(reference)s."
                    " Did it help, and how? One question, here:\n%(link)s\n",
                    name=person.display_name,
                    reference=request.reference,
                    link=absolute_url("fund.follow_up", request_id=request.id),
                ),
            )
        _event(None, request, "follow_up_sent")
    db.session.flush()
    return len(due)


def answer_follow_up(actor: User, request: FundRequest, helped: bool, how: str) -> None:
    """Keep the key worker's answer to "did it help, and how?" with the request."""
    if actor.id != request.requester_id:
        raise FundError(_("Only the person who made the request can answer."))
    if request.state_enum != State.PAID:
        raise FundError(_("You can say whether it helped once it has been paid."))
    request.helped, request.follow_up, request.follow_up_at = helped, how.strip(), utcnow()
    _event(actor, request, "follow_up", note=how.strip())
    audit.record("fund.follow_up", actor=actor, request=request.id, helped=helped)
    db.session.flush()


# From barrier to system change --------------------------------------------------------------


def raise_in_register(
    actor: User, request: FundRequest, *, submission_key: str | None = None, **item: Any
):
    """Put the barrier a request shows into the register in one step, anonymised (no name of
    the person), with the request as its source. Each request is raised once."""
    from engage.changes import services as register
    from engage.changes.models import Item, Source

    if request.raised_item_id is not None:
        earlier = db.session.get(Item, request.raised_item_id)
        if submission_key and earlier is not None and earlier.submission_key == submission_key:
            return earlier
        raise FundError(_("This request is in the register already."))
    raised = register.raise_item(
        actor,
        source=Source.CASE,
        source_note=_("Fund request %(reference)s", reference=request.reference),
        submission_key=submission_key,
        **item,
    )
    request.raised_item_id = raised.id
    _event(actor, request, "raised", note=str(raised.id))
    audit.record("fund.raised", actor=actor, request=request.id, item=raised.id)
    db.session.flush()
    return raised


# Ages ---------------------------------------------------------------------------------------


def working_days_between(start: date, end: date) -> int:
    """Working days (Monday to Friday) after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    whole_weeks, extra = divmod((end - start).days, 7)
    days = whole_weeks * 5
    for offset in range(1, extra + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            days += 1
    return days


def waiting_working_days(request: FundRequest, today: date | None = None) -> int:
    today = today or dates.local_today()
    return working_days_between(dates.local_date(request.submitted_at), today)


def is_overdue(request: FundRequest, today: date | None = None) -> bool:
    return waiting_working_days(request, today) > DECISION_TARGET_WORKING_DAYS


#: Requests waiting for an approver.
WAITING_STATES = WAITING

__all__ = ["ZERO", "WAITING_STATES"]

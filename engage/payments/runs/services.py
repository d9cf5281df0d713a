"""Payment runs: finance gathers approved fees and claims into a run, exports it for the
finance system, and marks it paid; paid items are only ever put right by a correcting entry.

A run is made exactly once. The form carries a random key (``PaymentRun.key`` is unique), the
rows being paid are locked (``FOR UPDATE`` on PostgreSQL; the route takes SQLite's write lock
first), and every ledger line has a unique key per record and attempt, so even a race the
locks missed cannot pay anyone twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, not_, or_, select
from sqlalchemy.orm import selectinload

from engage.core import audit, outbox
from engage.core.db import utcnow
from engage.core.domains import RunLine, RunSource, run_sources
from engage.core.i18n import in_their_language
from engage.core.links import absolute_url
from engage.core.money import format_money, to_money
from engage.extensions import db
from engage.payments.bank_details import has_bank_details
from engage.payments.history import event
from engage.payments.models import (
    RUN_SECTIONS,
    ZERO,
    ClaimState,
    ExpenseClaim,
    IllegalMove,
    InvolvementRecord,
    ItemKind,
    Method,
    PaymentItem,
    PaymentRun,
    RecordStatus,
    RunStatus,
)
from engage.payments.permissions import can_edit_bank_details
from engage.people.models import Profile, User

PAYABLE_METHODS = tuple(m.value for m in RUN_SECTIONS)


class RunError(IllegalMove):
    """A run that cannot be made or changed. The message is safe to show."""


# What is ready to pay ----------------------------------------------------------------------


def _payable(method, person_id):  # noqa: ANN001, ANN202
    """SQL: a way to pay that can be used now. A bank transfer needs bank details; a run never
    holds a line the bank cannot pay (policy: hold it, never send a blank account)."""
    return or_(method != Method.BANK.value, has_bank_details(person_id))


def ready_records_query():
    """Approved fees not in a run, with a way to pay them that can be used now."""
    return select(InvolvementRecord).where(
        InvolvementRecord.status == RecordStatus.APPROVED.value,
        InvolvementRecord.run_id.is_(None),
        InvolvementRecord.method.in_(PAYABLE_METHODS),
        InvolvementRecord.amount > 0,
        _payable(InvolvementRecord.method, InvolvementRecord.person_id),
    )


def ready_claims_query():
    """Approved claims not in a run, with a way to pay them back that can be used now."""
    return select(ExpenseClaim).where(
        ExpenseClaim.state == ClaimState.APPROVED.value,
        ExpenseClaim.run_id.is_(None),
        ExpenseClaim.method.in_(PAYABLE_METHODS),
        _payable(ExpenseClaim.method, ExpenseClaim.claimant_id),
    )


def held_records_query():
    """Approved fees that cannot be paid yet: the person has not said how to be paid."""
    return select(InvolvementRecord).where(
        InvolvementRecord.status == RecordStatus.APPROVED.value,
        InvolvementRecord.run_id.is_(None),
        InvolvementRecord.method.is_(None),
    )


def _no_bank_details_records_query():
    """Approved fees to be paid by bank transfer to someone with no bank details yet."""
    return select(InvolvementRecord).where(
        InvolvementRecord.status == RecordStatus.APPROVED.value,
        InvolvementRecord.run_id.is_(None),
        InvolvementRecord.method == Method.BANK.value,
        InvolvementRecord.amount > 0,
        not_(has_bank_details(InvolvementRecord.person_id)),
    )


def _no_bank_details_claims_query():
    """Approved claims to be paid back by bank transfer to someone with no bank details yet."""
    return select(ExpenseClaim).where(
        ExpenseClaim.state == ClaimState.APPROVED.value,
        ExpenseClaim.run_id.is_(None),
        ExpenseClaim.method == Method.BANK.value,
        not_(has_bank_details(ExpenseClaim.claimant_id)),
    )


@dataclass
class Payee:
    person: User
    records: list[InvolvementRecord] = field(default_factory=list)
    claims: list[ExpenseClaim] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return to_money(
            sum((r.amount for r in self.records), ZERO) + sum((c.total for c in self.claims), ZERO)
        )


def _by_person(records_query, claims_query) -> list[Payee]:  # noqa: ANN001
    payees: dict[int, Payee] = {}
    records = db.session.scalars(
        records_query.options(selectinload(InvolvementRecord.person))
    ).all()
    claims = db.session.scalars(claims_query.options(selectinload(ExpenseClaim.claimant))).all()
    for record in records:
        payees.setdefault(record.person_id, Payee(record.person)).records.append(record)
    for claim in claims:
        payees.setdefault(claim.claimant_id, Payee(claim.claimant)).claims.append(claim)
    return sorted(payees.values(), key=lambda p: (p.person.display_name.lower(), p.person.id))


def ready_to_pay() -> list[Payee]:
    """Everything approved and waiting for a run, by person (name order)."""
    return _by_person(ready_records_query(), ready_claims_query())


@dataclass
class MissingBankDetails:
    """Someone finance cannot pay by bank transfer yet, and who can put that right: the person
    themselves, or a manager who can type the details in for them (the managers who approved
    their payments first, as they know them)."""

    payee: Payee
    managers: list[User]


def missing_bank_details() -> list[MissingBankDetails]:
    """Approved bank transfers held back because the person has no bank details yet, by
    person (name order). They stay approved and join a run once the details are given."""
    payees = _by_person(_no_bank_details_records_query(), _no_bank_details_claims_query())
    decider_ids = {
        row.decided_by_id
        for payee in payees
        for row in (*payee.records, *payee.claims)
        if row.decided_by_id
    }
    deciders = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.id.in_(decider_ids or {-1})))
    }
    found = []
    for payee in payees:
        managers: dict[int, User] = {}
        for row in (*payee.records, *payee.claims):
            decider = deciders.get(row.decided_by_id)
            if (
                decider is not None
                and decider.id not in managers
                and can_edit_bank_details(decider, payee.person)
            ):
                managers[decider.id] = decider
        found.append(MissingBankDetails(payee, list(managers.values())))
    return found


def unpayable_payees(run: PaymentRun) -> list[User]:
    """People with a bank transfer in ``run`` and no bank details to send it to (only rows
    from before runs refused them): the run's files cannot be made until they are given."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.id.in_(
                    select(PaymentItem.payee_id).where(
                        PaymentItem.run_id == run.id,
                        PaymentItem.method == Method.BANK.value,
                        not_(has_bank_details(PaymentItem.payee_id)),
                    )
                )
            )
            .order_by(User.id)
        )
    )


def ready_summary() -> tuple[int, Decimal]:
    """How many fees and claims wait for a run, and their total (for home pages)."""
    fees = db.session.execute(
        ready_records_query().with_only_columns(
            func.count(InvolvementRecord.id), func.coalesce(func.sum(InvolvementRecord.amount), 0)
        )
    ).one()
    claims = db.session.execute(
        ready_claims_query().with_only_columns(
            func.count(ExpenseClaim.id), func.coalesce(func.sum(ExpenseClaim.total), 0)
        )
    ).one()
    return fees[0] + claims[0], to_money(fees[1] + claims[1])


# Making a run -----------------------------------------------------------------------------


def run_by_key(key: str) -> PaymentRun | None:
    return db.session.scalar(select(PaymentRun).where(PaymentRun.key == key))


def create_run(
    actor: User,
    key: str,
    record_ids: list[int],
    claim_ids: list[int],
    others: dict[str, list[int]] | None = None,
) -> tuple[PaymentRun, bool]:
    """Make a run of the chosen approved fees and claims, and of other domains' chosen lines
    (``others``: ids by ``RunSource.kind``, e.g. a fund's payments to suppliers). Returns
    (run, made now).

    The same ``key`` again returns the run it made (a double click or a retry). Items that
    another run took in the meantime are left out, and so is a bank transfer to someone with
    no bank details, whatever the form sent (it stays approved for a later run); if none is
    left, RunError. Concurrent
    callers with the same key: one makes the run, the others fail on the unique key and the
    route answers with the run that was made.
    """
    key = (key or "").strip()[:40]
    if not key:
        raise RunError(_("This form is out of date. Open the page again."))
    earlier = run_by_key(key)
    if earlier is not None:
        return earlier, False
    records = list(
        db.session.scalars(
            ready_records_query()
            .where(InvolvementRecord.id.in_(record_ids or [-1]))
            .order_by(InvolvementRecord.id)
            .with_for_update()
        )
    )
    claims = list(
        db.session.scalars(
            ready_claims_query()
            .where(ExpenseClaim.id.in_(claim_ids or [-1]))
            .order_by(ExpenseClaim.id)
            .with_for_update()
        )
    )
    # Waiting for those locks, a press of the same form may have made the run: say so.
    earlier = run_by_key(key)
    if earlier is not None:
        return earlier, False
    others = {kind: ids for kind, ids in (others or {}).items() if ids}
    nothing_left = _(
        "There is nothing left to pay in what you chose: it may be in another run already."
    )
    if not records and not claims and not others:
        raise RunError(nothing_left)
    run = PaymentRun(key=key, created_by_id=actor.id)
    db.session.add(run)
    db.session.flush()
    taken = [
        line
        for source in run_sources()
        for line in (source.take(run, actor, others[source.kind]) if source.kind in others else [])
    ]
    if not records and not claims and not taken:
        raise RunError(nothing_left)
    items = []
    for record in records:
        record.run_id = run.id
        items.append(PaymentItem.for_record(record, actor, run_id=run.id))
    for claim in claims:
        claim.run_id = run.id
        items.append(PaymentItem.for_claim(claim, actor, run_id=run.id))
    db.session.add_all(items)
    run.item_count = len(items) + len(taken)
    run.total = to_money(
        sum((i.amount for i in items), ZERO) + sum((line.amount for line in taken), ZERO)
    )
    db.session.flush()
    event(actor, "created", run=run, to=RunStatus.READY.value, note=str(run.item_count))
    audit.record("run.created", actor=actor, run=run.id, items=run.item_count, total=str(run.total))
    return run, True


def other_ready() -> list[tuple[RunSource, list[RunLine]]]:
    """Other domains' payments waiting for a run, by source (only sources with some)."""
    found = [(source, source.ready()) for source in run_sources()]
    return [(source, lines) for source, lines in found if lines]


def other_lines(run: PaymentRun) -> list[tuple[RunSource, list[RunLine]]]:
    """Other domains' payments in ``run``, by source (only sources with some)."""
    found = [(source, source.lines(run)) for source in run_sources()]
    return [(source, lines) for source, lines in found if lines]


#: How many payees a run's page shows at once: a run of thousands still opens quickly.
PAYEES_PER_PAGE = 50


@dataclass
class Section:
    """One method of a run (bank, voucher, cash): its totals, and the payees on this page."""

    method: Method
    people: int
    total: Decimal
    payees: list[tuple[User, list[PaymentItem], Decimal]] = field(default_factory=list)


def section_totals(run: PaymentRun) -> list[Section]:
    """A run's methods in order with how many people and how much each, without payees."""
    rows = db.session.execute(
        select(
            PaymentItem.method,
            func.count(func.distinct(PaymentItem.payee_id)),
            func.coalesce(func.sum(PaymentItem.amount), 0),
        )
        .where(PaymentItem.run_id == run.id)
        .group_by(PaymentItem.method)
    ).all()
    found = {method: (people, to_money(total)) for method, people, total in rows}
    return [Section(m, *found[m.value]) for m in RUN_SECTIONS if m.value in found]


def sections(
    run: PaymentRun, page: int = 1, per_page: int = PAYEES_PER_PAGE
) -> tuple[list[Section], int]:
    """A run by method (bank, voucher, cash), then by payee in name order, with totals; one
    page of payees at a time. Returns (sections with this page's payees, number of pages)."""
    totals = section_totals(run)
    pages = max(-(-sum(s.people for s in totals) // per_page), 1)
    order = case(
        {m.value: i for i, m in enumerate(RUN_SECTIONS)},
        value=PaymentItem.method,
        else_=len(RUN_SECTIONS),
    )
    name = func.lower(func.coalesce(func.nullif(Profile.preferred_name, ""), User.username))
    pairs = db.session.execute(
        select(PaymentItem.method, PaymentItem.payee_id)
        .join(User, User.id == PaymentItem.payee_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(PaymentItem.run_id == run.id)
        .group_by(PaymentItem.method, PaymentItem.payee_id, name)
        .order_by(order, name, PaymentItem.payee_id)
        .limit(per_page)
        .offset((min(max(page, 1), pages) - 1) * per_page)
    ).all()
    items = db.session.scalars(
        select(PaymentItem)
        .where(
            PaymentItem.run_id == run.id,
            PaymentItem.payee_id.in_({payee for _m, payee in pairs} or {-1}),
        )
        .options(selectinload(PaymentItem.payee))
        .order_by(PaymentItem.id)
    ).all()
    grouped: dict[tuple[str, int], list[PaymentItem]] = {}
    for item in items:
        grouped.setdefault((item.method, item.payee_id), []).append(item)
    by_method = {section.method.value: section for section in totals}
    for method, payee in pairs:
        lines = grouped[(method, payee)]
        total = to_money(sum((i.amount for i in lines), ZERO))
        by_method[method].payees.append((lines[0].payee, lines, total))
    return [s for s in totals if s.payees], pages


def mark_paid(actor: User, run: PaymentRun) -> bool:
    """Mark a run paid: every item, fee and claim in it is paid, and each payee is told once,
    by their chosen channel. Returns False when it was already paid (a double click)."""
    if run.status_enum == RunStatus.PAID:
        return False
    now = utcnow()
    run.status, run.paid_at, run.paid_by_id = RunStatus.PAID.value, now, actor.id
    items = db.session.scalars(select(PaymentItem).where(PaymentItem.run_id == run.id)).all()
    record_ids = [i.record_id for i in items if i.record_id]
    claim_ids = [i.claim_id for i in items if i.claim_id]
    for item in items:
        item.paid_at = now
    for record in db.session.scalars(
        select(InvolvementRecord).where(InvolvementRecord.id.in_(record_ids or [-1]))
    ):
        before = record.move_to(RecordStatus.PAID)
        record.paid_at = now
        event(actor, "state", record=record, frm=before.value, to="paid", note=run.reference)
    for claim in db.session.scalars(
        select(ExpenseClaim).where(ExpenseClaim.id.in_(claim_ids or [-1]))
    ):
        before = claim.move_to(ClaimState.PAID)
        claim.paid_at = now
        event(actor, "state", claim=claim, frm=before.value, to="paid", note=run.reference)
    for source in run_sources():
        source.paid(run, actor)
    event(actor, "state", run=run, frm=RunStatus.READY.value, to=RunStatus.PAID.value)
    audit.record("run.paid", actor=actor, run=run.id, total=str(run.total))
    _tell_payees(items)
    db.session.flush()
    return True


def _tell_payees(items: list[PaymentItem]) -> None:
    by_person: dict[int, list[PaymentItem]] = {}
    for item in items:
        by_person.setdefault(item.payee_id, []).append(item)
    people = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_(list(by_person) or [-1])))
    }
    for person_id, lines in by_person.items():
        person = people[person_id]
        fees = to_money(sum((i.amount for i in lines if i.kind == ItemKind.FEE.value), ZERO))
        expenses = to_money(
            sum((i.amount for i in lines if i.kind == ItemKind.EXPENSES.value), ZERO)
        )
        methods = sorted({Method(i.method).label for i in lines})
        # Written in the language the payee reads engage in.
        with in_their_language(person):
            outbox.queue(
                kind=outbox.Kind.UPDATE,
                user=person,
                subject=_("We have paid you"),
                body=_(
                    "Hello %(name)s,\n\nWe have paid you %(total)s (%(methods)s).\n\n"
                    "For your time: %(fees)s\nExpenses paid back: %(expenses)s\n\n"
                    "A bank transfer can take up to three working days to arrive. "
                    "See your payments here:\n%(link)s\n",
                    name=person.display_name,
                    total=format_money(fees + expenses),
                    methods=", ".join(methods),
                    fees=format_money(fees),
                    expenses=format_money(expenses),
                    link=absolute_url("payments.my_payments"),
                ),
            )


def reverse(actor: User, item: PaymentItem, reason: str, pay_again: bool) -> PaymentItem:
    """Put right a paid item with a correcting entry that reverses it; the item itself never
    changes. ``pay_again``: the fee or claim goes back to approved for a later run (a transfer
    that bounced); otherwise it is cancelled as not owed.

    Raises IllegalMove if the item is not paid, is itself a correction, or was reversed before.
    """
    if not reason.strip():
        raise IllegalMove(_("Say why the payment is being reversed"))
    if item.paid_at is None or item.kind == ItemKind.REVERSAL.value:
        raise IllegalMove(_("Only a payment that has been made can be reversed."))
    if db.session.scalar(select(PaymentItem.id).where(PaymentItem.reverses_id == item.id)):
        raise IllegalMove(_("This payment has been reversed already."))
    correction = PaymentItem(
        payee_id=item.payee_id,
        kind=ItemKind.REVERSAL.value,
        method=item.method,
        amount=-item.amount,
        record_id=item.record_id,
        claim_id=item.claim_id,
        reverses_id=item.id,
        description=item.description,
        activity_date=item.activity_date,
        reason=reason.strip(),
        line_key=f"reversal:{item.id}",
        paid_at=utcnow(),
        created_by_id=actor.id,
    )
    db.session.add(correction)
    note = reason.strip()
    if item.record_id:
        record = db.session.get(InvolvementRecord, item.record_id)
        target = RecordStatus.APPROVED if pay_again else RecordStatus.CANCELLED
        before = record.move_to(target)
        record.run_id, record.paid_at = None, None
        if pay_again:
            record.pay_attempt += 1
        else:
            record.amount = ZERO
        event(actor, "reversed", record=record, frm=before.value, to=target.value, note=note)
    if item.claim_id:
        claim = db.session.get(ExpenseClaim, item.claim_id)
        target = ClaimState.APPROVED if pay_again else ClaimState.REJECTED
        before = claim.move_to(target)
        claim.run_id, claim.paid_at = None, None
        if pay_again:
            claim.pay_attempt += 1
        else:
            claim.reject_reason = note
        event(actor, "reversed", claim=claim, frm=before.value, to=target.value, note=note)
    db.session.flush()
    audit.record(
        "payment.reversed", actor=actor, subject=item.payee, item=item.id, pay_again=pay_again
    )
    return correction

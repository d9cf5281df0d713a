"""Use cases for paid involvement: the rate card and other dated settings, involvement records,
and benefits-aware earnings. Each takes plain values, appends history, audits, queues messages
and flushes; the route commits.

Claims live in ``claim_services``, payment runs and bank details in ``run_services``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from engage.core import audit, settings
from engage.core.db import utcnow
from engage.core.money import to_money
from engage.extensions import db
from engage.payments.models import (
    EARNING_STATUSES,
    ZERO,
    Activity,
    IllegalMove,
    InvolvementRecord,
    Method,
    MileageRate,
    PaymentEvent,
    PaymentItem,
    Period,
    Rate,
    RecordStatus,
    Threshold,
    Unit,
    period_bounds,
)
from engage.people.models import PaymentPreference, Role, User

__all__ = ["IllegalMove"]


def event(
    actor: User | None,
    kind: str,
    *,
    claim: Any = None,
    record: Any = None,
    run: Any = None,
    frm: str = "",
    to: str = "",
    note: str = "",
) -> PaymentEvent:
    """Append one line of history to a claim, a record or a run."""
    row = PaymentEvent(
        actor_id=getattr(actor, "id", None),
        claim_id=getattr(claim, "id", None),
        record_id=getattr(record, "id", None),
        run_id=getattr(run, "id", None),
        kind=kind,
        from_state=frm,
        to_state=to,
        note=note,
    )
    db.session.add(row)
    return row


# Dated settings: the rate card, mileage rates, thresholds ----------------------------------


def _in_force(model: Any, on: date):
    return (model.effective_from <= on) & (
        or_(model.effective_to.is_(None), model.effective_to >= on)
    )


def rate_for(activity: str, on: date) -> Rate | None:
    """The rate card's line for ``activity`` in force on ``on``, or None."""
    return db.session.scalar(
        select(Rate)
        .where(Rate.activity == activity, _in_force(Rate, on))
        .order_by(Rate.effective_from.desc())
        .limit(1)
    )


def _close_before(rows: Iterable[Any], starts: date) -> None:
    """End the rows still open on ``starts`` the day before, so periods never overlap.

    A row that starts on or after ``starts`` cannot be closed that way: that is refused.
    """
    for row in rows:
        if row.effective_from >= starts:
            raise IllegalMove(
                _(
                    "There is already one from %(date)s. Choose a later date, or correct that "
                    "one instead.",
                    date=format_date(row.effective_from),
                )
            )
        if row.effective_to is None or row.effective_to >= starts:
            row.effective_to = starts - timedelta(days=1)


def add_rate(
    actor: User,
    *,
    activity: str,
    unit: str,
    amount: Decimal,
    includes_preparation: bool,
    effective_from: date,
    note: str = "",
) -> Rate:
    """Add a rate from a date. The rate in force until then ends the day before; records
    already made keep the amount they were made with."""
    Activity(activity), Unit(unit)  # refuse unknown keys
    amount = to_money(amount)
    if amount <= 0:
        raise IllegalMove(_("A rate must be more than £0."))
    current = db.session.scalars(
        select(Rate).where(
            Rate.activity == activity,
            or_(Rate.effective_to.is_(None), Rate.effective_to >= effective_from),
        )
    ).all()
    _close_before(current, effective_from)
    rate = Rate(
        activity=activity,
        unit=unit,
        amount=amount,
        includes_preparation=includes_preparation,
        effective_from=effective_from,
        note=note.strip(),
        created_by_id=actor.id,
    )
    db.session.add(rate)
    db.session.flush()
    audit.record(
        "rate.added",
        actor=actor,
        rate=rate.id,
        activity=activity,
        amount=str(amount),
        effective_from=effective_from.isoformat(),
    )
    return rate


def rate_in_use(rate: Rate) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(InvolvementRecord.id)).where(InvolvementRecord.rate_id == rate.id)
        )
    )


def correct_rate(
    actor: User, rate: Rate, *, unit: str, amount: Decimal, includes_preparation: bool, note: str
) -> None:
    """Put right a mistake in a rate nobody has been paid at yet. A rate already used stays
    as it is: add a new rate from a date instead."""
    if rate_in_use(rate):
        raise IllegalMove(
            _("Payments already use this rate, so it cannot change. Add a new rate from a date.")
        )
    Unit(unit)
    amount = to_money(amount)
    if amount <= 0:
        raise IllegalMove(_("A rate must be more than £0."))
    rate.unit, rate.amount = unit, amount
    rate.includes_preparation, rate.note = includes_preparation, note.strip()
    audit.record("rate.corrected", actor=actor, rate=rate.id, amount=str(amount))


def end_rate(actor: User, rate: Rate, last_day: date) -> None:
    """Stop paying for an activity after ``last_day``."""
    if last_day < rate.effective_from:
        raise IllegalMove(_("The last day cannot be before the rate starts."))
    # Periods never overlap: the last day must come before the next rate starts.
    following = db.session.scalar(
        select(Rate.effective_from)
        .where(
            Rate.activity == rate.activity,
            Rate.id != rate.id,
            Rate.effective_from > rate.effective_from,
            Rate.effective_from <= last_day,
        )
        .order_by(Rate.effective_from)
        .limit(1)
    )
    if following is not None:
        raise IllegalMove(
            _(
                "Another rate starts on %(date)s. Choose a last day before then.",
                date=format_date(following),
            )
        )
    rate.effective_to = last_day
    audit.record("rate.ended", actor=actor, rate=rate.id, last_day=last_day.isoformat())


def mileage_rate(on: date) -> MileageRate | None:
    return db.session.scalar(
        select(MileageRate)
        .where(_in_force(MileageRate, on))
        .order_by(MileageRate.effective_from.desc())
        .limit(1)
    )


def add_mileage_rate(
    actor: User, *, per_mile: Decimal, effective_from: date, note: str = ""
) -> MileageRate:
    if per_mile <= 0:
        raise IllegalMove(_("A mileage rate must be more than £0."))
    current = db.session.scalars(
        select(MileageRate).where(
            or_(MileageRate.effective_to.is_(None), MileageRate.effective_to >= effective_from)
        )
    ).all()
    _close_before(current, effective_from)
    row = MileageRate(
        per_mile=per_mile, effective_from=effective_from, note=note.strip(), created_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    audit.record("mileage_rate.added", actor=actor, per_mile=str(per_mile))
    return row


def add_threshold(
    actor: User,
    *,
    label: str,
    period: str,
    amount: Decimal,
    effective_from: date,
    effective_to: date | None = None,
    source_note: str = "",
) -> Threshold:
    """Add a dated threshold. One with the same name and period still open on that date ends
    the day before (thresholds change every April)."""
    Period(period)
    amount = to_money(amount)
    if amount <= 0:
        raise IllegalMove(_("A threshold must be more than £0."))
    if effective_to is not None and effective_to < effective_from:
        raise IllegalMove(_("The end date must be after the start date."))
    same = db.session.scalars(
        select(Threshold).where(
            func.lower(Threshold.label) == label.strip().lower(),
            Threshold.period == period,
            or_(Threshold.effective_to.is_(None), Threshold.effective_to >= effective_from),
        )
    ).all()
    _close_before(same, effective_from)
    row = Threshold(
        label=label.strip(),
        period=period,
        amount=amount,
        effective_from=effective_from,
        effective_to=effective_to,
        source_note=source_note.strip(),
        created_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("threshold.added", actor=actor, threshold=row.id, amount=str(amount))
    return row


def update_threshold(actor: User, threshold: Threshold, **changes: Any) -> None:
    """Correct a threshold's name, figure, dates or source note."""
    if "amount" in changes:
        changes["amount"] = to_money(changes["amount"])
        if changes["amount"] <= 0:
            raise IllegalMove(_("A threshold must be more than £0."))
    start = changes.get("effective_from", threshold.effective_from)
    end = changes.get("effective_to", threshold.effective_to)
    if end is not None and end < start:
        raise IllegalMove(_("The end date must be after the start date."))
    for name, value in changes.items():
        setattr(threshold, name, value.strip() if isinstance(value, str) else value)
    audit.record("threshold.changed", actor=actor, threshold=threshold.id, fields=sorted(changes))


def thresholds_in_force(on: date) -> list[Threshold]:
    return list(
        db.session.scalars(
            select(Threshold)
            .where(_in_force(Threshold, on))
            .order_by(Threshold.period, Threshold.id)
        )
    )


def thresholds_need_checking(today: date) -> bool:
    """True when no threshold has started since the tax year began: April's new figures
    may be missing."""
    start, _end = period_bounds(Period.TAX_YEAR, today)
    newest = db.session.scalar(select(func.max(Threshold.effective_from)))
    return newest is not None and newest < start


# The benefits letter -----------------------------------------------------------------------

LETTER_SETTING = "payments.letter"

# One line per paragraph: the letter is shown with its line breaks kept, so a break inside a
# sentence would print as a break in the middle of it.
DEFAULT_LETTER = (
    "To whom it may concern,\n\n"
    "{name} takes part in the work of {partnership} as an expert by experience. They help us "
    "make services better for people facing several disadvantages at once.\n\n"
    "We pay people for the time they give us: for meetings, interview panels, reviews and "
    "similar work. These are involvement payments. They are occasional, and the amount depends "
    "on how much someone chooses to take part. {name} can choose not to be paid at any time.\n\n"
    "We also pay back travel, childcare and other costs of taking part. Those are repayments of "
    "money spent, not earnings.\n\n"
    "The statement with this letter shows every payment we made to {name} in the dates it "
    "covers.\n\n"
    "If you need to know more, please contact us.\n\n"
    "{partnership}\n"
    "{date}"
)

#: What a letter's wording may say in braces; anything else is left as it is written.
LETTER_PLACEHOLDERS = ("name", "partnership", "date")


def letter_wording() -> str:
    return settings.get(LETTER_SETTING) or DEFAULT_LETTER


def set_letter_wording(actor: User, text: str) -> None:
    settings.put(LETTER_SETTING, text.strip())
    audit.record("payments.letter_changed", actor=actor)


def fill_letter(text: str, **values: str) -> str:
    """Put the named values into the wording. Plain replacement, not ``str.format``, so a
    brace typed by an admin can never reach anything else."""
    for key in LETTER_PLACEHOLDERS:
        text = text.replace("{" + key + "}", values.get(key, ""))
    return text


# Involvement records ----------------------------------------------------------------------


def _method_for(person: User) -> tuple[str | None, bool]:
    """How a person wants to be paid: (method or None, declined?)."""
    preference = person.profile.payment_preference if person.profile else None
    if preference == PaymentPreference.DECLINE.value:
        return Method.DECLINED.value, True
    return preference, False


def _price(record: InvolvementRecord, rate: Rate | None, units: Decimal | None) -> None:
    record.rate_id = rate.id if rate else None
    record.unit_amount = rate.amount if rate else None
    if rate is None:
        record.units = units if units is not None else Decimal(1)
        record.fee = ZERO
        return
    record.units = units if units is not None else rate.units_for(record.minutes)
    record.fee = rate.fee(
        minutes=record.minutes, units=units, preparation_minutes=record.preparation_minutes
    )


def record_involvement(
    actor: User | None,
    person: User,
    *,
    activity: str,
    on: date,
    minutes: int | None = None,
    units: Decimal | None = None,
    preparation_minutes: int = 0,
    description: str = "",
    source: str = "manual",
    source_key: str | None = None,
    voluntary: bool = False,
    method: str | None = None,
) -> InvolvementRecord:
    """Record time someone gave, priced at the rate in force on ``on``.

    The person's payment preference decides what follows: declined is kept at £0 and needs
    nobody's approval; otherwise it waits for a manager. With no rate for that day the record
    waits too, and cannot be approved until the rate card has one. A ``source_key`` seen
    before returns the record it made, so a signal or a form sent twice records the time once.
    ``method`` (staff entering by hand) overrides the person's preference.
    """
    Activity(activity)
    if source_key:
        earlier = db.session.scalar(
            select(InvolvementRecord).where(InvolvementRecord.source_key == source_key)
        )
        if earlier is not None:
            return earlier
    preferred, declined = _method_for(person)
    if method is not None:
        Method(method)
        declined = method == Method.DECLINED.value
    record = InvolvementRecord(
        person_id=person.id,
        activity=activity,
        activity_date=on,
        minutes=minutes,
        preparation_minutes=preparation_minutes or 0,
        description=description.strip(),
        source=source,
        source_key=source_key,
        entered_by_id=getattr(actor, "id", None),
        method=method or preferred,
    )
    _price(record, rate_for(activity, on), units)
    if voluntary:
        record.status, record.amount, record.method = RecordStatus.VOLUNTARY.value, ZERO, None
    elif declined:
        record.status, record.amount = RecordStatus.DECLINED.value, ZERO
        record.method = Method.DECLINED.value
    else:
        record.status, record.amount = RecordStatus.PENDING.value, record.fee
    db.session.add(record)
    db.session.flush()
    event(actor, "recorded", record=record, to=record.status)
    audit.record(
        "involvement.recorded", actor=actor, subject=person, record=record.id, source=source
    )
    return record


def on_involvement_given(sender: Any, **signal: Any) -> None:
    """Receiver of ``engage.core.signals.involvement_given``: attendance at a forum meeting
    and finished opportunities become involvement records, once per person and source.

    Staff take part as part of their job, so only peers get records. Unpaid opportunities are
    recorded as unpaid time.
    """
    person = signal["person"]
    if person is None or not person.has_role(Role.PEER):
        return
    source = signal.get("source") or "signal"
    voluntary = False
    if source.startswith("opportunity:"):
        from engage.opportunities.models import Opportunity

        opportunity = db.session.get(Opportunity, int(source.partition(":")[2]))
        voluntary = opportunity is not None and not opportunity.paid
    record_involvement(
        signal.get("actor"),
        person,
        activity=signal["activity"],
        on=signal["on"],
        minutes=signal.get("minutes"),
        source=source,
        source_key=f"{source}:person:{person.id}",
        voluntary=voluntary,
        description=_source_description(source),
    )


def _source_description(source: str) -> str:
    """A short description of where a record came from, in the partnership's words."""
    kind, _sep, ident = source.partition(":")
    if kind == "meeting" and ident.isdigit():
        from engage.forums.models import Meeting

        meeting = db.session.get(Meeting, int(ident))
        if meeting is not None:
            return (meeting.title or meeting.forum.name)[:200]
    if kind == "opportunity" and ident.isdigit():
        from engage.opportunities.models import Opportunity

        opportunity = db.session.get(Opportunity, int(ident))
        if opportunity is not None:
            return opportunity.title[:200]
    return ""


def _move(actor: User | None, record: InvolvementRecord, target: RecordStatus, note: str = ""):
    before = record.move_to(target)
    event(actor, "state", record=record, frm=before.value, to=target.value, note=note)
    audit.record(
        "involvement.state_changed",
        actor=actor,
        subject=record.person,
        record=record.id,
        to=target.value,
    )


def approve_record(actor: User, record: InvolvementRecord) -> None:
    """Approve time given. It then waits for a payment run; payment in kind is given at once.

    Raises IllegalMove without a rate for the activity on that day.
    """
    if record.rate_id is None:
        raise IllegalMove(
            _(
                "There is no rate for this activity on %(date)s. Add one to the rate card, "
                "then approve.",
                date=format_date(record.activity_date),
            )
        )
    if record.status == RecordStatus.APPROVED.value:
        return  # a double click: already done
    if record.status != RecordStatus.PENDING.value:
        # Paid -> approved is allowed by the table, but only as a correcting entry made by
        # run_services (which also starts a new pay attempt): never by "approve".
        raise IllegalMove(_("Only time waiting for approval can be approved."))
    if record.method is None:
        record.method, _declined = _method_for(record.person)
    _move(actor, record, RecordStatus.APPROVED)
    record.decided_by_id, record.decided_at = actor.id, utcnow()
    if record.method == Method.IN_KIND.value:
        pay_outside_run(actor, record=record)


def reject_record(actor: User, record: InvolvementRecord, reason: str) -> None:
    if not reason.strip():
        raise IllegalMove(_("Say why, so the person can read it."))
    _move(actor, record, RecordStatus.REJECTED, note=reason.strip())
    record.reason = reason.strip()
    record.amount = ZERO
    record.decided_by_id, record.decided_at = actor.id, utcnow()


def decline_record(actor: User, record: InvolvementRecord) -> None:
    """The person does not want to be paid for this: kept, at £0, marked declined. Allowed
    until the payment is put in a run."""
    if record.status == RecordStatus.DECLINED.value:
        return
    if record.run_id is not None:
        raise IllegalMove(
            _("This payment is already being made. Talk to the team if you do not want it.")
        )
    _move(actor, record, RecordStatus.DECLINED)
    record.amount, record.method = ZERO, Method.DECLINED.value


def accept_record(actor: User, record: InvolvementRecord) -> None:
    """The person wants to be paid for this after all: it goes back for approval at its fee."""
    if record.status == RecordStatus.PENDING.value:
        return
    _move(actor, record, RecordStatus.PENDING)
    preferred, declined = _method_for(record.person)
    record.method = None if declined else preferred
    record.amount = record.fee


def reprice(actor: User, record: InvolvementRecord) -> bool:
    """Price a waiting record that had no rate, now the rate card has one. Returns True when
    it found a rate."""
    if record.status != RecordStatus.PENDING.value or record.rate_id is not None:
        return False
    rate = rate_for(record.activity, record.activity_date)
    if rate is None:
        return False
    _price(record, rate, None)
    record.amount = record.fee
    event(actor, "priced", record=record, note=str(record.fee))
    return True


def pay_outside_run(
    actor: User, *, record: InvolvementRecord | None = None, claim: Any = None
) -> PaymentItem:
    """Record a payment made without a run (payment in kind, cash handed over on the day)."""
    from engage.payments.models import ClaimState

    now = utcnow()
    if record is not None:
        item = PaymentItem.for_record(record, actor, paid_at=now)
        _move(actor, record, RecordStatus.PAID)
        record.paid_at = now
    else:
        item = PaymentItem.for_claim(claim, actor, paid_at=now)
        before = claim.move_to(ClaimState.PAID)
        event(actor, "state", claim=claim, frm=before.value, to=ClaimState.PAID.value)
        claim.paid_at = now
    db.session.add(item)
    db.session.flush()
    return item


# Earnings and benefits warnings -------------------------------------------------------------


def _earning_filter(person_id: int):
    return (
        (InvolvementRecord.person_id == person_id)
        & InvolvementRecord.status.in_([s.value for s in EARNING_STATUSES])
        & (InvolvementRecord.amount > 0)
    )


def earnings(
    person_id: int, start: date, end: date, exclude_record_id: int | None = None
) -> Decimal:
    """What counts as earnings for ``person_id`` from ``start`` to ``end`` (inclusive), by the
    day the time was given: fees, vouchers and payment in kind waiting, approved or paid.
    Expenses are never earnings; declined and rejected time counts £0."""
    query = select(func.coalesce(func.sum(InvolvementRecord.amount), 0)).where(
        _earning_filter(person_id),
        InvolvementRecord.activity_date >= start,
        InvolvementRecord.activity_date <= end,
    )
    if exclude_record_id is not None:
        query = query.where(InvolvementRecord.id != exclude_record_id)
    return to_money(db.session.scalar(query) or 0)


@dataclass(frozen=True)
class Totals:
    """A person's earnings for the week, month and tax year around a day."""

    on: date
    week: Decimal
    month: Decimal
    tax_year: Decimal
    week_start: date
    month_start: date
    tax_year_start: date
    tax_year_end: date


def totals(person_id: int, on: date) -> Totals:
    week = period_bounds(Period.WEEK, on)
    month = period_bounds(Period.MONTH, on)
    year = period_bounds(Period.TAX_YEAR, on)
    return Totals(
        on=on,
        week=earnings(person_id, *week),
        month=earnings(person_id, *month),
        tax_year=earnings(person_id, *year),
        week_start=week[0],
        month_start=month[0],
        tax_year_start=year[0],
        tax_year_end=year[1],
    )


def monthly_earnings(person_id: int, start: date, end: date) -> list[tuple[date, Decimal]]:
    """Earnings per calendar month from ``start`` to ``end``: (first day of month, total)."""
    rows = db.session.execute(
        select(InvolvementRecord.activity_date, InvolvementRecord.amount).where(
            _earning_filter(person_id),
            InvolvementRecord.activity_date >= start,
            InvolvementRecord.activity_date <= end,
        )
    ).all()
    by_month: dict[date, Decimal] = {}
    month = start.replace(day=1)
    while month <= end:
        by_month[month] = ZERO
        month = (month + timedelta(days=32)).replace(day=1)
    for on, amount in rows:
        key = on.replace(day=1)
        by_month[key] = by_month.get(key, ZERO) + amount
    return sorted(by_month.items())


@dataclass(frozen=True)
class Warning:
    """Work that would take someone over a threshold they asked to be warned about."""

    person: User
    threshold: Threshold
    start: date
    end: date
    already: Decimal  # earnings in the period before this work
    this_work: Decimal
    total: Decimal

    @property
    def over_by(self) -> Decimal:
        return self.total - self.threshold.amount

    @property
    def already_over(self) -> bool:
        return self.already > self.threshold.amount


def warnings_for(
    person: User,
    on: date,
    extra: Decimal,
    exclude_record_id: int | None = None,
    thresholds: list[Threshold] | None = None,
) -> list[Warning]:
    """Thresholds that ``extra`` of new earnings on ``on`` would take ``person`` over.

    Only for people who asked to be warned. Never a block: the caller shows the numbers.
    ``exclude_record_id`` leaves out a waiting record that ``extra`` stands for (so a record
    being approved is not counted twice).
    """
    if not (person.profile and person.profile.benefits_warnings) or extra <= 0:
        return []
    found = []
    for threshold in thresholds if thresholds is not None else thresholds_in_force(on):
        if not threshold.in_force(on):
            continue
        start, end = period_bounds(threshold.period_enum, on)
        already = earnings(person.id, start, end, exclude_record_id=exclude_record_id)
        total = already + extra
        if total > threshold.amount:
            found.append(Warning(person, threshold, start, end, already, to_money(extra), total))
    return found


def _batched_warnings(
    wanted: list[tuple[Any, User, date, Decimal, int | None]],
) -> dict[Any, list[Warning]]:
    """Warnings for many pieces of work at once, in two queries whatever their number: the
    thresholds in force, and the earnings rows of everyone concerned.

    ``wanted`` holds (key, person, day, extra, record id to leave out); the result maps each
    key to its warnings, worked out exactly as :func:`warnings_for` does.
    """
    wanted = [
        w
        for w in wanted
        if w[3] > 0 and w[1].profile is not None and w[1].profile.benefits_warnings
    ]
    if not wanted:
        return {}
    days = {w[2] for w in wanted}
    every = list(
        db.session.scalars(
            select(Threshold)
            .where(
                Threshold.effective_from <= max(days),
                or_(Threshold.effective_to.is_(None), Threshold.effective_to >= min(days)),
            )
            .order_by(Threshold.period, Threshold.id)
        )
    )
    spans = {
        (w[0], threshold.id): period_bounds(threshold.period_enum, w[2])
        for w in wanted
        for threshold in every
        if threshold.in_force(w[2])
    }
    rows: dict[int, list[tuple[int, date, Decimal]]] = {}
    if spans:
        starts, ends = zip(*spans.values(), strict=True)
        for record_id, person_id, on, amount in db.session.execute(
            select(
                InvolvementRecord.id,
                InvolvementRecord.person_id,
                InvolvementRecord.activity_date,
                InvolvementRecord.amount,
            ).where(
                InvolvementRecord.person_id.in_({w[1].id for w in wanted}),
                InvolvementRecord.status.in_([s.value for s in EARNING_STATUSES]),
                InvolvementRecord.amount > 0,
                InvolvementRecord.activity_date >= min(starts),
                InvolvementRecord.activity_date <= max(ends),
            )
        ):
            rows.setdefault(person_id, []).append((record_id, on, amount))
    found: dict[Any, list[Warning]] = {}
    for key, person, _on, extra, exclude in wanted:
        found[key] = []
        for threshold in every:
            if (key, threshold.id) not in spans:
                continue
            start, end = spans[(key, threshold.id)]
            already = to_money(
                sum(
                    (
                        amount
                        for record_id, day, amount in rows.get(person.id, ())
                        if start <= day <= end and record_id != exclude
                    ),
                    ZERO,
                )
            )
            total = already + extra
            if total > threshold.amount:
                found[key].append(
                    Warning(person, threshold, start, end, already, to_money(extra), total)
                )
    return found


def warnings_for_records(records: list[InvolvementRecord]) -> dict[int, list[Warning]]:
    """Warnings for each waiting record in a list (an approval queue), by record id.

    The number of queries does not grow with the number of records."""
    return _batched_warnings(
        [
            (r.id, r.person, r.activity_date, r.amount, r.id)
            for r in records
            if r.status == RecordStatus.PENDING.value
        ]
    )


def warnings_for_people(people: list[User], on: date, extra: Decimal) -> dict[int, list[Warning]]:
    """Warnings, by person id, for offering each of ``people`` work worth ``extra`` on ``on``
    (choosing people for an opportunity). The number of queries does not grow with them."""
    return _batched_warnings([(p.id, p, on, extra, None) for p in people])


def projected_fee(activity: str, on: date, minutes: int | None = None) -> Decimal:
    """What a piece of work would pay at the rate in force on ``on`` (0 with no rate)."""
    rate = rate_for(activity, on)
    if rate is None:
        return ZERO
    return rate.fee(minutes=minutes, units=None, preparation_minutes=0)


def waiting_counts() -> dict[str, int]:
    """How many records wait for approval (for the home page)."""
    return {
        "records": db.session.scalar(
            select(func.count(InvolvementRecord.id)).where(
                InvolvementRecord.status == RecordStatus.PENDING.value
            )
        )
        or 0
    }


def home_summary(user: User, today: date) -> dict[str, Any]:
    """What the home page shows about money, for the roles this person holds."""
    from engage.payments import claim_services, run_services
    from engage.payments.models import ClaimState, ExpenseClaim

    summary: dict[str, Any] = {}
    if user.has_role(Role.PEER):
        summary["claims"] = list(
            db.session.scalars(
                select(ExpenseClaim)
                .where(
                    ExpenseClaim.claimant_id == user.id,
                    ExpenseClaim.state.in_(
                        [
                            ClaimState.DRAFT.value,
                            ClaimState.SUBMITTED.value,
                            ClaimState.QUERIED.value,
                            ClaimState.APPROVED.value,
                        ]
                    ),
                )
                .order_by(ExpenseClaim.id.desc())
                .limit(5)
            )
        )
        summary["totals"] = totals(user.id, today)
    if user.has_role(Role.MANAGER):
        summary["claims_waiting"] = claim_services.waiting_count()
        summary["time_waiting"] = waiting_counts()["records"]
    if user.has_role(Role.FINANCE):
        summary["ready"] = run_services.ready_summary()
    return summary

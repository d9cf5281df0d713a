"""Use cases for time given (involvement records): record it at the rate in force, approve or
reject it, decline or accept payment for it, price it once the rate card has a rate. Each
appends history, audits and flushes; the route commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from engage.core import audit
from engage.core.db import utcnow
from engage.extensions import db
from engage.payments import four_eyes
from engage.payments.history import event
from engage.payments.models import (
    ZERO,
    Activity,
    IllegalMove,
    InvolvementRecord,
    Method,
    PaymentItem,
    Rate,
    RecordStatus,
    activity_label,
)
from engage.payments.rate_card import projected_fee, rate_for
from engage.people.models import PaymentPreference, Role, User


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

    Everything comes in the signal, so payments looks nothing up in the sender's domain:
    ``person``, ``activity``, ``on``, ``minutes``, ``source`` (like "meeting:12"), ``actor``,
    ``description`` (what it was, in the partnership's words: a meeting's title) and ``paid``
    (False for unpaid work; True when not given).

    Staff take part as part of their job, so only peers get records. Unpaid work is recorded
    as unpaid time.
    """
    person = signal["person"]
    if person is None or not person.has_role(Role.PEER):
        return
    source = signal.get("source") or "signal"
    record_involvement(
        signal.get("actor"),
        person,
        activity=signal["activity"],
        on=signal["on"],
        minutes=signal.get("minutes"),
        source=source,
        source_key=f"{source}:person:{person.id}",
        voluntary=not signal.get("paid", True),
        description=(signal.get("description") or "")[:200],
    )


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


def projected_earnings(
    person: User,
    *,
    activity: str,
    on: date,
    minutes: int | None = None,
    preparation_minutes: int = 0,
    method: str | None = None,
) -> Decimal:
    """What recording this time would add to ``person``'s earnings: its fee at the rate in
    force on ``on``, or £0 when nobody will be paid for it (``method``, or else the person's
    own choice, is declined). Only money that follows counts towards a benefits limit."""
    if (method or _method_for(person)[0]) == Method.DECLINED.value:
        return ZERO
    return projected_fee(activity, on, minutes, preparation_minutes)


def can_be_approved(record: InvolvementRecord) -> bool:
    """Waiting for approval, and priced: the rate card had a rate for it."""
    return record.status == RecordStatus.PENDING.value and record.rate_id is not None


def approve_record(actor: User, record: InvolvementRecord) -> None:
    """Approve time given. It then waits for a payment run; payment in kind is given at once.

    Raises IllegalMove for the approver's own time, without a rate for the activity on that
    day, and for time no longer waiting.
    """
    four_eyes.check_time(actor, record)
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
        # the payment runs (which also start a new pay attempt): never by "approve".
        raise IllegalMove(_("Only time waiting for approval can be approved."))
    if record.method is None:
        record.method, _declined = _method_for(record.person)
    _move(actor, record, RecordStatus.APPROVED)
    record.decided_by_id, record.decided_at = actor.id, utcnow()
    if record.method == Method.IN_KIND.value:
        _pay_in_kind(actor, record)


@dataclass
class Approvals:
    """What "approve selected" did with each record it was given."""

    approved: list[InvolvementRecord] = field(default_factory=list)
    already: list[InvolvementRecord] = field(default_factory=list)  # approved before: unchanged
    own: list[InvolvementRecord] = field(default_factory=list)  # the approver's own time
    no_rate: list[InvolvementRecord] = field(default_factory=list)
    moved: list[InvolvementRecord] = field(default_factory=list)  # no longer waiting


def approve_many(actor: User, records: Iterable[InvolvementRecord]) -> Approvals:
    """Approve each record that can be, and sort out why the others were not (the approver's
    own time, approved already, no rate that day, no longer waiting). One refusal never stops
    the rest."""
    done = Approvals()
    for record in records:
        if actor.id == record.person_id:
            done.own.append(record)
        elif record.status == RecordStatus.APPROVED.value:
            done.already.append(record)
        elif record.rate_id is None:
            done.no_rate.append(record)
        elif record.status != RecordStatus.PENDING.value:
            done.moved.append(record)
        else:
            try:
                approve_record(actor, record)
            except IllegalMove:
                done.moved.append(record)
            else:
                done.approved.append(record)
    return done


def reject_record(actor: User, record: InvolvementRecord, reason: str) -> None:
    """Turn down time given, with a reason the person reads. Raises IllegalMove for the
    approver's own time and without a reason."""
    four_eyes.check_time(actor, record)
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


def _pay_in_kind(actor: User, record: InvolvementRecord) -> None:
    """Payment in kind is handed over when the time is approved: it is paid at once, outside
    any run."""
    now = utcnow()
    db.session.add(PaymentItem.for_record(record, actor, paid_at=now))
    _move(actor, record, RecordStatus.PAID)
    record.paid_at = now
    db.session.flush()


def waiting_count() -> int:
    """How many records wait for approval (for the home page)."""
    return (
        db.session.scalar(
            select(func.count(InvolvementRecord.id)).where(
                InvolvementRecord.status == RecordStatus.PENDING.value
            )
        )
        or 0
    )


# What a person has given, for other domains (the progression passport) ----------------------

#: Records that count as time given: everything but a mistake (rejected) and a payment
#: reversed as not owed (cancelled), the same rule as the dashboard's involvement hours
#: (``analysis.involvement_by_activity``). Declined and unpaid time is time given all the same.
NOT_TIME_GIVEN = (RecordStatus.REJECTED.value, RecordStatus.CANCELLED.value)


@dataclass(frozen=True)
class TimeGiven:
    """Time a person gave to one kind of activity: how many records, the minutes they say
    (records without a length count as records only), and how many of those minutes still
    wait for a manager's approval."""

    activity: str
    records: int
    minutes: int
    pending_minutes: int
    first: date
    last: date

    @property
    def activity_label(self) -> str:
        return activity_label(self.activity)


def time_given_by(person_id: int) -> list[TimeGiven]:
    """Everything ``person_id`` has given, by activity (most minutes first): one query, however
    many records. Other domains read a person's time through this, not the table."""
    pending = InvolvementRecord.status == RecordStatus.PENDING.value
    rows = db.session.execute(
        select(
            InvolvementRecord.activity,
            func.count(InvolvementRecord.id),
            func.coalesce(func.sum(InvolvementRecord.minutes), 0),
            func.coalesce(
                func.sum(case((pending, InvolvementRecord.minutes), else_=0)),
                0,
            ),
            func.min(InvolvementRecord.activity_date),
            func.max(InvolvementRecord.activity_date),
        )
        .where(
            InvolvementRecord.person_id == person_id,
            InvolvementRecord.status.not_in(NOT_TIME_GIVEN),
        )
        .group_by(InvolvementRecord.activity)
    ).all()
    given = [
        TimeGiven(activity, count, int(minutes), int(pending_minutes), first, last)
        for activity, count, minutes, pending_minutes, first, last in rows
    ]
    return sorted(given, key=lambda row: (-row.minutes, -row.records, row.activity))

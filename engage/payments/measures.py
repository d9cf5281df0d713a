"""What paid involvement and expenses count, for the dashboard: hours of time given, money
paid out (involvement payments, shopping vouchers and expenses) by month and by activity, how
quickly expense claims are paid back, and payments people chose not to take.

Every function takes a :class:`~engage.core.figures.Period` (the partnership's days,
inclusive) and runs one query, however many records, claims and payments there are.

Which records count as time given (:data:`TIME_GIVEN`): approved, paid, unpaid (voluntary)
and declined records. Voluntary and declined time was given all the same; a record waiting
for approval is not counted until a manager has confirmed it, and one not approved or
cancelled as not owed never is.

Money is what the ledger (:class:`~engage.payments.models.PaymentItem`) says was paid on one
of the period's days, corrections included, so a reversed payment nets out in the month it
was reversed. The three kinds of money never overlap, and add up to all that was paid:
shopping vouchers (involvement payments given as vouchers), other involvement payments (bank,
cash and in kind) and expenses paid back (bank or cash: expenses are never paid in vouchers).

Who may see what (``public``): partners and the public page see hours, how quickly claims are
paid and nothing else. Money is for staff and the board only: amounts paid by month or
activity can be small enough to point at one person's earnings, which may matter to their
benefits. Declined payments are not public either: people mostly decline to protect their
benefits, and a handful in a quarter could point at who.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import aliased

from engage.core import dates
from engage.core.figures import Figure, Kind, Period, Section, Table, both
from engage.core.money import from_pennies, sum_in_pennies
from engage.extensions import db
from engage.payments import permissions as pay_perm
from engage.payments.models import (
    ZERO,
    Activity,
    ClaimState,
    ExpenseClaim,
    InvolvementRecord,
    ItemKind,
    Method,
    PaymentItem,
    RecordStatus,
    activity_label,
)

#: Records that count as time given (see the module's docstring for why).
TIME_GIVEN = (
    RecordStatus.APPROVED,
    RecordStatus.PAID,
    RecordStatus.VOLUNTARY,
    RecordStatus.DECLINED,
)

#: An expense claim paid back within this many days of being sent is paid on time (the
#: partnership's promise to people who claim).
PAID_WITHIN_DAYS = 14

#: The kinds of money paid, in the order the tables show them.
FEES, VOUCHERS, EXPENSES = "fees", "vouchers", "expenses"
MONEY_KINDS = (FEES, VOUCHERS, EXPENSES)

#: The row of money not linked to any activity (expenses for no meeting or opportunity).
NO_ACTIVITY = "none"


def _between(column, start: date, end: date):  # noqa: ANN001, ANN202
    """``column`` (a UTC time) falls on one of the partnership's days ``start`` to ``end``."""
    return (column >= dates.start_of_day(start)) & (
        column < dates.start_of_day(end + timedelta(days=1))
    )


def _hours(minutes: int | None) -> Decimal:
    """Minutes as hours to one decimal place (90 -> 1.5)."""
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# Time given ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeGiven:
    """Time given on the period's days, by activity (every activity, 0 where none)."""

    minutes: dict[str, int]
    records: int
    declined: int
    #: Different people who declined a payment.
    declined_people: int

    @property
    def hours(self) -> Decimal:
        return _hours(sum(self.minutes.values()))

    def hours_by_activity(self) -> dict[str, Decimal]:
        return {activity: _hours(minutes) for activity, minutes in self.minutes.items()}


def time_given(period: Period) -> TimeGiven:
    """Minutes of time given (:data:`TIME_GIVEN`) by activity on the period's days (the day
    the time was given, not the day it was recorded), how many records that is, and how many
    payments were declined for time given on those days. One query."""
    counted = InvolvementRecord.status.in_([s.value for s in TIME_GIVEN])
    declined = InvolvementRecord.status == RecordStatus.DECLINED.value
    in_period = InvolvementRecord.activity_date.between(period.start, period.end)
    # Different people who declined, across activities: the same on every row.
    other = aliased(InvolvementRecord)
    people = (
        select(func.count(func.distinct(other.person_id)))
        .where(
            other.activity_date.between(period.start, period.end),
            other.status == RecordStatus.DECLINED.value,
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(
            InvolvementRecord.activity,
            func.coalesce(func.sum(case((counted, InvolvementRecord.minutes), else_=0)), 0),
            func.count(case((counted, 1))),
            func.count(case((declined, 1))),
            people,
        )
        .where(in_period)
        .group_by(InvolvementRecord.activity)
    ).all()
    minutes = {activity.value: 0 for activity in Activity}
    records = declined_count = declined_people = 0
    for activity, spent, counted_records, declined_records, who in rows:
        minutes[activity] = minutes.get(activity, 0) + int(spent)
        records += counted_records
        declined_count += declined_records
        declined_people = who
    return TimeGiven(minutes, records, declined_count, declined_people)


# Money paid --------------------------------------------------------------------------------------


@dataclass
class MoneyPaid:
    """Money paid on the period's days, in pennies, by month and by activity."""

    months: list[date]
    #: month -> kind of money -> pennies
    by_month: dict[date, dict[str, int]] = field(default_factory=dict)
    #: activity key (or :data:`NO_ACTIVITY`) -> kind of money -> pennies
    by_activity: dict[str, dict[str, int]] = field(default_factory=dict)

    def total(self, kind: str | None = None) -> Decimal:
        """All money of ``kind`` paid in the period (None: all three kinds)."""
        kinds = MONEY_KINDS if kind is None else (kind,)
        return from_pennies(sum(row[k] for row in self.by_month.values() for k in kinds))


def _money_kind():  # noqa: ANN202
    """SQL naming each ledger line's kind of money; a correction counts with what it undoes."""
    expenses = (PaymentItem.kind == ItemKind.EXPENSES.value) | (
        (PaymentItem.kind == ItemKind.REVERSAL.value) & PaymentItem.claim_id.is_not(None)
    )
    return case(
        (expenses, literal(EXPENSES)),
        (PaymentItem.method == Method.VOUCHER.value, literal(VOUCHERS)),
        else_=literal(FEES),
    )


def money_paid(period: Period) -> MoneyPaid:
    """Money paid from the period's first day to its last (in the partnership's time zone),
    by calendar month and by activity, added up exactly in pennies. One grouped query.

    The activity of an involvement payment is its record's; of expenses, the activity of
    the meeting or opportunity the claim was for (none when it was for neither).
    """
    months = period.months()
    # Each payment goes in the last month whose first moment it is at or after (the first
    # month begins with the period, as the WHERE clause does).
    month = case(
        *[
            (PaymentItem.paid_at >= dates.start_of_day(m), i)
            for i, m in reversed(list(enumerate(months)))
        ],
        else_=0,
    )
    kind = _money_kind()
    # A claim's activity is its meeting's or opportunity's. Payments imports no other domain
    # (tests/core/test_layout.py): their tables are read by the names its foreign keys
    # already use, and only their "activity" column.
    meeting = db.metadata.tables["meeting"]
    opportunity = db.metadata.tables["opportunity"]
    activity = func.coalesce(
        InvolvementRecord.activity,
        meeting.c.activity,
        opportunity.c.activity,
        literal(NO_ACTIVITY),
    )
    rows = db.session.execute(
        select(month, activity, kind, sum_in_pennies(PaymentItem.amount))
        .select_from(PaymentItem)
        .outerjoin(InvolvementRecord, InvolvementRecord.id == PaymentItem.record_id)
        .outerjoin(ExpenseClaim, ExpenseClaim.id == PaymentItem.claim_id)
        .outerjoin(meeting, meeting.c.id == ExpenseClaim.meeting_id)
        .outerjoin(opportunity, opportunity.c.id == ExpenseClaim.opportunity_id)
        .where(_between(PaymentItem.paid_at, period.start, period.end))
        .group_by(month, activity, kind)
    ).all()
    paid = MoneyPaid(
        months,
        {m: dict.fromkeys(MONEY_KINDS, 0) for m in months},
        {a.value: dict.fromkeys(MONEY_KINDS, 0) for a in Activity},
    )
    for index, activity_key, money_kind, pennies in rows:
        pennies = int(pennies)
        paid.by_month[months[index]][money_kind] += pennies
        paid.by_activity.setdefault(activity_key, dict.fromkeys(MONEY_KINDS, 0))
        paid.by_activity[activity_key][money_kind] += pennies
    return paid


# Claims paid back --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimsPaid:
    """Expense claims paid back in a period: how many days each took from being sent."""

    days: list[int]

    @property
    def count(self) -> int:
        return len(self.days)

    @property
    def on_time(self) -> int:
        return sum(1 for d in self.days if d <= PAID_WITHIN_DAYS)

    @property
    def percent_on_time(self) -> float | None:
        return round(100.0 * self.on_time / self.count, 1) if self.days else None

    @property
    def median_days(self) -> float | None:
        return float(statistics.median(self.days)) if self.days else None


def claims_paid(period: Period) -> ClaimsPaid:
    """Expense claims paid back on the period's days, each with the days from being sent to
    being paid, counted as the partnership's calendar days (sent on a Monday and paid on the
    Wednesday: 2 days). A claim paid again after a payment bounced counts once, by the day it
    was finally paid. One query, counting the claims by their number of days in the database
    (:func:`engage.core.dates.local_day_number`), so only one row per number comes back."""
    days = (
        select(
            (
                dates.local_day_number(ExpenseClaim.paid_at, since=period.start, until=period.end)
                - dates.local_day_number(ExpenseClaim.submitted_at, until=period.end)
            ).label("days")
        )
        .where(
            ExpenseClaim.state == ClaimState.PAID.value,
            ExpenseClaim.submitted_at.is_not(None),
            _between(ExpenseClaim.paid_at, period.start, period.end),
        )
        .subquery()
    )
    # Grouped outside: PostgreSQL does not see an expression with parameters in SELECT and
    # GROUP BY as the same one.
    rows = db.session.execute(
        select(days.c.days, func.count()).group_by(days.c.days).order_by(days.c.days)
    ).all()
    return ClaimsPaid([int(number) for number, claims in rows for _ in range(claims)])


# The dashboard's "Involvement and money" section -----------------------------------------------


def _money_row(label: str, pennies: dict[str, int]) -> tuple:
    amounts = [from_pennies(pennies[k]) for k in MONEY_KINDS]
    return (label, sum(amounts, ZERO), *amounts)


def _money_columns() -> list[str]:
    return [_("Total"), _("Involvement payments"), _("Shopping vouchers"), _("Expenses")]


def involvement_and_money_section(current: Period, previous: Period | None) -> Section:
    """Hours of time given, money paid (involvement payments, vouchers and expenses) by month
    and by activity, how quickly claims are paid back, and payments declined. 6 queries (3
    without a previous period; one more for each period in which people declined payments
    for more than one activity)."""
    time, time_before = both(time_given, current, previous)
    money, money_before = both(money_paid, current, previous)
    claims, claims_before = both(claims_paid, current, previous)

    def before(value):  # noqa: ANN001, ANN202
        return None if previous is None else value

    paid_claims_link = url_for("payments.claims", state=ClaimState.PAID.value)
    figures = [
        Figure(
            "involvement_hours",
            _("Hours of involvement"),
            time.hours,
            before(time_before and time_before.hours),
            kind=Kind.HOURS,
            how=_(
                "Hours of time people gave on the period's days (the day of the meeting or "
                "task), from records approved, paid, unpaid or with the payment declined. "
                "Time waiting for approval is counted once a manager approves it; time not "
                "approved or cancelled is not counted, nor is preparation time."
            ),
            detail=ngettext("from %(num)d record", "from %(num)d records", time.records),
            link=url_for("payments.time_records", status="all"),
            opens=pay_perm.can_review_time,
            public=True,
        ),
        Figure(
            "involvement_payments",
            _("Involvement payments made"),
            money.total(FEES),
            before(money_before and money_before.total(FEES)),
            kind=Kind.MONEY,
            how=_(
                "Involvement payments paid in the period by bank transfer, in cash or in kind, "
                "less any payment reversed in the period. Shopping vouchers are counted apart."
            ),
            link=url_for("payments.time_records", status=RecordStatus.PAID.value),
            opens=pay_perm.can_review_time,
            higher_is_better=None,
        ),
        Figure(
            "vouchers",
            _("Shopping vouchers given"),
            money.total(VOUCHERS),
            before(money_before and money_before.total(VOUCHERS)),
            kind=Kind.MONEY,
            how=_(
                "Involvement payments given as shopping vouchers in the period, less any "
                "reversed in the period."
            ),
            link=url_for("payments.time_records", status=RecordStatus.PAID.value),
            opens=pay_perm.can_review_time,
            higher_is_better=None,
        ),
        Figure(
            "expenses",
            _("Expenses paid back"),
            money.total(EXPENSES),
            before(money_before and money_before.total(EXPENSES)),
            kind=Kind.MONEY,
            how=_(
                "Expense claims paid back in the period, less any payment reversed in the "
                "period. Expenses are never earnings."
            ),
            link=paid_claims_link,
            opens=pay_perm.sees_all_claims,
            higher_is_better=None,
        ),
        Figure(
            "claims_paid_on_time",
            _("Expense claims paid within 14 days"),
            claims.percent_on_time,
            before(claims_before and claims_before.percent_on_time),
            kind=Kind.PERCENT,
            how=_(
                "Of the expense claims paid back in the period, the share paid within 14 days "
                "of being sent (the partnership's calendar days, so a claim sent on 1 May and "
                "paid on 15 May is on time)."
            ),
            detail=ngettext(
                "%(on_time)d of %(num)d claim",
                "%(on_time)d of %(num)d claims",
                claims.count,
                on_time=claims.on_time,
            ),
            link=paid_claims_link,
            opens=pay_perm.sees_all_claims,
            public=True,
        ),
        Figure(
            "median_days_to_pay",
            _("Median days from claim to payment"),
            claims.median_days,
            before(claims_before and claims_before.median_days),
            kind=Kind.DAYS,
            how=_(
                "The middle number of days from sending an expense claim to being paid back, "
                "over the claims paid in the period."
            ),
            link=paid_claims_link,
            opens=pay_perm.sees_all_claims,
            public=True,
            higher_is_better=False,
        ),
        Figure(
            "payments_declined",
            _("Payments declined"),
            time.declined,
            before(time_before and time_before.declined),
            how=_(
                "Records of time given on the period's days for which the person chose not to "
                "be paid (often to protect their benefits). Not shown to partners: a few "
                "could point at who."
            ),
            detail=(
                ngettext("by %(num)d person", "by %(num)d people", time.declined_people)
                if time.declined
                else ""
            ),
            link=url_for("payments.time_records", status=RecordStatus.DECLINED.value),
            opens=pay_perm.can_review_time,
            higher_is_better=None,
        ),
    ]
    by_activity = [
        _money_row(activity_label(key), pennies)
        for key, pennies in money.by_activity.items()
        if key != NO_ACTIVITY
    ]
    if any(money.by_activity.get(NO_ACTIVITY, {}).values()):
        by_activity.append(
            _money_row(
                _("Expenses not for a meeting or opportunity"), money.by_activity[NO_ACTIVITY]
            )
        )
    tables = [
        Table(
            "hours_by_activity",
            _("Hours of involvement by activity"),
            _("Activity"),
            [_("Hours")],
            [(activity_label(key), hours) for key, hours in time.hours_by_activity().items()],
            kind=Kind.HOURS,
            how=_("Counted as for the hours of involvement above."),
            public=True,
        ),
        Table(
            "money_by_month",
            _("Money paid by month"),
            _("Month"),
            _money_columns(),
            [
                _money_row(format_date(month, "MMMM yyyy"), money.by_month[month])
                for month in money.months
            ],
            kind=Kind.MONEY,
            chart="line",
            how=_(
                "By the day each payment was made, corrections included. The first and last "
                "months count only the period's own days."
            ),
        ),
        Table(
            "money_by_activity",
            _("Money paid by activity"),
            _("Activity"),
            _money_columns(),
            by_activity,
            kind=Kind.MONEY,
            how=_(
                "Involvement payments by the activity of the time paid for; expenses by the "
                "activity of the meeting or opportunity the claim was for."
            ),
        ),
    ]
    return Section(
        key="involvement-and-money",
        title=_("Involvement and money"),
        figures=figures,
        tables=tables,
    )

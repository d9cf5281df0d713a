"""The fund's accountability: its ledger, spending by category and month, requests by state,
how long decisions and payments take, and whether the money helped. Nobody's name is in any
of it: requests are shown by reference."""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from engage.core import dates
from engage.core.money import from_pennies, sum_in_pennies, to_money
from engage.core.spreadsheets import neutralise
from engage.extensions import db
from engage.fund import services
from engage.fund.models import (
    COMMITTED,
    ZERO,
    Category,
    Contribution,
    Fund,
    FundRequest,
    State,
)


@dataclass
class LedgerLine:
    on: date
    what: str
    money_in: Decimal | None
    money_out: Decimal | None


@dataclass
class Accounts:
    balance: dict[str, Decimal]
    ledger: list[LedgerLine]  # the latest lines (all of them when not bounded), oldest first
    ledger_count: int  # every line the ledger has
    by_category: list[tuple[str, int, Decimal]]
    by_month: list[tuple[date, Decimal]]
    by_state: list[tuple[State, int]]
    median_days_to_decision: float | None
    median_days_to_payment: float | None
    helped: int
    not_helped: int
    asked: int
    #: Money promised (approved or paid) in the budget period, when the fund has one.
    promised_in_budget_period: Decimal | None = None


def _median(counts: list[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many times it occurs), in any order: as
    ``statistics.median`` of the values written out, without writing them out."""
    counts = sorted((value, times) for value, times in counts if times)
    total = sum(times for _value, times in counts)
    if not total:
        return None
    wanted = {(total - 1) // 2, total // 2}  # the middle place, or the two middle places
    found, seen = [], 0
    for value, times in counts:
        found += [value for place in wanted if seen <= place < seen + times]
        seen += times
    return float(statistics.mean(found))


def _day_counts(fund: Fund, later, sent, column) -> list[tuple[int, int]]:  # noqa: ANN001
    """How many of the fund's requests took each number of days from being sent (``sent``,
    SQL for its day) to ``later`` (SQL for the day of the time ``column``), for those that
    have it: one grouped query."""
    days = later - sent
    return [
        (int(value), int(times))
        for value, times in db.session.execute(
            select(days, func.count())
            .where(FundRequest.fund_id == fund.id, column.is_not(None))
            .group_by(days)
        )
    ]


def ledger(fund: Fund, limit: int | None = None) -> tuple[list[LedgerLine], int]:
    """The fund's ledger, oldest first: money in, and requests approved or paid (on the day
    they were paid, or decided while not paid yet); and how many lines it has. With ``limit``
    only the latest ``limit`` lines are read and returned: two queries, whatever the size."""
    committed = [s.value for s in COMMITTED]
    on = func.coalesce(FundRequest.paid_at, FundRequest.decided_at)
    money_in = (
        select(Contribution.received_on, Contribution.source, Contribution.amount)
        .where(Contribution.fund_id == fund.id)
        .add_columns(func.count().over())
    )
    money_out = (
        select(on, FundRequest.id, FundRequest.state, FundRequest.amount)
        .where(FundRequest.fund_id == fund.id, FundRequest.state.in_(committed))
        .add_columns(func.count().over())
    )
    if limit is None:
        money_in = money_in.order_by(Contribution.received_on, Contribution.id)
        money_out = money_out.order_by(on, FundRequest.id)
    else:  # the latest of each are enough to find the latest of both
        money_in = money_in.order_by(Contribution.received_on.desc(), Contribution.id.desc()).limit(
            limit
        )
        money_out = money_out.order_by(on.desc(), FundRequest.id.desc()).limit(limit)
    ins = db.session.execute(money_in).all()
    outs = db.session.execute(money_out).all()
    if limit is not None:
        ins.reverse()
        outs.reverse()
    lines = [LedgerLine(r.received_on, r.source, r.amount, None) for r in ins] + [
        LedgerLine(
            dates.local_date(r[0]),
            _("Request F%(number)05d", number=r.id)
            + ("" if r.state == State.PAID.value else " " + _("(approved, not paid yet)")),
            None,
            r.amount,
        )
        for r in outs
    ]
    lines.sort(key=lambda line: line.on)  # stable: money in first on a day
    count = (ins[0][-1] if ins else 0) + (outs[0][-1] if outs else 0)
    return (lines if limit is None else lines[-limit:]), count


def accounts(fund: Fund, ledger_limit: int | None = None) -> Accounts:
    """The fund's figures, each from SQL aggregates (no request is read into Python), and its
    ledger: the latest ``ledger_limit`` lines (every line when None). A fixed number of
    queries, however many requests and contributions the fund has."""
    today = dates.local_today()
    committed = [s.value for s in COMMITTED]
    lines, ledger_count = ledger(fund, ledger_limit)
    # Days in the partnership's zone, in SQL. Every time read here is on or after the day the
    # fund's first request was sent, so the offsets from UTC are looked for only from then:
    # a short CASE, quick to build and to run.
    first = db.session.scalar(
        select(func.min(FundRequest.submitted_at)).where(FundRequest.fund_id == fund.id)
    )
    since = dates.local_date(first) if first is not None else today

    def day(column):  # noqa: ANN001, ANN202
        return dates.local_day_number(column, since=since, until=max(today, since))

    sent = day(FundRequest.submitted_at)
    decided, paid = day(FundRequest.decided_at), day(FundRequest.paid_at)
    # Requests by state and kind of thing: the count of each, and their money in pennies.
    states: dict[str, int] = {}
    categories: dict[str, list] = {}
    for state, category, count, pennies in db.session.execute(
        select(
            FundRequest.state,
            FundRequest.category,
            func.count(),
            sum_in_pennies(FundRequest.amount),
        )
        .where(FundRequest.fund_id == fund.id)
        .group_by(FundRequest.state, FundRequest.category)
    ):
        states[state] = states.get(state, 0) + count
        if state in committed:
            row = categories.setdefault(category, [0, ZERO])
            row[0] += count
            row[1] += from_pennies(pennies)
    # "Did it help?" and the money promised in the budget period, in one row.
    in_budget = FundRequest.state.in_(committed)
    if fund.budget_from and fund.budget_to:
        in_budget &= (FundRequest.decided_at >= dates.start_of_day(fund.budget_from)) & (
            FundRequest.decided_at < dates.start_of_day(fund.budget_to + timedelta(days=1))
        )
    helped, not_helped, asked, promised = db.session.execute(
        select(
            func.count(case((FundRequest.helped.is_(True), 1))),
            func.count(case((FundRequest.helped.is_(False), 1))),
            func.count(FundRequest.follow_up_sent_at),
            sum_in_pennies(case((in_budget, FundRequest.amount), else_=0)),
        ).where(FundRequest.fund_id == fund.id)
    ).one()
    # Paid by month: the money paid on each day (in the partnership's zone), put in months.
    months: dict[date, Decimal] = {}
    for day, pennies in db.session.execute(
        select(paid, sum_in_pennies(FundRequest.amount))
        .where(FundRequest.fund_id == fund.id, FundRequest.paid_at.is_not(None))
        .group_by(paid)
    ):
        month = (_EPOCH + timedelta(days=int(day))).replace(day=1)
        months[month] = months.get(month, ZERO) + from_pennies(pennies)
    return Accounts(
        balance=services.balance(fund),
        ledger=lines,
        ledger_count=ledger_count,
        by_category=[
            (Category(k).label, *categories[k])
            for k in (c.value for c in Category)
            if k in categories
        ],
        by_month=sorted(months.items()),
        by_state=[(s, states[s.value]) for s in State if s.value in states],
        median_days_to_decision=_median(_day_counts(fund, decided, sent, FundRequest.decided_at)),
        median_days_to_payment=_median(_day_counts(fund, paid, sent, FundRequest.paid_at)),
        promised_in_budget_period=(
            from_pennies(promised) if fund.budget_from and fund.budget_to else None
        ),
        helped=helped,
        not_helped=not_helped,
        asked=asked,
    )


#: Day 0 of :func:`engage.core.dates.local_day_number`.
_EPOCH = date(1970, 1, 1)


def _request_rows(fund: Fund) -> list[list]:
    rows = db.session.execute(
        select(
            FundRequest.id,
            FundRequest.category,
            FundRequest.amount,
            FundRequest.pay_to,
            FundRequest.state,
            FundRequest.submitted_at,
            FundRequest.decided_at,
            FundRequest.paid_at,
            FundRequest.helped,
        )
        .where(FundRequest.fund_id == fund.id)
        .order_by(FundRequest.id)
    ).all()

    def day(moment):  # noqa: ANN001, ANN202
        return dates.local_date(moment).isoformat() if moment else ""

    return [
        [
            f"F{r.id:05d}",
            Category(r.category).label,
            str(to_money(r.amount)),
            r.pay_to,
            State(r.state).label,
            day(r.submitted_at),
            day(r.decided_at),
            day(r.paid_at),
            "" if r.helped is None else (_("Yes") if r.helped else _("No")),
        ]
        for r in rows
    ]


def request_header() -> list[str]:
    return [
        _("Request"),
        _("Kind of thing"),
        _("Amount"),
        _("Paid to"),
        _("State"),
        _("Sent"),
        _("Decided"),
        _("Paid"),
        _("It helped"),
    ]


def ledger_header() -> list[str]:
    return [_("Date"), _("What"), _("Money in"), _("Money out")]


def _ledger_rows(fund: Fund) -> list[list]:
    return [
        [
            line.on.isoformat(),
            neutralise(line.what),
            str(line.money_in) if line.money_in is not None else "",
            str(line.money_out) if line.money_out is not None else "",
        ]
        for line in ledger(fund)[0]
    ]


def accounts_csv(fund: Fund) -> str:
    """The ledger, then every request, as one CSV (formula-safe)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ledger_header())
    writer.writerows(_ledger_rows(fund))
    writer.writerow([])
    writer.writerow(request_header())
    writer.writerows([[neutralise(cell) for cell in row] for row in _request_rows(fund)])
    return out.getvalue()


def accounts_xlsx(fund: Fund) -> bytes:
    """The ledger and the requests on sheets of their own; text cells are written as text."""
    import xlsxwriter  # here, not at the top: only downloads need it

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    for title, header, rows in (
        (_("Ledger"), ledger_header(), _ledger_rows(fund)),
        (_("Requests"), request_header(), _request_rows(fund)),
    ):
        sheet = book.add_worksheet(title[:31])
        sheet.write_row(0, 0, header)
        for number, row in enumerate(rows, start=1):
            for column, cell in enumerate(row):
                sheet.write_string(number, column, str(neutralise(cell)))
    book.close()
    return out.getvalue()


def queue_counts() -> tuple[int, int]:
    """How many requests wait for a decision, and how many of them are overdue (home)."""
    rows = db.session.scalars(
        select(FundRequest.submitted_at).where(
            FundRequest.state.in_([s.value for s in services.WAITING_STATES])
        )
    ).all()
    today = dates.local_today()
    overdue = sum(
        1
        for at in rows
        if services.working_days_between(dates.local_date(at), today)
        > services.DECISION_TARGET_WORKING_DAYS
    )
    return len(rows), overdue


def home_summary(user) -> dict:  # noqa: ANN001
    """What is next with the fund for ``user`` (the home page): requests waiting for their
    decision (approvers: how many, how many overdue), and their own requests with a question
    to answer or a "did it help?" to say. Two or three small queries."""
    from engage.fund import permissions

    waiting, overdue = queue_counts() if permissions.sees_queue(user) else (0, 0)
    mine = []
    if permissions.can_request(user):
        mine = db.session.scalars(
            select(FundRequest)
            .where(
                FundRequest.requester_id == user.id,
                (FundRequest.state == State.QUESTION.value)
                | (
                    (FundRequest.state == State.PAID.value)
                    & FundRequest.follow_up_sent_at.is_not(None)
                    & FundRequest.helped.is_(None)
                ),
            )
            .order_by(FundRequest.id)
            .limit(10)
        ).all()
    # Peers have no menu entry for the fund: their home page offers it.
    offer = (
        permissions.can_request(user)
        and not permissions.puts_fund_in_menu(user)
        and services.current_fund() is not None
    )
    return {"waiting": waiting, "overdue": overdue, "mine": mine, "offer": offer}


__all__ = ["func"]

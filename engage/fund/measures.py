"""The fund's section of the dashboard: requests made, money approved and paid, median days to
a decision, and the share of answered follow-ups that said "it helped". Two queries per period.
Counts of requests are public; money and outcomes are for staff and boards only."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, select

from engage.core import dates
from engage.core.figures import Figure, Kind, Period, Section, both
from engage.core.money import to_money
from engage.extensions import db
from engage.fund import permissions as perm
from engage.fund.models import COMMITTED, FundRequest, State


@dataclass
class Counts:
    made: int
    approved: Decimal
    paid: Decimal
    helped: int
    answered: int
    days_to_decision: float | None


def _between(column, period: Period):  # noqa: ANN001, ANN202
    return and_(
        column >= dates.start_of_day(period.start),
        column < dates.start_of_day(period.end + timedelta(days=1)),
    )


def period_counts(period: Period) -> Counts:
    made, approved, paid, helped, answered = db.session.execute(
        select(
            func.count(case((_between(FundRequest.submitted_at, period), 1))),
            func.coalesce(
                func.sum(
                    case(
                        (
                            and_(
                                _between(FundRequest.decided_at, period),
                                FundRequest.state.in_(COMMITTED),
                            ),
                            FundRequest.amount,
                        ),
                        else_=0,
                    )
                ),
                0,
            ),
            func.coalesce(
                func.sum(
                    case((_between(FundRequest.paid_at, period), FundRequest.amount), else_=0)
                ),
                0,
            ),
            func.count(
                case((and_(_between(FundRequest.follow_up_at, period), FundRequest.helped), 1))
            ),
            func.count(case((_between(FundRequest.follow_up_at, period), 1))),
        )
    ).one()
    decided = db.session.execute(
        select(FundRequest.submitted_at, FundRequest.decided_at).where(
            _between(FundRequest.decided_at, period),
            FundRequest.state.in_([*COMMITTED, State.DECLINED.value]),
        )
    ).all()
    days = [(dates.local_date(d) - dates.local_date(s)).days for s, d in decided]
    return Counts(
        made=made or 0,
        approved=to_money(approved or 0),
        paid=to_money(paid or 0),
        helped=helped or 0,
        answered=answered or 0,
        days_to_decision=float(statistics.median(days)) if days else None,
    )


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def fund_section(current: Period, previous: Period | None) -> Section:
    now, before = both(period_counts, current, previous)

    def prev(pick):  # noqa: ANN001, ANN202
        return pick(before) if before is not None else None

    link = url_for("fund.accounts")
    return Section(
        key="fund",
        title=_("Fund for practical barriers"),
        figures=[
            Figure(
                "fund_requests",
                _("Requests to the fund"),
                now.made,
                prev(lambda c: c.made),
                how=_("Requests sent to the fund in the period, whatever happened to them."),
                link=url_for("fund.requests"),
                opens=perm.sees_queue,
                public=True,
                higher_is_better=None,
            ),
            Figure(
                "fund_approved",
                _("Money approved from the fund"),
                now.approved,
                prev(lambda c: c.approved),
                kind=Kind.MONEY,
                how=_("The amounts of requests approved in the period."),
                link=link,
                opens=perm.can_see_accounts,
                higher_is_better=None,
            ),
            Figure(
                "fund_paid",
                _("Money paid from the fund"),
                now.paid,
                prev(lambda c: c.paid),
                kind=Kind.MONEY,
                how=_("The amounts of requests paid in the period."),
                link=link,
                opens=perm.can_see_accounts,
                higher_is_better=None,
            ),
            Figure(
                "fund_days_to_decision",
                _("Median days from request to decision"),
                now.days_to_decision,
                prev(lambda c: c.days_to_decision),
                kind=Kind.DAYS,
                how=_(
                    "For requests approved or declined in the period; the target is two "
                    "working days."
                ),  # fmt: skip
                link=link,
                opens=perm.can_see_accounts,
                higher_is_better=False,
            ),
            Figure(
                "fund_helped",
                _("Said it helped"),
                _share(now.helped, now.answered),
                prev(lambda c: _share(c.helped, c.answered)),
                kind=Kind.PERCENT,
                detail=_("%(part)d of %(whole)d answers", part=now.helped, whole=now.answered),
                how=_(
                    'Of the key workers who answered "did it help?" in the period, the '
                    "share who said yes."
                ),  # fmt: skip
                link=link,
                opens=perm.can_see_accounts,
            ),
        ],
    )

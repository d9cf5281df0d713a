"""The shape of the programme's measures: a period, and the sections of figures and tables each
domain computes for it.

The dashboard (``/dashboard``), the board pack and the funder report all show the same
:class:`Section` objects. Each domain builds its own section in its ``measures.py`` and registers
the builder with :func:`engage.core.domains.dashboard_section`, so a new domain adds its
measures without editing the dashboard. A builder is given the period asked for and the period
to compare it with, and must run a fixed number of SQL aggregates, however much data there is.

What partners and the public may see is marked on each figure and table (``public``): only
counts of activity and outcomes with no person in them, and never a breakdown by group that
small-number suppression has not protected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from dateutil.relativedelta import relativedelta

Number = int | float | Decimal
T = TypeVar("T")


class Kind(StrEnum):
    """How a figure's value is written."""

    COUNT = "count"  # a whole number of things or people
    PERCENT = "percent"  # 0 to 100
    MONEY = "money"  # pounds, a Decimal
    DAYS = "days"  # a number of days, maybe fractional (a median)
    HOURS = "hours"  # a number of hours, one decimal place


@dataclass(frozen=True)
class Period:
    """The partnership's days ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period cannot end before it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def whole_months(self) -> int | None:
        """How many calendar months the period covers, when it runs from a 1st to a month's
        last day (April to June: 3); None otherwise."""
        if self.start.day != 1 or (self.end + timedelta(days=1)).day != 1:
            return None
        after = self.end + timedelta(days=1)
        return (after.year - self.start.year) * 12 + after.month - self.start.month

    def before(self, months: int | None = None) -> Period:
        """The period to compare with: ``months`` calendar months earlier when given (this
        financial year so far against the same days last year), else the whole months just
        before when the period is whole months, else as many days just before."""
        months = months if months is not None else self.whole_months()
        if months:
            start = self.start - relativedelta(months=months)
            end = self.end - relativedelta(months=months)
            if self.whole_months():  # keep month ends: 1 Feb–28 Feb before 1 Mar–31 Mar
                end = self.start - timedelta(days=1)
            return Period(start, end)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def months(self) -> list[date]:
        """The first day of each calendar month the period touches, in order."""
        first = self.start.replace(day=1)
        out = []
        while first <= self.end:
            out.append(first)
            first += relativedelta(months=1)
        return out


def financial_year_start(day: date) -> date:
    """1 April of the financial year ``day`` falls in (UK public bodies' year)."""
    year = day.year if day.month >= 4 else day.year - 1
    return date(year, 4, 1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass(frozen=True)
class Figure:
    """One measure for a period: its value and the previous period's.

    ``value`` and ``previous`` are None when there is not enough data (a share of nobody, a
    median of nothing) or when too few people are in it to show (``suppressed``). ``how`` says
    in plain words how it is counted. ``link`` is where the records behind it are, for staff
    who may open them (that page checks its own permission). ``public`` marks a figure that
    partners and the public page may show. ``higher_is_better`` says which way is good (None:
    neither), so the trend can say "better" or "worse" in words, not only by colour.
    """

    key: str
    label: str
    value: Number | None
    previous: Number | None = None
    kind: Kind = Kind.COUNT
    how: str = ""
    link: str | None = None
    public: bool = False
    higher_is_better: bool | None = True
    suppressed: bool = False
    #: Extra words under the value, e.g. "12 of 20 claims".
    detail: str = ""
    #: False for a figure with nothing to compare (a count of what runs out after the period).
    compares: bool = True
    #: Who may open ``link``: the target page's own permission predicate, given the reader
    #: (None: everyone who sees the whole dashboard). Readers who may not get no link.
    opens: Callable[[Any], bool] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Table:
    """A breakdown, always shown as a table and, when ``chart`` says so, as an SVG chart too.

    ``columns`` are the headings after the first (the row label's) heading ``label``; each row
    is ``(row label, values...)``, a value None when hidden to protect privacy or unknown.
    ``chart`` is "bar" (the first value column, as bars) or "line" (the first value column,
    over time) or None. ``kind`` is how the values are written.
    """

    key: str
    title: str
    label: str
    columns: list[str]
    rows: list[tuple]
    kind: Kind = Kind.COUNT
    chart: str | None = "bar"
    how: str = ""
    public: bool = False


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    #: Plain words under the heading, e.g. why a section is empty.
    note: str = ""

    def public_only(self) -> Section:
        return Section(
            self.key,
            self.title,
            [f for f in self.figures if f.public and not f.suppressed],
            [t for t in self.tables if t.public],
            self.note,
        )


#: A domain's section of the dashboard for ``current``, each figure with its value for
#: ``previous`` too (None: nothing to compare with, so every ``previous`` is None). A fixed
#: number of queries, whatever the amount of data.
SectionBuilder = Callable[[Period, "Period | None"], Section]


def both(
    measure: Callable[[Period], T], current: Period, previous: Period | None
) -> tuple[T, T | None]:
    """``measure`` for the current period and for the previous one (None when there is none)."""
    return measure(current), (measure(previous) if previous is not None else None)

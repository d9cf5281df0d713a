"""The register's part of the programme dashboard ("System change"), for any period.

The definitions are the register's own (see :mod:`engage.changes.measures`), worked out for the
items a period touches, with a fixed number of queries however big the register is:

- **Items raised**: items whose raising time falls in the period.
- **Items accepted**: items accepted into the register (``triaged_at``) in the period.
- **Action plan within N days**: of the items accepted in the period, those whose first action
  step came no more than N days (``register.plan_within_days``) after acceptance; a plan
  agreed before acceptance counts as on time. An item accepted near the period's end that has
  no plan yet counts as without one until it gets one.
- **Median days to an action plan**: over the items accepted in the period that have a plan.
- **Items resolved** and **resolved within the target date**: items resolved in the period and
  still resolved (one reopened since is not counted), and of those with a target date, the ones
  resolved on or before it (the partnership's calendar day).
- **Median days from raising to resolution**: over the items resolved in the period.
- **"You said, we did"**: items resolved in the period with what changed told.
- **Open at the period's end**: items raised by the end whose state at the end (the last
  change of state in the item's history before the end) was an open one. An item with no
  history (made outside engage's services, e.g. imported) counts as open when it was raised by
  the end and neither resolved nor closed by then. The open items are broken down by their age
  at the end (0 to 30, 31 to 90, 91 to 180, over 180 days since raised), theme, service or
  organisation ("Other or not given" when none was chosen from the list: the words someone typed
  are never shown) and escalation level. engage keeps no history of levels, so the level is the
  one each item is at now.

Duplicates merged into another item are left out of everything: the item they were merged into
carries on for them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, func, literal, or_, select, union_all

from engage.changes.measures import AGE_BANDS, median_of, plan_within_days
from engage.changes.models import LEVEL_LABELS, OPEN_STATES, THEME_LABELS, Event, Item, Level, State
from engage.core import dates
from engage.core.figures import Figure, Kind, Period, Section, Table, both
from engage.extensions import db
from engage.people.models import Organisation

#: The history entries that set an item's state ("raised" is the first one).
STATE_EVENTS = ("raised", "state")
_OPEN = [state.value for state in OPEN_STATES]
_DAY_SECONDS = 86_400
_ONE = timedelta(days=1)


def _start(day: date):  # noqa: ANN202
    return dates.start_of_day(day)


def _in(column, period: Period):  # noqa: ANN001, ANN202
    """``column`` (a UTC time) falls on one of the period's days (the partnership's)."""
    return (column >= _start(period.start)) & (column < _start(period.end + timedelta(days=1)))


@dataclass(frozen=True)
class PeriodCounts:
    """What happened to items in one period (see the module docstring)."""

    raised: int
    accepted: int
    planned_in_time: int
    days_to_plan: float | None
    planned: int  # accepted in the period and with a plan: the median's count
    resolved: int
    with_target: int
    on_time: int
    days_to_resolve: float | None
    told: int


def _seconds(column):  # noqa: ANN001, ANN202
    """A UTC time as seconds since 1970, to subtract in SQL."""
    return dates.epoch_seconds(column)


def period_counts(period: Period, plan_days: int) -> PeriodCounts:
    """What happened to items in ``period`` (see the module docstring), counted in one query
    over the items raised, accepted or resolved in it: counts, and the two medians (in
    seconds, taken in the database too, so no item comes back as a row)."""
    first, after = _start(period.start), _start(period.end + _ONE)

    def within(column):  # noqa: ANN001, ANN202
        return (column >= first) & (column < after)

    accepted = within(Item.triaged_at)
    resolved = within(Item.resolved_at) & (Item.state == State.RESOLVED.value)
    to_plan = _seconds(Item.planned_at) - _seconds(Item.triaged_at)
    # A plan agreed before acceptance took no time (0 days), and is on time.
    plan_seconds = case(
        (accepted & Item.planned_at.is_not(None), case((to_plan < 0, 0), else_=to_plan))
    )
    # Resolved on or before the target's day, by the partnership's calendar.
    on_time = dates.local_day_number(
        Item.resolved_at, since=period.start, until=period.end
    ) <= dates.day_number(Item.target_date)
    items = (
        select(
            case((within(Item.created_at), 1), else_=0).label("raised"),
            case((accepted, 1), else_=0).label("accepted"),
            plan_seconds.label("plan_seconds"),
            case((resolved, 1), else_=0).label("resolved"),
            case((resolved & Item.target_date.is_not(None), 1), else_=0).label("with_target"),
            case((resolved & Item.target_date.is_not(None) & on_time, 1), else_=0).label("on_time"),
            case((resolved, _seconds(Item.resolved_at) - _seconds(Item.created_at))).label(
                "resolve_seconds"
            ),
            case((resolved & (func.trim(Item.what_changed) != ""), 1), else_=0).label("told"),
        )
        .where(
            Item.state != State.MERGED.value,
            or_(within(Item.created_at), accepted, within(Item.resolved_at)),
        )
        .cte("items")
    )
    row = db.session.execute(
        select(
            func.coalesce(func.sum(items.c.raised), 0),
            func.coalesce(func.sum(items.c.accepted), 0),
            func.count(case((items.c.plan_seconds <= plan_days * _DAY_SECONDS, 1))),
            median_of(items.c.plan_seconds),
            func.count(items.c.plan_seconds),
            func.coalesce(func.sum(items.c.resolved), 0),
            func.coalesce(func.sum(items.c.with_target), 0),
            func.coalesce(func.sum(items.c.on_time), 0),
            median_of(items.c.resolve_seconds),
            func.coalesce(func.sum(items.c.told), 0),
        )
    ).one()
    (raised, accepted_n, in_time, plan_median, planned, resolved_n, with_target, on_time_n,
     resolve_median, told) = row  # fmt: skip
    return PeriodCounts(
        raised=int(raised),
        accepted=int(accepted_n),
        planned_in_time=int(in_time),
        days_to_plan=_days(plan_median),
        planned=int(planned),
        resolved=int(resolved_n),
        with_target=int(with_target),
        on_time=int(on_time_n),
        days_to_resolve=_days(resolve_median),
        told=int(told),
    )


def _days(seconds) -> float | None:  # noqa: ANN001
    return None if seconds is None else float(seconds) / _DAY_SECONDS


@dataclass(frozen=True)
class OpenAtEnd:
    """Items open at the end of a day, in total and broken down."""

    total: int
    by_age: list[tuple[str, int]]
    by_theme: list[tuple[str, int]]
    by_agency: list[tuple[str, int]]
    by_level: list[tuple[str, int]]


def _open_at(moment):  # noqa: ANN001, ANN202
    """Whether an item was in an open state at ``moment``.

    Its state then is where the first change of state at or after ``moment`` took it from
    (of two at the same time, the earlier entry), and with no change since, the state it is
    in now. The services record each change with the state it left, so this reads a few
    entries of each item from its index instead of grouping the whole history to find each
    item's last change before the moment. An item resolved or closed after ``moment`` with no
    entry for it (made outside the services, e.g. imported) was still open then."""
    left = (
        select(Event.from_state)
        .where(Event.item_id == Item.id, Event.kind.in_(STATE_EVENTS), Event.at >= moment)
        .order_by(Event.at, Event.id)
        .limit(1)
        .correlate(Item)
        .scalar_subquery()
    )
    ended_later = (Item.resolved_at >= moment) | (Item.closed_at >= moment)
    now = case((Item.state.not_in(_OPEN) & ended_later, literal(_OPEN[0])), else_=Item.state)
    return func.coalesce(left, now).in_(_OPEN)


def open_at_end(day: date) -> OpenAtEnd:
    """Items open at the end of ``day`` (the partnership's), counted in one grouped query by
    age band, theme, service and level."""
    return open_at_ends([day])[0]


def open_at_ends(days: list[date]) -> list[OpenAtEnd]:
    """:func:`open_at_end` for each of ``days`` (the ends of the dashboard's period and of
    the one it is compared with), in one grouped query."""
    ends = [_start(day + _ONE) for day in days]
    parts = []
    for k, (day, end) in enumerate(zip(days, ends, strict=True)):
        # Age at the end in whole days: raised on or after the day ``last`` days before ``day``.
        band = case(
            *[
                (Item.created_at >= _start(day - timedelta(days=last)), index)
                for index, (_label, _first, last) in enumerate(AGE_BANDS)
                if last is not None
            ],
            else_=len(AGE_BANDS) - 1,
        )
        parts.append(
            select(
                literal(k).label("end"),
                band.label("band"),
                Item.theme,
                Item.level,
                Organisation.name.label("agency"),
            )
            .outerjoin(Organisation, Organisation.id == Item.agency_id)
            .where(Item.created_at < end, Item.state != State.MERGED.value, _open_at(end))
        )
    # Grouped outside: PostgreSQL does not see a CASE with parameters in SELECT and GROUP BY
    # as the same expression.
    items = union_all(*parts).subquery()
    groups = (items.c.end, items.c.band, items.c.theme, items.c.level, items.c.agency)
    rows = db.session.execute(select(*groups, func.count()).group_by(*groups)).all()
    return [_open_counts([row[1:] for row in rows if row[0] == k]) for k in range(len(days))]


def _open_counts(rows) -> OpenAtEnd:  # noqa: ANN001
    """The open items of one end, from (band, theme, level, agency, count) rows."""
    ages, themes, agencies, levels = Counter(), Counter(), Counter(), Counter()
    for age, theme, level, agency, n in rows:
        ages[age] += n
        themes[theme] += n
        agencies[agency] += n
        levels[level] += n
    theme_labels = {theme.value: str(label) for theme, label in THEME_LABELS.items()}
    other = _("Other or not given")
    by_agency = Counter()
    for agency, n in agencies.items():
        by_agency[agency if agency is not None else other] += n
    return OpenAtEnd(
        total=sum(ages.values()),
        by_age=[(str(label), ages.get(index, 0)) for index, (label, *_) in enumerate(AGE_BANDS)],
        by_theme=_ranked({theme_labels.get(t, t): n for t, n in themes.items()}),
        by_agency=_ranked(by_agency),
        by_level=[(str(LEVEL_LABELS[level]), levels.get(level.value, 0)) for level in Level]
        + [(str(value), n) for value, n in levels.items() if value not in set(Level)],
    )


def _ranked(counts) -> list[tuple[str, int]]:  # noqa: ANN001
    """Largest first, then by name, so the table reads the same on every visit."""
    pairs = [(str(name), int(n)) for name, n in counts.items() if n]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0].casefold()))


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _of(part: int, whole: int, things: str) -> str:
    """ "3 of 5 accepted items"-style detail under a share."""
    if things == "accepted":
        return ngettext(
            "%(part)d of %(num)d accepted item",
            "%(part)d of %(num)d accepted items",
            whole,
            part=part,
        )
    return ngettext(
        "%(part)d of %(num)d resolved item with a target date",
        "%(part)d of %(num)d resolved items with a target date",
        whole,
        part=part,
    )


def _from(count: int) -> str:
    return ngettext("from %(num)d item", "from %(num)d items", count) if count else ""


def system_change_section(current: Period, previous: Period | None) -> Section:
    """The register's measures for ``current``, compared with ``previous``. 3 queries (2
    without a previous period: the items open at both periods' ends are counted together),
    plus reading N from the settings."""
    plan_days = plan_within_days()
    now, before = both(lambda p: period_counts(p, plan_days), current, previous)
    still_open, *open_before = open_at_ends([current.end] + ([previous.end] if previous else []))
    open_before = open_before[0] if open_before else None

    def prev(pick):  # noqa: ANN001, ANN202
        return pick(before) if before is not None else None

    register = url_for("changes.register")
    return Section(
        key="system-change",
        title=_("System change"),
        figures=[
            Figure(
                "items_raised",
                _("Items raised"),
                now.raised,
                prev(lambda c: c.raised),
                how=_(
                    "Items raised in the register in the period, by peers or by staff from "
                    "meetings, casework, feedback or surveys. Duplicates joined into another "
                    "item are left out."
                ),
                link=register,
                public=True,
                higher_is_better=None,
            ),
            Figure(
                "items_accepted",
                _("Items accepted into the register"),
                now.accepted,
                prev(lambda c: c.accepted),
                how=_("Items the lived experience team accepted into the register in the period."),
                link=register,
                public=True,
                higher_is_better=None,
            ),
            Figure(
                "plan_within_days",
                _("Accepted items with an action plan within %(days)d days", days=plan_days),
                _percent(now.planned_in_time, now.accepted),
                prev(lambda c: _percent(c.planned_in_time, c.accepted)),
                kind=Kind.PERCENT,
                detail=_of(now.planned_in_time, now.accepted, "accepted"),
                how=_(
                    "Of the items accepted in the period, the share whose first action step "
                    "was added no more than %(days)d days after acceptance. A plan agreed "
                    "before acceptance counts as on time. An item accepted near the end of "
                    "the period that has no plan yet counts as without one until it gets one.",
                    days=plan_days,
                ),
                link=url_for("changes.register", state=State.TRIAGED.value),
                public=True,
            ),
            Figure(
                "days_to_plan",
                _("Median days from acceptance to an action plan"),
                now.days_to_plan,
                prev(lambda c: c.days_to_plan),
                kind=Kind.DAYS,
                detail=_from(now.planned),
                how=_(
                    "The middle value of the days from acceptance to the first action step, "
                    "over the items accepted in the period that have a plan."
                ),
                public=True,
                higher_is_better=False,
            ),
            Figure(
                "items_resolved",
                _("Items resolved"),
                now.resolved,
                prev(lambda c: c.resolved),
                how=_(
                    "Items resolved in the period, after the board checked what changed, for "
                    "whom and why it will last. An item reopened since is not counted."
                ),
                link=url_for("changes.register", state=State.RESOLVED.value),
                public=True,
            ),
            Figure(
                "resolved_on_time",
                _("Items resolved by their target date"),
                _percent(now.on_time, now.with_target),
                prev(lambda c: _percent(c.on_time, c.with_target)),
                kind=Kind.PERCENT,
                detail=_of(now.on_time, now.with_target, "resolved"),
                how=_(
                    "Of the items resolved in the period that had a target date, the share "
                    "resolved on or before that date. Items without a target date are left out."
                ),
                link=url_for("changes.register", state=State.RESOLVED.value),
                public=True,
            ),
            Figure(
                "days_to_resolve",
                _("Median days from raising to resolution"),
                now.days_to_resolve,
                prev(lambda c: c.days_to_resolve),
                kind=Kind.DAYS,
                detail=_from(now.resolved),
                how=_(
                    "The middle value of the days from the day an item was raised to the day "
                    "it was resolved, over the items resolved in the period."
                ),
                public=True,
                higher_is_better=False,
            ),
            Figure(
                "open_at_end",
                _("Open items at the end of the period"),
                still_open.total,
                open_before.total if open_before is not None else None,
                how=_(
                    "Items raised by the period's last day that were still open at its end: "
                    "not yet resolved or closed, going by each item's history of changes."
                ),
                link=url_for("changes.register", state="open"),
                public=True,
                higher_is_better=None,
            ),
            Figure(
                "you_said_we_did",
                _("You said, we did: changes told"),
                now.told,
                prev(lambda c: c.told),
                how=_(
                    "Items resolved in the period whose page tells, in plain words, what "
                    "changed and for whom, as the page You said, we did shows it."
                ),
                link=url_for("changes.you_said_we_did"),
                public=True,
            ),
        ],
        tables=[
            Table(
                "open_by_age",
                _("Open items at the end of the period, by age"),
                _("Time since raised"),
                [_("Items")],
                still_open.by_age,
                how=_("Whole days from the day each item was raised to the period's last day."),
                public=True,
            ),
            Table(
                "open_by_theme",
                _("Open items at the end of the period, by theme"),
                _("Theme"),
                [_("Items")],
                still_open.by_theme,
                public=True,
            ),
            Table(
                "open_by_service",
                _("Open items at the end of the period, by service or organisation"),
                _("Service or organisation"),
                [_("Items")],
                still_open.by_agency,
                how=_(
                    "The service or organisation each item is about. Other or not given: "
                    "none was chosen from the list."
                ),
                public=True,
            ),
            Table(
                "open_by_level",
                _("Open items at the end of the period, by escalation level"),
                _("Level"),
                [_("Items")],
                still_open.by_level,
                how=_(
                    "Where each item is being dealt with now: engage keeps no history of "
                    "levels, so an item escalated after the period shows its new level."
                ),
                public=True,
            ),
        ],
    )

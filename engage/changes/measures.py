"""Register measures: how quickly accepted items get an action plan, how many are resolved by
their target date, and where the open items are.

They are worked out in the database, in two queries whatever the register's size, over the
items the viewer may see and has filtered to: the counts and the two medians in one, the open
items grouped by age, theme, service and level in the other. No item comes back as a row (the
page used to read every item into pandas: about 300 ms at 10,000 items). The dashboard and the
board pack can call :func:`register_measures` with any ``select(Item)``.

Definitions (the page shows the same in "How these are worked out"):

- **Accepted**: an item with an acceptance time (``triaged_at``), whatever has happened since.
- **Action plan within N days**: an accepted item whose first action step (``planned_at``) was
  added no more than N days after it was accepted. A plan agreed before acceptance counts as
  on time. Shown as a percentage of accepted items, with both counts. N is the runtime setting
  ``register.plan_within_days`` (default :data:`DEFAULT_PLAN_WITHIN_DAYS`).
- **Resolved within the target date**: an item now resolved that had a target date, and was
  resolved on or before that date. Shown as a percentage of resolved items that had a target
  date, with both counts. Resolved items without a target date are left out.
- **Median days to an action plan**: the middle value of the days from acceptance to the first
  action step, over accepted items that have a plan (a plan before acceptance counts as 0).
- **Median days to resolution**: the middle value of the days from raising to resolution, over
  resolved items. Fewer than one such item gives "not enough data".
- **Open items**: items raised, accepted, action planned, in progress, escalated or reopened
  (:data:`engage.changes.models.OPEN_STATES`), counted by age since raised (0–30, 31–90,
  91–180, over 180 days), by theme, by the service or organisation it is about ("Other or not
  given" when none was chosen from the list) and by escalation level.
- Duplicates merged into another item are left out of every measure: the item they were merged
  into carries on for them.

Dates (target dates, "today", the resolution day) are the partnership's local dates, in
``DEFAULT_TIMEZONE``; durations are exact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect, Select, case, func, select

from engage.changes.models import LEVEL_LABELS, OPEN_STATES, THEME_LABELS, Item, Level, State
from engage.core import dates, generation, settings
from engage.extensions import db
from engage.people.models import Organisation

#: The runtime setting holding N, the days within which an accepted item should have a plan.
PLAN_WITHIN_DAYS_SETTING = "register.plan_within_days"
DEFAULT_PLAN_WITHIN_DAYS = 28

#: Age bands for open items: (label, first day, last day or None for no end).
AGE_BANDS = (
    (_l("0 to 30 days"), 0, 30),
    (_l("31 to 90 days"), 31, 90),
    (_l("91 to 180 days"), 91, 180),
    (_l("Over 180 days"), 181, None),
)

_DAY_SECONDS = 86_400
_OPEN = [state.value for state in OPEN_STATES]


def plan_within_days() -> int:
    """N from the runtime settings; a missing or unreadable value falls back to the default."""
    raw = settings.get(PLAN_WITHIN_DAYS_SETTING)
    try:
        days = int(str(raw).strip())
    except (TypeError, ValueError):
        return DEFAULT_PLAN_WITHIN_DAYS
    return days if days >= 0 else DEFAULT_PLAN_WITHIN_DAYS


@dataclass(frozen=True)
class Ratio:
    """``numerator`` of ``denominator`` items; no share when there is nothing to divide by."""

    numerator: int
    denominator: int

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    def percent_label(self) -> str:
        share = self.share
        return _("Not enough data") if share is None else format_percent(share)


@dataclass(frozen=True)
class Median:
    """The median of ``count`` durations, in days; None when there are none."""

    days: float | None
    count: int

    def days_label(self) -> str:
        if self.days is None:
            return _("Not enough data")
        # Whole days: enough precision for a board, and plural forms need a whole number.
        shown = round(self.days)
        return ngettext(
            "%(days)s day",
            "%(days)s days",
            shown,
            days=format_decimal(shown, format="#,##0"),
        )

    def count_label(self) -> str:
        return ngettext("from %(num)d item", "from %(num)d items", self.count)


@dataclass(frozen=True)
class RegisterMeasures:
    today: date
    plan_days: int
    counted: int  # items in the filtered set, duplicates left out
    planned_in_time: Ratio
    resolved_on_time: Ratio
    days_to_plan: Median
    days_to_resolve: Median
    open_total: int
    open_by_age: list[tuple[str, int]]
    open_by_theme: list[tuple[str, int]]
    open_by_agency: list[tuple[str, int]]
    open_by_level: list[tuple[str, int]]


def median_of(values) -> ScalarSelect:  # noqa: ANN001
    """The median of the column ``values`` (NULLs left out; NULL when none), worked out in
    the database: the middle value, or the mean of the middle two. A subquery of one value."""
    ranked = (
        select(
            values.label("value"),
            func.row_number().over(order_by=values).label("place"),
            func.count().over().label("n"),
        )
        .where(values.is_not(None))
        .subquery()
    )
    # Integer division: for 5 values places 3 and 3, for 6 values places 3 and 4.
    middle = ((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2)
    return select(func.avg(ranked.c.value)).where(ranked.c.place.in_(middle)).scalar_subquery()


def register_measures(
    items_query: Select,
    *,
    today: date | None = None,
    plan_days: int | None = None,
    timezone: ZoneInfo | None = None,
) -> RegisterMeasures:
    """Work out the measures for the items ``items_query`` (a ``select(Item)`` already limited
    to what the viewer may see and has filtered to) selects. See the module docstring. Two
    queries, kept until a record changes (``engage.core.generation``)."""
    zone = (timezone or dates.local_timezone()).key
    today = today or dates.local_today()
    plan_days = plan_within_days() if plan_days is None else plan_days
    compiled = items_query.compile(db.engine)
    params = tuple(sorted((name, repr(value)) for name, value in compiled.params.items()))
    key = ("register", str(get_locale()), str(compiled), params, today, plan_days, zone)
    return generation.kept(key, lambda: _measures(items_query, today, plan_days, zone))


def _measures(items_query: Select, today: date, plan_days: int, zone: str) -> RegisterMeasures:
    seconds = dates.epoch_seconds
    accepted = Item.triaged_at.is_not(None)
    planned = accepted & Item.planned_at.is_not(None)
    to_plan = seconds(Item.planned_at) - seconds(Item.triaged_at)
    resolved = (Item.state == State.RESOLVED.value) & Item.resolved_at.is_not(None)
    with_target = resolved & Item.target_date.is_not(None)
    # Resolved on or before the target's day, by the partnership's calendar.
    on_time = dates.local_day_number(Item.resolved_at, until=today, zone=zone) <= (
        dates.day_number(Item.target_date)
    )
    # The filter of ``items_query``, duplicates left out, each item's figures as columns.
    items = (
        items_query.with_only_columns(
            case((accepted, 1), else_=0).label("accepted"),
            # A plan agreed before acceptance took no time (0 days), and is on time.
            case((planned, case((to_plan < 0, 0), else_=to_plan))).label("plan_seconds"),
            case((planned & (to_plan <= plan_days * _DAY_SECONDS), 1), else_=0).label("in_time"),
            case((with_target, 1), else_=0).label("with_target"),
            case((with_target & on_time, 1), else_=0).label("on_time"),
            case((resolved, seconds(Item.resolved_at) - seconds(Item.created_at))).label(
                "resolve_seconds"
            ),
            maintain_column_froms=False,
        )
        .where(Item.state != State.MERGED.value)
        .order_by(None)
        .cte("measured")
    )
    (counted, accepted_n, in_time, plan_median, planned_n, with_target_n, on_time_n,
     resolve_median, resolved_n) = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(items.c.accepted), 0),
            func.coalesce(func.sum(items.c.in_time), 0),
            median_of(items.c.plan_seconds),
            func.count(items.c.plan_seconds),
            func.coalesce(func.sum(items.c.with_target), 0),
            func.coalesce(func.sum(items.c.on_time), 0),
            median_of(items.c.resolve_seconds),
            func.count(items.c.resolve_seconds),
        ).select_from(items)
    ).one()  # fmt: skip
    return RegisterMeasures(
        today=today,
        plan_days=plan_days,
        counted=int(counted),
        planned_in_time=Ratio(int(in_time), int(accepted_n)),
        resolved_on_time=Ratio(int(on_time_n), int(with_target_n)),
        days_to_plan=_median(plan_median, planned_n),
        days_to_resolve=_median(resolve_median, resolved_n),
        **_open_items(items_query, today, zone),
    )


def _open_items(items_query: Select, today: date, zone: str) -> dict:
    """The open items of ``items_query`` by age since raised (the partnership's days; one
    raised "after today", by a clock ahead of ours, is new), theme, service and level: one
    grouped query."""
    today_number = (today - date(1970, 1, 1)).days
    age = today_number - dates.local_day_number(Item.created_at, until=today, zone=zone)
    band = case(
        *[
            (age <= last, index)
            for index, (_label, _first, last) in enumerate(AGE_BANDS)
            if last is not None
        ],
        else_=len(AGE_BANDS) - 1,
    )
    open_items = (
        items_query.with_only_columns(
            band.label("band"),
            Item.theme.label("theme"),
            Item.level.label("level"),
            Organisation.name.label("agency"),
            maintain_column_froms=False,
        )
        .outerjoin(Organisation, Organisation.id == Item.agency_id)
        .where(Item.state.in_(_OPEN))
        .order_by(None)
        .subquery()
    )
    # Grouped outside: PostgreSQL does not see a CASE with parameters in SELECT and GROUP BY
    # as the same expression.
    groups = (open_items.c.band, open_items.c.theme, open_items.c.level, open_items.c.agency)
    rows = db.session.execute(select(*groups, func.count()).group_by(*groups)).all()
    ages, themes, agencies, levels = Counter(), Counter(), Counter(), Counter()
    for band_index, theme, level, agency, n in rows:
        ages[band_index] += n
        themes[theme] += n
        agencies[agency] += n
        levels[level] += n
    theme_labels = {theme.value: str(label) for theme, label in THEME_LABELS.items()}
    other = _("Other or not given")
    by_agency = Counter()
    for agency, n in agencies.items():
        by_agency[agency if agency is not None else other] += n
    return {
        "open_total": sum(ages.values()),
        "open_by_age": [
            (str(label), ages.get(index, 0)) for index, (label, *_rest) in enumerate(AGE_BANDS)
        ],
        "open_by_theme": _ranked({theme_labels.get(t, t): n for t, n in themes.items()}),
        "open_by_agency": _ranked(by_agency),
        "open_by_level": [(str(LEVEL_LABELS[level]), levels.get(level.value, 0)) for level in Level]
        + [(str(value), n) for value, n in levels.items() if value not in set(Level)],
    }


def _median(seconds, count) -> Median:  # noqa: ANN001
    if seconds is None or not count:
        return Median(None, 0)
    return Median(float(seconds) / _DAY_SECONDS, int(count))


def _ranked(counts) -> list[tuple[str, int]]:  # noqa: ANN001
    """Largest first, then by name, so the table reads the same on every visit."""
    pairs = [(str(name), int(n)) for name, n in counts.items() if n]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0].casefold()))

"""Register measures: how quickly accepted items get an action plan, how many are resolved by
their target date, and where the open items are.

They are worked out from one narrow SELECT (only the columns needed, the item's service name
joined in) over the items the viewer may see and has filtered to; pandas does the arithmetic.
The dashboard and the board pack can call :func:`register_measures` with any ``select(Item)``.

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

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd
from flask_babel import format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select

from engage.changes.models import LEVEL_LABELS, OPEN_STATES, THEME_LABELS, Item, Level, State
from engage.core import dates, settings
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

_DAY = pd.Timedelta(days=1)
_COLUMNS = (
    "state",
    "level",
    "theme",
    "agency",
    "created_at",
    "triaged_at",
    "planned_at",
    "resolved_at",
    "target_date",
)
_TIMES = ("created_at", "triaged_at", "planned_at", "resolved_at")


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


def measures_select(items_query: Select) -> Select:
    """The one narrow SELECT behind the measures: the filter of ``items_query``, only the
    columns the arithmetic needs, and the service's name joined in (no query per row)."""
    return (
        items_query.with_only_columns(
            Item.state,
            Item.level,
            Item.theme,
            Organisation.name,
            Item.created_at,
            Item.triaged_at,
            Item.planned_at,
            Item.resolved_at,
            Item.target_date,
            maintain_column_froms=False,
        )
        .outerjoin(Organisation, Organisation.id == Item.agency_id)
        .order_by(None)
    )


def register_measures(
    items_query: Select,
    *,
    today: date | None = None,
    plan_days: int | None = None,
    timezone: ZoneInfo | None = None,
) -> RegisterMeasures:
    """Work out the measures for the items ``items_query`` (a ``select(Item)`` already limited
    to what the viewer may see and has filtered to) selects. See the module docstring."""
    timezone = timezone or dates.local_timezone()
    today = today or dates.local_today()
    plan_days = plan_within_days() if plan_days is None else plan_days
    # Plain tuples: pandas reads them several times faster than SQLAlchemy rows.
    rows = [tuple(row) for row in db.session.execute(measures_select(items_query))]
    return compute_measures(
        pd.DataFrame.from_records(rows, columns=list(_COLUMNS)),
        today=today,
        plan_days=plan_days,
        timezone=timezone,
    )


def compute_measures(
    frame: pd.DataFrame, *, today: date, plan_days: int, timezone: ZoneInfo
) -> RegisterMeasures:
    """The arithmetic, on a frame with the columns of :func:`measures_select`."""
    df = frame.loc[frame["state"] != State.MERGED.value].copy()
    for column in _TIMES:
        df[column] = pd.to_datetime(df[column], utc=True).dt.tz_convert(timezone)
    target = pd.to_datetime(df["target_date"])  # naive local midnight, NaT when none

    # Action plan within N days, over accepted items.
    accepted = df.loc[df["triaged_at"].notna()]
    to_plan = accepted["planned_at"] - accepted["triaged_at"]
    in_time = accepted["planned_at"].notna() & (to_plan <= pd.Timedelta(days=plan_days))
    planned_in_time = Ratio(int(in_time.sum()), len(accepted))
    days_to_plan = _median_days(to_plan.dropna().clip(lower=pd.Timedelta(0)))

    # Resolved within the target date, over resolved items that had one.
    resolved = df.loc[(df["state"] == State.RESOLVED.value) & df["resolved_at"].notna()]
    with_target = resolved.loc[target.loc[resolved.index].notna()]
    resolved_day = with_target["resolved_at"].dt.tz_localize(None).dt.normalize()
    on_time = resolved_day <= target.loc[with_target.index]
    resolved_on_time = Ratio(int(on_time.sum()), len(with_target))
    days_to_resolve = _median_days(resolved["resolved_at"] - resolved["created_at"])

    # Open items, by age, theme, service and level.
    open_items = df.loc[df["state"].isin([s.value for s in OPEN_STATES])]
    raised_day = open_items["created_at"].dt.tz_localize(None).dt.normalize()
    age = (pd.Timestamp(today) - raised_day) // _DAY
    by_age = [
        (str(label), int(((age >= first) & ((age <= last) if last is not None else True)).sum()))
        for label, first, last in AGE_BANDS
    ]
    # Anything raised "after today" (a clock ahead of ours) is new: put it in the first band.
    by_age[0] = (by_age[0][0], by_age[0][1] + int((age < 0).sum()))

    return RegisterMeasures(
        today=today,
        plan_days=plan_days,
        counted=len(df),
        planned_in_time=planned_in_time,
        resolved_on_time=resolved_on_time,
        days_to_plan=days_to_plan,
        days_to_resolve=days_to_resolve,
        open_total=len(open_items),
        open_by_age=by_age,
        open_by_theme=_by_theme(open_items["theme"]),
        open_by_agency=_by_agency(open_items["agency"]),
        open_by_level=_by_level(open_items["level"]),
    )


def _median_days(durations: pd.Series) -> Median:
    durations = durations.dropna()
    if durations.empty:
        return Median(None, 0)
    return Median(float(durations.median() / _DAY), len(durations))


def _ranked(counts: pd.Series) -> list[tuple[str, int]]:
    """Largest first, then by name, so the table reads the same on every visit."""
    pairs = [(str(name), int(n)) for name, n in counts.items() if n]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0].casefold()))


def _by_theme(themes: pd.Series) -> list[tuple[str, int]]:
    labels = {theme.value: str(label) for theme, label in THEME_LABELS.items()}
    return _ranked(themes.map(lambda value: labels.get(value, value)).value_counts())


def _by_agency(agencies: pd.Series) -> list[tuple[str, int]]:
    other = _("Other or not given")
    return _ranked(agencies.astype(object).where(agencies.notna(), other).value_counts())


def _by_level(levels: pd.Series) -> list[tuple[str, int]]:
    """Every level in order, with zeros, so the escalation ladder is always complete."""
    counts = levels.astype(int).value_counts()
    known = [(str(LEVEL_LABELS[level]), int(counts.get(level.value, 0))) for level in Level]
    extra = [(str(value), int(n)) for value, n in counts.items() if value not in set(Level)]
    return known + extra

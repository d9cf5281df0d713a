"""Who is involved: the people who took part in a period, by the equality monitoring groups
they chose to tell us, set beside the partnership's estimate of the cohort its programme is
for (``models.CohortEstimate``), so a board can see who is missing.

**Involved** in a period means what the dashboard's "Peers involved" counts
(:mod:`engage.forums.measures`): a peer (someone holding the peer role now) who, on one of
the period's days (the partnership's days, inclusive), took part in a forum meeting held then
(the training forum left out), or has an involvement record dated that day for other work,
not training, and not rejected (recorded by mistake) or cancelled (reversed as not owed).

Each person counts once however often they took part. An erased person holds no role any
more, and their answers are gone, so they are no longer counted.

Equality answers are encrypted at rest (:mod:`engage.core.encryption`), so SQL cannot group by
them: one query reads the four answer columns (and nothing else) of the involved people only,
each decrypted as it is read, and the counting is done here. Every table goes through
:func:`engage.core.suppression.suppress` with the survey threshold, and when fewer people than
the threshold were involved no breakdown is shown at all (with so few, even a table of hidden
groups tells who they are). Viewing is audited once, in aggregate, with no person in it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from engage.core import audit
from engage.core.db import utcnow
from engage.core.figures import Kind, Period, Table
from engage.core.suppression import Cell, suppress
from engage.dashboard.models import CohortEstimate, CohortShare
from engage.extensions import db
from engage.payments.models import RecordStatus
from engage.people.forms import AGE_BANDS, EQUALITY_LABELS, ETHNICITY, GENDER, LIVED_EXPERIENCE
from engage.people.models import EqualityMonitoring

#: The row for everyone who left the question blank, preferred not to say, or has given no
#: equality answers at all.
NOT_SAID = "not-said"

#: Involvement records that do not show someone took part: recorded by mistake, or reversed
#: as not owed.
NOT_TAKING_PART = (RecordStatus.REJECTED.value, RecordStatus.CANCELLED.value)


@dataclass(frozen=True)
class Dimension:
    """One equality question: its groups in the order the question lists them (blank and
    "prefer not to say" apart: those are "Not said"). ``multiple``: a person may be in several
    groups (lived experience), so the groups add up to more than everyone."""

    key: str
    title: object  # lazy text: the question, as a column heading
    caption: object  # lazy text: the table's caption (whole, so translators see it whole)
    groups: tuple[str, ...]
    multiple: bool = False


def _answers(values: list[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v not in ("", "prefer-not"))


DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension("gender", _l("Gender"), _l("Peers involved, by gender"), _answers(GENDER)),
        Dimension(
            "ethnicity",
            _l("Ethnic group"),
            _l("Peers involved, by ethnic group"),
            _answers(ETHNICITY),
        ),
        Dimension("age_band", _l("Age"), _l("Peers involved, by age"), _answers(AGE_BANDS)),
        Dimension(
            "lived_experience",
            _l("Lived experience"),
            _l("Peers involved, by lived experience"),
            tuple(LIVED_EXPERIENCE),
            multiple=True,
        ),
    )
}


def group_label(value: str) -> str:
    if value == NOT_SAID:
        return _("Not said")
    return str(EQUALITY_LABELS.get(value, value))


# Who was involved --------------------------------------------------------------------------


def involved_people(start: date, end: date) -> Select:
    """The ids of the peers involved from ``start`` to ``end``, each once, as one column
    ``person_id``: the same people the dashboard's "Peers involved" counts
    (:func:`engage.forums.measures.involved_people`)."""
    from engage.forums.measures import involved_people as involved

    return involved(Period(start, end), utcnow())


def _answers_of_involved(start: date, end: date) -> list[tuple[str | None, ...]]:
    """(gender, ethnicity, age_band, lived_experience) of each person involved, None for
    someone with no equality answers. One query; only these four columns are decrypted."""
    people = involved_people(start, end).subquery()
    return [
        tuple(row)
        for row in db.session.execute(
            select(
                EqualityMonitoring.gender,
                EqualityMonitoring.ethnicity,
                EqualityMonitoring.age_band,
                EqualityMonitoring.lived_experience,
            )
            .select_from(people)
            .outerjoin(EqualityMonitoring, EqualityMonitoring.user_id == people.c.person_id)
        )
    ]


def count_groups(answers: list[tuple[str | None, ...]]) -> dict[str, dict[str, int]]:
    """For each dimension, how many people are in each group (every group listed, 0 for
    none) and in :data:`NOT_SAID`, last. ``answers`` as :func:`_answers_of_involved` gives."""
    out: dict[str, dict[str, int]] = {}
    for position, dimension in enumerate(DIMENSIONS.values()):
        counted: Counter[str] = Counter()
        for row in answers:
            given = row[position] or ""
            if dimension.multiple:
                chosen = {v.strip() for v in given.split(",")} & set(dimension.groups)
            else:
                chosen = {given} & set(dimension.groups)
            counted.update(chosen or {NOT_SAID})
        out[dimension.key] = {g: counted[g] for g in (*dimension.groups, NOT_SAID)}
    return out


# The estimate ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """The cohort estimate in use: its number (0: none saved yet), where it comes from, when
    it was saved, and the shares by dimension and group (a group without one is missing)."""

    number: int = 0
    source: str = ""
    saved_at: datetime | None = None
    shares: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def share(self, dimension: str, group: str) -> Decimal | None:
        return self.shares.get(dimension, {}).get(group)


def current_estimate() -> Estimate:
    """The newest saved estimate, or an empty one (number 0). Two queries."""
    newest = db.session.execute(
        select(
            CohortEstimate.id,
            CohortEstimate.number,
            CohortEstimate.source,
            CohortEstimate.created_at,
        )
        .order_by(CohortEstimate.number.desc())
        .limit(1)
    ).first()
    if newest is None:
        return Estimate()
    shares: dict[str, dict[str, Decimal]] = {}
    for dimension, group, share in db.session.execute(
        select(CohortShare.dimension, CohortShare.group, CohortShare.share_percent).where(
            CohortShare.estimate_id == newest.id
        )
    ):
        shares.setdefault(dimension, {})[group] = Decimal(share)
    return Estimate(newest.number, newest.source, newest.created_at, shares)


# The breakdown -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    """One group: ``n`` people (None: hidden, ``reason`` says why), their share of everyone
    involved (None when hidden), and the cohort estimate's share (None: no estimate)."""

    key: str
    label: str
    n: int | None
    reason: str | None
    share: float | None
    estimate: Decimal | None


@dataclass(frozen=True)
class Breakdown:
    dimension: Dimension
    title: str
    rows: list[GroupRow]
    #: The people column as a dashboard table, for its bar chart.
    table: Table


@dataclass(frozen=True)
class WhoIsInvolved:
    """Everyone involved in ``period`` (``total``, always shown) and, when at least
    ``threshold`` people were involved, one breakdown per dimension (else none)."""

    period: Period
    total: int
    threshold: int
    estimate: Estimate
    breakdowns: list[Breakdown]

    @property
    def too_few(self) -> bool:
        return self.total < self.threshold


def breakdown(
    dimension: Dimension, counts: dict[str, int], total: int, threshold: int, estimate: Estimate
) -> Breakdown:
    """One dimension's table: every group (0 where nobody is in it), then "Not said", small
    groups hidden by :func:`suppress` (which leaves groups of nobody out: they are shown as 0,
    hiding nothing). Shares are of everyone involved, "Not said" included, so no hidden group
    can be worked out from a share."""
    cells: dict[str, Cell] = {cell.label: cell for cell in suppress(counts, threshold)}
    rows = []
    for key in counts:
        cell = cells.get(key, Cell(key, 0, None))
        shown = cell.n
        rows.append(
            GroupRow(
                key=key,
                label=group_label(key),
                n=shown,
                reason=cell.reason,
                share=round(100.0 * shown / total, 1) if shown is not None and total else None,
                estimate=None if key == NOT_SAID else estimate.share(dimension.key, key),
            )
        )
    title = str(dimension.caption)
    table = Table(
        key=f"who-{dimension.key}",
        title=title,
        label=str(dimension.title),
        columns=[_("People")],
        rows=[(row.label, row.n) for row in rows],
        kind=Kind.COUNT,
        chart="bar",
    )
    return Breakdown(dimension, title, rows, table)


def who_is_involved(actor: object, period: Period, threshold: int) -> WhoIsInvolved:
    """Who was involved in ``period``, by each equality dimension, beside the cohort estimate,
    small groups hidden under ``threshold``. Records one audit entry,
    "equality.breakdown_viewed", with the period and how many people (never who). A fixed
    number of queries, whatever the number of people."""
    answers = _answers_of_involved(period.start, period.end)
    total = len(answers)
    estimate = current_estimate()
    tables = []
    if total >= threshold:
        counts = count_groups(answers)
        tables = [
            breakdown(dimension, counts[key], total, threshold, estimate)
            for key, dimension in DIMENSIONS.items()
        ]
    audit.record(
        "equality.breakdown_viewed",
        actor=actor,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        people=total,
        threshold=threshold,
    )
    return WhoIsInvolved(period, total, threshold, estimate, tables)

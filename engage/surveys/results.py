"""Survey results: counted as answers arrive, added up in plain Python, small groups suppressed.

Each response adds to its round's tallies (``models.Tally``: question × answer × group), so a
round's page reads one small query whatever the number of responses, and nothing loads
answers as objects. The trend takes one more
query across the rounds of the same survey. Results only ever show a group of at least the
suppression threshold (``services.suppression_threshold``); a question fewer people answered
than that is not shown at all.

Other domains (the dashboard) read the headline measures through :func:`headline_measures`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from engage.core import dates
from engage.core.suppression import Cell, suppress
from engage.extensions import db
from engage.surveys.definitions import AGREE_VALUES, PREFER_NOT, Definition, Question
from engage.surveys.models import Answer, RoundState, SurveyRound, Tally

#: Agreeing: "agree" and "strongly agree".
AGREEING = frozenset({"4", "5"})

#: What results can be broken down by: the group columns copied onto each response.
BREAKDOWNS: dict[str, Any] = {
    "forum": _l("Forum"),
    "gender": _l("Gender"),
    "ethnicity": _l("Ethnic group"),
    "age_band": _l("Age"),
    "disability": _l("Disability or long-term condition"),
    "sexual_orientation": _l("Sexual orientation"),
}

#: Question types whose answers are counted (free text is read, not counted).
COUNTED = ("agree", "single", "multiple", "number")


@dataclass
class Share:
    value: str
    label: str
    count: int
    percent: float  # of those who answered (prefer not to say apart)


@dataclass
class QuestionResult:
    question: Question
    label: str
    answered: int  # who gave an answer other than "prefer not to say"
    prefer_not: int
    positive: float | None  # % agreeing (agree scale) or % counted by its measure
    shares: list[Share]
    hidden: bool  # fewer answered than the threshold: nothing is shown
    number: dict[str, float] | None = None  # median, lowest, highest of a number question

    def chart_bars(self) -> list[tuple[str, float, str]]:
        return [(s.label, s.percent, f"{s.percent:.0f}%") for s in self.shares]


@dataclass
class BreakdownRow:
    label: str
    cell: Cell
    positive: float | None


@dataclass
class Breakdown:
    question: Question
    label: str
    rows: list[BreakdownRow]
    total: int
    total_positive: float | None


@dataclass
class TrendPoint:
    round_id: int
    label: str
    answered: int
    percent: float | None  # None: too few answered to show


@dataclass
class Measure:
    measure: str
    question_label: str
    points: list[TrendPoint] = field(default_factory=list)

    def chart_points(self) -> list[tuple[str, float | None, str]]:
        return [
            (p.label, p.percent, str(_l("Not shown")) if p.percent is None else f"{p.percent:.0f}%")
            for p in self.points
        ]


#: One counted answer value of one question: (question_id, value, group, n).
CountRow = tuple[str, str, str, int]
#: A value and how many gave it.
ValueCount = tuple[str, int]


def answer_counts(round_: SurveyRound, by: str | None = None) -> list[CountRow]:
    """The round's counted answers as (question_id, value, group, n), read from its tallies:
    one query of a few hundred rows, however many people answered."""
    dimension = by if by in BREAKDOWNS else "all"
    return [
        (question_id, value, group, int(n))
        for question_id, value, group, n in db.session.execute(
            select(Tally.question_id, Tally.value, Tally.group, Tally.n).where(
                Tally.round_id == round_.id, Tally.dimension == dimension
            )
        )
    ]


def _overall(round_ids: list[int]) -> list[tuple[int, str, str, int]]:
    """(round_id, question_id, value, n) of every answer in these rounds, from their tallies."""
    return [
        (int(round_id), question_id, value, int(n))
        for round_id, question_id, value, n in db.session.execute(
            select(Tally.round_id, Tally.question_id, Tally.value, Tally.n).where(
                Tally.round_id.in_(round_ids), Tally.dimension == "all"
            )
        )
    ]


def _by_question(
    rows: Iterable[tuple[int, str, str, int]],
) -> dict[tuple[int, str], list[ValueCount]]:
    """:func:`_overall`'s rows split once by (round, question), "prefer not to say" left out:
    the dashboard asks for dozens of questions."""
    split: dict[tuple[int, str], list[ValueCount]] = {}
    for round_id, question_id, value, n in rows:
        if value != PREFER_NOT:
            split.setdefault((round_id, question_id), []).append((value, n))
    return split


def _summed(pairs: Iterable[tuple[Any, int]]) -> dict[Any, int]:
    """How many in all for each key, in the order keys first appear."""
    totals: dict[Any, int] = {}
    for key, n in pairs:
        totals[key] = totals.get(key, 0) + n
    return totals


def _counted(question: Question, given: Iterable[ValueCount]) -> int | None:
    """How many answers count for the question's measure (agreeing, for the agree scale), or
    None for a question that feeds no measure."""
    if question.type == "agree":
        return sum(n for value, n in given if value in AGREEING)
    if question.type in ("single", "multiple") and question.counts:
        wanted = set(question.counts)
        return sum(n for value, n in given if wanted & set(str(value).split(",")))
    return None


def _positive(question: Question, given: list[ValueCount]) -> float | None:
    """% of the answers (prefer not to say apart) that count for the question's measure."""
    counted = _counted(question, given)
    total = sum(n for _value, n in given)
    return round(100.0 * counted / total, 1) if counted is not None and total else None


def question_results(
    round_: SurveyRound, counts: list[CountRow], locale: str, threshold: int
) -> list[QuestionResult]:
    """Per counted question: how many answered, % agreeing, and every answer's share."""
    definition = round_.definition
    by_question: dict[str, dict[str, int]] = {}
    for question_id, value, _group, n in counts:
        values = by_question.setdefault(question_id, {})
        values[value] = values.get(value, 0) + n
    results = []
    for question in definition.questions:
        if question.type not in COUNTED:
            continue
        mine = by_question.get(question.id, {})
        prefer_not = mine.get(PREFER_NOT, 0)
        given = [(value, n) for value, n in mine.items() if value != PREFER_NOT]
        answered = sum(n for _value, n in given)
        result = QuestionResult(
            question=question,
            label=question.label(locale),
            answered=answered,
            prefer_not=prefer_not,
            positive=None,
            shares=[],
            hidden=answered < threshold,
        )
        if not result.hidden:
            result.positive = _positive(question, given)
            result.shares = _shares(question, given, answered, locale)
            if question.type == "number":
                result.number = _number_summary(given)
        results.append(result)
    return results


def _shares(question: Question, given: list[ValueCount], answered: int, locale: str) -> list[Share]:
    if question.type == "number":
        return []
    if question.type == "multiple":
        # "a,b" answered once counts for a and for b; percentages are of people answering.
        by_value = _summed((part, n) for value, n in given for part in value.split(","))
    else:
        by_value = _summed(given)
    order = list(AGREE_VALUES) if question.type == "agree" else [o.id for o in question.options]
    return [
        Share(
            value=value,
            label=question.option_label(value, locale),
            count=by_value.get(value, 0),
            percent=round(100.0 * by_value.get(value, 0) / answered, 1) if answered else 0,
        )
        for value in order
    ]


def _number_summary(given: list[ValueCount]) -> dict[str, float]:
    """Median, lowest and highest of a number question's answers, from (value, how many)
    without writing out one entry per answer."""
    ordered = sorted((int(value), n) for value, n in given if n > 0)
    total = sum(n for _value, n in ordered)

    def nth(k: int) -> int:  # the k-th answer (from 0) in ascending order
        for value, n in ordered:
            if k < n:
                return value
            k -= n
        raise IndexError(k)

    if not total:
        return {"median": float("nan"), "lowest": float("nan"), "highest": float("nan")}
    middle = total // 2
    median = nth(middle) if total % 2 else (nth(middle - 1) + nth(middle)) / 2
    return {
        "median": float(median),
        "lowest": float(ordered[0][0]),
        "highest": float(ordered[-1][0]),
    }


def breakdowns(
    round_: SurveyRound, counts: list[CountRow], by: str, locale: str, threshold: int
) -> list[Breakdown]:
    """For each question with a measure (or on the agree scale): how many answered and the
    share agreeing in each group, shown only where the group is big enough, with secondary
    suppression so no hidden group can be worked out from the total."""
    labels = group_labels(by, {group for _q, _v, group, _n in counts})
    tables = []
    for question in round_.definition.questions:
        if question.type not in ("agree", "single", "multiple"):
            continue
        if question.type != "agree" and not question.counts:
            continue
        mine = [
            (value, group, n)
            for question_id, value, group, n in counts
            if question_id == question.id and value != PREFER_NOT
        ]
        if not mine:
            continue
        per_group = _summed((group, n) for _value, group, n in mine)
        ordered = sorted(per_group, key=lambda g: (g == "", str(labels.get(g, g))))
        cells = suppress({g: per_group[g] for g in ordered}, threshold)
        by_label = {g: labels.get(g, g) for g in ordered}
        rows = []
        for group_value, cell in zip([g for g in ordered if per_group[g] > 0], cells, strict=True):
            part = [(value, n) for value, group, n in mine if group == group_value]
            positive = _positive(question, part) if cell.n is not None else None
            rows.append(
                BreakdownRow(label=str(by_label[group_value]), cell=cell, positive=positive)
            )
        total = sum(per_group.values())
        tables.append(
            Breakdown(
                question=question,
                label=question.label(locale),
                rows=rows,
                total=total,
                total_positive=(
                    _positive(question, [(value, n) for value, _group, n in mine])
                    if total >= threshold
                    else None
                ),
            )
        )
    return tables


def group_labels(by: str, values: set[str]) -> dict[str, str]:
    """The words for each group value: forum names, or the equality answers' labels."""
    if by == "forum":
        from engage.forums.models import Forum

        ids = [int(v) for v in values if v.isdigit()]
        names = dict(
            db.session.execute(select(Forum.id, Forum.name).where(Forum.id.in_(ids))).tuples().all()
        )
        labels = {str(k): v for k, v in names.items()}
        labels[""] = str(_l("Not in a forum"))
        return labels
    from engage.people.forms import EQUALITY_LABELS

    return {v: str(EQUALITY_LABELS.get(v, v)) for v in values}


def trend(round_: SurveyRound, locale: str, threshold: int) -> list[Measure]:
    """Each outcome measure across every round of the same survey that has closed (and this
    one), oldest first: one query for all of them."""
    rounds = db.session.scalars(
        select(SurveyRound)
        .where(
            SurveyRound.slug == round_.slug,
            (SurveyRound.id == round_.id)
            | SurveyRound.state.in_([RoundState.CLOSED.value, RoundState.SHARED.value]),
        )
        .order_by(SurveyRound.opens_at, SurveyRound.id)
    ).all()
    measures = round_.definition.measures()
    if not measures:
        return []
    asked_by = _by_question(_overall([r.id for r in rounds]))
    out = []
    for measure, question in measures.items():
        line = Measure(measure=measure, question_label=question.label(locale))
        for other in rounds:
            asked = other.definition.measures().get(measure)
            if asked is None:
                continue
            mine = asked_by.get((other.id, asked.id), [])
            answered = sum(n for _value, n in mine)
            percent = _positive(asked, mine) if answered >= threshold else None
            line.points.append(
                TrendPoint(round_id=other.id, label=other.title, answered=answered, percent=percent)
            )
        out.append(line)
    return out


def free_text(round_: SurveyRound, page: int, size: int = 50) -> tuple[list[Answer], int]:
    """One page of what people wrote in their own words, by question (managers only), and how
    many there are in all."""
    where = (Answer.round_id == round_.id, Answer.text.is_not(None))
    total = db.session.scalar(select(func.count()).select_from(Answer).where(*where)) or 0
    rows = db.session.scalars(
        select(Answer)
        .where(*where)
        .order_by(Answer.question_id, Answer.id)
        .offset((page - 1) * size)
        .limit(size)
    )
    return list(rows), total


@dataclass
class Headline:
    measure: str
    percent: float | None
    answered: int


def headline_measures(start: date, end: date, threshold: int | None = None) -> dict[str, Headline]:
    """The outcome measures (% feel heard, % told their story more than once ...) over every
    round that closed between ``start`` and ``end``, answers pooled. For the dashboard."""
    from engage.surveys.services import suppression_threshold

    threshold = threshold or suppression_threshold()
    rounds = db.session.scalars(
        select(SurveyRound).where(
            SurveyRound.state.in_([RoundState.CLOSED.value, RoundState.SHARED.value]),
            SurveyRound.closes_at >= dates.start_of_day(start),
            SurveyRound.closes_at < dates.start_of_day(end + timedelta(days=1)),
        )
    ).all()
    if not rounds:
        return {}
    asked = _by_question(_overall([r.id for r in rounds]))
    pooled: dict[str, list[tuple[int, int]]] = {}
    for round_ in rounds:
        definition: Definition = round_.definition
        for measure, question in definition.measures().items():
            mine = asked.get((round_.id, question.id), [])
            answered = sum(n for _value, n in mine)
            agreeing = _counted(question, mine) or 0
            pooled.setdefault(measure, []).append((agreeing, answered))
    out = {}
    for measure, parts in pooled.items():
        answered = sum(n for _a, n in parts)
        agreeing = sum(a for a, _n in parts)
        shown = answered >= threshold and answered > 0
        out[measure] = Headline(
            measure=measure,
            percent=round(100.0 * agreeing / answered, 1) if shown else None,
            answered=answered,
        )
    return out


def round_measures(
    rounds: Iterable[tuple[int, Definition]], threshold: int
) -> dict[int, dict[str, Headline]]:
    """Each outcome measure of each round on its own (``rounds``: id and definition), as
    :func:`headline_measures` counts them: round id -> measure -> how many answered and the
    share counting for it (None when fewer than ``threshold`` answered). One query, for the
    dashboard's trend across rounds."""
    rounds = list(rounds)
    if not rounds:
        return {}
    by_question = _by_question(_overall([round_id for round_id, _definition in rounds]))
    out: dict[int, dict[str, Headline]] = {}
    for round_id, definition in rounds:
        out[round_id] = {}
        for measure, question in definition.measures().items():
            asked = by_question.get((round_id, question.id), [])
            answered = sum(n for _value, n in asked)
            agreeing = _counted(question, asked) or 0
            shown = answered >= threshold and answered > 0
            out[round_id][measure] = Headline(
                measure=measure,
                percent=round(100.0 * agreeing / answered, 1) if shown else None,
                answered=answered,
            )
    return out

"""What the half-yearly surveys say, for the dashboard's "Voice" section: the outcome measures
the partnership promised (% who feel heard, % who find services easy to use, % who had to
tell their story more than once, % turned away, % who feel more in control), pooled over the
survey rounds that closed in the period, and each measure's trend across the last rounds.

A measure fewer people answered than the suppression threshold
(:func:`engage.surveys.services.suppression_threshold`) is never shown, to anyone: its value
is None and it is marked ``suppressed`` (so never public). Every other measure is a share of
many people's answers that identifies nobody, so partners and the public page may see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from engage.core import dates
from engage.core.figures import Figure, Kind, Period, Section, Table, both
from engage.extensions import db
from engage.surveys import permissions as survey_perm
from engage.surveys.definitions import Definition
from engage.surveys.models import RoundState, SurveyRound
from engage.surveys.results import Headline, headline_measures, round_measures


@dataclass(frozen=True)
class Promised:
    """One of the measures the partnership promised its board and funder."""

    measure: str  # the measure id in the survey definitions (surveys/*.yaml)
    label: str
    #: False for the measures that should go down: telling your story again, being turned away.
    higher_is_better: bool


PROMISED = (
    Promised("feel_heard", _l("People who feel heard and listened to"), True),
    Promised(
        "services_user_friendly", _l("People who find the services they use easy to use"), True
    ),
    Promised(
        "told_story_more_than_once", _l("People who had to tell their story more than once"), False
    ),
    Promised("turned_away", _l("People turned away from a service"), False),
    Promised(
        "more_in_control", _l("People who feel more in control of how they use services"), True
    ),
)

#: How many closed rounds each measure's trend shows, the latest up to the period's end.
TREND_ROUNDS = 6
#: The most closed rounds read for the trends (the latest): enough for six rounds of each
#: measure even with a round for every forum, and a bound on the work however long the
#: programme runs.
ROUNDS_READ = 60

_FINISHED = (RoundState.CLOSED.value, RoundState.SHARED.value)


@dataclass(frozen=True)
class TrendRound:
    round_id: int
    title: str
    headline: Headline


def trends(end: date, threshold: int) -> dict[str, list[TrendRound]]:
    """For each promised measure, the last :data:`TREND_ROUNDS` rounds that asked it and had
    closed by the end of ``end`` (the partnership's day), oldest first, each with its own
    share (None when fewer than ``threshold`` answered). Two queries (one when no round has
    closed): the rounds, and their tallies."""
    rows = db.session.execute(
        select(
            SurveyRound.id, SurveyRound.title, SurveyRound.fingerprint, SurveyRound.definition_json
        )
        .where(
            SurveyRound.state.in_(_FINISHED),
            SurveyRound.closes_at < dates.start_of_day(end + timedelta(days=1)),
        )
        .order_by(SurveyRound.closes_at.desc(), SurveyRound.id.desc())
        .limit(ROUNDS_READ)
    ).all()
    # Rounds of one survey version share a definition: read each once.
    definitions: dict[str, Definition] = {}
    chosen: dict[str, list[tuple[int, str]]] = {p.measure: [] for p in PROMISED}
    asked_by: dict[int, Definition] = {}
    for round_id, title, fingerprint, snapshot in rows:
        if fingerprint not in definitions:
            definitions[fingerprint] = Definition.from_snapshot(json.loads(snapshot))
        definition = definitions[fingerprint]
        for measure in definition.measures():
            if measure in chosen and len(chosen[measure]) < TREND_ROUNDS:
                chosen[measure].append((round_id, title))
                asked_by[round_id] = definition
    shares = round_measures(asked_by.items(), threshold)
    return {
        measure: [
            TrendRound(round_id, title, shares[round_id][measure])
            for round_id, title in reversed(rounds)
        ]
        for measure, rounds in chosen.items()
    }


# The dashboard's "Voice" section ---------------------------------------------------------------


def _detail(headline: Headline | None, threshold: int) -> str:
    if headline is None:
        return _("No survey round that asked this closed in the period.")
    if headline.percent is None:
        return ngettext(
            "Fewer than %(num)d answers, so not shown.",
            "Fewer than %(num)d answers, so not shown.",
            threshold,
        )
    return ngettext("from %(num)d answer", "from %(num)d answers", headline.answered)


def voice_section(current: Period, previous: Period | None) -> Section:
    """The promised survey measures for the rounds closed in the period (and in the previous
    one), and each one's trend across the last rounds. 7 queries (5 without a previous
    period; fewer when no round has closed): the threshold, the current and previous
    rounds with their tallies, and the trend's rounds with theirs."""
    from engage.surveys.services import suppression_threshold

    threshold = suppression_threshold()
    now, before = both(lambda p: headline_measures(p.start, p.end, threshold), current, previous)
    lines = trends(current.end, threshold)
    figures = []
    tables = []
    for promised in PROMISED:
        headline = now.get(promised.measure)
        earlier = before.get(promised.measure) if before is not None else None
        suppressed = headline is not None and headline.percent is None
        figures.append(
            Figure(
                promised.measure,
                str(promised.label),
                headline.percent if headline else None,
                earlier.percent if earlier else None,
                kind=Kind.PERCENT,
                how=_(
                    "Of the people who answered this question in the survey rounds that closed "
                    "in the period (answers of every round pooled, “prefer not to say” left "
                    "out), the share who said so. Hidden to protect privacy when fewer than "
                    "%(threshold)d people answered.",
                    threshold=threshold,
                ),
                detail=_detail(headline, threshold),
                link=url_for("surveys.index"),
                opens=survey_perm.can_see_surveys_list,
                public=not suppressed,
                higher_is_better=promised.higher_is_better,
                suppressed=suppressed,
            )
        )
        points = lines[promised.measure]
        if points:
            tables.append(
                Table(
                    f"trend_{promised.measure}",
                    _("%(measure)s: the last survey rounds", measure=promised.label),
                    _("Survey round"),
                    [_("Share of those answering")],
                    [(point.title, point.headline.percent) for point in points],
                    kind=Kind.PERCENT,
                    chart="line",
                    how=_(
                        "Up to %(rounds)d rounds that asked this and closed by the period's "
                        "end, oldest first. A round fewer than %(threshold)d people answered "
                        "is not shown.",
                        rounds=TREND_ROUNDS,
                        threshold=threshold,
                    ),
                    public=True,
                )
            )
    note = "" if now else _("No survey round closed in this period.")
    return Section(key="voice", title=_("Voice"), figures=figures, tables=tables, note=note)

"""The demo's surveys: three closed half-yearly rounds (across the 18 months of programme
history) and an open one of the co-production partners survey,
and a closed round of the service experience survey, answered by the demo peers (online and on
paper) so the trend shows, and some breakdown groups are big enough to show and some are not.
The demo ``peer`` has the open round waiting on their home page."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from engage.core import dates
from engage.core.demo import happened_at, history_start, local_moment
from engage.people.models import User
from engage.surveys import definitions as defs
from engage.surveys import services
from engage.surveys.models import Audience, SurveyRound

WORDS = [
    "Being paid on the day made a real difference to me.",
    "Meetings in the evening would help people who work.",
    "I still had to tell my story three times at the housing office.",
    "More notice of meetings please, I need to plan my travel.",
    "The forum listens but I never hear what happened next.",
    "Having a quiet room at the meetings really helps.",
    "The GP receptionist turned me away because I had no address.",
    "I would like training so I can sit on interview panels.",
]


def _answers(definition: defs.Definition, rng: random.Random, lean: float) -> dict[str, Any]:
    """Believable answers: ``lean`` (0 to 1) is how well things are going this round."""
    answers: dict[str, Any] = {}
    for question in definition.questions:
        if question not in definition.visible_questions(answers):
            continue
        if question.type == "agree":
            if rng.random() < 0.06:
                answers[question.id] = defs.PREFER_NOT
            else:
                score = 1 + lean * 4 + rng.uniform(-1.6, 1.2)
                answers[question.id] = str(min(5, max(1, round(score))))
        elif question.type == "single":
            weights = [1 - lean * 0.7] + [1.0] * (len(question.options) - 1)
            answers[question.id] = rng.choices([o.id for o in question.options], weights)[0]
        elif question.type == "multiple":
            options = [o.id for o in question.options]
            answers[question.id] = sorted(rng.sample(options, k=rng.randint(1, 2)))
        elif question.type == "text" and rng.random() < 0.35:
            answers[question.id] = rng.choice(WORDS)
    return answers


def _season(survey: str, opened: int) -> str:
    """A round's title from the month it opened, ``opened`` days ago ("…, June 2026"): rounds
    half a year apart never share one, whatever day the demo is made."""
    return f"{survey}, {dates.local_today() - timedelta(days=opened):%B %Y}"


def _run(
    rng: random.Random,
    manager: User,
    definition: defs.Definition,
    title: str,
    opened: int,
    days: int,
    people: list[User],
    lean: float,
    paper: int = 0,
    finish: str = "close",
) -> SurveyRound:
    """A round opened ``opened`` days ago for ``days`` days, answered by ``people``."""
    today = dates.local_today()
    opens_at = local_moment(today - timedelta(days=opened), 9)
    closes_at = local_moment(today - timedelta(days=opened), 17) + timedelta(days=days)
    with happened_at(opens_at):
        round_ = services.create_round(
            manager,
            definition,
            title=title,
            audience=Audience.ALL_PEERS,
            opens_at=opens_at,
            closes_at=closes_at,
        )
    answered_at = opens_at + timedelta(days=min(3, days // 2), hours=2)
    with happened_at(answered_at):
        for person in people:
            for question_id, value in _answers(definition, rng, lean).items():
                services.save_answer(round_, person, question_id, value)
            services.submit(round_, person)
        for _n in range(paper):
            services.submit_paper(manager, round_, _answers(definition, rng, lean))
    if finish != "open":
        with happened_at(closes_at):
            services.close_round(None, round_)
        if finish == "share":
            with happened_at(closes_at + timedelta(days=14)):
                services.share_results(manager, round_)
    return round_


def seed(rng: random.Random, accounts: dict[str, User], peers: list[User]) -> None:
    manager = accounts["manager"]
    everyone = [accounts["peer2"], *peers]
    active = [p for p in everyone if p.is_active]
    all_defs = defs.all_definitions()
    partners = defs.latest(all_defs, "coproduction-partners")
    service = defs.latest(all_defs, "service-experience")
    # Half-yearly rounds since the programme history began, things going a little better each
    # time; the first opened ten days into the history.
    first = (dates.local_today() - history_start(dates.local_today())).days - 10
    for opened, answered, lean, paper in (
        (first, 14, 0.35, 2),
        (370, 18, 0.45, 3),
        (180, 24, 0.6, 6),
    ):
        _run(
            rng,
            manager,
            partners,
            _season("Co-production partners", opened),
            opened=opened,
            days=28,
            people=rng.sample(active, k=min(answered, len(active))),
            lean=lean,
            paper=paper,
            finish="share",
        )
    _run(
        rng,
        manager,
        service,
        _season("Service experience", 150),
        opened=150,
        days=21,
        people=rng.sample(active, k=min(22, len(active))),
        lean=0.4,
        paper=2,
    )
    # The open round: the demo peer has not answered yet, so it waits on their home page.
    _run(
        rng,
        manager,
        partners,
        _season("Co-production partners", 5),
        opened=5,
        days=28,
        people=rng.sample(active, k=min(9, len(active))),
        lean=0.7,
        finish="open",
    )

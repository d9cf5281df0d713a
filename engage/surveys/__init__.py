"""Surveys: twice a year the partnership asks peers, boards and partners whether they feel
heard. Definitions are files in ``surveys/``; managers run rounds of them for an audience;
people answer once, anonymously where the survey says so; results are shown only in groups
big enough that nobody can be picked out."""

from datetime import datetime

from flask import Blueprint

from engage.core.domains import DemoPartnership, dashboard_section, demo_step, tick_job

bp = Blueprint("surveys", __name__)


@bp.record_once
def _check_definitions(state) -> None:  # noqa: ANN001
    # Every definition file is checked when the app starts: a broken one stops it with the
    # file, the line and what is wrong, instead of failing in front of someone answering.
    from engage.surveys import definitions

    definitions.all_definitions()


@bp.app_context_processor
def _permissions() -> dict:
    from engage.surveys import permissions

    return {"survey_perm": permissions}


@bp.app_template_global("survey_text")
def _survey_text(text, language: str) -> str:  # noqa: ANN001
    """A definition's text in the reader's language (English when it has none)."""
    from engage.surveys.definitions import text_in

    return text_in(text, language)


@tick_job(50)
def run_rounds(now: datetime) -> str:
    """Open planned rounds, send the one reminder, close rounds whose time is up."""
    from engage.surveys import services

    return services.run_schedule(now)


@tick_job(49)
def finish_interrupted_answers(now: datetime) -> str:
    """Store anonymous answers whose saving was interrupted after the "has responded" mark."""
    from engage.surveys import services

    return services.finish_interrupted(now)


@demo_step(50)
def seed_demo(partnership: DemoPartnership) -> None:
    """After the forums (a round's breakdown is by forum)."""
    from engage.surveys import demo as demo_data

    demo_data.seed(partnership.rng, partnership.accounts, partnership.peers)


@dashboard_section(40, "voice")
def voice(current, previous):  # noqa: ANN001, ANN201
    """The dashboard's section (``engage.surveys.measures``), imported only when it is built:
    it counts what other domains hold, and they import this one's models as they load."""
    from engage.surveys.measures import voice_section

    return voice_section(current, previous)


from engage.surveys import erasure as _erasure  # noqa: E402,F401  (its part of erasing a person)
from engage.surveys import (  # noqa: E402,F401
    manage_routes,
    models,
    personal_data,
    results_routes,
    routes,
)

"""Forums: expert-by-experience forums and their meetings — who is coming and what they need,
who came, and what was decided."""

from datetime import datetime

from flask import Blueprint

from engage.core.domains import DemoPartnership, dashboard_section, demo_step, tick_job

bp = Blueprint("forums", __name__)


@bp.app_context_processor
def _permissions() -> dict:
    from engage.forums import permissions

    return {"forum_perm": permissions}


@bp.app_template_filter("meeting_name")
def _meeting_name(meeting) -> str:  # noqa: ANN001
    """What a list calls a meeting: its forum's name, or a training session's course."""
    from engage.forums.replies import what

    return what(meeting)


@tick_job(20)
def remind(now: datetime) -> str:
    """Everyone coming to a meeting soon is reminded once."""
    from engage.forums import replies

    return f"Sent {replies.send_reminders(now)} meeting reminder(s)."


@tick_job(30)
def carry_forward(now: datetime) -> str:
    """Unfinished actions go onto the agenda of their forum's next meeting."""
    from sqlalchemy import select

    from engage.extensions import db
    from engage.forums import agenda
    from engage.forums.models import Forum

    carried = sum(agenda.carry_forward(forum, now) for forum in db.session.scalars(select(Forum)))
    return f"Carried {carried} action(s) forward."


@dashboard_section(10, "co-production")
def co_production(current, previous):  # noqa: ANN001, ANN201
    """The dashboard's Co-production section (``engage.forums.measures``). Imported when it is
    built: it counts opportunities, involvement records and board decisions too, and those
    domains import the forums' models while they load."""
    from engage.forums.measures import co_production_section

    return co_production_section(current, previous)


@demo_step(30)
def seed_demo(partnership: DemoPartnership) -> None:
    from engage.forums import demo as demo_data

    demo_data.seed(partnership.rng, partnership.accounts, partnership.peers)


from engage.forums import calendar, models, organiser_routes, personal_data, routes  # noqa: E402,F401
from engage.forums.claim_links import recent_meetings  # noqa: E402
from engage.payments.claims.links import register_claim_links  # noqa: E402

# An expenses claim can say which meeting it was for.
register_claim_links(recent_meetings)
from engage.forums import erasure as _erasure  # noqa: E402,F401  (its part of erasing a person)

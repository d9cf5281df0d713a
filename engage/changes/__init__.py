"""The register: blockages people meet in services, carried up to the boards that can remove
them and back down to the people who raised them ("you said, we did")."""

from datetime import datetime

from flask import Blueprint

from engage.core import dates
from engage.core.domains import DemoPartnership, dashboard_section, demo_step, tick_job

bp = Blueprint("changes", __name__)


@bp.app_context_processor
def _permissions() -> dict:
    from engage.changes import permissions, services

    # A function, so only the page that shows the link (sign in) reads the setting.
    return {"register_perm": permissions, "you_said_we_did_published": services.is_published}


@tick_job(10)
def escalate(now: datetime) -> str:
    """Overdue open items go up a level. The target dates are the partnership's calendar days
    (in summer, UTC's date is still yesterday for the first hour after midnight)."""
    from engage.changes import services

    return f"Escalated {len(services.escalate_overdue(dates.local_today()))} overdue item(s)."


@demo_step(10)
def seed_demo(partnership: DemoPartnership) -> None:
    from engage.changes import demo as demo_data

    demo_data.seed(partnership.rng, partnership.accounts, partnership.peers[:12])


@dashboard_section(50, "system-change")
def system_change(current, previous):  # noqa: ANN001, ANN201
    """The dashboard's section (``engage.changes.dashboard``), imported only when it is built:
    it counts what other domains hold, and they import this one's models as they load."""
    from engage.changes.dashboard import system_change_section

    return system_change_section(current, previous)


from engage.changes import boards, models, personal_data, routes  # noqa: E402,F401
from engage.changes import erasure as _erasure  # noqa: E402,F401  (its part of erasing a person)

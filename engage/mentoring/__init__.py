"""Peer roles and recruitment: people with lived experience become peer mentors, ambassadors,
peer researchers and involvement champions. Anyone can say they are interested at /join,
without an account (or a worker can do it with them); managers take each application from a
first conversation through references, checks, induction and training to an active peer with
their own account and the role they hold. Admins and managers keep the roles and the training
courses each needs. DBS checks keep their outcome and dates only, and a disclosure leads to an
individual decision, never to an automatic no. Training sessions are meetings of the training
forum; taking part completes the course, with its expiry, and a gaps matrix shows who is
missing what their role needs. Managers log the supervision and reflective practice peers
have (its notes private to the supervisor and managers); each person's progression passport
gathers what they have done, and a manager prints a reference letter from it for a job
application."""

from datetime import datetime

from flask import Blueprint

from engage.core.domains import DemoPartnership, dashboard_section, demo_step, tick_job

bp = Blueprint("mentoring", __name__)


@bp.app_context_processor
def _permissions() -> dict:
    from engage.mentoring import permissions

    return {"mentoring_perm": permissions}


@tick_job(60)
def warn_renewals(now: datetime) -> str:
    """Warn managers and the person 60, 30 and 7 days before a DBS check is due for renewal."""
    from engage.core import dates
    from engage.mentoring import checks

    warned = checks.send_renewal_warnings(dates.local_date(now))
    return f"Warned about {warned} DBS check(s) due for renewal."


@tick_job(61)
def warn_training_expiry(now: datetime) -> str:
    """Warn the person, kindly, and managers 60, 30 and 7 days before training runs out."""
    from engage.core import dates
    from engage.mentoring import training

    warned = training.send_expiry_warnings(dates.local_date(now))
    return f"Warned about {warned} completion(s) of training running out."


@demo_step(60)
def seed_demo(partnership: DemoPartnership) -> None:
    """After the people (the demo peer holds a role) and the other domains."""
    from engage.mentoring import demo as demo_data

    demo_data.seed(partnership.rng, partnership.accounts, partnership.peers)


@demo_step(65)
def seed_supervision_demo(partnership: DemoPartnership) -> None:
    """After recruitment (the demo's active peers hold their roles by then)."""
    from engage.mentoring import demo as demo_data

    demo_data.seed_supervision(partnership.rng, partnership.accounts)


@dashboard_section(30, "people")
def people(current, previous):  # noqa: ANN001, ANN201
    """The dashboard's section (``engage.mentoring.measures``), imported only when it is built:
    it counts what other domains hold, and they import this one's models as they load."""
    from engage.mentoring.measures import people_section

    return people_section(current, previous)


from engage.core.signals import took_part  # noqa: E402
from engage.mentoring import (  # noqa: E402,F401
    join_routes,
    models,
    passport_routes,
    personal_data,
    routes,
    setup_routes,
    supervision_routes,
    training,
    training_routes,
)

# Taking part in a training session (a meeting of the training forum) completes its course.
took_part.connect(training.on_took_part)
from engage.mentoring import erasure as _erasure  # noqa: E402,F401  (its part of erasing a person)

"""The fund for practical barriers: small amounts, fast, for the things that get in the way of
moving on (a phone, ID, a haircut, travel to an appointment, a furniture pack for a new home),
asked for by a key worker with the person, or by a peer for themselves; decided by one person,
or two above the fund's limit, never by whoever asked; paid, then followed up four weeks later
with "did it help, and how?". Funded by services and public giving, and accountable: every
pound in and out is on the fund's page."""

from datetime import datetime

from flask import Blueprint

from engage.core.domains import (
    DemoPartnership,
    RunLine,
    RunSource,
    dashboard_section,
    demo_step,
    run_source,
    tick_job,
)

bp = Blueprint("fund", __name__)


@bp.app_context_processor
def _permissions() -> dict:
    from engage.fund import permissions

    return {"fund_perm": permissions}


@bp.app_template_filter("fund_paid_how")
def _paid_how(value: str | None) -> str:
    from engage.fund.models import PaidHow

    return PaidHow(value).label if value in {p.value for p in PaidHow} else ""


@bp.app_template_filter("fund_state")
def _state(value: str) -> str:
    from engage.fund.models import State

    return State(value).label if value in {s.value for s in State} else value


@bp.app_template_filter("fund_action")
def _action(value: str) -> str:
    from engage.fund.models import ACTION_LABELS

    return str(ACTION_LABELS.get(value, value))


@tick_job(60)
def follow_up(now: datetime) -> str:
    """Four weeks after payment, ask the key worker whether it helped (once per request)."""
    from engage.fund import services

    return f"Asked about {services.send_follow_ups(now)} fund payment(s)."


@demo_step(60)
def seed_demo(partnership: DemoPartnership) -> None:
    from engage.fund import demo as demo_data

    demo_data.seed(partnership)


@dashboard_section(60, "fund")
def fund_section(current, previous):  # noqa: ANN001, ANN201
    """The dashboard's section (``engage.fund.measures``), imported only when it is built."""
    from engage.fund.measures import fund_section as build

    return build(current, previous)


def _runs():  # noqa: ANN202
    from engage.fund import runs

    return runs


# Approved payments to suppliers join finance's payment runs (engage.fund.runs), imported
# when a run asks, so payments never imports this domain.
run_source(
    RunSource(
        kind="fund",
        section=lambda: _runs().section(),
        ready=lambda: _runs().ready(),
        take=lambda run, actor, ids: _runs().take(run, actor, ids),
        lines=lambda run: _runs().lines(run),
        paid=lambda run, actor: _runs().paid(run, actor),
    )
)

__all__ = ["RunLine"]

from engage.fund import erasure, models, personal_data, routes  # noqa: E402,F401

"""Paid involvement and expenses: people are paid fairly for their time, their expenses are
paid back quickly, and nobody is left worse off because a payment disturbed their benefits.

The rate card prices time given; claims pay back what taking part cost; finance pays both in
runs made exactly once; earnings are added up by week, month and tax year so people who asked
are warned before work would cross a benefits threshold.
"""

from datetime import datetime

from flask import Blueprint

from engage.core.domains import DemoPartnership, dashboard_section, demo_step, tick_job
from engage.core.signals import involvement_given
from engage.payments import filters

bp = Blueprint("payments", __name__)
bp.add_app_template_filter(filters.payment_method, "payment_method")
bp.add_app_template_filter(filters.duration, "duration")


@bp.app_context_processor
def _permissions() -> dict:
    from engage.payments import permissions

    return {"pay_perm": permissions}


def _remove_swept_files() -> None:
    from engage.payments.claims import receipts

    receipts.remove_swept_files()


@tick_job(40, after_commit=_remove_swept_files)
def sweep_receipts(now: datetime) -> str:
    """Receipts uploaded two days ago or more and never sent with a claim go (files after the
    commit)."""
    from engage.payments.claims import receipts

    return f"Removed {receipts.sweep()} receipt(s) never sent with a claim."


@demo_step(20)
def seed_demo_rate_card(partnership: DemoPartnership) -> None:
    """The rate card comes before forums, so past attendance is priced as it is recorded."""
    from engage.payments import demo as demo_data

    demo_data.seed_settings(partnership.accounts)


@demo_step(40)
def seed_demo(partnership: DemoPartnership) -> None:
    from engage.payments import demo as demo_data

    demo_data.seed(partnership.rng, partnership.accounts, partnership.peers)


@dashboard_section(20, "involvement-and-money")
def involvement_and_money(current, previous):  # noqa: ANN001, ANN201
    """The dashboard's section (``engage.payments.measures``), imported only when it is built:
    it counts what other domains hold, and they import this one's models as they load."""
    from engage.payments.measures import involvement_and_money_section

    return involvement_and_money_section(current, previous)


from engage.payments import models, personal_data  # noqa: E402,F401
from engage.payments.time_given import services as time_given  # noqa: E402

# Attendance and finished opportunities (forums) become involvement records here.
involvement_given.connect(time_given.on_involvement_given)

# Each set of pages registers its routes on the one blueprint, so URLs and endpoint names
# ("payments.claim", "payments.time_records", ...) do not depend on the module they live in.
from engage.payments import erasure as _erasure  # noqa: E402,F401  (its part of erasing a person)
from engage.payments.claims import routes as claims_routes  # noqa: E402,F401
from engage.payments.my_payments import routes as my_payments_routes  # noqa: E402,F401
from engage.payments.runs import routes as runs_routes  # noqa: E402,F401
from engage.payments.settings import routes as settings_routes  # noqa: E402,F401
from engage.payments.time_given import routes as time_given_routes  # noqa: E402,F401

"""Paid involvement and expenses: people are paid fairly for their time, their expenses are
paid back quickly, and nobody is left worse off because a payment disturbed their benefits.

The rate card prices time given; claims pay back what taking part cost; finance pays both in
runs made exactly once; earnings are added up by week, month and tax year so people who asked
are warned before work would cross a benefits threshold.
"""

from flask import Blueprint

from engage.core.signals import involvement_given
from engage.payments import filters

bp = Blueprint("payments", __name__)
bp.add_app_template_filter(filters.payment_method, "payment_method")
bp.add_app_template_filter(filters.duration, "duration")

from engage.payments.time_given import services as time_given  # noqa: E402

# Attendance and finished opportunities (forums) become involvement records here.
involvement_given.connect(time_given.on_involvement_given)

# Each set of pages registers its routes on the one blueprint, so URLs and endpoint names
# ("payments.claim", "payments.time_records", ...) do not depend on the module they live in.
from engage.payments.claims import routes as claims_routes  # noqa: E402,F401
from engage.payments.my_payments import routes as my_payments_routes  # noqa: E402,F401
from engage.payments.runs import routes as runs_routes  # noqa: E402,F401
from engage.payments.settings import routes as settings_routes  # noqa: E402,F401
from engage.payments.time_given import routes as time_given_routes  # noqa: E402,F401

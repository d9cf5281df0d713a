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

from engage.payments import services  # noqa: E402

# Attendance and finished opportunities (forums) become involvement records here.
involvement_given.connect(services.on_involvement_given)

from engage.payments import earnings, finance, rates, records, routes  # noqa: E402,F401

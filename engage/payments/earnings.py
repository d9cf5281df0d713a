"""A person's own payments: totals in plain words, statements and the benefits letter.
(Being built.)"""

from flask_login import login_required

from engage.payments import bp


@bp.route("/me/payments")
@login_required
def my_payments():
    return "Your payments"

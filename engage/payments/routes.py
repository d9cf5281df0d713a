"""Expense claims. (Being built.)"""

from flask_login import login_required

from engage.payments import bp


@bp.route("/claims/<int:claim_id>")
@login_required
def claim(claim_id: int):
    return "claim"

"""People: everyone's account, and each peer's profile — what they like to be called, how to
reach them, what they need to take part, how they want to be paid, and what they have agreed to.
"""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

bp = Blueprint("people", __name__)

#: Pages someone who must set up two-step sign in can still reach.
_SETUP_ALLOWED = {
    "people.two_factor",
    "people.logout",
    "people.set_language",
    "static",
    "home.healthz",
}


@bp.before_app_request
def _require_two_step():
    # An admin may ask it of one account; ENGAGE_TWO_STEP_ROLES asks it of whole roles.
    from engage.people.permissions import must_use_two_step

    if (
        current_user.is_authenticated
        and not current_user.totp_secret
        and must_use_two_step(current_user)
        and request.endpoint not in _SETUP_ALLOWED
    ):
        flash(_l("Your administrator asks you to turn on two-step sign in first."), "info")
        return redirect(url_for("people.two_factor"))
    return None


@bp.app_context_processor
def _permissions() -> dict:
    from engage.people import permissions

    return {"perm": permissions}


# Routes register on bp; data_routes add download my data and subject access requests;
# erasure and retention add their pages, the people domain's own erasure step and the
# retention job for engage tick.
from engage.people import (  # noqa: E402,F401
    accounts,
    data_requests,
    data_routes,
    erasure,
    erasure_routes,
    models,
    personal_data,
    reauth,
    retention,
    routes,
)

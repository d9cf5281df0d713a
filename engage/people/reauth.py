"""Confirm it is you: typing the password again (and the two-step code, when the person has
one) before the most harmful changes: bank details, an email address, a password, and before
downloading a payment run, which holds everyone's bank details.

A stolen or unattended signed-in browser should not be enough to send someone's money
elsewhere or take over their account. The moment of confirming is kept on the server, on the
signed-in session's own row (``UserSession.confirmed_at``), so it ends with the session and a
copied cookie cannot carry it to another session.

How a route uses it:

- a page that only shows or downloads (a run's CSV): ``@require_recent_confirmation`` sends
  someone not recently confirmed to ``/confirm-it-is-you?next=<this page>`` and back;
- a form: ``confirmation_redirect()`` on GET, before the form is shown, so nothing typed is
  lost. If the window ran out while they were typing, the POST is not saved and the form is
  shown again with what they typed and a banner (``ask_again()``) linking to the
  confirmation in a new tab; they confirm there, come back and press the button again. We never
  redirect away from a filled-in form, which would drop what they typed.
"""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from engage.core import audit
from engage.core.db import utcnow
from engage.core.htmx import redirect_to, render
from engage.core.security import check_password, is_safe_next
from engage.extensions import db, limiter
from engage.people import bp, services
from engage.people.forms import ConfirmItIsYouForm
from engage.people.models import User, UserSession, hash_token


def _session_row(token: str | None) -> UserSession | None:
    if not token:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))


def confirmed_recently(user: User, token: str | None) -> bool:
    """True when ``user`` confirmed it was them in the signed-in session ``token`` within the
    last ``REAUTH_MINUTES`` minutes."""
    row = _session_row(token)
    if row is None or row.user_id != user.id or row.revoked_at or row.confirmed_at is None:
        return False
    window = timedelta(minutes=current_app.config["REAUTH_MINUTES"])
    return utcnow() - row.confirmed_at <= window


def recently_confirmed(user: User) -> bool:
    """True when ``user`` confirmed it was them in this browser's session within the window."""
    return confirmed_recently(user, session.get("sid"))


def check_identity(user: User, password: str, code: str = "") -> bool:
    """True when the password is right and, for someone with two-step sign in, the code too.

    Always checks the password (the same work whatever the answer); a used code is refused.
    """
    password_ok = check_password(user.password_hash, password)
    if not password_ok:
        return False
    if user.totp_secret:
        return services.verify_totp(user, code)
    return True


def confirm(user: User, token: str | None) -> None:
    """Record that ``user`` has just confirmed it is them in session ``token``; audited."""
    row = _session_row(token)
    if row is None or row.user_id != user.id:
        raise services.AccountError(_("Please sign in again."))
    row.confirmed_at = utcnow()
    audit.record("reauth.confirmed", actor=user, subject=user)
    db.session.flush()


def record_failure(user: User) -> None:
    """Audit a wrong password or code typed at "confirm it is you"."""
    audit.record("reauth.failed", actor=user, subject=user)
    db.session.flush()


def _here() -> str:
    """This page's local path and query, to come back to after confirming."""
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


def confirm_url(next_path: str | None = None) -> str:
    return url_for("people.confirm_it_is_you", next=next_path or _here())


def confirmation_redirect(next_path: str | None = None):
    """A redirect to "confirm it is you" (coming back to ``next_path``, or here), or None when
    recently confirmed."""
    if recently_confirmed(current_user):
        return None
    return redirect_to(confirm_url(next_path))


def require_recent_confirmation(view):
    """Decorator: the view runs only when the person confirmed it was them recently."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any):
        return confirmation_redirect() or view(*args, **kwargs)

    return guarded


def ask_again(next_path: str | None = None) -> None:
    """The window ran out between showing a form and saving it: show (in base.html) a banner
    linking to the confirmation, keeping the form and what was typed on the page."""
    g.reauth_again_url = confirm_url(next_path or _here())


@bp.app_context_processor
def _confirmed_recently() -> dict[str, bool]:
    # A download link with ``download`` would save the confirmation page as the file: pages
    # leave it off until the person has confirmed, so the link takes them to confirm first.
    def confirmed() -> bool:
        return current_user.is_authenticated and recently_confirmed(current_user)

    return {"confirmed_recently": _Lazy(confirmed)}


class _Lazy:
    """True or false when a template asks, so pages that never ask never query."""

    def __init__(self, test) -> None:  # noqa: ANN001
        self._test = test

    def __bool__(self) -> bool:
        return self._test()


def _limit_key() -> str:
    return f"reauth:{current_user.get_id()}" if current_user.is_authenticated else "reauth:-"


def _failed(response) -> bool:  # noqa: ANN001
    return response.status_code != 303


@bp.route("/confirm-it-is-you", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["REAUTH_LIMIT_PER_ACCOUNT"],
    key_func=_limit_key,
    methods=["POST"],
    deduct_when=_failed,
)
def confirm_it_is_you():
    user = current_user._get_current_object()
    target = request.values.get("next")
    next_url = target if is_safe_next(target) else url_for("people.me")
    form = ConfirmItIsYouForm()
    two_step = bool(user.totp_secret)
    if not two_step:
        del form.code
    if form.validate_on_submit():
        code = form.code.data if two_step else ""
        if check_identity(user, form.password.data, code or ""):
            try:
                confirm(user, session.get("sid"))
            except services.AccountError:
                return redirect_to(url_for("people.login"))
            db.session.commit()
            return redirect_to(next_url)
        record_failure(user)
        db.session.commit()
        message = (
            _("The password or code is not right. Check them and try again.")
            if two_step
            else _("That password is not right. Check it and try again.")
        )
        form.password.errors.append(message)
    form.password.data = ""
    return render(
        "people/confirm_it_is_you.html",
        form=form,
        next=next_url,
        two_step=two_step,
    )

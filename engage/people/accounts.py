"""Signing in and out, two-step codes, invitations, password reset and language choice."""

from __future__ import annotations

import base64
import time
from io import BytesIO

from flask import current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from engage.core.htmx import redirect_to, render
from engage.core.i18n import LANGUAGES
from engage.core.permissions import allow
from engage.core.security import is_safe_next
from engage.extensions import db, limiter, login_manager
from engage.people import bp, services
from engage.people.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    ForgotPasswordForm,
    LanguageForm,
    NewPasswordForm,
    SignInForm,
    TwoFactorSetupForm,
)
from engage.people.models import User
from engage.people.permissions import can_change_own_security
from engage.people.reauth import confirm_url, confirmation_redirect, recently_confirmed

#: How long someone has to type their two-step code after their password.
PENDING_SECONDS = 300


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return services.session_user(session.get("sid"), user_id)


def _login_key() -> str:
    # Limit by the account name tried, so guessing one person's password is slow from anywhere.
    return "login:" + (request.form.get("login") or "").strip().lower()[:100]


def _next_url() -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else url_for("home.index")


def _sign_in(user: User) -> None:
    """Rotate the session: drop everything from before sign-in and start a fresh one."""
    old_locale = session.get("locale")
    session.clear()
    token = services.start_session(user, request.headers.get("User-Agent", ""))
    session["sid"] = token
    session.permanent = True
    if user.locale is None and old_locale:
        user.locale = old_locale
    login_user(user)


def _failed(response) -> bool:  # noqa: ANN001
    # Only failed attempts count: signing in and out again must never lock anyone out.
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed
)
def login():
    if current_user.is_authenticated:
        return redirect_to(_next_url())
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            # One answer for unknown accounts and wrong passwords alike.
            form.password.errors.append(
                _("The email address, username or password is not right. Check them and try again.")
            )
        elif user.totp_secret:
            session.clear()
            session["pending_2fa"] = {"user": user.id, "at": time.time(), "next": _next_url()}
            db.session.commit()
            return redirect_to(url_for("people.login_code"))
        else:
            _sign_in(user)
            db.session.commit()
            return redirect_to(_next_url())
    form.password.data = ""
    return render("people/login.html", form=form, next=request.values.get("next", ""))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("10 per 5 minutes", methods=["POST"])
def login_code():
    pending = session.get("pending_2fa")
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        session.pop("pending_2fa", None)
        flash(_("Please sign in again."), "info")
        return redirect_to(url_for("people.login"))
    user = db.session.get(User, pending["user"])
    if user is None or not user.is_active or not user.totp_secret:
        session.pop("pending_2fa", None)
        return redirect_to(url_for("people.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if services.verify_totp(user, form.code.data):
            next_url = pending.get("next") or url_for("home.index")
            _sign_in(user)
            db.session.commit()
            return redirect_to(next_url if is_safe_next(next_url) else url_for("home.index"))
        form.code.errors.append(_("That code is not right. Check your app and try the new code."))
    return render("people/login_code.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    services.end_session(session.get("sid"))
    db.session.commit()
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "success")
    return redirect_to(url_for("people.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.login.data)
        db.session.commit()
        return render("people/forgot_sent.html")
    return render("people/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        return render("people/link_expired.html", status=410)
    form = NewPasswordForm()
    form._personal = {
        "username": user.username,
        "email": user.email or "",
        "name": user.profile.preferred_name,
    }
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. Sign in with your new password."), "success")
        return redirect_to(url_for("people.login"))
    return render(
        "people/new_password.html", form=form, user=user, heading=_("Choose a new password")
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"])
def accept_invitation(token: str):
    invitation = services.invitation_for(token)
    if invitation is None:
        return render("people/link_expired.html", status=410)
    user = invitation.user
    form = NewPasswordForm()
    form._personal = {
        "username": user.username,
        "email": user.email or "",
        "name": user.profile.preferred_name,
    }
    if form.validate_on_submit():
        services.accept_invitation(invitation, form.password.data)
        _sign_in(user)
        db.session.commit()
        flash(_("Welcome. Your account is ready."), "success")
        return redirect_to(url_for("people.me"))
    return render(
        "people/new_password.html",
        form=form,
        user=user,
        heading=_("Welcome, %(name)s", name=user.display_name),
    )


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    form.locale.choices = list(LANGUAGES.items())
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    target = form.next.data
    return redirect_to(target if is_safe_next(target) else url_for("home.index"))


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    allow(can_change_own_security(current_user, current_user))
    if request.method == "GET" and (ask := confirmation_redirect()) is not None:
        return ask
    form = ChangePasswordForm()
    form._personal = {
        "username": current_user.username,
        "email": current_user.email or "",
        "name": current_user.profile.preferred_name,
    }
    if request.method == "POST" and not recently_confirmed(current_user):
        # Passwords are never shown again on a page, so going to confirm loses nothing typed.
        flash(_("For your safety, enter your password again. Nothing has been changed yet."))
        return redirect_to(confirm_url(url_for("people.change_password")))
    # Not asked for the current password here: they typed it at "confirm it is you" moments
    # ago (and the POST above is refused unless they did), so asking again adds nothing.
    if form.validate_on_submit():
        user = current_user._get_current_object()
        services.change_password(user, form.password.data, session.get("sid"))
        # Rotate this browser's session too, so an old copy of its cookie stops working.
        services.end_session(session.get("sid"))
        _sign_in(user)
        db.session.commit()
        flash(_("Your password has been changed. Other devices have been signed out."), "success")
        return redirect_to(url_for("people.me"))
    return render("people/change_password.html", form=form)


@bp.route("/me/two-step", methods=["GET", "POST"])
@login_required
def two_factor():
    allow(can_change_own_security(current_user, current_user))
    if current_user.totp_secret:
        form = ConfirmForm()
        if form.validate_on_submit():
            try:
                services.disable_totp(current_user, current_user)
            except services.AccountError as error:
                flash(str(error), "error")
                return redirect_to(url_for("people.two_factor"))
            db.session.commit()
            flash(_("Two-step sign in is off."), "success")
            return redirect_to(url_for("people.me"))
        return render("people/two_factor_on.html", form=form)
    # Keep the proposed secret in the session until a code proves the app has it.
    secret = session.get("totp_setup") or services.new_totp_secret()
    session["totp_setup"] = secret
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        if services.enable_totp(current_user, secret, form.code.data):
            session.pop("totp_setup", None)
            db.session.commit()
            flash(
                _("Two-step sign in is on. You will need your app each time you sign in."),
                "success",
            )
            return redirect_to(url_for("people.me"))
        form.code.errors.append(_("That code is not right. Check your app and try the new code."))
    uri = services.totp_uri(current_user, secret)
    buffer = BytesIO()
    import segno  # here, not at the top: only setting up two-step sign in needs it

    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, title=_("QR code"))
    qr = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
    return render("people/two_factor_setup.html", form=form, secret=secret, qr=qr)


@bp.errorhandler(429)
def _too_many_attempts(error):
    """Too many sign-in attempts: say so on the sign-in page, keeping the name typed."""
    if request.endpoint != "people.login":
        return render("errors/429.html", status=429)
    form = SignInForm(formdata=None)
    form.login.data = request.form.get("login", "")
    form.login.errors = [
        _(
            "Too many attempts to sign in. For your safety, wait 15 minutes and "
            "try again, or reset your password."
        )
    ]
    return render("people/login.html", form=form, next=request.values.get("next", ""), status=429)

"""Profiles: ``/me`` for everyone, and ``/people/<id>`` for a manager working with a peer.

The same views serve both addresses, so a manager acting on someone's behalf sees exactly the
pages the person sees, and every change they make is recorded as made on the person's behalf.
"""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager

from engage.core.db import writes_when_read
from engage.core.htmx import redirect_to, render
from engage.core.numbers import page_of
from engage.core.permissions import allow
from engage.extensions import db
from engage.people import bp, services
from engage.people.forms import (
    EQUALITY_LABELS,
    AccessNeedsForm,
    ConfirmForm,
    ContactForm,
    DetailsForm,
    EqualityForm,
    NewPersonForm,
    PauseForm,
    PaymentForm,
)
from engage.people.models import (
    ACCESS_NEEDS,
    CHANNEL_LABELS,
    PAYMENT_LABELS,
    ConsentPurpose,
    Profile,
    Role,
    User,
    UserRole,
)
from engage.people.permissions import (
    can_act_on_behalf,
    can_create_peer,
    can_edit_profile,
    can_issue_sign_in_link,
    can_list_people,
    can_view_profile,
)
from engage.people.reauth import ask_again, confirmation_redirect, recently_confirmed

PAGE_SIZE = 50

CONSENT_TEXT = {
    ConsentPurpose.CONTACT: (
        _l("Contact"),
        _l("We may contact you about forums, meetings and chances to get involved."),
    ),
    ConsentPurpose.DATA_SHARING: (
        _l("Sharing with partners"),
        _l(
            "We may share what you tell us with partner organisations to improve services. "
            "We never share your access needs or payments."
        ),
    ),
    ConsentPurpose.PHOTOS_QUOTES: (
        _l("Photos and quotes"),
        _l("We may use photos of you, or your words, in reports and on our website."),
    ),
}


def _person(person_id: int | None) -> User:
    """Load the person whose profile this is and check the viewer may see it.

    Another person's record answers 404, so its existence is not revealed.
    """
    if person_id is None:
        return current_user._get_current_object()
    person = db.session.get(User, person_id)
    if person is None or not can_view_profile(current_user, person):
        abort(404)
    return person


def _profile_url(person: User, section: str | None = None) -> str:
    if person.id == current_user.id:
        return url_for("people.me") if section is None else url_for(f"people.{section}")
    if section is None:
        return url_for("people.person", person_id=person.id)
    return url_for(f"people.{section}", person_id=person.id)


def _context(person: User, **extra):
    return {
        "person": person,
        "on_behalf": person.id != current_user.id,
        "back_url": _profile_url(person),
        **extra,
    }


def profile_route(rule: str, endpoint: str, methods=("GET",)):
    """Register a view at ``/me<rule>`` and at ``/people/<id><rule>``."""

    def register(view):
        guarded = login_required(view)
        bp.add_url_rule(f"/me{rule}", endpoint, guarded, methods=list(methods))
        if rule:
            bp.add_url_rule(
                f"/people/<int:person_id>{rule}", endpoint, guarded, methods=list(methods)
            )
        return view

    return register


@profile_route("", "me")
@writes_when_read(when=lambda args: args.get("person_id") is not None)
def me(person_id: int | None = None):
    person = _person(person_id)
    if services.record_profile_view(current_user, person):
        db.session.commit()
    consents = services.active_consents(person)
    equality = services.equality_for(person)
    return render(
        "people/profile.html",
        **_context(
            person,
            consents=consents,
            consent_text=CONSENT_TEXT,
            channel_labels=CHANNEL_LABELS,
            payment_labels=PAYMENT_LABELS,
            equality_answered=equality is not None,
            can_issue_link=can_issue_sign_in_link(current_user, person)
            and person.id != current_user.id,
        ),
    )


# /people/<id> is the manager's view of a peer; the same function under a clearer name.
bp.add_url_rule("/people/<int:person_id>", "person", login_required(me))


def _save_section(person: User, section: str, changes: dict) -> str | None:
    """Save one section's changes; returns an error message to show, or None when saved."""
    allow(can_edit_profile(current_user, person), hide=True)
    try:
        services.update_profile(current_user, person, section, changes)
    except services.AccountError as error:
        return str(error)
    db.session.commit()
    flash(
        _("Your changes have been saved.")
        if person.id == current_user.id
        else _("Changes saved for %(name)s.", name=person.display_name),
        "success",
    )
    return None


@profile_route("/details", "details", methods=("GET", "POST"))
def details(person_id: int | None = None):
    person = _person(person_id)
    form = DetailsForm(obj=person.profile)
    if form.validate_on_submit():
        error = _save_section(
            person,
            "details",
            {
                "preferred_name": form.preferred_name.data.strip(),
                "pronouns": (form.pronouns.data or "").strip(),
            },
        )
        if error is None:
            return redirect_to(_profile_url(person))
        form.preferred_name.errors.append(error)
    return render(
        "people/form_page.html",
        form=form,
        **_context(person, heading=_("Your name") if person.id == current_user.id else _("Name")),
    )


@profile_route("/contact", "contact", methods=("GET", "POST"))
def contact(person_id: int | None = None):
    person = _person(person_id)
    form = ContactForm(obj=person.profile)
    if request.method == "GET":
        # The email address is here: password again before the form is shown, so nothing
        # typed is lost (people/reauth.py).
        if can_edit_profile(current_user, person) and (ask := confirmation_redirect()):
            return ask
        form.email.data = person.email or ""
        form.phone.data = person.phone or ""
    email_changes = (form.email.data or "").strip().lower() != (person.email or "").lower()
    if request.method == "POST" and email_changes and not recently_confirmed(current_user):
        # The few minutes ran out while they typed: keep what they typed, save nothing.
        ask_again(_profile_url(person, "contact"))
    elif form.validate_on_submit():
        error = _save_section(
            person,
            "contact",
            {
                "contact_channel": form.contact_channel.data,
                "email": form.email.data or "",
                "phone": form.phone.data or "",
                "postal_address": (form.postal_address.data or "").strip(),
                "worker_name": (form.worker_name.data or "").strip(),
                "worker_contact": (form.worker_contact.data or "").strip(),
                "emergency_contact": (form.emergency_contact.data or "").strip(),
            },
        )
        if error is None:
            return redirect_to(_profile_url(person))
        form.email.errors.append(error)
    return render(
        "people/form_page.html", form=form, **_context(person, heading=_("Contact preferences"))
    )


@profile_route("/access-needs", "access_needs", methods=("GET", "POST"))
def access_needs(person_id: int | None = None):
    person = _person(person_id)
    profile: Profile = person.profile
    form = AccessNeedsForm(obj=profile)
    if request.method == "GET":
        form.needs.data = [attr for attr, _label in ACCESS_NEEDS if getattr(profile, attr)]
    if form.validate_on_submit():
        chosen = set(form.needs.data or [])
        changes = {attr: attr in chosen for attr, _label in ACCESS_NEEDS}
        changes.update(
            interpreter_language=(form.interpreter_language.data or "").strip(),
            dietary_needs=(form.dietary_needs.data or "").strip(),
            other_needs=(form.other_needs.data or "").strip(),
        )
        if _save_section(person, "access_needs", changes) is None:
            return redirect_to(_profile_url(person))
    return render(
        "people/form_page.html",
        form=form,
        **_context(
            person,
            heading=_("What you need to take part")
            if person.id == current_user.id
            else _("Access needs"),
        ),
    )


@profile_route("/payment", "payment", methods=("GET", "POST"))
def payment(person_id: int | None = None):
    person = _person(person_id)
    form = PaymentForm(obj=person.profile)
    if form.validate_on_submit():
        changes = {
            "payment_preference": form.payment_preference.data,
            "benefits_warnings": bool(form.benefits_warnings.data),
        }
        if _save_section(person, "payment", changes) is None:
            return redirect_to(_profile_url(person))
    return render(
        "people/form_page.html",
        form=form,
        **_context(
            person,
            heading=_("Payment for your time") if person.id == current_user.id else _("Payment"),
        ),
    )


@profile_route("/pause", "pause", methods=("GET", "POST"))
def pause(person_id: int | None = None):
    person = _person(person_id)
    paused = person.profile.is_paused
    form = ConfirmForm() if paused else PauseForm()
    if person.id != current_user.id and not paused:
        form.submit.label.text = _("Pause involvement for %(name)s", name=person.display_name)
    if form.validate_on_submit():
        allow(can_edit_profile(current_user, person), hide=True)
        services.set_paused(
            current_user,
            person,
            not paused,
            getattr(form, "pause_note", None) and form.pause_note.data or "",
        )
        db.session.commit()
        name = person.display_name
        if person.id != current_user.id:  # a manager for a peer (assisted digital)
            message = (
                _("%(name)s will get invitations again.", name=name)
                if paused
                else _(
                    "Involvement paused for %(name)s. They will not get invitations until "
                    "they come back.",
                    name=name,
                )
            )
        elif paused:
            message = _("Welcome back. You will get invitations again.")
        else:
            message = _(
                "Your involvement is paused. You will not get invitations until you come back."
            )
        flash(message, "success")
        return redirect_to(_profile_url(person))
    return render("people/pause.html", form=form, paused=paused, **_context(person))


@profile_route("/consent", "consent", methods=("GET", "POST"))
def consent(person_id: int | None = None):
    person = _person(person_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        allow(can_edit_profile(current_user, person), hide=True)
        try:
            purpose = ConsentPurpose(request.form.get("purpose", ""))
        except ValueError:
            abort(400)
        own = person.id == current_user.id
        if request.form.get("action") == "withdraw":
            services.withdraw_consent(current_user, person, purpose)
            message = (
                _("You have withdrawn this. It takes effect now.")
                if own
                else _("Withdrawn for %(name)s. It takes effect now.", name=person.display_name)
            )
        else:
            services.give_consent(current_user, person, purpose)
            message = (
                _("Thank you. We have recorded your choice.")
                if own
                else _("Choice recorded for %(name)s.", name=person.display_name)
            )
        db.session.commit()
        flash(message, "success")
        return redirect_to(_profile_url(person, "consent"))
    return render(
        "people/consent.html",
        form=form,
        consents=services.active_consents(person),
        history=services.consent_history(person),
        consent_text=CONSENT_TEXT,
        purposes=list(ConsentPurpose),
        **_context(person),
    )


@profile_route("/equality", "equality", methods=("GET", "POST"))
def equality(person_id: int | None = None):
    person = _person(person_id)
    if request.method == "GET":
        # Someone else's answers are shown in the form: that view is audited.
        row = services.view_equality(current_user._get_current_object(), person)
        db.session.commit()
    else:
        row = services.equality_for(person)
    form = EqualityForm(obj=row)
    if request.method == "GET" and row is not None:
        form.lived_experience.data = [v for v in row.lived_experience.split(",") if v]
    if form.validate_on_submit():
        allow(can_edit_profile(current_user, person), hide=True)
        services.save_equality(
            current_user,
            person,
            {
                "gender": form.gender.data,
                "age_band": form.age_band.data,
                "ethnicity": form.ethnicity.data,
                "disability": form.disability.data,
                "sexual_orientation": form.sexual_orientation.data,
                "lived_experience": ",".join(form.lived_experience.data or []),
            },
        )
        db.session.commit()
        flash(
            _("Thank you. Your answers are only ever counted together with others.")
            if person.id == current_user.id
            else _(
                "Answers saved for %(name)s. They are only ever counted together with others.",
                name=person.display_name,
            ),
            "success",
        )
        return redirect_to(_profile_url(person))
    return render("people/equality.html", form=form, labels=EQUALITY_LABELS, **_context(person))


@bp.route("/people")
@login_required
def people_list():
    allow(can_list_people(current_user))
    # A NUL (which PostgreSQL refuses in text) is never in a name.
    query_text = (request.args.get("q") or "").replace("\x00", "").strip()
    query = (
        select(User)
        .join(Profile)
        .join(UserRole)
        .where(UserRole.role == Role.PEER.value)
        .order_by(func.lower(Profile.preferred_name), User.id)
    )
    if query_text:
        like = f"%{query_text.lower()}%"
        query = query.where(
            or_(func.lower(Profile.preferred_name).like(like), func.lower(User.username).like(like))
        )
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_of(total, PAGE_SIZE)
    people = db.session.scalars(page.of(query.options(contains_eager(User.profile)))).unique()
    return render(
        "people/list.html",
        block="results",
        people=list(people),
        q=query_text,
        page=page.number,
        pages=page.pages,
        total=total,
    )


@bp.route("/people/new", methods=["GET", "POST"])
@login_required
def new_person():
    allow(can_create_peer(current_user))
    form = NewPersonForm()
    if form.validate_on_submit():
        try:
            person = services.create_account(
                actor=current_user,
                username=form.username.data,
                roles={Role.PEER},
                preferred_name=form.preferred_name.data,
                email=form.email.data or None,
                phone=form.phone.data or None,
                contact_channel=None if (form.email.data or form.phone.data) else "worker",
            )
        except services.AccountError as error:
            form.username.errors.append(str(error))
        else:
            if form.contact_consent.data == "yes":
                # Asked in person: recorded as given by the manager on their behalf.
                services.give_consent(current_user, person, ConsentPurpose.CONTACT)
            db.session.commit()
            flash(_("Account created for %(name)s.", name=person.display_name), "success")
            return redirect_to(url_for("people.sign_in_link", person_id=person.id))
    return render("people/new_person.html", form=form)


@bp.route("/people/<int:person_id>/sign-in-link", methods=["GET", "POST"])
@login_required
def sign_in_link(person_id: int):
    # Admins reach this from the admin pages without seeing the person's profile.
    person = db.session.get(User, person_id)
    allow(person is not None and can_issue_sign_in_link(current_user, person), hide=True)
    form = ConfirmForm()
    link = None
    if form.validate_on_submit():
        link = services.invite(
            actor=current_user, user=person, send=request.form.get("send") == "yes"
        )
        db.session.commit()
    back_url = (
        url_for("people.person", person_id=person.id)
        if can_view_profile(current_user, person)
        else url_for("admin.user", user_id=person.id)
    )
    return render(
        "people/sign_in_link.html",
        back_url=back_url,
        form=form,
        person=person,
        link=link,
        on_behalf=can_act_on_behalf(current_user, person),
    )

"""The public application form (/join). It is read by people applying, often on a small
phone, and by workers filling it in with them: plain words, few questions, and only the
contact details the chosen way needs. Its words are translated with the peer journey."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Optional, Regexp

from engage.core.forms import (
    Form,
    GovCheckboxInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
    RadioField,
    SubmissionKey,
    at_most,
    submit,
)
from engage.mentoring.models import ContactWay
from engage.people.models import CHANNEL_LABELS

#: The role choice for someone who does not know which role suits them yet.
NOT_SURE = "not_sure"
PHONE_PATTERN = r"^[0-9 +()-]{7,20}$"
FILL_IN_FOR_WAY = _l("Fill this in so we can contact you the way you chose")


class JoinForm(Form):
    """The public application form. ``role`` choices are the open roles, set by the route."""

    submission_key = SubmissionKey()
    role = RadioField(
        _l("Which role are you interested in?"),
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose a role, or “I am not sure yet”"))],
    )
    name = StringField(
        _l("What should we call you?"),
        description=_l("Your first name is fine."),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Tell us what to call you")), at_most(100)],
    )
    what_draws = TextAreaField(
        _l("What makes you interested? (optional)"),
        description=_l("A few words are fine. We can also talk about it when we meet."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(2000)],
    )
    availability = TextAreaField(
        _l("When are you usually free? (optional)"),
        description=_l("For example: weekday mornings, but not Fridays"),
        widget=GovTextArea(),
        validators=[Optional(), at_most(500)],
    )
    access_needs = TextAreaField(
        _l("Is there anything that would make taking part easier for you? (optional)"),
        description=_l(
            "For example: an interpreter, step-free access, easy read, or somewhere quiet."
        ),
        widget=GovTextArea(),
        validators=[Optional(), at_most(1000)],
    )
    contact_way = RadioField(
        _l("How should we contact you?"),
        choices=[(way.value, CHANNEL_LABELS[way.value]) for way in ContactWay],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how we should contact you"))],
    )
    email = EmailField(
        _l("Your email address"),
        widget=GovTextInput(),
        validators=[
            Optional(),
            at_most(254),
            Email(message=_l("Enter an email address like name@example.com")),
        ],
    )
    phone = StringField(
        _l("Your phone number"),
        widget=GovTextInput(),
        validators=[
            Optional(),
            Regexp(PHONE_PATTERN, message=_l("Enter a phone number, like 07700 900 982")),
        ],
    )
    postal_address = TextAreaField(
        _l("Your postal address"),
        widget=GovTextArea(),
        validators=[Optional(), at_most(500)],
    )
    worker_name = StringField(
        _l("Your worker's name"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(100)],
    )
    worker_contact = StringField(
        _l("How can we reach your worker?"),
        description=_l("Their phone number or email address, and where they work"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    by_worker = BooleanField(
        _l("I am a worker filling this in with someone"),
        widget=GovCheckboxInput(),
    )
    helper_name = StringField(
        _l("Your name"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(100)],
    )
    helper_organisation = StringField(
        _l("Your organisation"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(120)],
    )
    #: A field people never see: a bot that fills it in gets a thank-you and nothing is kept.
    website = StringField(validators=[Optional()])
    submit = submit(_l("Send"))

    #: The details each way of contact needs.
    NEEDED = {
        ContactWay.EMAIL.value: ("email",),
        ContactWay.TEXT.value: ("phone",),
        ContactWay.PHONE.value: ("phone",),
        ContactWay.POST.value: ("postal_address",),
        ContactWay.WORKER.value: ("worker_name", "worker_contact"),
    }

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        for name in self.NEEDED.get(self.contact_way.data or "", ()):
            field = self[name]
            if not (field.data or "").strip() and not field.errors:
                field.errors.append(str(FILL_IN_FOR_WAY))
                valid = False
        if self.by_worker.data:
            for name, message in (
                ("helper_name", _l("Tell us your name, as the worker")),
                ("helper_organisation", _l("Tell us which organisation you work for")),
            ):
                field = self[name]
                if not (field.data or "").strip() and not field.errors:
                    field.errors.append(str(message))
                    valid = False
        return valid

    @property
    def is_a_bot(self) -> bool:
        """The hidden field was filled in: people never see it, bots fill every field."""
        return bool((self.website.data or "").strip())

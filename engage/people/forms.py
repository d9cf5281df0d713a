"""Forms for signing in and for each part of a profile (one thing per page)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from engage.core.forms import (
    Form,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    at_most,
    new_password_field,
    submit,
)
from engage.people.models import (
    ACCESS_NEEDS,
    CHANNEL_LABELS,
    PAYMENT_LABELS,
    ROLE_LABELS,
)

USERNAME_RULE = Regexp(
    r"^[A-Za-z0-9._-]{3,60}$",
    message=_l("Use 3 to 60 letters, numbers, dots, dashes or underscores, with no spaces"),
)


class SignInForm(Form):
    login = StringField(
        _l("Email address or username"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter your email address or username"))],
    )
    password = PasswordField(
        _l("Password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(message=_l("Enter your password"))],
    )
    submit = submit(_l("Sign in"))


class CodeForm(Form):
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("The 6 numbers shown in the app. They change every 30 seconds."),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the 6 numbers from your app")),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Enter the code as 6 numbers")),
        ],
    )
    submit = submit(_l("Continue"))


class ConfirmItIsYouForm(Form):
    """Password again (and the two-step code, removed by the route when not set)."""

    password = PasswordField(
        _l("Password"),
        widget=GovPasswordInput(),
        validators=[InputRequired(message=_l("Enter your password"))],
    )
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("The 6 numbers shown in the app. They change every 30 seconds."),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the 6 numbers from your app")),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Enter the code as 6 numbers")),
        ],
    )
    submit = submit(_l("Continue"))


class ForgotPasswordForm(Form):
    login = StringField(
        _l("Email address or username"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter your email address or username"))],
    )
    submit = submit(_l("Send me a link"))


class NewPasswordForm(Form):
    password = new_password_field()
    submit = submit(_l("Save password"))


class ChangePasswordForm(Form):
    """Only the new password: the page is shown, and saves, only to someone who has just
    typed their current one at "confirm it is you" (engage.people.reauth)."""

    password = new_password_field()
    submit = submit(_l("Change password"))


class TwoFactorSetupForm(CodeForm):
    submit = submit(_l("Turn on two-step sign in"))


class ConfirmForm(Form):
    """A form with only a button (and its CSRF token)."""

    submit = submit(_l("Confirm"))


class LanguageForm(Form):
    locale = SelectField(_l("Language"), widget=GovSelect(), validators=[InputRequired()])
    next = StringField()
    submit = submit(_l("Change language"))


class DetailsForm(Form):
    preferred_name = StringField(
        _l("What would you like us to call you?"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the name you would like us to use")),
            Length(max=100, message=_l("Name must be 100 characters or fewer")),
        ],
    )
    pronouns = StringField(
        _l("Pronouns (optional)"),
        description=_l("For example, she/her, he/him or they/them"),
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=40, message=_l("Pronouns must be 40 characters or fewer")),
        ],
    )
    submit = submit(_l("Save"))


class ContactForm(Form):
    contact_channel = RadioField(
        _l("How should we contact you?"),
        choices=[(k.value, v) for k, v in CHANNEL_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how we should contact you"))],
    )
    email = EmailField(
        _l("Email address (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), Email(message=_l("Enter an email address like name@example.com"))],
    )
    phone = StringField(
        _l("Mobile number for text messages (optional)"),
        widget=GovTextInput(),
        validators=[
            Optional(),
            Regexp(r"^[0-9 +()-]{7,20}$", message=_l("Enter a phone number, like 07700 900 982")),
        ],
    )
    postal_address = TextAreaField(
        _l("Postal address (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), at_most(500)],
    )
    worker_name = StringField(
        _l("Support worker's name (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(100)],
    )
    worker_contact = StringField(
        _l("How to reach your support worker (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    emergency_contact = StringField(
        _l("Emergency contact (optional)"),
        description=_l("A name and phone number we can call if you are unwell at a meeting"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    submit = submit(_l("Save"))

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        if not super().validate(extra_validators):
            return False
        needed = {
            "email": self.email,
            "text": self.phone,
            "post": self.postal_address,
            "worker": self.worker_name,
        }
        field = needed.get(self.contact_channel.data)
        if field is not None and not (field.data or "").strip():
            field.errors.append(_l("Fill this in so we can contact you the way you chose"))
            return False
        return True


class AccessNeedsForm(Form):
    needs = SelectMultipleField(
        _l("What do you need to take part?"),
        description=_l("Choose all that apply. You can change this at any time."),
        choices=[(attr, label) for attr, label in ACCESS_NEEDS],
        widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    interpreter_language = StringField(
        _l("If you need an interpreter, which language?"),
        description=_l("Include British Sign Language if you use it"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(60)],
    )
    dietary_needs = StringField(
        _l("Food you cannot eat (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    other_needs = TextAreaField(
        _l("Anything else that helps you take part (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), at_most(1000)],
    )
    submit = submit(_l("Save"))


class PaymentForm(Form):
    payment_preference = RadioField(
        _l("How would you like to be paid for your time?"),
        description=_l(
            "You can choose not to be paid. This is recorded and respected, and you can "
            "change your mind at any time."
        ),
        choices=[(k.value, v) for k, v in PAYMENT_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how you would like to be paid"))],
    )
    benefits_warnings = BooleanField(
        _l("Warn my worker before I am offered work that could affect my benefits"),
        widget=GovCheckboxInput(),
    )
    submit = submit(_l("Save"))


class PauseForm(Form):
    pause_note = StringField(
        _l("Anything you want us to know? (optional)"),
        description=_l("You do not have to give a reason."),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    submit = submit(_l("Pause my involvement"))


GENDER = ["", "woman", "man", "non-binary", "other", "prefer-not"]
AGE_BANDS = ["", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "prefer-not"]
YES_NO = ["", "yes", "no", "prefer-not"]
ORIENTATION = ["", "heterosexual", "gay-lesbian", "bisexual", "other", "prefer-not"]
ETHNICITY = ["", "asian", "black", "mixed", "white", "other", "prefer-not"]
LIVED_EXPERIENCE = ["homelessness", "substance-use", "mental-health", "offending", "domestic-abuse"]


def _label(value: str) -> _l:
    return EQUALITY_LABELS.get(value, value)


EQUALITY_LABELS = {
    "": _l("Not answered"),
    "prefer-not": _l("Prefer not to say"),
    "woman": _l("Woman"),
    "man": _l("Man"),
    "non-binary": _l("Non-binary"),
    "other": _l("Another answer"),
    "yes": _l("Yes"),
    "no": _l("No"),
    "heterosexual": _l("Heterosexual or straight"),
    "gay-lesbian": _l("Gay or lesbian"),
    "bisexual": _l("Bisexual"),
    "asian": _l("Asian or Asian British"),
    "black": _l("Black, Black British, Caribbean or African"),
    "mixed": _l("Mixed or multiple ethnic groups"),
    "white": _l("White"),
    "homelessness": _l("Homelessness"),
    "substance-use": _l("Drug or alcohol use"),
    "mental-health": _l("Mental health"),
    "offending": _l("Contact with the justice system"),
    "domestic-abuse": _l("Domestic abuse"),
    "18-24": _l("18 to 24"),
    "25-34": _l("25 to 34"),
    "35-44": _l("35 to 44"),
    "45-54": _l("45 to 54"),
    "55-64": _l("55 to 64"),
    "65+": _l("65 or over"),
}


def _choices(values: list[str]) -> list[tuple[str, _l]]:
    return [(v, _label(v)) for v in values]


class EqualityForm(Form):
    gender = SelectField(_l("Gender"), choices=_choices(GENDER), default="", widget=GovSelect())
    age_band = SelectField(_l("Age"), choices=_choices(AGE_BANDS), default="", widget=GovSelect())
    ethnicity = SelectField(
        _l("Ethnic group"), choices=_choices(ETHNICITY), default="", widget=GovSelect()
    )
    disability = SelectField(
        _l("Do you consider yourself to have a disability or long-term condition?"),
        choices=_choices(YES_NO),
        default="",
        widget=GovSelect(),
    )
    sexual_orientation = SelectField(
        _l("Sexual orientation"), choices=_choices(ORIENTATION), default="", widget=GovSelect()
    )
    lived_experience = SelectMultipleField(
        _l("Which of these have you lived experience of? (optional)"),
        description=_l("Only counted together with others. Nobody is named in reports."),
        choices=_choices(LIVED_EXPERIENCE),
        widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    submit = submit(_l("Save"))


class _AccountFields(Form):
    preferred_name = StringField(
        _l("Name they would like us to use"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter a name")), at_most(100)],
    )
    username = StringField(
        _l("Username"),
        description=_l("They will sign in with this. Letters, numbers and dots, like sam.j"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter a username")), USERNAME_RULE],
    )
    email = EmailField(
        _l("Email address (optional)"),
        description=_l("Many people do not have one. Leave it blank if so."),
        widget=GovTextInput(),
        validators=[Optional(), Email(message=_l("Enter an email address like name@example.com"))],
    )
    phone = StringField(
        _l("Mobile number (optional)"),
        widget=GovTextInput(),
        validators=[
            Optional(),
            Regexp(r"^[0-9 +()-]{7,20}$", message=_l("Enter a phone number, like 07700 900 982")),
        ],
    )


class NewPersonForm(_AccountFields):
    """A manager adds a peer, usually sitting with them."""

    contact_consent = RadioField(
        _l("Have they agreed that we may contact them?"),
        description=_l(
            "Ask them: we may contact you about forums, meetings and chances to get involved. "
            "They can change their mind at any time."
        ),
        choices=[("yes", _l("Yes, they agreed")), ("no", _l("No, or not asked yet"))],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether they agreed to be contacted"))],
    )
    submit = submit(_l("Create account"))


class InviteForm(_AccountFields):
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[(k.value, v) for k, v in ROLE_LABELS.items()],
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message=_l("Choose at least one role"))],
    )
    submit = submit(_l("Create account and invitation"))


class RolesForm(Form):
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[(k.value, v) for k, v in ROLE_LABELS.items()],
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message=_l("Choose at least one role"))],
    )
    totp_required = BooleanField(_l("Require two-step sign in"), widget=GovCheckboxInput())
    submit = submit(_l("Save roles"))


class OrganisationForm(Form):
    name = StringField(
        _l("Name of the service or organisation"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter a name")), at_most(120)],
    )
    submit = submit(_l("Add"))

"""Staff forms: peer roles and courses, moving applications, references, DBS checks and
decisions, becoming active, training sessions and completions, supervision sessions, and the
reference letter and its wording. The public form people apply with is in ``join_forms.py``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, Regexp, ValidationError

from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    IntegerField,
    RadioField,
    SelectField,
    SubmissionKey,
    at_most,
    submit,
)
from engage.forums.forms import MeetingDetailsForm
from engage.mentoring.models import (
    CHECK_LEVEL_LABELS,
    DBS_OUTCOME_LABELS,
    REFERENCE_OUTCOME_LABELS,
    RISK_DECISION_LABELS,
    SUPERVISION_KIND_LABELS,
    CheckLevel,
    SupervisionKind,
)
from engage.mentoring.supervision import MAX_MINUTES, MIN_MINUTES

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]
DATE_HINT = _l("For example, 2027-03-31")
DATE_INVALID = _l("Enter a real date, as year-month-day, like 2027-03-31")


def _date(label, *bounds, optional: bool = True, message=None) -> DateField:  # noqa: ANN001
    return DateField(
        label,
        description=DATE_HINT,
        widget=GovTextInput(),
        validators=[Optional() if optional else InputRequired(message=message), *bounds],
        invalid_message=DATE_INVALID,
    )


# Courses and roles -------------------------------------------------------------------------


class _Checkboxes(SelectMultipleField):
    """Several options; one that is not offered gets a plain message."""

    def pre_validate(self, form):  # noqa: ANN001, ANN201
        offered = {value for value, _label in self.choices}
        if any(value not in offered for value in self.data or []):
            raise ValidationError(str(_l("Choose from the options shown")))


class CourseForm(Form):
    version = HiddenField()
    name = StringField(
        _l("Name of the course"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Give the course a name")), at_most(120)],
    )
    description = TextAreaField(
        _l("What does it cover? (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), at_most(2000)],
    )
    valid_months = IntegerField(
        _l("How many months does it count for? (optional)"),
        description=_l("For example, 36. Leave it empty if it never needs doing again."),
        widget=GovTextInput(),
        invalid_message=_l("Enter a whole number of months, like 36"),
        validators=[
            Optional(),
            NumberRange(min=1, max=240, message=_l("Enter a number of months from 1 to 240")),
        ],
    )
    active = RadioField(
        _l("Is it offered now?"),
        choices=YES_NO,
        default="yes",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether it is offered now"))],
    )
    submit = submit(_l("Save the course"))


class RoleForm(Form):
    version = HiddenField()
    name = StringField(
        _l("Name of the role"),
        description=_l("For example: Peer mentor"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Give the role a name")), at_most(120)],
    )
    description = TextAreaField(
        _l("What does someone in this role do?"),
        description=_l(
            "People see this when they apply. Use short, plain words: two or three sentences."
        ),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say what someone in this role does")), at_most(1000)],
    )
    check_level = RadioField(
        _l("Which DBS check does it need?"),
        choices=[(level.value, CHECK_LEVEL_LABELS[level]) for level in CheckLevel],
        default=CheckLevel.NONE.value,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose the check it needs"))],
    )
    paid = RadioField(
        _l("Is it paid?"),
        choices=YES_NO,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether it is paid"))],
    )
    courses = _Checkboxes(
        _l("Which courses does it need? (optional)"),
        widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    active = RadioField(
        _l("Can people apply for it now?"),
        choices=YES_NO,
        default="yes",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether people can apply now"))],
    )
    submit = submit(_l("Save the role"))


# The pipeline ------------------------------------------------------------------------------


class MoveForm(Form):
    """Moving an application: the card's one-button form, or the page with a reason."""

    version = HiddenField()
    to = HiddenField()
    reason = TextAreaField(
        _l("Why? (for the record)"),
        description=_l(
            "Only managers read this; it is not sent. Do not write anything about a criminal "
            "record here."
        ),
        widget=GovTextArea(),
        validators=[Optional(), at_most(2000)],
    )
    note_to_person = TextAreaField(
        _l("A few kind words to add to their message (optional)"),
        description=_l("They will read this."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(1000)],
    )
    submit = submit(_l("Move"))


class ApplicationRoleForm(Form):
    version = HiddenField()
    role = SelectField(
        _l("Role"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose a role"))],
    )
    submit = submit(_l("Save the role"))


class ReferenceForm(Form):
    version = HiddenField()
    referee_name = StringField(
        _l("Name of the person giving the reference"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter their name")), at_most(100)],
    )
    how_to_reach = StringField(
        _l("How to reach them"),
        description=_l("A phone number, an email address or an address"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Say how to reach them")), at_most(200)],
    )
    requested_on = _date(_l("Asked for on (optional)"), DateBounds.past(2))
    received_on = _date(_l("Came back on (optional)"), DateBounds.past(2))
    outcome = RadioField(
        _l("What did it come to?"),
        choices=[("", _l("Not back yet"))]
        + [(value.value, label) for value, label in REFERENCE_OUTCOME_LABELS.items()],
        default="",
        widget=GovRadioInput(),
        validators=[Optional()],
    )
    submit = submit(_l("Save the reference"))


class DbsForm(Form):
    version = HiddenField()
    level = RadioField(
        _l("Level of the check"),
        choices=[
            (level.value, CHECK_LEVEL_LABELS[level])
            for level in (CheckLevel.BASIC, CheckLevel.ENHANCED)
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose basic or enhanced"))],
    )
    certificate_date = _date(
        _l("Date on the certificate"),
        DateBounds.past(10),
        optional=False,
        message=_l("Enter the date on the certificate"),
    )
    outcome = RadioField(
        _l("Outcome"),
        description=_l("Only the outcome is kept. Do not write down what a certificate says."),
        choices=[(value.value, label) for value, label in DBS_OUTCOME_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose the outcome"))],
    )
    renewal_date = _date(_l("Renew by (optional)"), DateBounds.around(5, 10))
    submit = submit(_l("Save the check"))


class DecisionForm(Form):
    decision = RadioField(
        _l("Decision for this role"),
        description=_l(
            "Decide with the person, for this role, what support would help. Information "
            "on a certificate is not on its own a reason to say no."
        ),
        choices=[(value.value, label) for value, label in RISK_DECISION_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose a decision"))],
    )
    review_date = _date(
        _l("Look at it again on"),
        DateBounds.future(3),
        optional=False,
        message=_l("Enter the date to look at it again"),
    )
    submit = submit(_l("Record the decision"))


# Becoming active ---------------------------------------------------------------------------

NEW_ACCOUNT = "new"
EXISTING_ACCOUNT = "existing"


class ActivateForm(Form):
    version = HiddenField()
    account = RadioField(
        _l("Their account"),
        choices=[
            (NEW_ACCOUNT, _l("Make a new account and send them an invitation")),
            (EXISTING_ACCOUNT, _l("They already have an account: link it")),
        ],
        default=NEW_ACCOUNT,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose a new account or an existing one"))],
    )
    username = StringField(
        _l("Username for the new account (optional)"),
        description=_l("Leave it empty to make one from their name."),
        widget=GovTextInput(),
        validators=[
            Optional(),
            Regexp(
                r"^[A-Za-z0-9._-]{3,60}$",
                message=_l("Use 3 to 60 letters, numbers, dots, dashes or underscores"),
            ),
        ],
    )
    existing_login = StringField(
        _l("Their username or email address"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(254)],
    )
    contact_consent = RadioField(
        _l(
            "Have they agreed that we may contact them about forums, meetings and chances to "
            "get involved?"
        ),
        choices=YES_NO,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether they agreed to be contacted"))],
    )
    # Shown when a check or training the role needs is missing or has run out; the service
    # decides whether it is needed.
    reason = TextAreaField(
        _l("Going ahead although… why? (for the record)"),
        description=_l(
            "For example: they did the course with another organisation and we have seen the "
            "certificate. Only managers read this; it is not sent. Do not write anything "
            "about a criminal record here."
        ),
        widget=GovTextArea(),
        validators=[Optional(), at_most(2000)],
    )
    submit = submit(_l("Make active"))

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        valid = super().validate(extra_validators)
        if self.account.data == EXISTING_ACCOUNT and not (self.existing_login.data or "").strip():
            self.existing_login.errors.append(str(_l("Enter their username or email address")))
            valid = False
        return valid


# Supervision and the reference letter --------------------------------------------------------


class SupervisionForm(Form):
    """Log or correct a supervision or reflective-practice session."""

    version = HiddenField()
    submission_key = SubmissionKey()
    held_on = _date(
        _l("Date of the session"),
        DateBounds.past(5),
        optional=False,
        message=_l("Enter the date of the session"),
    )
    supervisor = SelectField(
        _l("Who led it?"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose who led the session"))],
    )
    kind = RadioField(
        _l("What kind of session was it?"),
        choices=[(kind.value, label) for kind, label in SUPERVISION_KIND_LABELS.items()],
        default=SupervisionKind.SUPERVISION.value,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose the kind of session"))],
    )
    minutes = IntegerField(
        _l("How long did it last, in minutes?"),
        description=_l("For example, 60 for an hour"),
        widget=GovTextInput(),
        invalid_message=_l("Enter a whole number of minutes, like 60"),
        validators=[
            InputRequired(message=_l("Enter how long it lasted")),
            NumberRange(
                min=MIN_MINUTES,
                max=MAX_MINUTES,
                message=_l(
                    "Enter how long it lasted, from %(least)d to %(most)d minutes",
                    least=MIN_MINUTES,
                    most=MAX_MINUTES,
                ),
            ),
        ],
    )
    notes = TextAreaField(
        _l("Notes (optional)"),
        description=_l(
            "Private: only the person who led it and managers can read them, and each time "
            "they are read is recorded. The person supervised never sees them."
        ),
        widget=GovTextArea(),
        validators=[Optional(), at_most(10000)],
    )
    submit = submit(_l("Save the session"))


class LetterForm(Form):
    """What a manager adds before printing a reference letter. Nothing is kept."""

    job_title = StringField(
        _l("Your job title (optional)"),
        description=_l("It goes under your name."),
        widget=GovTextInput(),
        validators=[Optional(), at_most(100)],
    )
    own_words = TextAreaField(
        _l("A paragraph of your own (optional)"),
        description=_l(
            "For example, what they are good at, or something they did that you remember. "
            "It goes before the closing words. It is not kept: copy it somewhere if you want "
            "it again."
        ),
        widget=GovTextArea(),
        validators=[Optional(), at_most(3000)],
    )
    submit = submit(_l("Put this in the letter"))


class LetterWordingForm(Form):
    opening = TextAreaField(
        _l("Opening"),
        description=_l("Before the facts: who it is for and who it is about."),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Enter the opening words")), at_most(3000)],
    )
    closing = TextAreaField(
        _l("Closing"),
        description=_l("After the facts, before the manager's name."),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Enter the closing words")), at_most(3000)],
    )
    submit = submit(_l("Save the wording"))


# Training ----------------------------------------------------------------------------------


class SessionForm(MeetingDetailsForm):
    """A training session: the course, and what a meeting is (the forums' own fields: when,
    where or online, how many places), who trains and whether taking part is paid."""

    course = SelectField(
        _l("Course"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose the course"))],
    )
    title = StringField(
        _l("Title (optional)"),
        description=_l("Leave it empty to use the course's name."),
        widget=GovTextInput(),
        validators=[Optional(), at_most(150)],
    )
    capacity = IntegerField(
        _l("How many places? (optional)"),
        description=_l(
            "Leave it empty if there is no limit. When it is full, people join a waiting list."
        ),
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=500, message=_l("Enter a number of places from 1 to 500")),
        ],
        invalid_message=_l("Enter a number of places, like 12"),
    )
    # Training is not a rung of the ladder of co-production.
    rung = None
    trainer = StringField(
        _l("Who is training? (optional)"),
        description=_l("A name, or an organisation."),
        widget=GovTextInput(),
        validators=[Optional(), at_most(120)],
    )
    paid = RadioField(
        _l("Are people paid for their time?"),
        description=_l("Paid time is given at the rate card's rate for training."),
        choices=YES_NO,
        default="yes",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether people are paid for their time"))],
    )
    submit = submit(_l("Put on the session"))


class InviteMissingForm(Form):
    """ "Invite everyone missing this": the session and the role filter are in hidden fields."""

    session = HiddenField()
    role = HiddenField()


class PlaceForm(Form):
    """Asking for a place: only the CSRF token."""


class CompletionForm(Form):
    login = StringField(
        _l("Their username or email address"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter their username or email address")),
            at_most(254),
        ],
    )
    course = SelectField(
        _l("Course"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose the course"))],
    )
    completed_on = _date(
        _l("Date they did it"),
        DateBounds.past(40),
        optional=False,
        message=_l("Enter the date they did it, like 2027-03-31"),
    )
    submit = submit(_l("Record it"))

"""Forms for raising, supporting and working on register items."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from engage.changes.models import LEVEL_LABELS, SOURCE_LABELS, THEME_LABELS, Level, Source
from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    SubmissionKey,
    at_most,
    submit,
)

OTHER = "other"

#: Target dates and action plan steps: an overdue item keeps its date, and plans run years.
PLAN_DATES = DateBounds.around(5, 10)


class RaiseForm(Form):
    submission_key = SubmissionKey()
    title = StringField(
        _l("In a few words, what got in your way?"),
        description=_l("For example: Turned away from the housing office without ID"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Say in a few words what got in your way")),
            Length(max=150, message=_l("Keep this to 150 characters or fewer")),
        ],
    )
    what_happened = TextAreaField(
        _l("What happened?"),
        description=_l(
            "Tell us as much or as little as you like. Do not include other people's names."
        ),
        widget=GovTextArea(),
        validators=[
            InputRequired(message=_l("Tell us what happened")),
            Length(max=5000, message=_l("Keep this to 5,000 characters or fewer")),
        ],
    )
    agency = SelectField(
        _l("Which service or organisation was it?"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose a service, or Other"))],
    )
    agency_other = StringField(
        _l("If other, which one? (optional)"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(120)],
    )
    theme = RadioField(
        _l("What is it about?"),
        choices=[(k.value, v) for k, v in THEME_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose what it is about"))],
    )
    who_affected = TextAreaField(
        _l("Who else does this affect? (optional)"),
        description=_l("For example: anyone leaving prison on a Friday"),
        widget=GovTextArea(),
        validators=[Optional(), at_most(1000)],
    )
    show_name = RadioField(
        _l("Can we show your name with this?"),
        choices=[("no", _l("No, keep my name private")), ("yes", _l("Yes, show my name"))],
        default="no",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose whether to show your name"))],
    )
    submit = submit(_l("Send"))


class StaffRaiseForm(RaiseForm):
    source = RadioField(
        _l("Where did this come from?"),
        # A survey answer is raised from the survey's results page, with the round as source.
        choices=[(k.value, v) for k, v in SOURCE_LABELS.items() if k != Source.SURVEY],
        default="meeting",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose where this came from"))],
    )
    source_note = StringField(
        _l("Which meeting, case or feedback? (optional)"),
        description=_l("Do not include anyone's name."),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )


class SupportForm(Form):
    account = TextAreaField(
        _l("What happened to you? (optional)"),
        description=_l("A few words help the board see it is not a one-off."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(2000)],
    )
    share_with_board = BooleanField(
        _l("Board members may read what I wrote (my name is never shown)"),
        widget=GovCheckboxInput(),
    )
    submit = submit(_l("This happened to me too"))


class VersionedForm(Form):
    """A staff action on one item. Carries the item's version, so a change from a stale page
    is caught, and hands its answers to the action's service as keyword arguments."""

    version = HiddenField()

    def arguments(self) -> dict:
        return {}


class CloseForm(VersionedForm):
    reason = TextAreaField(
        _l("Why is it being closed?"),
        description=_l("The person who raised it will read this. Use plain words."),
        widget=GovTextArea(),
        validators=[
            InputRequired(message=_l("Give a reason the person can read")),
            at_most(2000),
        ],
    )
    submit = submit(_l("Close item"))

    def arguments(self) -> dict:
        return {"reason": self.reason.data}


class MergeForm(VersionedForm):
    into = IntegerField(
        _l("Item number to join this into"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the number of the item to keep")),
            NumberRange(min=1, message=_l("Enter an item number, like 12")),
        ],
    )
    submit = submit(_l("Merge"))

    def arguments(self) -> dict:
        return {"into_id": self.into.data}


class OwnershipForm(VersionedForm):
    owner = SelectField(_l("Owner"), widget=GovSelect(), validators=[Optional()])
    organisation = SelectField(
        _l("Owner's organisation"), widget=GovSelect(), validators=[Optional()]
    )
    target_date = DateField(
        _l("Target date"),
        description=_l("For example, 2027-03-31"),
        widget=GovTextInput(),
        validators=[Optional(), PLAN_DATES],
        invalid_message=_l("Enter a real date, as year-month-day, like 2027-03-31"),
        format="%Y-%m-%d",
    )
    level = RadioField(
        _l("Escalation level"),
        choices=[(str(k.value), v) for k, v in LEVEL_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose a level"))],
    )
    submit = submit(_l("Save"))

    def arguments(self) -> dict:
        return {
            "owner_id": int(self.owner.data) if self.owner.data else None,
            "organisation_id": int(self.organisation.data) if self.organisation.data else None,
            "target_date": self.target_date.data,
            "level": Level(int(self.level.data)),
        }


class StepForm(VersionedForm):
    description = TextAreaField(
        _l("What will be done?"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say what will be done")), at_most(2000)],
    )
    owner_name = StringField(
        _l("Who will do it, and for which organisation?"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Say who will do it")), at_most(120)],
    )
    due_date = DateField(
        _l("By when?"),
        description=_l("For example, 2027-01-31"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter a date, like 2027-01-31")), PLAN_DATES],
        invalid_message=_l("Enter a real date, as year-month-day, like 2027-03-31"),
        format="%Y-%m-%d",
    )
    submit = submit(_l("Add step"))

    def arguments(self) -> dict:
        return {
            "description": self.description.data,
            "owner_name": self.owner_name.data,
            "due": self.due_date.data,
        }


class ResolveForm(VersionedForm):
    what_changed = TextAreaField(
        _l("What changed?"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say what changed")), at_most(3000)],
    )
    for_whom = TextAreaField(
        _l("For whom?"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say who it changed things for")), at_most(2000)],
    )
    lasting = TextAreaField(
        _l("Will it last beyond the people who made it? How?"),
        description=_l(
            "A real change is written into policy, contracts or training, not only "
            "one helpful person."
        ),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say why the change will last")), at_most(2000)],
    )
    submit = submit(_l("Mark resolved"))

    def arguments(self) -> dict:
        return {
            "what_changed": self.what_changed.data,
            "for_whom": self.for_whom.data,
            "lasting": self.lasting.data,
        }


class DecisionForm(VersionedForm):
    text = TextAreaField(
        _l("Decision"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Write the decision")), at_most(3000)],
    )
    meeting = SelectField(
        _l("Board meeting (optional)"), widget=GovSelect(), validators=[Optional()]
    )
    co_produced = BooleanField(_l("Co-produced or guided by the forum"), widget=GovCheckboxInput())
    submit = submit(_l("Record decision"))

    def arguments(self) -> dict:
        return {
            "text": self.text.data,
            "co_produced": bool(self.co_produced.data),
            "meeting_id": int(self.meeting.data) if self.meeting.data else None,
        }


class ReasonForm(VersionedForm):
    reason = TextAreaField(
        _l("Why?"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Give a reason")), at_most(2000)],
    )
    submit = submit(_l("Reopen"))

    def arguments(self) -> dict:
        return {"reason": self.reason.data}


class ConfirmForm(VersionedForm):
    submit = submit(_l("Confirm"))


class RegisterSettingsForm(Form):
    """The register's runtime settings: publishing "You said, we did", and N, the days within
    which an accepted item should have an action plan."""

    publish = RadioField(
        _l("Publish \u201cYou said, we did\u201d for anyone to read, without signing in?"),
        description=_l(
            "The public page shows what changed, for whom, when and the theme of each resolved "
            "item, and the programme's figures that identify nobody. It never shows the words "
            "or the name of the person who raised an item. What changed and for whom are shown "
            "as the board wrote them: make sure they name nobody."
        ),
        choices=[("no", _l("No, only people who sign in")), ("yes", _l("Yes, publish it"))],
        default="no",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose whether to publish the page"))],
    )
    plan_days = IntegerField(
        _l("Days within which an accepted item should have an action plan"),
        description=_l("The register and the dashboard measure how many plans came in time."),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter a whole number of days from 1 to 365")),
            NumberRange(min=1, max=365, message=_l("Enter a whole number of days from 1 to 365")),
        ],
    )
    submit = submit(_l("Save"))

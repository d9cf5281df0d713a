"""Forms for forums and meetings. Each keeps what was typed when the page comes back with a
problem; checks that need the database (a username, a venue) live in the routes' services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from engage.changes.forms import RaiseForm
from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    IntegerField,
    TimeField,
    at_most,
    submit,
)
from engage.forums.models import PRESENCE_LABELS, RUNG_LABELS, Rung

#: Meetings and actions: a few years either side of this one.
MEETING_DATES = DateBounds.around(5, 5)
#: Joining and leaving a forum: it may be recorded long after, but not long before.
MEMBERSHIP_DATES = DateBounds.around(10, 1)


def _date(label, required: str | None = None, bounds: DateBounds = MEETING_DATES) -> DateField:  # noqa: ANN001
    return DateField(
        label,
        description=_l("For example, 2027-03-31"),
        widget=GovTextInput(),
        validators=[InputRequired(message=required) if required else Optional(), bounds],
        invalid_message=_l("Enter a real date, as year-month-day, like 2027-03-31"),
        format="%Y-%m-%d",
    )


# Forums -----------------------------------------------------------------------------------


class ForumForm(Form):
    name = StringField(
        _l("Name of the forum"),
        description=_l("For example: Women's Forum"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter a name for the forum")), at_most(120)],
    )
    purpose = TextAreaField(
        _l("What is it for?"),
        description=_l("One or two sentences in plain words. Everyone who can join sees this."),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say what the forum is for")), at_most(2000)],
    )
    terms_of_reference = TextAreaField(
        _l("Terms of reference (optional)"),
        description=_l("How the forum works: who can join, how decisions are made, how often."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(10000)],
    )
    chair = SelectField(_l("Chair"), widget=GovSelect(), validators=[Optional()])
    open_to_all = RadioField(
        _l("Who can join?"),
        choices=[
            ("open", _l("Open to all peers")),
            ("invitation", _l("By invitation only")),
        ],
        default="open",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose who can join"))],
    )
    submit = submit(_l("Create forum"))


class MemberForm(Form):
    login = StringField(
        _l("Their username or e-mail address"),
        description=_l("Peers, staff and partners can all be members."),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the username of the person joining")),
            at_most(254),
        ],
    )
    joined_on = _date(
        _l("Date they joined"),
        _l("Enter the date they joined, like 2027-03-31"),
        bounds=MEMBERSHIP_DATES,
    )
    submit = submit(_l("Add member"))


class LeaveForm(Form):
    left_on = _date(
        _l("Date they left"),
        _l("Enter the date they left, like 2027-03-31"),
        bounds=MEMBERSHIP_DATES,
    )
    submit = submit(_l("Remove from the forum"))


# Meetings ---------------------------------------------------------------------------------

DURATIONS = [
    (30, _l("30 minutes")),
    (60, _l("1 hour")),
    (90, _l("1 hour 30 minutes")),
    (120, _l("2 hours")),
    (150, _l("2 hours 30 minutes")),
    (180, _l("3 hours")),
    (240, _l("4 hours")),
    (360, _l("6 hours")),
]


class MeetingDetailsForm(Form):
    """What a meeting is: when, where, how many, and how much power is shared."""

    title = StringField(
        _l("Title (optional)"),
        description=_l(
            "For example: Planning the summer event. Leave empty to use the forum's name."
        ),
        widget=GovTextInput(),
        validators=[Optional(), at_most(150)],
    )
    date = _date(_l("Date"), _l("Enter the date of the meeting, like 2027-03-31"))
    time = TimeField(
        _l("Start time"),
        description=_l("UK time, on the 24-hour clock, for example 10:00 or 14:30"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the time it starts, like 10:00"))],
        invalid_message=_l("Enter a time on the 24-hour clock, like 10:00 or 14:30"),
        format="%H:%M",
    )
    duration = SelectField(
        _l("How long is it?"),
        choices=DURATIONS,
        default=120,
        coerce=int,
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose how long the meeting is"))],
    )
    # No Optional() on these two: it would stop the checks below from running.
    venue = SelectField(
        _l("Where is it?"),
        description=_l("Choose a place from the list, or add a new place below."),
        default="",
        widget=GovSelect(),
    )
    venue_name = StringField(
        _l("Name of the place"),
        widget=GovTextInput(),
        validators=[at_most(120)],
    )
    venue_address = TextAreaField(
        _l("Address"), widget=GovTextArea(), validators=[Optional(), at_most(500)]
    )
    venue_access = SelectMultipleField(
        _l("Access at this place"),
        description=_l("Tick all that are true."),
        choices=[
            ("step_free", _l("Step-free access")),
            ("hearing_loop", _l("Hearing loop")),
            ("quiet_room", _l("A quiet room")),
        ],
        widget=GovCheckboxesInput(),
        validators=[Optional()],
    )
    venue_bus_stops = StringField(
        _l("Nearby bus stops"),
        description=_l("For example: Market Street (buses 8, 36)"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    online_link = StringField(
        _l("Online link (optional)"),
        description=_l("The address people use to join online, starting https://"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(300)],
    )
    capacity = IntegerField(
        _l("How many places? (optional)"),
        description=_l(
            "Leave empty if there is no limit. When it is full, people join a waiting list."
        ),
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=10000, message=_l("Enter a number of places, like 20")),
        ],
        invalid_message=_l("Enter a number of places, like 20"),
    )
    rung = RadioField(
        _l("How much power is shared?"),
        description=_l("The ladder of co-production."),
        choices=[(k.value, v) for k, v in RUNG_LABELS.items()],
        default=Rung.CONSULTATION.value,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how much power is shared"))],
    )
    wellbeing_check_in = BooleanField(
        _l("Start and end with a wellbeing check-in"),
        default=True,
        widget=GovCheckboxInput(),
    )

    def validate_online_link(self, field) -> None:  # noqa: ANN001
        value = (field.data or "").strip()
        field.data = value
        if value and not value.lower().startswith(("https://", "http://")):
            raise ValidationError(_l("Enter the full address, starting https://"))

    def validate_venue_name(self, field) -> None:  # noqa: ANN001
        if not (field.data or "").strip() and any(
            getattr(self, name).data
            for name in ("venue_address", "venue_access", "venue_bus_stops")
        ):
            raise ValidationError(_l("Enter the name of the new place"))
        if (field.data or "").strip() and self.venue.data:
            raise ValidationError(_l("Choose a place from the list or add a new one, not both"))

    def validate_venue(self, field) -> None:  # noqa: ANN001
        if (
            not field.data
            and not (self.venue_name.data or "").strip()
            and not (self.online_link.data or "").strip()
        ):
            raise ValidationError(_l("Choose where the meeting is, or give an online link"))


class ScheduleForm(MeetingDetailsForm):
    repeat = RadioField(
        _l("Does it repeat?"),
        choices=[("once", _l("No, just once")), ("weeks", _l("Yes, every few weeks"))],
        default="once",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose whether the meeting repeats"))],
    )
    every_weeks = IntegerField(
        _l("Every how many weeks?"),
        description=_l("For example, 6 for every six weeks on the same day"),
        widget=GovTextInput(),
        invalid_message=_l("Enter a number of weeks, like 6"),
    )
    count = IntegerField(
        _l("How many meetings?"),
        description=_l("Including the first one"),
        widget=GovTextInput(),
        invalid_message=_l("Enter a number of meetings, like 6"),
    )
    submit = submit(_l("Schedule"))

    # Needed only when the meeting repeats, so checked here rather than by Optional(), which
    # would stop these checks from running at all.
    def validate_every_weeks(self, field) -> None:  # noqa: ANN001
        if self.repeat.data != "weeks":
            return
        if field.data is None:
            raise ValidationError(_l("Enter how many weeks apart, like 6"))
        if not 1 <= field.data <= 52:
            raise ValidationError(_l("Enter a number of weeks from 1 to 52"))

    def validate_count(self, field) -> None:  # noqa: ANN001
        if self.repeat.data != "weeks":
            return
        if field.data is None:
            raise ValidationError(_l("Enter how many meetings, like 6"))
        if not 2 <= field.data <= 52:
            raise ValidationError(_l("Enter a number of meetings from 2 to 52"))


class ChangeMeetingForm(MeetingDetailsForm):
    scope = RadioField(
        _l("Which meetings should change?"),
        choices=[
            ("this", _l("Only this meeting")),
            ("future", _l("This and all later meetings in the series")),
        ],
        default="this",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose which meetings should change"))],
    )
    submit = submit(_l("Save changes"))


class ConfirmForm(Form):
    """Only the CSRF token: what to do is in the address."""

    submit = submit(_l("Yes, cancel the meeting"))


class AgendaItemForm(Form):
    title = StringField(
        _l("Agenda item"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the agenda item")), at_most(200)],
    )
    content_note = StringField(
        _l("Content note (optional)"),
        description=_l(
            "If this item touches on something difficult, say what, so people can prepare. "
            "For example: talks about suicide"
        ),
        widget=GovTextInput(),
        validators=[Optional(), at_most(300)],
    )
    submit = submit(_l("Add to the agenda"))


class RemoveForm(Form):
    """Only the CSRF token."""


def attendance_form(people: list[tuple[int, str]], formdata=None):  # noqa: ANN001, ANN201
    """A register with one set of radios per person (``person_<id>``), plus a way to add
    someone who came without replying."""

    class AttendanceForm(Form):
        walk_in = StringField(
            _l("Someone who came without replying (optional)"),
            description=_l("Their username or e-mail address. They are marked as attended."),
            widget=GovTextInput(),
            validators=[Optional(), at_most(254)],
        )
        submit = submit(_l("Save attendance"))

    choices = [(k.value, v) for k, v in PRESENCE_LABELS.items()]
    for user_id, name in people:
        setattr(
            AttendanceForm,
            f"person_{user_id}",
            RadioField(name, choices=choices, widget=GovRadioInput(), validators=[Optional()]),
        )
    return AttendanceForm(formdata=formdata) if formdata is not None else AttendanceForm()


class MinutesForm(Form):
    minutes = TextAreaField(
        _l("Minutes"),
        description=_l("What was talked about. Do not include anything said in confidence."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(50000)],
    )
    decisions = TextAreaField(
        _l("Decisions"),
        description=_l("What the forum decided, one per line."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(20000)],
    )
    submit = submit(_l("Save minutes"))


class ActionForm(Form):
    description = TextAreaField(
        _l("What needs to be done?"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say what needs to be done")), at_most(2000)],
    )
    owner_name = StringField(
        _l("Who will do it?"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Say who will do it")), at_most(120)],
    )
    due_date = _date(_l("By when? (optional)"))
    submit = submit(_l("Add action"))


class MeetingRaiseForm(RaiseForm):
    """The register's raise form, for an issue raised at a meeting: staff raise it, so the
    item is anonymised and there is no name to show."""

    show_name = None
    submit = submit(_l("Add to the register"))


class PaperForm(Form):
    title = StringField(
        _l("Title of the paper"),
        description=_l("For example: Draft leaflet for comment"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter a title for the paper")), at_most(200)],
    )
    file = FileField(
        _l("Choose a file"),
        description=_l("A PDF, Word document (.docx), or PNG or JPEG picture, up to 10 MB."),
        widget=GovFileInput(),
        validators=[FileRequired(message=_l("Choose a file to upload"))],
    )
    submit = submit(_l("Upload paper"))


class ReplyForm(Form):
    """One tap: the page's buttons are ``<button name="reply" value="yes">`` and so on."""

    reply = RadioField(
        _l("Can you come?"),
        choices=[("yes", _l("Yes")), ("maybe", _l("Maybe")), ("no", _l("No"))],
        validators=[InputRequired(message=_l("Choose yes, maybe or no"))],
    )


class CalendarAddressForm(Form):
    submit = submit(_l("Make a new address"))

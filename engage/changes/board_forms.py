"""Forms for running boards: meetings, attendance and members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional

from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovSelect,
    GovTextInput,
    TimeField,
    submit,
)


class MeetingForm(Form):
    date = DateField(
        _l("Date"),
        description=_l("For example, 2027-03-31"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the date of the meeting, like 2027-03-31")),
            DateBounds.around(5, 5),
        ],
        invalid_message=_l("Enter a real date, as year-month-day, like 2027-03-31"),
        format="%Y-%m-%d",
    )
    time = TimeField(
        _l("Start time"),
        description=_l("Use the 24-hour clock, for example 10:00 or 14:30"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the time it starts, like 10:00"))],
        invalid_message=_l("Enter a time on the 24-hour clock, like 10:00 or 14:30"),
        format="%H:%M",
    )
    place = StringField(
        _l("Where is it?"),
        description=_l("For example: Town Hall, Committee Room 2, or Online"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Say where the meeting is")),
            Length(max=200, message=_l("Keep this to 200 characters or fewer")),
        ],
    )
    submit = submit(_l("Add meeting"))


class AttendanceForm(Form):
    present = SelectMultipleField(
        _l("Who came?"),
        description=_l("Tick everyone who was there. Everyone else is recorded as absent."),
        widget=GovCheckboxesInput(),
        validators=[Optional()],
        coerce=int,
    )
    submit = submit(_l("Save attendance"))


class MemberForm(Form):
    person = SelectField(
        _l("Who is joining?"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose who is joining the board"))],
    )
    role = StringField(
        _l("Their role on the board (optional)"),
        description=_l("For example: Chair, Vice-chair, Member"),
        widget=GovTextInput(),
        validators=[
            Optional(),
            Length(max=80, message=_l("Keep this to 80 characters or fewer")),
        ],
    )
    expert_by_experience = BooleanField(
        _l("This is an expert-by-experience seat"),
        description=_l("A seat for someone with lived experience, chosen from the peers."),
        widget=GovCheckboxInput(),
    )
    submit = submit(_l("Add to the board"))


class RemoveMemberForm(Form):
    """Only the CSRF token: the member is in the address."""

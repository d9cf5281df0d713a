"""Forms for data downloads and subject access requests."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
    RadioField,
    at_most,
    submit,
)
from engage.people.data_requests import CHANNEL_LABELS


class DataRequestForm(Form):
    """A subject access request, recorded by staff."""

    login = StringField(
        _l("Their username or email address"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter their username or email address")),
            at_most(254),
        ],
    )
    received_on = DateField(
        _l("Date the request reached us"),
        description=_l("The month to answer starts on this day. For example, 2027-03-31"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the date the request reached us")),
            DateBounds.past(1, _l("Enter a date in the last year, and not in the future")),
        ],
        invalid_message=_l("Enter a real date, as year-month-day, like 2027-03-31"),
    )
    channel = RadioField(
        _l("How did it reach us?"),
        choices=[(value.value, label) for value, label in CHANNEL_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how the request reached us"))],
    )
    notes = TextAreaField(
        _l("Notes (optional)"),
        description=_l("What exactly they asked for, and anything that helps answer it."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(2000)],
    )
    submit = submit(_l("Record the request"))


class PrepareDownloadForm(Form):
    """The one button that makes a single-use download link."""


class MarkDoneForm(Form):
    """The one button that marks a request answered."""

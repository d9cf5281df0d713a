"""Forms for involvement records (time given): entering time by hand, approving, not
approving. They check what was typed; the rules live in ``services``."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms import TextAreaField as _TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    IntegerField,
    SubmissionKey,
    at_most,
    submit,
)
from engage.payments.models import ACTIVITY_LABELS, METHOD_LABELS, Method

#: The "how will it be paid" choice that follows the person's own preference.
THEIR_CHOICE = "theirs"

#: The longest piece of time one record can be: a whole day and night.
MAX_MINUTES = 24 * 60

_HOURS = r"(?:h|hr|hrs|hour|hours)"
_MINUTES = r"(?:m|min|mins|minute|minutes)"
_NUMBER = r"(\d{1,3}(?:[.,]\d{1,2})?)"


def parse_duration(text: str) -> int:
    """Minutes in what someone typed for "how long": ``2`` or ``1.5`` (hours), ``1:30``,
    ``90 min``, ``2h 30m``, ``2 hours 30 minutes``. Raises ValueError when it is none of
    those."""
    value = " ".join(text.strip().lower().split())
    if match := re.fullmatch(rf"{_NUMBER}\s*{_HOURS}?", value):
        hours = Decimal(match.group(1).replace(",", "."))
        return int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))
    if match := re.fullmatch(rf"(\d{{1,4}})\s*{_MINUTES}", value):
        return int(match.group(1))
    if match := re.fullmatch(r"(\d{1,2}):(\d{2})", value):
        hours, minutes = int(match.group(1)), int(match.group(2))
        if minutes < 60:
            return hours * 60 + minutes
    if match := re.fullmatch(
        rf"(\d{{1,2}})\s*{_HOURS}\s*(?:and\s*)?(\d{{1,2}})\s*{_MINUTES}?", value
    ):
        hours, minutes = int(match.group(1)), int(match.group(2))
        if minutes < 60:
            return hours * 60 + minutes
    raise ValueError(text)


class DurationField(StringField):
    """How long something took, read as whole minutes (``data``). The typed text comes back
    as it was typed when the page has errors."""

    def __init__(self, *args, invalid_message: str = "", **kwargs):  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):  # noqa: ANN001, ANN201
        self.raw = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if not self.raw:
            return
        try:
            self.data = parse_duration(self.raw)
        except (ValueError, InvalidOperation):
            raise ValueError(str(self.invalid_message)) from None

    def _value(self) -> str:
        if getattr(self, "raw", None):
            return self.raw
        if self.data is None:
            return ""
        hours, minutes = divmod(int(self.data), 60)
        return f"{hours}:{minutes:02d}"


def _sensible_length(form: Form, field: DurationField) -> None:
    if field.data is not None and not 0 < field.data <= MAX_MINUTES:
        raise ValidationError(_l("Enter a time from 1 minute to 24 hours"))


class RecordForm(Form):
    """A manager enters time a peer gave."""

    submission_key = SubmissionKey()
    # Set to what was warned about once a benefits warning has been shown: "record it anyway".
    confirmed = HiddenField()
    person = SelectField(
        _l("Who gave their time?"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose who gave their time"))],
    )
    activity = SelectField(
        _l("What did they do?"),
        choices=[("", _l("Choose one"))] + [(k.value, v) for k, v in ACTIVITY_LABELS.items()],
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose what they did"))],
    )
    activity_date = DateField(
        _l("When?"),
        description=_l("For example, 2026-06-10"),
        widget=GovTextInput(),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Enter the date")), DateBounds.past(2)],
        invalid_message=_l("Enter a real date, as year-month-day, like 2026-06-10"),
    )
    length = DurationField(
        _l("How long?"),
        description=_l("In hours, like 2 or 1.5. Or in minutes, like 90 min."),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter how long it took")), _sensible_length],
        invalid_message=_l("Enter how long, like 2 or 1.5 hours, or 90 min"),
    )
    preparation_minutes = IntegerField(
        _l("Preparation time in minutes (optional)"),
        description=_l(
            "Only paid when the rate for this activity does not already include preparation. "
            "For example, 30."
        ),
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=0, max=600, message=_l("Enter minutes from 0 to 600")),
        ],
        invalid_message=_l("Enter preparation time as a number of minutes, like 30"),
    )
    description = StringField(
        _l("What was it? (optional)"),
        description=_l("For example: Reviewed the new hostel leaflet"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    method = RadioField(
        _l("How will it be paid?"),
        # The first label is set by the route, with the person's own choice in it.
        choices=[(THEIR_CHOICE, _l("The way they chose"))]
        + [(k.value, v) for k, v in METHOD_LABELS.items()],
        default=THEIR_CHOICE,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how it will be paid"))],
    )
    submit = submit(_l("Record this time"))

    def chosen_method(self) -> str | None:
        """The method to record, or None to follow the person's preference."""
        return None if self.method.data == THEIR_CHOICE else Method(self.method.data).value


class ApproveRecordsForm(Form):
    """Approve the ticked records of the queue."""

    records = SelectMultipleField(
        _l("Records to approve"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(message=_l("Tick at least one record to approve"))],
    )


class ConfirmForm(Form):
    """A one-button form (approve, price, decline, accept). ``version`` is the record's
    version when the page was shown, so a change made meanwhile is noticed."""

    version = HiddenField()


class RejectForm(Form):
    version = HiddenField()
    reason = _TextAreaField(
        _l("Why is it not approved?"),
        description=_l(
            "The person can read this. Say it kindly and plainly, for example: This was "
            "recorded twice."
        ),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say why, so the person can read it")), at_most(1000)],
    )
    submit = submit(_l("Do not approve"))

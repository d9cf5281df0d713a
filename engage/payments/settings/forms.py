"""Forms for the payments settings: the rate card, mileage rates, benefits thresholds and the
wording of the benefits letter.

Forms check what was typed (present, a real date, an amount, a sensible size); the rules about
dates overlapping and what may change live in ``services`` and come back as ``IllegalMove``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    MoneyField,
    at_most,
    submit,
)
from engage.core.money import format_money
from engage.payments.benefits_letter import LETTER_PLACEHOLDERS
from engage.payments.models import ACTIVITY_LABELS, PERIOD_LABELS, UNIT_LABELS

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]

#: Rates, thresholds and statements: years of history, and rates agreed years ahead. Further
#: out is a slip of the keyboard (and would overflow date sums).
SETTING_DATES = DateBounds.around(20, 10)


class MoreThanZero:
    """An amount above £0 and below ``ceiling`` (a bigger number is a typing mistake, and would
    not fit the column)."""

    def __init__(self, ceiling: Decimal, message: str | None = None):
        self.ceiling = ceiling
        self.message = message

    def __call__(self, form: Form, field: MoneyField) -> None:
        if field.data is None:
            return
        if field.data <= 0:
            raise ValidationError(self.message or _l("Enter an amount more than £0"))
        if field.data >= self.ceiling:
            raise ValidationError(
                _("Enter an amount less than %(ceiling)s", ceiling=format_money(self.ceiling))
            )


def date_field(label, description=None, required: bool = True) -> DateField:  # noqa: ANN001
    validators = [InputRequired(message=_l("Enter the date")) if required else Optional()]
    validators.append(SETTING_DATES)
    return DateField(
        label,
        description=description or _l("For example, 2027-04-06"),
        widget=GovTextInput(),
        validators=validators,
        invalid_message=_l("Enter a real date, as year-month-day, like 2027-04-06"),
    )


# The rate card -------------------------------------------------------------------------------


def _unit_field() -> RadioField:
    return RadioField(
        _l("How is it paid?"),
        choices=[(k.value, v) for k, v in UNIT_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how it is paid"))],
    )


def _amount_field(label) -> MoneyField:  # noqa: ANN001
    return MoneyField(
        label,
        description=_l("In pounds, for example 15.00"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the amount")),
            MoreThanZero(Decimal("100000")),
        ],
        invalid_message=_l("Enter an amount in pounds and pence, like 15.00"),
    )


def _preparation_field() -> RadioField:
    return RadioField(
        _l("Is preparation time included?"),
        description=_l(
            "Choose no if time spent getting ready (reading papers, for example) is paid on top "
            "of an hourly rate."
        ),
        choices=YES_NO,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether preparation time is included"))],
    )


def _note_field() -> StringField:
    return StringField(
        _l("Note (optional)"),
        description=_l("For example: agreed by the board in March"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )


class RateForm(Form):
    """A new line on the rate card, from a date."""

    activity = SelectField(
        _l("Activity"),
        choices=[("", _l("Choose an activity"))]
        + [(k.value, v) for k, v in ACTIVITY_LABELS.items()],
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose an activity"))],
    )
    unit = _unit_field()
    amount = _amount_field(_l("Amount"))
    includes_preparation = _preparation_field()
    effective_from = date_field(
        _l("Paid at this rate from"),
        _l(
            "For example, 2027-04-06. The rate before it ends the day before. Time given "
            "before this date keeps the amount it was recorded with."
        ),
    )
    note = _note_field()
    submit = submit(_l("Add the rate"))


class CorrectRateForm(Form):
    """Put right a mistake in a rate nobody has been paid at yet."""

    unit = _unit_field()
    amount = _amount_field(_l("Amount"))
    includes_preparation = _preparation_field()
    note = _note_field()
    submit = submit(_l("Save the correction"))


class EndRateForm(Form):
    """Stop paying for an activity after a day."""

    last_day = date_field(
        _l("Last day paid at this rate"),
        _l("For example, 2027-04-05. Time given after this day will have no rate."),
    )
    submit = submit(_l("End this rate"))


class MileageForm(Form):
    per_mile = MoneyField(
        _l("Amount per mile"),
        description=_l(
            "In pounds, for example 0.45 for 45p a mile. Most organisations use HMRC's "
            "approved mileage rate for cars, which has been 45p a mile for many years. Check "
            "GOV.UK in case it has changed."
        ),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the amount per mile")),
            MoreThanZero(Decimal("100")),
        ],
        invalid_message=_l("Enter an amount in pounds and pence, like 0.45"),
    )
    effective_from = date_field(_l("Paid at this rate from"))
    note = _note_field()
    submit = submit(_l("Add the mileage rate"))


# Benefits thresholds -----------------------------------------------------------------------


class ThresholdForm(Form):
    label = StringField(
        _l("Name"),
        description=_l("For example: ESA permitted work weekly limit"),
        widget=GovTextInput(),
        validators=[DataRequired(message=_l("Enter a name for the threshold")), at_most(120)],
    )
    period = RadioField(
        _l("Earnings over"),
        choices=[(k.value, v) for k, v in PERIOD_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose the period the limit is for"))],
    )
    amount = MoneyField(
        _l("Limit"),
        description=_l("In pounds, for example 195.00"),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter the limit")),
            MoreThanZero(Decimal("1000000")),
        ],
        invalid_message=_l("Enter an amount in pounds and pence, like 195.00"),
    )
    effective_from = date_field(
        _l("In force from"),
        _l(
            "For example, 2027-04-06. If a threshold with the same name and period is in "
            "force then, it ends the day before."
        ),
    )
    effective_to = date_field(
        _l("In force until (optional)"),
        _l("Leave empty if you do not know yet. For example, 2028-04-05."),
        required=False,
    )
    source_note = TextAreaField(
        _l("Where the figure comes from (optional)"),
        description=_l("For example: GOV.UK, Employment and Support Allowance, April 2027"),
        widget=GovTextArea(),
        validators=[Optional(), at_most(2000)],
    )
    submit = submit(_l("Save the threshold"))

    def validate_effective_to(self, field: DateField) -> None:
        start = self.effective_from.data
        if self.effective_from.errors or field.errors:
            return
        if field.data is not None and isinstance(start, date) and field.data < start:
            raise ValidationError(_l("The end date must be after the start date"))


# The benefits letter -----------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([^{}\s]{1,40})\}")


class LetterForm(Form):
    wording = TextAreaField(
        _l("Wording of the letter"),
        widget=GovTextArea(),
        validators=[DataRequired(message=_l("Enter the wording of the letter")), at_most(10000)],
    )
    submit = submit(_l("Save the wording"))

    def validate_wording(self, field: TextAreaField) -> None:
        unknown = sorted(
            {name for name in _PLACEHOLDER.findall(field.data or "")} - set(LETTER_PLACEHOLDERS)
        )
        if unknown:
            raise ValidationError(
                _l(
                    "We cannot fill in %(unknown)s. Use only %(known)s.",
                    unknown=", ".join("{" + name + "}" for name in unknown),
                    known=", ".join("{" + name + "}" for name in LETTER_PLACEHOLDERS),
                )
            )


class ConfirmForm(Form):
    """A button with nothing to fill in (CSRF only)."""

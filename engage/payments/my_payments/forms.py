"""Forms for a person's own payments: the statement's dates, bank details, and the buttons to
decline or accept a payment."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import StringField
from wtforms.validators import DataRequired, Optional, ValidationError

from engage.core import dates
from engage.core.forms import Form, GovTextInput, at_most, submit
from engage.payments.settings.forms import date_field

#: The longest statement we print, so a page (and its query) stays a sensible size.
MAX_STATEMENT_YEARS = 2


class ConfirmForm(Form):
    """A button with nothing to fill in (CSRF only)."""


class StatementForm(Form):
    """The dates a statement covers. Sent by GET, so it can be bookmarked and printed."""

    class Meta:
        csrf = False

    start = date_field(_l("From"), _l("For example, 2026-04-06"))
    end = date_field(_l("To"), _l("For example, 2027-04-05"))
    submit = submit(_l("Show the statement"))

    def validate_end(self, field) -> None:  # noqa: ANN001
        start = self.start.data
        # Only two good dates can be compared (a date already refused may be out of range).
        if field.data is None or not isinstance(start, date) or self.start.errors or field.errors:
            return
        if field.data < start:
            raise ValidationError(_l("The end date must be the same as or after the start date"))
        if field.data >= dates.years_after(start, MAX_STATEMENT_YEARS):
            raise ValidationError(
                ngettext(
                    "Choose dates no more than %(num)d year apart",
                    "Choose dates no more than %(num)d years apart",
                    MAX_STATEMENT_YEARS,
                )
            )


class BankDetailsForm(Form):
    """Where to send bank transfers. Never filled in with the numbers we hold."""

    account_name = StringField(
        _l("Name on the account"),
        widget=GovTextInput(),
        validators=[DataRequired(message=_l("Enter the name on the account")), at_most(60)],
    )
    sort_code = StringField(
        _l("Sort code"),
        description=_l("6 numbers, for example 12-34-56"),
        widget=GovTextInput(),
        validators=[DataRequired(message=_l("Enter the sort code")), at_most(12)],
    )
    account_number = StringField(
        _l("Account number"),
        description=_l("8 numbers"),
        widget=GovTextInput(),
        validators=[DataRequired(message=_l("Enter the account number")), at_most(16)],
    )
    roll_number = StringField(
        _l("Building society roll number (optional)"),
        description=_l("You only need this if your building society gave you one."),
        widget=GovTextInput(),
        validators=[Optional(), at_most(18)],
    )
    submit = submit(_l("Save bank details"))

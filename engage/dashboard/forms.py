"""The period a dashboard reader chooses: sent by GET, so a period can be bookmarked, shared
and printed."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Optional, ValidationError

from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovTextInput,
    SubmissionKey,
    at_most,
    submit,
)

#: Dates further back than this are a slip of the keyboard, not a programme.
YEARS_BACK = 20


def _date(label) -> DateField:  # noqa: ANN001
    return DateField(
        label,
        description=_l("For example, 2026-04-01"),
        widget=GovTextInput(),
        validators=[Optional(), DateBounds.around(YEARS_BACK, 1)],
        invalid_message=_l("Enter a real date, as year-month-day, like 2026-04-01"),
    )


class PeriodForm(Form):
    class Meta:
        csrf = False

    start = _date(_l("From"))
    end = _date(_l("To"))
    submit = submit(_l("Show these dates"))

    def validate_start(self, field) -> None:  # noqa: ANN001
        if field.data is None and not field.errors and self.end.raw_data and self.end.raw_data[0]:
            raise ValidationError(_l("Enter the first day of the period"))

    def validate_end(self, field) -> None:  # noqa: ANN001
        start = self.start.data
        if field.errors:
            return
        if field.data is None:
            if isinstance(start, date):
                raise ValidationError(_l("Enter the last day of the period"))
            return
        if isinstance(start, date) and not self.start.errors and field.data < start:
            raise ValidationError(_l("The last day must be the same as or after the first day"))


class SaveReportForm(Form):
    """Save the funder report on the page as a dated snapshot. The period and sections come
    in the address, as the report on the page was asked for."""

    submission_key = SubmissionKey()
    title = StringField(
        _l("Name this report"),
        description=_l("For example: Funder report, April to June 2026"),
        widget=GovTextInput(),
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[DataRequired(message=_l("Give the report a name")), at_most(150)],
    )
    submit = submit(_l("Save a snapshot of these figures"))

"""The period a dashboard reader chooses: sent by GET, so a period can be bookmarked, shared
and printed."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Optional

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

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        # Optional() stops a blank field's own checks, so the pair is checked here.
        valid = super().validate(extra_validators)
        start, end = self.start.data, self.end.data
        if not self.start.errors and start is None and end is not None:
            self.start.errors = [*self.start.errors, _l("Enter the first day of the period")]
            valid = False
        if not self.end.errors and end is None and start is not None:
            self.end.errors = [*self.end.errors, _l("Enter the last day of the period")]
            valid = False
        if isinstance(start, date) and isinstance(end, date) and end < start and valid:
            self.end.errors = [_l("The last day must be the same as or after the first day")]
            valid = False
        if start is None and end is None and valid:
            self.start.errors = [_l("Enter the first day of the period")]
            valid = False
        return valid


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

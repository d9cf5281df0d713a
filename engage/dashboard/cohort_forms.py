"""The cohort estimate form: one share (a percentage) for each group of each question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import wtforms
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import Optional

from engage.core.forms import Form, GovTextArea, GovTextInput, SubmissionKey, at_most, submit
from engage.dashboard import cohort
from engage.dashboard.who import DIMENSIONS
from engage.people.forms import EQUALITY_LABELS


class PercentField(wtforms.StringField):
    """A share from 0 to 100, with at most one decimal place, read as an exact ``Decimal``.

    People type "35", "35%", "12.5" or "12,5" (a decimal comma, as much of Europe writes it).
    Anything else, a negative number, more than 100 or more than one place after the point is
    refused with a plain message. Left empty it is None. What was typed is shown back when the
    page has errors.
    """

    def process_formdata(self, valuelist):  # noqa: ANN001, ANN201
        self.raw = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if not self.raw:
            return
        # Only ASCII digits (str.isdigit says yes to "²", which Decimal refuses or misreads).
        text = self.raw.replace(" ", "").removesuffix("%").replace(",", ".")
        if not re.fullmatch(r"[0-9]{1,3}(\.[0-9]+)?", text):
            raise ValueError(_("Enter a number from 0 to 100, like 35 or 12.5"))
        try:
            share = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern above lets none through
            raise ValueError(_("Enter a number from 0 to 100, like 35 or 12.5")) from None
        if share > 100:
            raise ValueError(_("Enter a number no bigger than 100"))
        if share != share.quantize(Decimal("0.1")):
            raise ValueError(_("Enter the share to one decimal place at most, like 12.5"))
        self.data = share.quantize(Decimal("0.1"))

    def _value(self) -> str:
        if getattr(self, "raw", None):
            return self.raw
        return "" if self.data is None else format_decimal(self.data, format="0.#")


@dataclass(frozen=True)
class ShareField:
    """Which field holds which group's share."""

    name: str
    dimension: str
    group: str


def _field_name(dimension: str, group: str) -> str:
    # "65+" and "non-binary" make poor ids and anchors: letters, digits and "_" only.
    return f"{dimension}__" + re.sub(r"[^a-z0-9]+", "_", group.replace("+", "_plus"))


#: Every share field, question by question, in the order the questions list their answers.
SHARE_FIELDS = [
    ShareField(_field_name(dimension.key, group), dimension.key, group)
    for dimension in DIMENSIONS.values()
    for group in dimension.groups
]


class CohortForm(Form):
    version = HiddenField()  # the number of the estimate the page showed
    submission_key = SubmissionKey()
    source = StringField(
        _l("Where these figures come from (optional)"),
        description=_l(
            "For example, the 2021 census for the city and the council's homelessness count. "
            "Readers of the comparison see this."
        ),
        widget=GovTextArea(),
        validators=[Optional(), at_most(300)],
    )
    submit = submit(_l("Save the estimate"))

    def shares(self) -> dict[tuple[str, str], Decimal]:
        """The shares typed in, by (dimension, group); groups left empty are left out."""
        out = {}
        for spec in SHARE_FIELDS:
            value = self[spec.name].data
            if value is not None:
                out[(spec.dimension, spec.group)] = value
        return out

    def fields_of(self, dimension: str) -> list[wtforms.Field]:
        return [self[spec.name] for spec in SHARE_FIELDS if spec.dimension == dimension]

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        """Each share on its own, then each question's shares together: those of one answer
        (gender, ethnic group, age) can add up to 100% at most. That error is shown at the
        question's first field, so the error summary can link to it."""
        if not super().validate(extra_validators):
            return False
        too_much = cohort.over_hundred(self.shares())
        for dimension, total in too_much.items():
            self.fields_of(dimension)[0].errors.append(
                str(
                    _l(
                        "%(question)s: these shares add up to %(total)s%%. They can add up "
                        "to 100%% at most.",
                        question=str(DIMENSIONS[dimension].title),
                        total=format_decimal(total, format="#,##0.#"),
                    )
                )
            )
        return not too_much

    def version_number(self) -> int | None:
        """The estimate number the page showed, or None when it is not a plain number."""
        text = str(self.version.data or "").strip()
        return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None

    def fill(self, estimate) -> None:  # noqa: ANN001
        """Show the estimate in use (``who.Estimate``) in the fields."""
        self.version.data = str(estimate.number)
        self.source.data = estimate.source
        for spec in SHARE_FIELDS:
            self[spec.name].data = estimate.share(spec.dimension, spec.group)


# One field per group, labelled with the group's answer as the equality question words it.
for _spec in SHARE_FIELDS:
    setattr(
        CohortForm,
        _spec.name,
        PercentField(EQUALITY_LABELS[_spec.group], widget=GovTextInput()),
    )

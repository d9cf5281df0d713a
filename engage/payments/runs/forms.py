"""Forms for finance: making a payment run, marking it paid, and reversing a payment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from engage.core.domains import run_sources
from engage.core.forms import Form, GovRadioInput, GovTextArea, SubmissionKey, at_most, submit
from engage.core.numbers import database_id

#: The kinds of thing a run pays, as they appear in the checkbox values ("fee:12").
FEE, CLAIM = "fee", "claim"


def parse_choice(value: str) -> tuple[str, int] | None:
    """``"fee:12"`` → ``("fee", 12)``; another domain's line (``"fund:3"``, see
    ``engage.core.domains.RunSource``) likewise; anything else → None."""
    kind, _sep, ident = str(value).partition(":")
    number = database_id(ident)
    if kind not in (FEE, CLAIM, *(s.kind for s in run_sources())) or number is None:
        return None
    return kind, number


class NewRunForm(Form):
    """The fees and claims to pay. The page draws the checkboxes itself (grouped by person),
    so the choices are not fixed here: what is still ready to pay is for the service to say."""

    # A random key made when the page is first shown and kept when it comes back with an
    # error, so a double click or a resent form makes the run once.
    key = SubmissionKey(refuse_missing=True)
    items = SelectMultipleField(
        _l("What to pay"),
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose at least one payment to put in the run"))],
    )
    submit = submit(_l("Make the payment run"))

    def validate_items(self, field: SelectMultipleField) -> None:
        if any(parse_choice(value) is None for value in field.data or []):
            raise ValidationError(_l("Choose payments from the list"))

    def chosen(self, kind: str) -> list[int]:
        """The ids of the chosen fees (``FEE``), claims (``CLAIM``) or another domain's lines
        (its ``RunSource.kind``)."""
        pairs = [parse_choice(value) for value in self.items.data or []]
        return sorted({pair[1] for pair in pairs if pair and pair[0] == kind})


class MarkPaidForm(Form):
    submit = submit(_l("Yes, mark it as paid"))


PAY_AGAIN, NOT_OWED = "again", "not_owed"


class ReverseForm(Form):
    reason = TextAreaField(
        _l("Why is this payment being reversed?"),
        description=_l(
            "For example: the bank sent the transfer back. The person may be able to read this."
        ),
        widget=GovTextArea(),
        validators=[
            InputRequired(message=_l("Say why the payment is being reversed")),
            at_most(1000),
        ],
    )
    outcome = RadioField(
        _l("What should happen next?"),
        choices=[
            (PAY_AGAIN, _l("Pay it again in a later run")),
            (NOT_OWED, _l("It was not owed")),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose what should happen next"))],
    )
    submit = submit(_l("Reverse the payment"))

    @property
    def pay_again(self) -> bool:
        return self.outcome.data == PAY_AGAIN

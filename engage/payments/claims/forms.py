"""Forms for expense claims: the one-page phone claim, more lines, questions and decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    MoneyField,
    RadioField,
    SelectField,
    SubmissionKey,
    at_most,
    submit,
)
from engage.payments.models import EXPENSE_LABELS, METHOD_LABELS, Method

#: Dates as people write them in the UK, and as a date picker sends them.
DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y"]

#: An expense older than this is a typing mistake (or a claim to talk about, not to type).
OLDEST_EXPENSE_YEARS = 2

WHEN_CHOICES = [
    ("today", _l("Today")),
    ("yesterday", _l("Yesterday")),
    ("other", _l("Another day")),
]


class MultipleGovFileInput(GovFileInput):
    """A file input that takes several files at once (several photos of one receipt)."""

    def map_gov_params(self, field, **kwargs):  # noqa: ANN001, ANN201
        params = super().map_gov_params(field, **kwargs)
        params.setdefault("attributes", {})["multiple"] = True
        return params


class LineFields(Form):
    """One expense: what, when, how much, and its receipts."""

    submission_key = SubmissionKey()
    receipt_ids = HiddenField()  # receipts kept from an earlier try of this form
    kind = RadioField(
        _l("What did you pay for?"),
        choices=[(k.value, v) for k, v in EXPENSE_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose what you paid for"))],
    )
    when = RadioField(
        _l("When?"),
        choices=WHEN_CHOICES,
        default="today",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose when you paid"))],
    )
    spent_on = DateField(
        _l("If another day, which day?"),
        description=_l("For example, 27/11/2026"),
        widget=GovTextInput(),
        validators=[Optional(), DateBounds.past(OLDEST_EXPENSE_YEARS)],
        invalid_message=_l("Enter a real date, like 27/11/2026"),
        format=DATE_FORMATS,
    )
    amount = MoneyField(
        _l("How much did it cost?"),
        description=_l("In pounds and pence, for example 4.50. Not needed for miles driven."),
        widget=GovTextInput(),
        invalid_message=_l("Enter an amount in pounds and pence, like 4.50"),
    )
    miles = MoneyField(
        _l("If you drove, how many miles?"),
        description=_l("There and back. We work out the amount for you."),
        widget=GovTextInput(),
        invalid_message=_l("Enter the miles as a number, like 12"),
    )
    reason = TextAreaField(
        _l("If you took a taxi, why did you need one?"),
        description=_l("For example: no bus at that time, or it hurts to walk far."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(500)],
    )
    description = StringField(
        _l("Anything to add? (optional)"),
        description=_l("For example: bus to the Hub and back"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    receipts = MultipleFileField(
        _l("Photo of your ticket or receipt (optional)"),
        description=_l("Take a photo or choose one. A PDF works too. Up to 10 MB each."),
        widget=MultipleGovFileInput(),
    )


class QuickClaimForm(LineFields):
    """The phone journey: one expense on one page, sent at once."""

    link = SelectField(
        _l("Was it for a meeting or piece of work? (optional)"),
        widget=GovSelect(),
        validators=[Optional()],
    )
    method = RadioField(
        _l("How should we pay you back?"),
        choices=[(m.value, METHOD_LABELS[m]) for m in (Method.BANK, Method.CASH)],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how we should pay you back"))],
    )
    send = submit(_l("Send claim"))
    more = submit(_l("Save and add another expense"))


class CashOnDayForm(QuickClaimForm):
    """A manager records cash handed over at a meeting, after the event."""

    method = HiddenField(default="cash")  # cash, whatever the person's usual choice

    signature_note = StringField(
        _l("How was it signed for?"),
        description=_l("For example: signed on the attendance sheet by Sam, 3 March"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Say how the cash was signed for")), at_most(200)],
    )
    send = submit(_l("Record cash paid"))


class LineForm(LineFields):
    submit = submit(_l("Add this expense"))


class ReceiptsForm(Form):
    receipts = MultipleFileField(
        _l("Add a photo or PDF of a receipt"),
        widget=MultipleGovFileInput(),
    )
    submit = submit(_l("Add receipt"))


class VersionedForm(Form):
    """Staff decisions carry the claim's version, so a decision made on a stale page is
    refused instead of overriding someone else's."""

    version = HiddenField()


class ConfirmForm(VersionedForm):
    submit = submit(_l("Confirm"))


class ApproveForm(VersionedForm):
    submit = submit(_l("Approve"))


class QueryForm(VersionedForm):
    question = TextAreaField(
        _l("What do you want to ask?"),
        description=_l("Use plain words. They will get this by their chosen way of contact."),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Write the question you want to ask")), at_most(2000)],
    )
    submit = submit(_l("Send question"))


class RejectForm(VersionedForm):
    reason = TextAreaField(
        _l("Why is it not approved?"),
        description=_l("They will read this. Say what they can do next, if anything."),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say why, so the person can read it")), at_most(2000)],
    )
    submit = submit(_l("Do not approve"))


class AnswerForm(Form):
    answer = TextAreaField(
        _l("Your answer"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Write your answer")), at_most(2000)],
    )
    submit = submit(_l("Send answer"))

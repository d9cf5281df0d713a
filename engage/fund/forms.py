"""Forms for the fund: a request on one page, decisions, payment, follow-up, and the fund's
own settings and money in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, Regexp

from engage.changes.forms import RaiseForm
from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovFileInput,
    GovRadioInput,
    GovTextArea,
    GovTextInput,
    MoneyField,
    RadioField,
    SubmissionKey,
    at_most,
    submit,
)
from engage.fund.models import CATEGORY_LABELS, PAY_TO_LABELS, PaidHow

MONEY_MESSAGE = _l("Enter an amount in pounds and pence, like 25 or 25.50")


class RequestForm(Form):
    submission_key = SubmissionKey()
    person_ref = StringField(
        lazy_pgettext("fund request", "Who is it for?"),
        description=_l("Their first name or your reference for them. Nothing more is needed."),
        widget=GovTextInput(),
        validators=[Optional(), at_most(80)],
    )
    category = RadioField(
        _l("What kind of thing is it?"),
        choices=[(k.value, v) for k, v in CATEGORY_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose what kind of thing it is"))],
    )
    barrier = TextAreaField(
        _l("What is in the way?"),
        description=_l("For example: cannot open a bank account without photo ID"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say what is in the way")), at_most(2000)],
    )
    amount = MoneyField(
        _l("How much does it cost?"),
        description=_l("In pounds, for example 35.50"),
        widget=GovTextInput(),
        invalid_message=MONEY_MESSAGE,
        validators=[InputRequired(message=_l("Enter how much it costs"))],
    )
    how_it_helps = TextAreaField(
        _l("How will it help?"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say how it will help")), at_most(2000)],
    )
    pay_to = RadioField(
        _l("How should we pay?"),
        choices=[(k.value, v) for k, v in PAY_TO_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how we should pay"))],
    )
    supplier_name = StringField(
        _l("Supplier's name (if paying a supplier)"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(120)],
    )
    quote = StringField(
        _l("Quote or invoice number (if paying a supplier)"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    sort_code = StringField(
        _l("Supplier's sort code (optional)"),
        description=_l("6 digits, for example 309430"),
        widget=GovTextInput(),
        validators=[
            Optional(),
            Regexp(
                r"^\s*\d{2}[- ]?\d{2}[- ]?\d{2}\s*$", message=_l("Enter a sort code of 6 digits")
            ),
        ],
    )
    account_number = StringField(
        _l("Supplier's account number (optional)"),
        description=_l("8 digits"),
        widget=GovTextInput(),
        validators=[
            Optional(),
            Regexp(r"^\s*\d{8}\s*$", message=_l("Enter an account number of 8 digits")),
        ],
    )
    submit = submit(_l("Send the request"))


class DecideForm(Form):
    submit = submit(_l("Approve"))


class QuestionForm(Form):
    question = TextAreaField(
        _l("Your question"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Write your question")), at_most(2000)],
    )
    submit = submit(_l("Ask"))


class AnswerForm(Form):
    answer = TextAreaField(
        _l("Your answer"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Write your answer")), at_most(2000)],
    )
    submit = submit(_l("Send my answer"))


class DeclineForm(Form):
    reason = TextAreaField(
        _l("Why not? The person who asked will read this"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say why, kindly")), at_most(2000)],
    )
    submit = submit(_l("Decline"))


class WithdrawForm(Form):
    submit = submit(_l("Withdraw the request"))


class PaidForm(Form):
    how = RadioField(
        _l("How was it paid?"),
        choices=[
            (PaidHow.CARD.value, PaidHow.CARD.label),
            (PaidHow.CASH.value, PaidHow.CASH.label),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose how it was paid"))],
    )
    note = StringField(
        _l("Receipt number, or where it is kept"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(200)],
    )
    receipt = FileField(
        _l("Photo or PDF of the receipt (optional)"),
        widget=GovFileInput(),
    )
    submit = submit(_l("Record as paid"))


class RunForm(Form):
    submit = submit(_l("Record as paid in a payment run"))


class FollowUpForm(Form):
    helped = RadioField(
        _l("Did it help?"),
        choices=[("yes", _l("Yes")), ("no", _l("No"))],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether it helped"))],
    )
    how = TextAreaField(
        _l("How? (optional)"),
        widget=GovTextArea(),
        validators=[Optional(), at_most(2000)],
    )
    submit = submit(_l("Send"))


class ContributionForm(Form):
    submission_key = SubmissionKey()
    amount = MoneyField(
        _l("Amount"),
        widget=GovTextInput(),
        invalid_message=MONEY_MESSAGE,
        validators=[InputRequired(message=_l("Enter the amount"))],
    )
    source = StringField(
        _l("Who gave it?"),
        description=_l("A service's name, or Public giving"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Say who gave it")), at_most(120)],
    )
    received_on = DateField(
        _l("Date received"),
        description=_l("For example 2027-03-01"),
        widget=GovTextInput(),
        invalid_message=_l("Enter a date like 2027-03-01"),
        validators=[InputRequired(message=_l("Enter the date")), DateBounds.past(10)],
    )
    note = StringField(_l("Note (optional)"), widget=GovTextInput(), validators=[at_most(200)])
    submit = submit(_l("Add to the fund"))


class FundForm(Form):
    name = StringField(
        _l("Name"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Give the fund a name")), at_most(120)],
    )
    purpose = TextAreaField(
        _l("What is it for?"), widget=GovTextArea(), validators=[Optional(), at_most(2000)]
    )
    budget = MoneyField(
        _l("Budget for the period"),
        widget=GovTextInput(),
        invalid_message=MONEY_MESSAGE,
        validators=[InputRequired(message=_l("Enter the budget"))],
    )
    budget_from = DateField(
        _l("Period starts (optional)"),
        widget=GovTextInput(),
        invalid_message=_l("Enter a date like 2027-04-01"),
        validators=[Optional(), DateBounds.around(5, 5)],
    )
    budget_to = DateField(
        _l("Period ends (optional)"),
        widget=GovTextInput(),
        invalid_message=_l("Enter a date like 2028-03-31"),
        validators=[Optional(), DateBounds.around(5, 5)],
    )
    single_approval_limit = MoneyField(
        _l("One approver decides requests up to"),
        description=_l("Above this, two different people approve"),
        widget=GovTextInput(),
        invalid_message=MONEY_MESSAGE,
        validators=[InputRequired(message=_l("Enter the amount"))],
    )
    submit = submit(_l("Save"))


class FundRaiseForm(RaiseForm):
    """Raise the barrier a request shows in the register. Anonymised: never a name."""

    show_name = None
    submit = submit(_l("Put this in the register"))

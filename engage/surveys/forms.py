"""Survey forms: one question at a time, the paper form with every question, and the
manager's forms for rounds and the suppression threshold.

Question fields are built from the definition, so a survey file is all a new survey needs.
"""

from __future__ import annotations

from typing import Any

import wtforms
from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from engage.changes.forms import RaiseForm
from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    IntegerField,
    RadioField,
    SelectField,
    SubmissionKey,
    TimeField,
    at_most,
    submit,
)
from engage.surveys.definitions import Question
from engage.surveys.models import AUDIENCE_LABELS, Audience

#: The largest number a number question takes, whatever its file says (the column's limit).
LARGEST_NUMBER = 10**12


class _Checkboxes(SelectMultipleField):
    """Several options; a value that is not offered gets the plain "Choose" message."""

    def pre_validate(self, form):  # noqa: ANN001, ANN201
        offered = {value for value, _label in self.choices}
        if any(value not in offered for value in self.data or []):
            raise ValidationError(str(_l("Choose from the options shown")))


class _AtLeastOne:
    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            raise ValidationError(str(_l("Choose at least one option")))


def question_field(question: Question, locale: str, easy_read: bool) -> wtforms.Field:
    """The form field that asks ``question`` in the person's language (and easy read)."""
    label = question.label(locale, easy_read=easy_read)
    help_text = question.help_text(locale) or ""
    required = question.required
    if question.type in ("agree", "single"):
        return RadioField(
            label,
            description=help_text,
            choices=question.choices(locale),
            widget=GovRadioInput(),
            validators=[InputRequired(message=_l("Choose an answer"))]
            if required
            else [Optional()],
        )
    if question.type == "multiple":
        return _Checkboxes(
            label,
            description=help_text,
            choices=question.choices(locale),
            widget=GovCheckboxesInput(),
            validators=[_AtLeastOne()] if required else [],
        )
    if question.type == "number":
        low = max(question.min, -LARGEST_NUMBER) if question.min is not None else -LARGEST_NUMBER
        high = min(question.max, LARGEST_NUMBER) if question.max is not None else LARGEST_NUMBER
        return IntegerField(
            label,
            description=help_text,
            invalid_message=_l("Enter a whole number, like 25"),
            widget=GovTextInput(),
            validators=[
                InputRequired(message=_l("Enter a number")) if required else Optional(),
                NumberRange(
                    min=low,
                    max=high,
                    message=_l("Enter a number from %(low)s to %(high)s", low=low, high=high),
                ),
            ],
        )
    return TextAreaField(
        label,
        description=help_text,
        widget=GovTextArea(),
        validators=[
            InputRequired(message=_l("Write an answer")) if required else Optional(),
            at_most(question.max_length),
        ],
    )


def field_value(question: Question, data: Any) -> Any:
    """What a field gave, as an answer is stored in a draft (None: no answer)."""
    if data in (None, "", []):
        return None
    if question.type == "multiple":
        return sorted(data)
    if question.type == "number":
        return str(data)
    if question.type == "text":
        text = str(data).strip()
        return text or None
    return str(data)


def field_data(question: Question, value: Any) -> Any:
    """A stored answer, as its field shows it."""
    if value is None:
        return [] if question.type == "multiple" else None
    if question.type == "number":
        return int(value)
    return value


class QuestionForm(Form):
    """One question on its own page. The question's field is always named ``answer``."""

    submit = submit(_l("Continue"))


def question_form(question: Question, locale: str, easy_read: bool, **kwargs: Any) -> Form:
    form_class = type(
        "OneQuestionForm", (QuestionForm,), {"answer": question_field(question, locale, easy_read)}
    )
    return form_class(**kwargs)


class CheckForm(Form):
    submit = submit(_l("Send my answers"))


class PaperFormBase(Form):
    submission_key = SubmissionKey()
    submit = submit(_l("Save this paper form"))


def paper_form(
    questions: list[Question], locale: str, people: list[tuple[str, str]] | None, **kwargs: Any
) -> Form:
    """Every question on one page, as staff copy a paper form. Each field is named ``q_<id>``.
    ``people`` (identified rounds) adds the choice of whose answers these are."""
    fields: dict[str, Any] = {
        f"q_{q.id}": question_field(q, locale, easy_read=False) for q in questions
    }
    if people is not None:
        fields["person"] = SelectField(
            _l("Whose answers are these?"),
            choices=[("", _l("Choose a person"))] + people,
            widget=GovSelect(),
            validators=[InputRequired(message=_l("Choose whose answers these are"))],
        )
    return type("PaperForm", (PaperFormBase,), fields)(**kwargs)


class RoundForm(Form):
    submission_key = SubmissionKey()
    definition = RadioField(
        _l("Survey"),
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose a survey"))],
    )
    title = StringField(
        _l("Name of this round"),
        description=_l('For example, "Co-production partners, spring 2027".'),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter a name for this round")), at_most(150)],
    )
    audience = RadioField(
        _l("Who is it for?"),
        choices=[(a.value, AUDIENCE_LABELS[a]) for a in Audience],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose who the survey is for"))],
    )
    forum = SelectField(
        _l("Forum"),
        description=_l("Only if the survey is for the members of one forum."),
        widget=GovSelect(),
        validators=[Optional()],
    )
    people = _Checkboxes(
        _l("People"), description=_l("Only if you choose the people."), widget=GovCheckboxesInput()
    )
    opens_on = DateField(
        _l("Opens on"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the day it opens")), DateBounds.around(1, 2)],
    )
    opens_time = TimeField(
        _l("Opens at (time)"),
        description=_l("For example, 09:00"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the time it opens, such as 09:00"))],
    )
    closes_on = DateField(
        _l("Closes on"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the day it closes")), DateBounds.around(1, 2)],
    )
    closes_time = TimeField(
        _l("Closes at (time)"),
        description=_l("For example, 17:00"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the time it closes, such as 17:00"))],
    )
    submit = submit(_l("Plan this round"))

    def validate_forum(self, field: SelectField) -> None:
        if self.audience.data == Audience.FORUM.value and not field.data:
            raise ValidationError(str(_l("Choose the forum")))

    def validate_people(self, field: _Checkboxes) -> None:
        if self.audience.data == Audience.LIST.value and not field.data:
            raise ValidationError(str(_l("Choose at least one person")))


class ReopenForm(Form):
    closes_on = DateField(
        _l("Take answers until"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the new closing day")), DateBounds.future(2)],
    )
    closes_time = TimeField(
        _l("Time"),
        description=_l("For example, 17:00"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Enter the time it closes, such as 17:00"))],
    )
    submit = submit(_l("Reopen the survey"))


class ConfirmForm(Form):
    submit = submit(_l("Confirm"))


class ThresholdForm(Form):
    threshold = IntegerField(
        _l("Smallest group shown"),
        description=_l(
            "Results never show a group smaller than this, so nobody can be picked out. "
            "5 is the usual choice."
        ),
        widget=GovTextInput(),
        validators=[
            InputRequired(message=_l("Enter a whole number from 3 to 100")),
            NumberRange(min=3, max=100, message=_l("Enter a whole number from 3 to 100")),
        ],
    )
    submit = submit(_l("Save"))


class RaiseFromAnswerForm(RaiseForm):
    """Raise what someone wrote as a register item. The manager rewrites it so nobody can be
    recognised; items from surveys never carry a name."""

    show_name = None
    submit = submit(_l("Put this in the register"))

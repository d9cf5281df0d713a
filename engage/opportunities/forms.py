"""Forms for consultation requests and opportunities."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms import (
    Field,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from engage.core.forms import (
    DateBounds,
    DateField,
    Form,
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovTextArea,
    GovTextInput,
    at_most,
    submit,
)
from engage.core.forms import SelectField as PlainSelectField
from engage.forums.models import RUNG_LABELS
from engage.opportunities.models import ACTIVITY_LABELS, KIND_LABELS

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


class RequestForm(Form):
    title = StringField(
        _l("In a few words, what do you need?"),
        description=_l("For example: Review our new hostel leaflet"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Say in a few words what you need")), at_most(150)],
    )
    kind = RadioField(
        _l("What would people do?"),
        choices=[(k.value, v) for k, v in KIND_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose what people would do"))],
    )
    description = TextAreaField(
        _l("Tell us more"),
        description=_l(
            "What it is for, who it is for, and what difference the forum's views could make."
        ),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Tell us more about what you need")), at_most(5000)],
    )
    needed_by = DateField(
        _l("When do you need it by? (optional)"),
        description=_l("For example, 2027-03-31"),
        widget=GovTextInput(),
        validators=[Optional(), DateBounds.future(5)],
        invalid_message=_l("Enter a real date, as year-month-day, like 2027-03-31"),
    )
    effort = StringField(
        _l("How much time will it take? (optional)"),
        description=_l("For example: about two hours"),
        widget=GovTextInput(),
        validators=[Optional(), at_most(120)],
    )
    paid = RadioField(
        _l("Will people be paid for their time?"),
        choices=YES_NO,
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether people will be paid"))],
    )
    submit = submit(_l("Send the request"))


class DeclineForm(Form):
    reason = TextAreaField(
        _l("Why can the forum not take this on?"),
        description=_l("The partner will read this. Use plain, kind words."),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Give a reason the partner can read")), at_most(2000)],
    )
    submit = submit(_l("Decline the request"))


class OpportunityForm(Form):
    title = StringField(
        _l("Title"),
        widget=GovTextInput(),
        validators=[InputRequired(message=_l("Give the opportunity a title")), at_most(150)],
    )
    description = TextAreaField(
        _l("What is it, and what would people do?"),
        widget=GovTextArea(),
        validators=[InputRequired(message=_l("Say what people would do")), at_most(5000)],
    )
    activity = SelectField(
        _l("Kind of involvement"),
        description=_l("This decides the rate people are paid at."),
        choices=[(k, v) for k, v in ACTIVITY_LABELS.items()],
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose the kind of involvement"))],
    )
    forum = SelectField(
        _l("Which forum is it for? (optional)"),
        description=_l("Only that forum's members are told about it. Leave it for everyone."),
        widget=GovSelect(),
        validators=[Optional()],
    )
    places = IntegerField(
        _l("How many places?"),
        widget=GovTextInput(),
        default=1,
        validators=[
            InputRequired(message=_l("Enter how many people are needed, like 3")),
            NumberRange(min=1, max=500, message=_l("Enter a number from 1 to 500")),
        ],
    )
    closes_on = DateField(
        _l("Last day to say you are interested (optional)"),
        description=_l("For example, 2027-03-31"),
        widget=GovTextInput(),
        validators=[Optional(), DateBounds.future(5)],
        invalid_message=_l("Enter a real date, as year-month-day, like 2027-03-31"),
    )
    paid = RadioField(
        _l("Is it paid?"),
        choices=YES_NO,
        default="yes",
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Say whether it is paid"))],
    )
    rung = RadioField(
        _l("How much power is shared?"),
        description=_l("The ladder of co-production, from informing people to co-production."),
        choices=[(k.value, v) for k, v in RUNG_LABELS.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message=_l("Choose a rung on the ladder"))],
    )
    peer_role = PlainSelectField(
        _l("Does it need the checks and training of a peer role? (optional)"),
        description=_l(
            "Before you choose someone whose DBS check or training for that role is missing "
            "or has run out, you will be warned, and going ahead will need a reason."
        ),
        widget=GovSelect(),
        validators=[Optional()],
    )
    submit = submit(_l("Publish the opportunity"))


class OpportunityRoleForm(Form):
    peer_role = PlainSelectField(
        _l("Does it need the checks and training of a peer role?"),
        description=_l(
            "Before you choose someone whose DBS check or training for that role is missing "
            "or has run out, you will be warned, and going ahead will need a reason. People "
            "chosen already stay chosen."
        ),
        widget=GovSelect(),
        validators=[Optional()],
    )
    submit = submit(_l("Save"))


class LinkOpportunityForm(Form):
    opportunity = SelectField(
        _l("Opportunity"),
        widget=GovSelect(),
        validators=[InputRequired(message=_l("Choose an opportunity"))],
    )
    submit = submit(_l("Accept and link"))


class InterestForm(Form):
    note = TextAreaField(
        _l("Anything you would like us to know? (optional)"),
        description=_l("For example, days you cannot do, or why this matters to you."),
        widget=GovTextArea(),
        validators=[Optional(), at_most(1000)],
    )
    submit = submit(_l("I'm interested"))


class ConfirmForm(Form):
    submit = submit(_l("Confirm"))


class _People(SelectMultipleField):
    """People to choose by user id; anything not on the page (someone chosen meanwhile, a
    changed form) gets a plain message."""

    def process_formdata(self, valuelist):  # noqa: ANN001, ANN201
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = []
            raise ValueError(str(_l("Choose from the people shown"))) from None

    def pre_validate(self, form):  # noqa: ANN001, ANN201
        offered = {value for value, _label in self.choices}
        if any(value not in offered for value in self.data or []):
            raise ValidationError(
                str(_l("Choose from the people shown: the list may have changed meanwhile"))
            )


#: The name of the reason field for one interested person.
REASON_PREFIX = "reason_"


class SelectPeopleForm(Form):
    people = _People(
        _l("Who will do it?"),
        coerce=int,
        widget=GovCheckboxesInput(),
        validators=[InputRequired(message=_l("Choose at least one person"))],
    )
    submit = submit(_l("Choose these people and tell everyone"))

    @classmethod
    def for_people(cls, user_ids: Iterable[int], **kwargs) -> SelectPeopleForm:  # noqa: ANN003
        """The form with a reason box for each of ``user_ids`` (the interested people): the
        page shows the boxes of those with a warning, and what was typed in any of them
        comes back if the choice is refused."""

        class WithReasons(cls):
            pass

        for user_id in user_ids:
            setattr(
                WithReasons,
                f"{REASON_PREFIX}{int(user_id)}",
                TextAreaField(
                    _l("Going ahead although… why? (for the record)"),
                    description=_l(
                        "Only managers read this; it is not sent. Do not write anything "
                        "about a criminal record here."
                    ),
                    widget=GovTextArea(),
                    validators=[Optional(), at_most(2000)],
                ),
            )
        return WithReasons(**kwargs)

    def reason_field(self, user_id: int) -> Field | None:
        """The reason box for one person, if the form has one."""
        return self._fields.get(f"{REASON_PREFIX}{int(user_id)}")

    def reasons(self) -> dict[int, str]:
        """What was typed in each reason box, by user id."""
        return {
            int(name.removeprefix(REASON_PREFIX)): field.data or ""
            for name, field in self._fields.items()
            if name.startswith(REASON_PREFIX)
        }

"""Form pieces shared by every domain: GOV.UK widgets and friendly validators."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from uuid import uuid4

import wtforms
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from govuk_frontend_wtf import wtforms_widgets as gov
from wtforms import PasswordField, SubmitField
from wtforms.validators import InputRequired, Length, ValidationError

from engage.core import dates
from engage.core.csrf import FormCSRF
from engage.core.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, is_common_password


class _Translated:
    """GOV.UK widgets with their built-in English ("Error:", "Show") put through gettext."""

    def map_gov_params(self, field, **kwargs):  # noqa: ANN001, ANN201
        params = super().map_gov_params(field, **kwargs)
        if "errorMessage" in params:
            params["errorMessage"]["visuallyHiddenText"] = _("Error")
        return params


class GovTextInput(_Translated, gov.GovTextInput):
    pass


class GovTextArea(_Translated, gov.GovTextArea):
    pass


class GovSelect(_Translated, gov.GovSelect):
    pass


class GovRadioInput(_Translated, gov.GovRadioInput):
    pass


class GovCheckboxesInput(_Translated, gov.GovCheckboxesInput):
    pass


class GovCheckboxInput(_Translated, gov.GovCheckboxInput):
    pass


class GovPasswordInput(_Translated, gov.GovPasswordInput):
    def map_gov_params(self, field, **kwargs):  # noqa: ANN001, ANN201
        params = super().map_gov_params(field, **kwargs)
        params.update(
            showPasswordText=_("Show"),
            hidePasswordText=_("Hide"),
            showPasswordAriaLabelText=_("Show password"),
            hidePasswordAriaLabelText=_("Hide password"),
            passwordShownAnnouncementText=_("Your password is visible"),
            passwordHiddenAnnouncementText=_("Your password is hidden"),
        )
        return params


class GovFileInput(_Translated, gov.GovFileInput):
    pass


GovSubmitInput = gov.GovSubmitInput


class _PlainParseError:
    """Say what to type (``invalid_message``) instead of WTForms' "Not a valid date value.",
    and read a field left blank as empty rather than wrong: whether it is needed is for the
    field's validators to say."""

    def __init__(self, *args, invalid_message: str = "", **kwargs):  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):  # noqa: ANN001, ANN201
        valuelist = [str(v).strip() for v in valuelist]
        if valuelist and not valuelist[0]:
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(self.invalid_message)) from None


class DateField(_PlainParseError, wtforms.DateField):
    """A date typed as year-month-day."""


class DateBounds:
    """Refuse a date nobody means (year 1, year 9999, a slip of the keyboard) with a message
    that says what to type. "Today" is the partnership's (``engage.core.dates``), read when
    the form is checked. Build one of three shapes:

    - ``DateBounds.past(years)``: today or before, and not more than ``years`` years ago
      (an expense, time given);
    - ``DateBounds.future(years)``: today or later, and not more than ``years`` years on
      (the last day to say you are interested);
    - ``DateBounds.around(back, ahead)``: any day of the calendar years from ``back`` years
      before this one to ``ahead`` years after it (meetings, target dates, rates).

    ``message`` replaces the standard wording. An empty or unreadable date is left to the
    field's other checks.
    """

    def __init__(self, back: int, ahead: int, *, whole_years: bool, message: str | None = None):
        self.back, self.ahead, self.whole_years, self.message = back, ahead, whole_years, message

    @classmethod
    def past(cls, years: int, message: str | None = None) -> DateBounds:
        return cls(years, 0, whole_years=False, message=message)

    @classmethod
    def future(cls, years: int, message: str | None = None) -> DateBounds:
        return cls(0, years, whole_years=False, message=message)

    @classmethod
    def around(cls, back: int, ahead: int, message: str | None = None) -> DateBounds:
        return cls(back, ahead, whole_years=True, message=message)

    def limits(self, today: date) -> tuple[date, date]:
        """The first and last dates allowed when it is ``today``."""
        if self.whole_years:
            return date(today.year - self.back, 1, 1), date(today.year + self.ahead, 12, 31)
        return dates.years_before(today, self.back), dates.years_after(today, self.ahead)

    def __call__(self, form: FlaskForm, field: wtforms.Field) -> None:
        if not isinstance(field.data, date):
            return
        first, last = self.limits(dates.local_today())
        if not first <= field.data <= last:
            raise ValidationError(str(self.message or self._what_to_type(first, last)))

    def _what_to_type(self, first: date, last: date) -> str:
        if not self.whole_years and not self.ahead:
            return ngettext(
                "Enter a date that is today or in the past, and not more than %(num)d year ago",
                "Enter a date that is today or in the past, and not more than %(num)d years ago",
                self.back,
            )
        if not self.whole_years:
            return ngettext(
                "Enter a date that is today or later, and not more than %(num)d year from now",
                "Enter a date that is today or later, and not more than %(num)d years from now",
                self.ahead,
            )
        if first.year == last.year:
            return _("Enter a date in %(year)d", year=first.year)
        if last.year == first.year + 1:
            return _("Enter a date in %(first)d or %(last)d", first=first.year, last=last.year)
        return _("Enter a date between %(first)d and %(last)d", first=first.year, last=last.year)


class IntegerField(_PlainParseError, wtforms.IntegerField):
    """A whole number; left empty it is None."""


class TimeField(_PlainParseError, wtforms.TimeField):
    """A time typed as 10:30 or 10.30."""

    def process_formdata(self, valuelist):  # noqa: ANN001, ANN201
        super().process_formdata([str(v).replace(".", ":") for v in valuelist])


class _PlainChoice:
    """A choice that is not on the list (an old form, a changed page) gets the field's own
    "Choose ..." message instead of WTForms' "Not a valid choice"."""

    def pre_validate(self, form):  # noqa: ANN001, ANN201
        try:
            super().pre_validate(form)
        except ValidationError:
            message = next(
                (v.message for v in self.validators if isinstance(v, InputRequired) and v.message),
                _l("Choose one of the options"),
            )
            raise ValidationError(str(message)) from None


class RadioField(_PlainChoice, wtforms.RadioField):
    pass


class SelectField(_PlainChoice, wtforms.SelectField):
    pass


#: Amounts as people write them, and how to read each with a point before the pence.
_MONEY_STYLES = [
    (re.compile(r"\d{1,3}(,\d{3})+(\.\d{1,2})?"), lambda t: t.replace(",", "")),  # 1,200.50
    (re.compile(r"\d{1,3}(\.\d{3})+,\d{1,2}"), lambda t: t.replace(".", "").replace(",", ".")),
    (re.compile(r"\d+,\d{1,2}"), lambda t: t.replace(",", ".")),  # 4,50: Polish and most of Europe
]


def _decimal_point(text: str) -> str:
    """Money as people type it in any of our languages, with a point before the pence:
    "4,50" is £4.50, "1,200" is £1,200, "1.200,50" and "1,200.50" are £1,200.50. Anything
    else is returned as it is, for the caller to refuse."""
    for style, read in _MONEY_STYLES:
        if style.fullmatch(text):
            return read(text)
    return text


class MoneyField(wtforms.StringField):
    """An amount in pounds and pence, read as an exact ``Decimal`` (never a float).

    People type money the way they write it: "4.50", "£4.50", "4", "4,50" or "1,200". Anything else,
    a negative amount, or more than two places after the point gets ``invalid_message``.
    Left empty it is None. The typed text is kept to show back when the page has errors.
    """

    def __init__(self, *args, invalid_message: str = "", **kwargs):  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message

    def process_formdata(self, valuelist):  # noqa: ANN001, ANN201
        self.raw = str(valuelist[0]).strip() if valuelist else ""
        self.data = None
        if not self.raw:
            return
        text = _decimal_point(self.raw.replace("£", "").replace(" ", ""))
        if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
            raise ValueError(str(self.invalid_message))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(str(self.invalid_message)) from None
        self.data = amount.quantize(Decimal("0.01"))

    def _value(self) -> str:
        if getattr(self, "raw", None) is not None and self.raw != "":
            return self.raw
        return "" if self.data is None else f"{self.data:.2f}"


#: Bidirectional controls that reorder the text after them: embeddings and overrides
#: (U+202A-U+202E) and isolates (U+2066-U+2069). "nimda" typed after U+202E shows as "admin",
#: so a name or title could pass for someone else's. The marks U+200E, U+200F and U+061C are
#: kept: they reorder nothing, and Arabic and mixed-direction text uses them.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def without_bidi_controls(value: object) -> object:
    """``value`` without bidirectional embedding, override and isolate controls (text only;
    anything else is returned as it is)."""
    return value.translate(BIDI_CONTROLS) if isinstance(value, str) else value


def without_nul(value: object) -> object:
    """``value`` without NUL characters (text only). Nobody types one, and PostgreSQL refuses
    them in text, so one sent in a form would otherwise end as a server error."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class SubmissionKey(wtforms.HiddenField):
    """A hidden key that makes one form make one thing, however often it is sent (a double
    click, a resend after a lost connection, the same page in two tabs).

    The page is shown with a fresh random key; the service stores it in a unique column; the
    route looks for the row with that key (``form.submission_key.key``) before making one. A
    form sent without its key gets a new one, unless ``refuse_missing`` (a payment run: the
    service refuses a blank key, and the page shown again carries a new one: :meth:`renew`).
    """

    #: The longest key a unique column keeps.
    LENGTH = 40

    def __init__(self, *args, refuse_missing: bool = False, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.refuse_missing = refuse_missing

    def process(self, formdata, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().process(formdata, *args, **kwargs)
        if not self.data and not (formdata and self.refuse_missing):
            self.renew()

    def renew(self) -> None:
        """Give the form a new key (to show a form whose key was refused again)."""
        self.data = uuid4().hex

    @property
    def key(self) -> str:
        return str(self.data or "")[: self.LENGTH]


class Form(FlaskForm):
    """Base form. Every field keeps what the person typed when the page comes back with errors
    (WTForms does this as long as routes re-render the same form object).

    Every text field of every form drops bidirectional controls as it reads what was typed
    (passwords excepted: they are never shown, and must stay exactly as typed), so no name,
    title or note can make a page show something other than what is stored; and NUL
    characters, which PostgreSQL cannot store.
    """

    class Meta:
        # Shows masked CSRF tokens, safe in compressed pages (engage.core.csrf).
        csrf_class = FormCSRF

        def bind_field(self, form, unbound_field, options):  # noqa: ANN001, ANN201
            kind = unbound_field.field_class
            if issubclass(kind, wtforms.StringField) and not issubclass(
                kind, wtforms.PasswordField
            ):
                filters = tuple(unbound_field.kwargs.get("filters") or ())
                cleaning = (without_bidi_controls, without_nul)
                options = {**options, "filters": (*filters, *cleaning)}
            return super().bind_field(form, unbound_field, options)


def at_most(length: int) -> Length:
    """A length limit with a plain message (WTForms' own wording is neither plain nor
    translated)."""
    return Length(max=length, message=_l("Keep this to %(max)d characters or fewer", max=length))


def submit(label: str | _l) -> SubmitField:
    return SubmitField(label, widget=GovSubmitInput())


class NotCommonPassword:
    """Refuse the most used passwords, and the person's own name, instead of complexity rules."""

    def __init__(self, *personal_fields: str):
        self.personal_fields = personal_fields

    def __call__(self, form: FlaskForm, field: PasswordField) -> None:
        personal = [getattr(form, "_personal", {}).get(name, "") for name in self.personal_fields]
        if is_common_password(field.data or "", *personal):
            raise ValidationError(
                _l("That password is too easy to guess. Try three random words together.")
            )


def new_password_field(label: str | _l = _l("New password")) -> PasswordField:
    return PasswordField(
        label,
        description=_l(
            "At least %(min)d characters. Three random words together make a strong password.",
            min=MIN_PASSWORD_LENGTH,
        ),
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message=_l("Enter a password")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Your password must be at least %(min)d characters", min=MIN_PASSWORD_LENGTH
                ),
            ),
            NotCommonPassword("username", "email", "name"),
        ],
    )

from decimal import Decimal

import pytest
from flask_babel import force_locale

from engage.core.money import format_money, to_money


def test_money_is_exact_and_rounded_half_up():
    assert to_money("2.675") == Decimal("2.68")
    assert to_money(3) == Decimal("3.00")
    assert to_money("0.1") + to_money("0.2") == Decimal("0.30")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_money(0.1)
    with pytest.raises(ValueError, match="not an amount"):
        to_money("twelve")


NBSP = "\xa0"
RLI, PDI, RLM = "\u2067", "\u2069", "\u200f"


@pytest.mark.parametrize(
    ("locale", "amount", "shown"),
    [
        ("en_GB", "1234.5", "£1,234.50"),
        ("en_GB", "-1234.5", "-£1,234.50"),
        ("en_GB", "0.5", "£0.50"),
        ("en_GB", "1234567", "£1,234,567.00"),
        # Polish writes the pound sign after the amount, with its own separators.
        ("pl", "1234.5", f"1{NBSP}234,50{NBSP}£"),
        ("pl", "-1234.5", f"-1{NBSP}234,50{NBSP}£"),
        ("pl", "10", f"10,00{NBSP}£"),
        ("pl", "1234567", f"1{NBSP}234{NBSP}567,00{NBSP}£"),
        # Arabic reads right to left: the amount comes first and the pound sign after it, in
        # Latin digits, isolated so that nothing next to it in a sentence can reorder it.
        ("ar", "1234.5", f"{RLI}{RLM}1,234.50{NBSP}£{PDI}"),
        ("ar", "-1234.5", f"{RLI}{RLM}-1,234.50{NBSP}£{PDI}"),
        ("ar", "10", f"{RLI}{RLM}10.00{NBSP}£{PDI}"),
        ("ar", "1234567", f"{RLI}{RLM}1,234,567.00{NBSP}£{PDI}"),
    ],
)
def test_money_is_written_in_pounds_the_way_each_language_writes_it(ctx, locale, amount, shown):
    with force_locale(locale):
        assert format_money(amount) == shown


def test_money_outside_the_app_is_written_the_british_way():
    assert format_money("-1234.5") == "-£1,234.50"


@pytest.mark.parametrize("locale", ["en_GB", "pl", "ar"])
def test_money_always_shows_the_pound_sign_never_a_code(ctx, locale):
    with force_locale(locale):
        shown = format_money("10")
    assert "£" in shown
    assert "GBP" not in shown and "UK" not in shown
    # Latin digits in every language: the ones on receipts and typed into our forms.
    assert "10" in shown and not any("\u0660" <= c <= "\u0669" for c in shown)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("4.50", "4.50"),
        ("£4.50", "4.50"),
        ("4", "4.00"),
        ("4,50", "4.50"),  # Polish and most of Europe write pence after a comma
        ("4,5", "4.50"),
        ("1,200", "1200.00"),
        ("1,200.50", "1200.50"),
        ("1.200,50", "1200.50"),
        (" 12 ", "12.00"),
    ],
)
def test_money_is_read_the_way_people_type_it(app, typed, amount):
    from decimal import Decimal

    from engage.core.forms import Form, MoneyField

    class Amount(Form):
        class Meta:
            csrf = False

        value = MoneyField(invalid_message="Enter an amount")

    with app.test_request_context(method="POST", data={"value": typed}):
        form = Amount()
        assert form.validate(), form.errors
        assert form.value.data == Decimal(amount)


@pytest.mark.parametrize("typed", ["four", "-3", "4.505", "4,505,1", "1e3", "NaN"])
def test_money_that_cannot_be_read_is_refused(app, typed):
    from engage.core.forms import Form, MoneyField

    class Amount(Form):
        class Meta:
            csrf = False

        value = MoneyField(invalid_message="Enter an amount")

    with app.test_request_context(method="POST", data={"value": typed}):
        form = Amount()
        assert not form.validate()
        assert form.value.errors == ["Enter an amount"]
        assert form.value._value() == typed

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


def test_money_is_formatted_for_the_locale(ctx):
    assert format_money("1234.5") == "£1,234.50"
    with force_locale("pl"):
        assert format_money("1234.5").replace("\xa0", " ").endswith("234,50 GBP")


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

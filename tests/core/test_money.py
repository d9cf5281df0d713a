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

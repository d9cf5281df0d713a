"""Money is ``Decimal`` in ``Numeric`` columns, never float, and is shown by Babel in the
reader's locale."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel import Locale
from babel.numbers import format_currency
from flask_babel import get_locale
from sqlalchemy import Numeric, func

from engage.core.i18n import text_direction

CURRENCY = "GBP"
PENNY = Decimal("0.01")
#: The currency placeholder in a CLDR pattern (one to three of them: symbol, code, name).
_CURRENCY_SIGN = re.compile("\u00a4+")

#: The column type for amounts of money: exact, to the penny.
MoneyColumn = Numeric(12, 2, asdecimal=True)


def to_money(value: Decimal | int | str) -> Decimal:
    """An exact amount rounded to the penny (half up, as people round money by hand).

    Floats are refused: they cannot hold most amounts exactly.
    """
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a Decimal or a string")
    try:
        return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)
    except InvalidOperation as error:
        raise ValueError(f"not an amount of money: {value!r}") from error


def sum_in_pennies(column: Any) -> Any:
    """SQL for the exact sum of a money column, as whole pennies, on any database.

    SQLite keeps ``Numeric`` values as binary floating point and adds them up that way; adding
    whole pennies (each rounded first) is exact there too. Turn the result back with
    :func:`from_pennies`.
    """
    return func.coalesce(func.sum(func.round(column * 100)), 0)


def from_pennies(pennies: Decimal | int | float) -> Decimal:
    """A sum from :func:`sum_in_pennies` as an exact amount."""
    return (Decimal(int(pennies)) / 100).quantize(PENNY)


def format_money(value: Decimal | int | str) -> str:
    """An amount in pounds as the reader's language writes money: ``£1,234.50`` in English,
    ``1 234,50 £`` in Polish, ``1,234.50 £`` in Arabic (read right to left, so it shows
    as ``£ 1,234.50``).

    Babel would write ``GBP`` in Polish and ``UK£`` in Arabic, which is not how people in the
    UK see pounds written, so the locale's own pattern is used with the £ sign. Digits stay
    Latin (0-9) in every language: they are the digits on UK receipts, bank statements and
    the notes and coins, and the ones people type into our forms. In a right-to-left language
    the amount is wrapped in a Unicode isolate (RLI ... PDI), so a number or Latin text beside
    it in a sentence cannot reorder it. Left-to-right languages get no isolate: it would add
    invisible characters to every text message, and turn a cheap GSM text into a dearer one.
    """
    locale = get_locale() or Locale.parse("en_GB")  # outside any app, as British English
    pattern = _CURRENCY_SIGN.sub("£", locale.currency_formats["standard"].pattern)
    shown = format_currency(
        to_money(value), CURRENCY, format=pattern, locale=locale, numbering_system="latn"
    )
    if text_direction(str(locale)) == "rtl":
        return f"\u2067{shown}\u2069"
    return shown

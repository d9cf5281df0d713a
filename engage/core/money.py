"""Money is ``Decimal`` in ``Numeric`` columns, never float, and is shown by Babel in the
reader's locale."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import format_currency
from sqlalchemy import Numeric, func

CURRENCY = "GBP"
PENNY = Decimal("0.01")

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
    """``£12.50`` in English, ``12,50 GBP`` in Polish: whatever Babel says for the locale."""
    return format_currency(to_money(value), CURRENCY)
